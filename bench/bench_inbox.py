"""The inbox ("Perlu tindakan saya") for a Camat with 20,000 waiting items among 100,000 document requests.

    .venv/bin/python bench/bench_inbox.py                                   # SQLite in a temporary folder
    .venv/bin/python bench/bench_inbox.py --n 2000 --waiting 400            # small check, under a minute
    .venv/bin/python bench/bench_inbox.py --database-url postgresql://postgres@127.0.0.1/plaju_bench_inbox

1. Fills the database in two stages (n/10 requests with waiting/10 awaiting the Camat's signature, then n
   with waiting) with bulk inserts; the work_item rows come from the engine's own computation
   (`assignees_for`) run over every seeded request, so they agree with the requests' states. A sample is
   checked against the computation again and the Camat's count against --waiting.
2. After each stage counts the SQL statements of one request (in-process, SQLAlchemy event listener) for
   /inbox/, the second page of the documents kind (by cursor, after the first page's last row) and the
   navigation count: they must not grow with n.
   At full size it also prints which statements of /inbox/ take the time.
3. Serves the real app (wsgi:app) and a bare app (bench/bare_inbox_app.py: no login, one SELECT of the
   same 25 rows, minimal template) under gunicorn with the same settings (2 sync workers, 127.0.0.1, a
   free port) on the same database, and drives both with --clients concurrent clients (the real app's
   clients sign in as the Camat through the login form with its CSRF token) in alternating phases.
   Prints p50/p95 of each and the ratio; the goal is the inbox's p95 within 3x the bare app's. Also prints
   the CPU each server's processes spent per request (/proc, not inflated by other processes competing
   for the cores) and the load average, which says how far the wall-clock figures can be trusted.

The PostgreSQL database named in --database-url is dropped and created again, so its name must start with
plaju_bench. Only localhost is accepted.
"""
import argparse
import contextvars
import http.cookiejar
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import cpu_seconds, python_profile  # noqa: E402
from bench.harness import free_port as _free_port  # noqa: E402
from bench.harness import prepare_url as _prepare_url  # noqa: E402

PASSWORD = "bench-password-123"
CAMAT = "camat"
GOAL = 3.0


# --- seeding ------------------------------------------------------------------------------------------

def _fill(db, target: int, waiting: int, clerk_ids: list[int], types: list[tuple], rng: random.Random) -> None:
    """Add document requests up to `target`, `waiting` of them (in all) awaiting the Camat's signature,
    then their work items as the engine computes them."""
    from plaju.database import utcnow
    from plaju.documents.models import KELURAHAN, DocumentRequest
    from plaju.documents.nik import make_nik
    from plaju.documents.workflow import DOCUMENT_FLOW, STATES
    from plaju.workflow.assignments import assignees_for
    from plaju.workflow.models import NO_DUE, WorkItem

    table = DocumentRequest.__table__
    have = db.session.scalar(select(text("count(*)")).select_from(table))
    have_waiting = db.session.scalar(select(text("count(*)")).select_from(table).where(
        table.c.state == "awaiting_signature"))
    new = target - have
    waiting_new = set(rng.sample(range(have, target), waiting - have_waiting)) if new > 0 else set()
    others = [s.name for s in STATES if s.name != "awaiting_signature"]
    all_types = [type_id for type_id, _signs, _forwards in types]
    signs = [type_id for type_id, camat_signs, _forwards in types if camat_signs] or all_types
    forwards = [type_id for type_id, _signs, forwards in types if forwards] or all_types
    first = ["Ahmad", "Siti", "Budi", "Dewi", "Rudi", "Sri", "Agus", "Nur", "Hendra", "Rina", "Yusuf", "Maya"]
    last = ["Saputra", "Lestari", "Wijaya", "Hasibuan", "Siregar", "Kurniawan", "Rahmawati", "Pratama"]
    now = utcnow()
    chunk = 10_000
    for start in range(have, target, chunk):
        rows = []
        for i in range(start, min(start + chunk, target)):
            state = "awaiting_signature" if i in waiting_new else rng.choice(others)
            if state in ("awaiting_signature", "signed"):
                doc_type = rng.choice(signs)
            elif state in ("at_disdukcapil", "back_from_disdukcapil"):
                doc_type = rng.choice(forwards)
            else:
                doc_type = rng.choice(all_types)
            name = f"{rng.choice(first)} {rng.choice(last)} {i}"
            received = now - timedelta(minutes=i * 3 + rng.randint(0, 2))
            terminal = DOCUMENT_FLOW.state(state).terminal
            rows.append({
                "tracking_code": f"PLJ-I{i:09d}", "type_id": doc_type,
                "nik": make_nik(date(1960 + i % 45, 1 + i % 12, 1 + i % 28), i % 2 == 0, i % 9999 + 1),
                "name": name, "name_key": name.lower(), "phone": "", "kelurahan": rng.choice(KELURAHAN),
                "note": "", "checklist": "[]", "state": state, "version": 3, "created_by_id": rng.choice(clerk_ids),
                "received_at": received, "budget_minutes": 2400, "clock_used_minutes": 0,
                # due dates spread from long overdue to next week; a returned request's clock is paused
                "due_at": None if state == "returned" else received + timedelta(days=rng.randint(1, 60)),
                "disdukcapil_back_at": received + timedelta(days=1) if state == "back_from_disdukcapil" else None,
                "closed_at": received + timedelta(days=2) if terminal else None,
                "signed_as": "", "updated_at": received + timedelta(hours=rng.randint(1, 48))})
        db.session.execute(insert(table), rows)
        db.session.commit()
        # the work items of these rows, from the engine's own who-rules
        items = []
        for entity in db.session.scalars(select(DocumentRequest).where(
                DocumentRequest.tracking_code >= f"PLJ-I{start:09d}",
                DocumentRequest.tracking_code < f"PLJ-I{start + chunk:09d}")).unique():
            for a in assignees_for(DOCUMENT_FLOW, entity):
                items.append({"spec": DOCUMENT_FLOW.name, "entity_id": entity.id, "trigger": a.trigger,
                              "user_id": a.user_id, "role": a.role, "unit_id": a.unit_id,
                              "delegable": a.delegable, "notify": a.notify,
                              "excluded_user_id": a.excluded_user_id, "due_at": a.due_at,
                              "due_key": a.due_at or NO_DUE,
                              "since": entity.updated_at})
        if items:
            db.session.execute(insert(WorkItem.__table__), items)
        db.session.commit()
        db.session.expunge_all()
    # fresh statistics, as autovacuum and a nightly ANALYZE give
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE document_request"))
            conn.execute(text("VACUUM ANALYZE work_item"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _check_seed(db, camat, waiting: int, rng: random.Random) -> str:
    """The stored items of a sample agree with the engine's computation; the Camat's count is --waiting."""
    from plaju.documents.models import DocumentRequest
    from plaju.documents.workflow import DOCUMENT_FLOW
    from plaju.inbox import services
    from plaju.workflow.assignments import _as_assignee, assignees_for
    from plaju.workflow.models import WorkItem

    ids = list(db.session.scalars(select(DocumentRequest.id)))
    for entity_id in rng.sample(ids, min(300, len(ids))):
        entity = db.session.get(DocumentRequest, entity_id)
        stored = db.session.scalars(select(WorkItem).where(WorkItem.spec == "document",
                                                           WorkItem.entity_id == entity_id)).all()
        want = sorted(repr(a) for a in assignees_for(DOCUMENT_FLOW, entity))
        if sorted(repr(_as_assignee(i)) for i in stored) != want:
            sys.exit(f"seeded work items of request {entity_id} disagree with assignees_for")
    from plaju.workflow.awaiting import CAP, awaiting_ids
    exact = awaiting_ids(camat, "document").subquery()
    got = db.session.scalar(select(text("count(*)")).select_from(exact))
    shown = services.counts(camat).get("document", 0)
    db.session.rollback()
    if got != waiting:
        sys.exit(f"the Camat's inbox holds {got} documents, expected {waiting}")
    if shown != min(waiting, CAP):
        sys.exit(f"the Camat's inbox counts {shown} documents, expected {min(waiting, CAP)} (bounded by {CAP})")
    items = db.session.scalar(select(text("count(*)")).select_from(WorkItem.__table__))
    db.session.rollback()  # SQLite: no transaction (BEGIN IMMEDIATE) left open while the pages are asked for
    return (f"{items:,} work items; 300 sampled requests agree with assignees_for; Camat's {got:,} waiting, "
            f"counted as {services.count_label(shown)}")


# --- statements ---------------------------------------------------------------------------------------

def _statements(engine, fn, timed: bool = False):
    seen = []

    def before(conn, cursor, statement, *args):
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append((time.perf_counter() - conn.info.pop("bench_t0"), statement))
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return seen if timed else len(seen)


def _get(client, path):
    def run():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    # a context of its own, as each request has in production (no user cached from the last one)
    contextvars.Context().run(run)


def _python_profile(client) -> None:
    """Where the Python time of one /inbox/ request goes."""
    python_profile(lambda: _get(client, "/inbox/"), "the same request")


# --- HTTP ---------------------------------------------------------------------------------------------

def _gunicorn(target: str, port: int, env: dict, log: Path):
    out = open(log, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--bind",
         f"127.0.0.1:{port}", "--timeout", "120", "--chdir", str(ROOT), target],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, out


def _wait_up(url: str, process) -> None:
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f"the server for {url} stopped (exit {process.returncode}); see its log")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def _login(base: str, username: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrf_token": token.group(1)}).encode()
    with opener.open(base + "/login", data=data) as response:
        response.read()
    with opener.open(base + "/inbox/") as response:
        if not response.geturl().endswith("/inbox/"):
            sys.exit(f"signing in as {username} failed (ended at {response.geturl()})")
    return opener


def _timed(opener, url: str) -> float:
    start = time.perf_counter()
    with opener.open(url, timeout=120) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - start


def _phase(openers, url: str, per_client: int, samples: list) -> None:
    lock = threading.Lock()

    def work(opener):
        mine = [_timed(opener, url) for _ in range(per_client)]
        with lock:
            samples.extend(mine)
    threads = [threading.Thread(target=work, args=(o,)) for o in openers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _p(samples, q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="document requests")
    ap.add_argument("--waiting", type=int, default=20_000, help="of them awaiting the Camat's signature")
    ap.add_argument("--database-url", help="database URL (default: SQLite in a temporary folder)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients per app")
    # a p95 needs enough samples in its tail on a shared machine: 1,200 requests give 60 beyond it
    ap.add_argument("--requests", type=int, default=1200, help="timed requests per app, in all")
    ap.add_argument("--phases", type=int, default=6, help="alternating phases per app")
    ap.add_argument("--pg-options", default="",
                    help="PostgreSQL session settings for every connection (PGOPTIONS), e.g. '-c jit=off'")
    ap.add_argument("--strict", action="store_true", help="exit 1 if statements grow or the ratio misses 3x")
    args = ap.parse_args()
    if not 0 < args.waiting <= args.n:
        sys.exit("--waiting must be between 1 and --n")
    folder = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    instance = folder / "instance"
    os.environ["PLAJU_INSTANCE_PATH"] = str(instance)
    os.environ["PLAJU_OUTBOX_DELIVERY"] = "off"
    if args.pg_options:  # libpq reads it on every connection: the bench, the app and the bare app alike
        os.environ["PGOPTIONS"] = args.pg_options
    url = _prepare_url(args.database_url, folder)

    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.accounts.models import User
    from plaju.documents.seed import seed_types
    from plaju.extensions import db
    from plaju.inbox import services
    from plaju.workflow.awaiting import page_keys

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(8)
    failed = False
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade(revision="heads")
        types = [(t.id, t.camat_signs, t.forwards_to_disdukcapil) for t in seed_types().values()]
        people = {}
        for username, full_name, position, roles in (
                (CAMAT, "Camat Bench", "Camat", ["camat"]), ("kasi", "Kasi Bench", "Kasi Pelayanan", ["section_head"]),
                ("petugas1", "Petugas Satu", "Petugas", ["clerk"]), ("petugas2", "Petugas Dua", "Petugas", ["clerk"])):
            user = User(username=username, full_name=full_name, position=position)
            user.set_roles(roles)
            user.set_password(PASSWORD)
            db.session.add(user)
            people[username] = user
        db.session.commit()
        clerk_ids = [people["petugas1"].id, people["petugas2"].id]
        camat_id = people[CAMAT].id
        client = app.test_client()
        client.post("/login", data={"username": CAMAT, "password": PASSWORD})
        labels = ("/inbox/", "page 2 of documents", "/inbox/count")
        counts = {}
        print(f"{dialect}, {args.n:,} requests, {args.waiting:,} awaiting the Camat; folder {folder}")
        for n, waiting in ((max(args.n // 10, 1), max(args.waiting // 10, 1)), (args.n, args.waiting)):
            t0 = time.perf_counter()
            _fill(db, n, waiting, clerk_ids, types, rng)
            fill_s = time.perf_counter() - t0
            camat = db.session.get(User, camat_id)
            checked = _check_seed(db, camat, waiting, rng)
            # page 2 of the documents kind: after the cursor of the first page's last row
            cursor = page_keys(camat, "document", services.PAGE)[-1].cursor
            db.session.rollback()
            paths = ("/inbox/", f"/inbox/?kind=document&after={cursor}", "/inbox/count")
            counts[n] = tuple(_statements(db.engine, lambda p=p: _get(client, p)) for p in paths)
            print(f"{n:>8,} requests, {waiting:>6,} waiting (seeded in {fill_s:.1f} s; {checked})")
            print("          SQL statements per request: " + ", ".join(
                f"{p} {c}" for p, c in zip(labels, counts[n], strict=True)))
        if len(set(counts.values())) != 1:
            print("WARNING: the number of statements per request depends on the data size")
            failed = True
        # which statements of one /inbox/ request take the time (median of 5 runs, per statement)
        runs = [_statements(db.engine, lambda: _get(client, "/inbox/"), timed=True) for _ in range(5)]
        page_ms = statistics.median(
            [(lambda t0: (_get(client, "/inbox/"), time.perf_counter() - t0)[1])(time.perf_counter())
             for _ in range(5)]) * 1000
        per_statement = [(statistics.median(r[i][0] for r in runs) * 1000, runs[0][i][1]) for i in range(len(runs[0]))]
        print(f"\nprofile of one /inbox/ request in-process ({page_ms:.1f} ms median of 5), statements by time:")
        for ms, sql in sorted(per_statement, key=lambda x: -x[0]):
            print(f"  {ms:8.2f} ms  {' '.join(sql.split())[:150]}")
        print(f"  {sum(ms for ms, _sql in per_statement):8.2f} ms  all SQL; the rest of the page is Python")
        _python_profile(client)
        db.session.rollback()
        camat = db.session.get(User, camat_id)
        ids = [k.entity_id for k in page_keys(camat, "document", services.PAGE)]
        codes = dict(db.session.execute(text(
            f"SELECT id, tracking_code FROM document_request WHERE id IN ({','.join(map(str, ids))})")).all())
        db.session.rollback()
        db.engine.dispose()

    env = {**os.environ, "PLAJU_INSTANCE_PATH": str(instance), "PLAJU_DATABASE_URL": url,
           "PLAJU_MAIL_SERVER": "", "PLAJU_OUTBOX_DELIVERY": "off", "BENCH_BARE_DATABASE_URL": url,
           "BENCH_BARE_IDS": ",".join(map(str, ids))}
    real_port, bare_port = _free_port(), _free_port()
    servers = [_gunicorn("wsgi:app", real_port, env, folder / "real.log"),
               _gunicorn("bench.bare_inbox_app:create()", bare_port, env, folder / "bare.log")]
    real, bare = f"http://127.0.0.1:{real_port}", f"http://127.0.0.1:{bare_port}"
    try:
        _wait_up(real + "/healthz", servers[0][0])
        _wait_up(bare + "/", servers[1][0])
        real_clients = [_login(real, CAMAT) for _ in range(args.clients)]
        bare_clients = [urllib.request.build_opener() for _ in range(args.clients)]
        page = real_clients[0].open(real + "/inbox/").read().decode()
        floor = bare_clients[0].open(bare + "/").read().decode()
        missing = [c for c in codes.values() if c not in page or c not in floor]
        if missing:
            sys.exit(f"the two apps do not show the same 25 rows (missing {missing[:3]})")
        per_client = max(args.requests // (args.phases * args.clients), 1)
        samples = {"inbox": [], "bare": []}
        _phase(real_clients, real + "/inbox/", 2, [])  # warm-up
        _phase(bare_clients, bare + "/", 2, [])
        cpu = {"inbox": 0.0, "bare": 0.0}
        groups = {"inbox": servers[0][0].pid, "bare": servers[1][0].pid}
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        for phase in range(args.phases):
            order = [("inbox", real_clients, real + "/inbox/"), ("bare", bare_clients, bare + "/")]
            for name, openers, target in (order if phase % 2 == 0 else order[::-1]):
                before = cpu_seconds(groups[name])
                _phase(openers, target, per_client, samples[name])
                cpu[name] += cpu_seconds(groups[name]) - before
        elapsed = time.perf_counter() - t0
    finally:
        for process, out in servers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
            out.close()
    stats = {name: (statistics.median(s) * 1000, _p(s, 0.95) * 1000, len(s)) for name, s in samples.items()}
    ratio50 = stats["inbox"][0] / stats["bare"][0]
    ratio95 = stats["inbox"][1] / stats["bare"][1]
    if args.pg_options:
        print(f"\nPGOPTIONS={args.pg_options!r} for every connection")
    print(f"\nHTTP, gunicorn 2 sync workers each, {args.clients} clients per app, {args.phases} alternating phases "
          f"({elapsed:.0f} s):")
    for name, label in (("inbox", "inbox /inbox/ (Camat, 25 of its rows)"), ("bare", "bare app, same 25 rows")):
        p50, p95, count = stats[name]
        print(f"  {label:<40} {count:>4} requests  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
    verdict = "within" if ratio95 <= GOAL else "MISSES"
    print(f"  ratio inbox/bare: p50 {ratio50:.1f}x, p95 {ratio95:.1f}x ({verdict} the {GOAL:.0f}x goal)")
    # what the servers themselves spent (from /proc, 10 ms ticks): unlike wall time, not inflated by
    # other processes competing for the cores
    per = {name: cpu[name] / max(len(samples[name]), 1) * 1000 for name in cpu}
    if per["bare"] > 0:
        print(f"  server CPU per request: inbox {per['inbox']:.1f} ms, bare {per['bare']:.1f} ms "
              f"({per['inbox'] / per['bare']:.1f}x)")
    print(f"  load average before / after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    failed = failed or ratio95 > GOAL
    sys.exit(1 if (args.strict and failed) else 0)


if __name__ == "__main__":
    main()
