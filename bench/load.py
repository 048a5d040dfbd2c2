"""Load benchmark: N signed-in clients on loopback against the app under gunicorn, SQLite and
PostgreSQL side by side in one run.

It makes its own data in each database (a throw-away SQLite file, and a scratch database it
creates, migrates, fills and drops on the PostgreSQL server of --database-url), starts one
gunicorn per database, signs N users in on each, and has each of them browse the pages clerks
use most (我的待办, the header count, a swimlane page, the instance list, an instance page).
The databases take turns (SQLite, PostgreSQL, PostgreSQL, SQLite, … for --rounds rounds of
--seconds each), so that other work on a shared machine weighs on both alike.  It prints, per
database, p50/p95/p99 latency per page and overall, throughput, errors and the SQL statements
each page runs, then both side by side with the ratio, and the load average before and after.
When the PostgreSQL server does not answer, SQLite runs alone.  Nothing here is a pass/fail
assertion.

    .venv/bin/python bench/load.py --clients 20 --seconds 30
    .venv/bin/python bench/load.py --only postgresql --database-url postgresql://postgres@127.0.0.1:5432/test
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "Bench#2026pass"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PAGES = ["/inbox", "/inbox/count", "/processes/12", "/processes/instances"]
INSTANCE_PAGE = "/processes/instances/<id>"
BACKENDS = ("SQLite", "PostgreSQL")


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


def postgres_refusal(server_url: str) -> str:
    """Why the PostgreSQL server of ``server_url`` cannot be used ("" when it answers)."""
    try:
        import psycopg

        with psycopg.connect(server_url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return ""
    except Exception as exc:  # noqa: BLE001 - any failure means: run SQLite alone
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _point_at(database_url: str, instance: Path) -> None:
    os.environ["ZHJG_INSTANCE"] = str(instance)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)


def prepare(database_url: str, instance: Path, clients: int) -> tuple[list[int], dict[str, float]]:
    """Migrate and fill the database; return ids of instances to open and the SQL statements
    each page runs (counted in-process with an event listener, after one warm-up request)."""
    _point_at(database_url, instance)
    from flask_migrate import upgrade

    from app import create_app
    from models import db

    app = create_app({"SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        ids = fill(clients)
        db.session.commit()
        db.session.remove()
        engine = db.engine
    counts = statements_per_page(app, engine, ids[0])  # each request in its own app context
    engine.dispose()
    return ids, counts


def fill(clients: int) -> list[int]:
    """Departments, ``clients`` clerks and leaders, and 200 joint items at their third step."""
    from infrastructure.passwords import hash_password
    from models import Department, User, UserRole, db, utcnow
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department
    from workflows import engine
    from workflows.lanes import PARTICIPANT

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
    return ids


def statements_per_page(app, engine, instance_id: int) -> dict[str, float]:
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"account": "bench000", "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    counts = {}
    for key in [*PAGES, INSTANCE_PAGE]:
        path = key.replace("<id>", str(instance_id))
        client.get(path)
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        client.get(path)
        event.remove(engine, "before_cursor_execute", record)
        counts[key] = len(seen)
    return counts


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


@dataclass
class Tally:
    """What one database served over all its rounds."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wall: float = 0.0
    failed_sign_in: int = 0

    @property
    def all(self) -> list[float]:
        return [v for vals in self.latencies.values() for v in vals]

    @property
    def throughput(self) -> float:
        return len(self.all) / self.wall if self.wall else 0.0


def browse(clients: list[Client], seconds: float, instance_ids: list[int], tally: Tally | None) -> None:
    """Every client requests pages in turn for ``seconds``; counted in ``tally`` unless None."""
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(idx: int, client: Client) -> None:
        n = 0
        while time.monotonic() < deadline:
            if n % 5:
                key = path = PAGES[n % len(PAGES)]
            else:
                key, path = INSTANCE_PAGE, f"/processes/instances/{instance_ids[(idx * 7 + n) % len(instance_ids)]}"
            t0 = time.perf_counter()
            status, _ = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            if tally is not None:
                with lock:
                    tally.latencies[key].append(elapsed)
                    if status != 200:
                        tally.errors[key] += 1
            n += 1

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if tally is not None:
        tally.wall += time.monotonic() - start


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


@dataclass
class Server:
    """One database with its data and the gunicorn serving it."""

    backend: str
    database_url: str
    instance: Path
    ids: list[int] = field(default_factory=list)
    statements: dict[str, float] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    base: str = ""

    def start(self, workers: int, threads: int) -> None:
        port = _free_port()
        env = {**os.environ, "ZHJG_INSTANCE": str(self.instance), "SECRET_KEY": "bench-secret"}
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.process = subprocess.Popen(
            [gunicorn, "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "app:create_app()"],
            cwd=ROOT, env=env,
        )
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.base + "/login", timeout=1)
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # gunicorn's graceful stop; a busy shared machine may take a while
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure(servers: list[Server], args: argparse.Namespace) -> dict[str, Tally]:
    """Sign the clients in, warm each server up, then let the databases take turns."""
    tallies = {s.backend: Tally() for s in servers}
    signed: dict[str, list[Client]] = {}
    for server in servers:
        clients = [Client(server.base, f"bench{i:03d}") for i in range(args.clients)]
        tallies[server.backend].failed_sign_in = sum(not c.sign_in() for c in clients)
        signed[server.backend] = clients
        browse(clients, args.warmup, server.ids, None)
    for r in range(args.rounds):
        for server in servers if r % 2 == 0 else reversed(servers):
            browse(signed[server.backend], args.seconds, server.ids, tallies[server.backend])
    return tallies


def report(servers: list[Server], tallies: dict[str, Tally], args: argparse.Namespace, loads: list[str]) -> None:
    for server in servers:
        tally = tallies[server.backend]
        print(f"\n{server.backend}: sign-in failures {tally.failed_sign_in}")
        print(f"{'page':<28}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}{'SQL':>6}")
        for key in [*PAGES, INSTANCE_PAGE]:
            vals = tally.latencies[key]
            print(f"{key:<28}{len(vals):>10}{pct(vals, 50):>10.1f}{pct(vals, 95):>10.1f}{pct(vals, 99):>10.1f}"
                  f"{tally.errors[key]:>8}{server.statements.get(key, 0):>6.0f}")
        vals = tally.all
        print(f"{'all':<28}{len(vals):>10}{pct(vals, 50):>10.1f}{pct(vals, 95):>10.1f}{pct(vals, 99):>10.1f}"
              f"{sum(tally.errors.values()):>8}")
        print(f"throughput: {tally.throughput:.1f} requests/s")
    names = [s.backend for s in servers]
    print(f"\nside by side{'':<16}" + "".join(f"{n:>12}" for n in names) + ("  PG/SQLite" if len(names) == 2 else ""))
    rows = [("requests/s", lambda t: t.throughput)] + [
        (f"p{q} ms", lambda t, q=q: pct(t.all, q)) for q in (50, 95, 99)
    ] + [("errors", lambda t: float(sum(t.errors.values())))]
    for label, value in rows:
        figures = [value(tallies[n]) for n in names]
        ratio = f"{figures[1] / figures[0]:>11.2f}" if len(figures) == 2 and figures[0] else ""
        print(f"{label:<28}" + "".join(f"{f:>12.1f}" for f in figures) + ratio)
    print(f"load average (1, 5, 15 min): before {loads[0]}, after {loads[1]}")


def _loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30, help="length of one database's turn")
    parser.add_argument("--rounds", type=int, default=2, help="turns of each database")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured browsing per server")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG),
                        help="a PostgreSQL server (its scratch database is created and dropped)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run one database alone")
    args = parser.parse_args()

    servers: list[Server] = []
    drops: list[Callable[[], None]] = []
    try:
        if args.only != "postgresql":
            servers.append(Server("SQLite", "", Path(tempfile.mkdtemp(prefix="zhjg-bench-"))))
        refusal = postgres_refusal(args.database_url) if args.only != "sqlite" else "--only sqlite"
        if not refusal:
            url, drop = scratch_database(args.database_url)  # never the named database itself
            drops.append(drop)
            servers.append(Server("PostgreSQL", url, Path(tempfile.mkdtemp(prefix="zhjg-bench-"))))
        elif args.only == "postgresql":
            sys.exit(f"PostgreSQL does not answer: {refusal}")
        else:
            print(f"PostgreSQL left out: {refusal}")
        for server in servers:
            server.ids, server.statements = prepare(server.database_url, server.instance, args.clients)
        loads = [_loadavg()]
        try:
            for server in servers:
                server.start(args.workers, args.threads)
            tallies = measure(servers, args)
        finally:
            for server in servers:
                server.stop()
        loads.append(_loadavg())
    finally:
        for server in servers:
            shutil.rmtree(server.instance, ignore_errors=True)
        for drop in drops:
            drop()
    print(f"bench/load.py: {args.clients} clients, {args.rounds} x {args.seconds:.0f} s per database, "
          f"gunicorn {args.workers}x{args.threads}, {os.cpu_count()} CPUs")
    report(servers, tallies, args, loads)


if __name__ == "__main__":
    main()
