"""/api/v1 benchmark: 20 interface clients against the app under gunicorn (docs/api.md).

It makes its own data on a scratch database it creates, migrates, fills and drops on the
PostgreSQL server named by --database-url (never the named database itself; without one, a
temporary SQLite file): a registry of --entities entities (bench/entities.py's generator), and
--clients accounts of the 接口调用方 role at the city's bureau, each with its own token
(entities:read with address and legal representative, facts:write; a rate limit no client
reaches).  Then, with gunicorn on loopback:

  entity lookup: each client, on its own keep-alive connection, asks GET /api/v1/entities/<code>
  for random codes of the registry for --seconds seconds (each call authenticated, rate-limited,
  scoped and audited as in production); requests per second and p50/p95/p99.  The clients are
  wrk (Debian's /usr/bin/wrk, one thread and connection per client, a Lua script giving each its
  token) unless --client python (Python threads, which take CPU from the server on a small host);
  bare baseline, same run, same gunicorn settings: bench/api_bare.py, one Flask route reading
  the same row by one Core query and committing, nothing else; and the CPU per request of each,
  measured in this process over the Flask test client (less sensitive to other load);
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

LUA = """
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local tokens = {%(tokens)s}
local prefix = "%(prefix)s"
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
end
function init(args)
  local n = tonumber(tid) or 1
  math.randomseed(n * 7919)
  header = {Authorization = "Bearer " .. tokens[(n - 1) %% #tokens + 1]}
end
function request()
  return wrk.format("GET", prefix .. codes[math.random(#codes)], header)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""

SCOPES = ["entities:read", "entities.address:read", "entities.legal_rep:read", "facts:write", "sanctions:read"]


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


def lookups(port: int, tokens: list[str], codes: list[str], seconds: float, lookup: str = "entities"
            ) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in tokens]
    errors = [0] * len(tokens)
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn, rng = Conn(port, tokens[i]), random.Random(i)
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            status, _ = conn.request("GET", f"/api/v1/{lookup}/{rng.choice(codes)}")
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


def wrk_lookups(port: int, prefix: str, tokens: list[str], codes: list[str], seconds: float, clients: int,
                workdir: Path) -> dict[str, Any]:
    """wrk: one thread and one keep-alive connection per client, each with its own token."""
    (workdir / "codes.txt").write_text("\n".join(codes) + "\n")
    script = workdir / "lookup.lua"
    script.write_text(LUA % {"codes": workdir / "codes.txt", "prefix": prefix,
                             "tokens": ", ".join(f'"{t}"' for t in tokens)})
    out = subprocess.run(["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "10s",
                          "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    requests, micros, status_errors, socket_errors, p50, p95, p99 = line.split()[1:]
    return {"requests": int(requests), "wall": int(micros) / 1e6, "errors": int(status_errors) + int(socket_errors),
            "p50": float(p50), "p95": float(p95), "p99": float(p99)}


class Gunicorn:
    """gunicorn serving ``target`` on a free port until closed."""

    def __init__(self, target: str, env: dict[str, str], workers: int, threads: int, probe: str) -> None:
        self.port = _free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.server = subprocess.Popen(
            [gunicorn, "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", target], cwd=ROOT, env=env)
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", probe)
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)

    def close(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=35)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


def cpu_per_request(url: str, instance: Path, redis_url: str, token: str, codes: list[str], n: int = 500,
                    lookup: str = "entities") -> tuple[float, float]:
    """Milliseconds of this process's CPU per lookup, the app's and the bare route's, over the
    Flask test client (the same client overhead in both), each after a warm-up."""
    from app import create_app
    from bench.api_bare import create

    app = create_app({"SECRET_KEY": "bench", "API_RATE_LIMIT_REDIS_URL": redis_url, "JOBS_RUNNER": "external",
                      "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")})
    figures = []
    rng = random.Random(1)
    for client, path, headers in ((app.test_client(), f"/api/v1/{lookup}/", {"Authorization": f"Bearer {token}"}),
                                  (create(url).test_client(), "/bare/entities/", {})):
        for code in codes[:50]:
            assert client.get(path + code, headers=headers).status_code == 200
        t0 = time.process_time()
        for _ in range(n):
            client.get(path + rng.choice(codes), headers=headers)
        figures.append((time.process_time() - t0) / n * 1000)
    return figures[0], figures[1]


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
    parser.add_argument("--lookup", choices=("entities", "sanction-checks"), default="entities",
                        help="what the clients look up: an entity (GET /api/v1/entities/<code>) or the counter "
                             "plug-in's check (GET /api/v1/sanction-checks/<code>, 联合奖惩, issue 19)")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk",
                        help="the lookup clients: wrk (default, when installed) or Python threads")
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
        env = {**os.environ, "ZHJG_INSTANCE": str(instance), "SECRET_KEY": "bench", "DATABASE_URL": url,
               "API_RATE_LIMIT_REDIS_URL": args.redis, "JOBS_RUNNER": "external", "BARE_DATABASE_URL": url}
        use_wrk = args.client == "wrk" and shutil.which("wrk")
        results = {}
        for label, target, prefix in (("bare", "bench.api_bare:create()", "/bare/entities/"),
                                      ("app", "app:create_app()", f"/api/v1/{args.lookup}/")):
            server = Gunicorn(target, env, args.workers, args.threads, prefix + codes[0])
            try:
                if use_wrk:
                    wrk_lookups(server.port, prefix, tokens, codes, 3, args.clients, instance)  # warm up
                    results[label] = wrk_lookups(server.port, prefix, tokens, codes, args.seconds, args.clients,
                                                 instance)
                elif label == "app":
                    lookups(server.port, tokens, codes, 3, args.lookup)  # warm every worker's pool and caches
                    results[label] = lookups(server.port, tokens, codes, args.seconds, args.lookup)
                if label == "app":
                    batches = batch(server.port, tokens[0], codes, args.batch)
            finally:
                server.close()
        load_after_lookups = uptime()
        cpu_app, cpu_bare = cpu_per_request(url, instance, args.redis, tokens[0], codes, lookup=args.lookup)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        if drop:
            drop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"bench/api.py: {args.clients} clients ({'wrk' if use_wrk else 'Python threads'}), {args.seconds:.0f} s, "
          f"gunicorn {args.workers}x{args.threads}, {backend}, "
          f"rate-limit counters {'in Redis' if args.redis else 'in process'}")
    for label, title in (("app", "entity lookup" if args.lookup == "entities" else "sanction check (counter plug-in)"), ("bare", "bare baseline (one Core query, no auth/limit/audit)")):
        if label in results:
            r = results[label]
            print(f"{title}: {r['requests']} requests, {r['requests'] / r['wall']:.0f} requests/s, "
                  f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms, errors {r['errors']}")
    if "bare" in results:
        a, b = results["app"], results["bare"]
        print(f"app / bare: requests/s {(a['requests'] / a['wall']) / (b['requests'] / b['wall']):.2f}x, "
              f"p95 {a['p95'] / b['p95']:.2f}x")
    print(f"CPU per request in process (test client): app {cpu_app:.2f} ms, bare {cpu_bare:.2f} ms, "
          f"{cpu_app / cpu_bare:.2f}x")
    for label, elapsed, status, counts in batches:
        print(f"batch of {args.batch} permits, {label}: {elapsed:.2f} s (HTTP {status}) {counts}")
    print(f"after the lookups: {load_after_lookups}")
    print(f"after: {uptime()}")


if __name__ == "__main__":
    main()
