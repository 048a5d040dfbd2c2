"""Load benchmark: N signed-in clients on loopback for T seconds against the app under gunicorn.

It makes its own data (a throw-away SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url), starts gunicorn, signs N users in, and
has each of them browse the pages clerks use most (我的待办, the header count, a swimlane page,
the instance list, an instance page).  It prints p50/p95/p99 latency per page and overall,
throughput and the error count.  Nothing here is a pass/fail assertion.

    .venv/bin/python bench/load.py --clients 20 --seconds 30
    .venv/bin/python bench/load.py --clients 20 --seconds 30 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "Bench#2026pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """Create zhjg_bench_<pid> on the server of ``server_url``; return its URL and a dropper."""
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"zhjg_bench_{os.getpid()}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return plain.rsplit("/", 1)[0] + "/" + name, drop


def prepare(database_url: str, instance: Path, clients: int) -> list[int]:
    """Migrate and fill the database; return ids of instances to open."""
    os.environ["ZHJG_INSTANCE"] = str(instance)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade

    from app import create_app
    from infrastructure.passwords import hash_password
    from models import Department, User, UserRole, db, utcnow
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from workflows import engine
    from workflows.lanes import PARTICIPANT

    app = create_app({"SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()

        def dept(name, parent, level, kind=DepartmentKind.SUPERVISION):
            d = Department(name=name, parent=parent, level=level, kind=kind, region_code="510108")
            db.session.add(d)
            db.session.flush()
            place_department(d, parent)
            return d

        city = dept("压测市", None, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT)
        district = dept("压测区", city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
        bureau = dept("压测区市场监督管理局", district, DepartmentLevel.BUREAU)
        health = dept("压测区卫生健康局", district, DepartmentLevel.BUREAU)
        dept("压测区联席会议办公室", district, DepartmentLevel.BUREAU, DepartmentKind.CONFERENCE_OFFICE)
        hashed = hash_password(PASSWORD)
        users = []
        for i in range(clients):
            u = User(
                account=f"bench{i:03d}", name=f"压测用户{i}", department=bureau if i % 2 == 0 else health,
                password_hash=hashed, must_change_password=False, password_changed_at=utcnow(),
            )
            u.roles = [UserRole(role=str(Role.CLERK)), UserRole(role=str(Role.DEPT_LEADER))]
            db.session.add(u)
            users.append(u)
        db.session.flush()
        ids = []
        for n in range(200):
            starter = users[0]
            inst = engine.start(12, starter, title=f"压测联合事项{n}", parties={PARTICIPANT: [health.id]})
            for step in ("add", "consult"):
                item = next(i for i in inst.work_items if i.step_key == step and i.status == "open")
                engine.complete(starter, item.id, "next", version=item.version)
            ids.append(inst.id)
        db.session.commit()
    return ids


class Client:
    def __init__(self, base: str, account: str) -> None:
        self.base = base
        self.account = account
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    def sign_in(self) -> bool:
        _, html = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html
        )
        if not token:
            return False
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "account": self.account, "password": PASSWORD}
        ).encode()
        try:
            with self.opener.open(self.base + "/login", data=data, timeout=30) as resp:
                return resp.status == 200 and "/inbox" in resp.url
        except urllib.error.HTTPError:
            return False


def run(base: str, clients: int, seconds: float, instance_ids: list[int]) -> dict:
    paths = ["/inbox", "/inbox/count", "/processes/12", "/processes/instances"]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    signed = [Client(base, f"bench{i:03d}") for i in range(clients)]
    failed_sign_in = sum(not c.sign_in() for c in signed)
    deadline = time.monotonic() + seconds

    def worker(idx: int, client: Client) -> None:
        n = 0
        while time.monotonic() < deadline:
            path = paths[n % len(paths)] if n % 5 else f"/processes/instances/{instance_ids[(idx * 7 + n) % len(instance_ids)]}"
            key = path if not path.startswith("/processes/instances/") else "/processes/instances/<id>"
            t0 = time.perf_counter()
            status, _ = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies[key].append(elapsed)
                if status != 200:
                    errors[key] += 1
            n += 1

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(signed)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    return {"latencies": latencies, "errors": errors, "wall": wall, "failed_sign_in": failed_sign_in}


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default a temporary SQLite file")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-"))
    server_url, drop = args.database_url, None
    if server_url:
        # Never touch the named database: work in a scratch database on the same server.
        args.database_url, drop = scratch_database(server_url)
    try:
        ids = prepare(args.database_url, instance, args.clients)
        port = _free_port()
        env = {**os.environ, "ZHJG_INSTANCE": str(instance), "SECRET_KEY": "bench-secret"}
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        server = subprocess.Popen(
            [gunicorn, "-w", str(args.workers), "--threads", str(args.threads), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "app:create_app()"],
            cwd=ROOT, env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        try:
            result = run(base, args.clients, args.seconds, ids)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        if drop:
            drop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    all_lat = [v for vals in result["latencies"].values() for v in vals]
    total_err = sum(result["errors"].values())
    print(f"bench/load.py: {args.clients} clients, {args.seconds:.0f} s, gunicorn {args.workers}x{args.threads}, {backend}")
    print(f"sign-in failures: {result['failed_sign_in']}")
    print(f"{'page':<28}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for key in sorted(result["latencies"]):
        vals = result["latencies"][key]
        print(f"{key:<28}{len(vals):>10}{pct(vals, 50):>10.1f}{pct(vals, 95):>10.1f}{pct(vals, 99):>10.1f}{result['errors'][key]:>8}")
    print(f"{'all':<28}{len(all_lat):>10}{pct(all_lat, 50):>10.1f}{pct(all_lat, 95):>10.1f}{pct(all_lat, 99):>10.1f}{total_err:>8}")
    print(f"throughput: {len(all_lat) / result['wall']:.1f} requests/s; errors: {total_err}")


if __name__ == "__main__":
    main()
