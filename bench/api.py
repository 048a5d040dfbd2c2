"""/api/v1 benchmark: 20 interface clients against the app under gunicorn (docs/api.md).

It makes its own data on a scratch database it creates, migrates, fills and drops on the
PostgreSQL server named by --database-url (never the named database itself; without one, a
temporary SQLite file): a registry of --entities entities (bench/entities.py's generator), and
--clients accounts of the 接口调用方 role at the city's bureau, each with its own token
(entities:read with address and legal representative, facts:write; a rate limit no client
reaches).  Then, with gunicorn on loopback:

  entity lookup: each client, on its own keep-alive connection, asks GET /api/v1/entities/<code>
  for random codes of the registry for --seconds seconds (each call authenticated, rate-limited,
  scoped and audited as in production); requests per second and p50/p95/p99;
  a batch of --batch permits (POST /api/v1/facts/permit, by 统一社会信用代码), timed once new
  and once again with the same records (无变化), then the same with an Idempotency-Key replay.

Rate-limit counters are in Redis when --redis names one (as in production with several
workers), else in each worker's memory.  It prints figures and the host's load, no assertions.

    .venv/bin/python bench/api.py --database-url postgresql://postgres@127.0.0.1:5432/test \
        --redis redis://127.0.0.1:6379/15
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, pct, scratch_database  # noqa: E402
from bench.load import _free_port  # noqa: E402

SCOPES = ["entities:read", "entities.address:read", "entities.legal_rep:read", "facts:write"]


def prepare(url: str, instance: Path, entities: int, clients: int) -> tuple[list[str], list[str]]:
    """Fill the database; return the clients' tokens and a sample of the registry's codes."""
    from sqlalchemy import select

    from models import Department, MarketEntity, User, UserRole, db
    from models.roles import Role
    from services.api import tokens

    app = make_app(url, instance)
    with app.app_context():
        make_org()
        fill_registry(entities)
        bureau = db.session.execute(select(Department).where(Department.name == "成都市市场监督管理局")).scalar_one()
        admin = User(account="bench_admin", name="压测系统管理员", department=bureau.parent, password_hash="x",
                     must_change_password=False)
        admin.roles = [UserRole(role=str(Role.SYSTEM_ADMIN))]
        db.session.add(admin)
        issued = []
        for i in range(clients):
            user = User(account=f"bench_api{i:02d}", name=f"压测接口调用方{i}", department=bureau, password_hash="x",
                        must_change_password=False)
            user.roles = [UserRole(role=str(Role.API_CLIENT))]
            db.session.add(user)
            db.session.flush()
            issued.append(tokens.issue(admin, user_id=user.id, name="压测", scopes=SCOPES, days=1,
                                       rate_limit=tokens.MAX_RATE).token)
        codes = list(db.session.execute(select(MarketEntity.uscc).where(MarketEntity.uscc.is_not(None))
                                        .order_by(MarketEntity.id).limit(50_000)).scalars())
        db.session.commit()
    return issued, codes


class Conn:
    """One keep-alive connection of one client."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError


def lookups(port: int, tokens: list[str], codes: list[str], seconds: float) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in tokens]
    errors = [0] * len(tokens)
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn, rng = Conn(port, tokens[i]), random.Random(i)
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            status, _ = conn.request("GET", f"/api/v1/entities/{rng.choice(codes)}")
            latencies[i].append((time.perf_counter() - t0) * 1000)
            errors[i] += status != 200
        conn.conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(tokens))]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    flat = [v for per in latencies for v in per]
    return {"requests": len(flat), "wall": wall, "errors": sum(errors), "p50": pct(flat, 50), "p95": pct(flat, 95),
            "p99": pct(flat, 99)}


def batch(port: int, token: str, codes: list[str], size: int) -> list[tuple[str, float, int, dict[str, int]]]:
    records = [{"uscc": codes[i % len(codes)], "permit_no": f"BENCH{i:08d}", "name": "食品经营许可证",
                "kind": "食品经营", "valid_from": "2026-01-05", "valid_to": "2031-01-04"} for i in range(size)]
    body = json.dumps({"records": records}, ensure_ascii=False).encode()
    conn = Conn(port, token)
    out = []
    for label, headers in (("新增", {}), ("再次提交（无变化）", {}), ("幂等键首次", {"Idempotency-Key": "bench-1"}),
                           ("幂等键重放", {"Idempotency-Key": "bench-1"})):
        t0 = time.perf_counter()
        status, answer = conn.request("POST", "/api/v1/facts/permit", body,
                                      {"Content-Type": "application/json", **headers})
        elapsed = time.perf_counter() - t0
        counts = json.loads(answer).get("counts", {}) if status == 200 else {}
        out.append((label, elapsed, status, {k: v for k, v in counts.items() if v}))
    conn.conn.close()
    return out


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--redis", default="", help="Redis URL for the rate-limit counters")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-api-"))
    url, drop = f"sqlite:///{instance}/bench.sqlite3", None
    if args.database_url:
        url, drop = scratch_database(args.database_url, "api")
    print(f"before: {uptime()}")
    try:
        t0 = time.perf_counter()
        tokens, codes = prepare(url, instance, args.entities, args.clients)
        print(f"prepared {args.entities:,} entities and {args.clients} clients in {time.perf_counter() - t0:.1f} s")
        port = _free_port()
        env = {**os.environ, "ZHJG_INSTANCE": str(instance), "SECRET_KEY": "bench", "DATABASE_URL": url,
               "API_RATE_LIMIT_REDIS_URL": args.redis, "JOBS_RUNNER": "external"}
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        server = subprocess.Popen(
            [gunicorn, "-w", str(args.workers), "--threads", str(args.threads), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
        try:
            for _ in range(150):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/api/v1/openapi.json")
                    break
                except OSError:
                    time.sleep(0.2)
            lookups(port, tokens, codes, 3)  # warm every worker's pool and caches
            result = lookups(port, tokens, codes, args.seconds)
            batches = batch(port, tokens[0], codes, args.batch)
        finally:
            server.terminate()
            try:
                server.wait(timeout=35)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        if drop:
            drop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"bench/api.py: {args.clients} clients, {args.seconds:.0f} s, gunicorn {args.workers}x{args.threads}, "
          f"{backend}, rate-limit counters {'in Redis' if args.redis else 'in process'}")
    print(f"entity lookup: {result['requests']} requests, {result['requests'] / result['wall']:.0f} requests/s, "
          f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, "
          f"errors {result['errors']}")
    for label, elapsed, status, counts in batches:
        print(f"batch of {args.batch} permits, {label}: {elapsed:.2f} s (HTTP {status}) {counts}")
    print(f"after: {uptime()}")


if __name__ == "__main__":
    main()
