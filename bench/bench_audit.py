"""/audit/ searched by HR over 1,000,000 audit events and 100,000 document requests.

    .venv/bin/python bench/bench_audit.py                                   # SQLite in a temporary folder
    .venv/bin/python bench/bench_audit.py --events 20000 --requests 2000 --http-requests 120   # small check
    .venv/bin/python bench/bench_audit.py --database-url postgresql://postgres@127.0.0.1/plaju_bench_audit

1. Seeds the requests and the events with bulk inserts in two stages (a tenth, then all). The events are
   a year of office life: sign-ins and sign-outs (about a third), document steps about the requests,
   scans opened, account changes, refusals, in time order. Their hashes are unique placeholders (the
   page never verifies the chain, and the chain's own cost is measured by bench_engine.py), but for the
   newest event's, real, so that signing in over HTTP can append after it.
   After each stage it runs the day index's refresh (`audit/days.py`, which production's scheduled job
   `audit-days` runs every five minutes), so date searches start counted, as they would in the office.
2. After each stage counts the SQL statements of each filtered page (in-process, SQLAlchemy event
   listener): they must not grow with the log.
3. At full size times, in the same run and process, median of --runs:
   - app: the real /audit/ page through the Flask test client, signed in as HR (session, sign-in checks,
     filter parsing and name lookups, the search, the sentences and their lookups, the template);
   - query: the page's own read of its rows alone (`search.rows`: the newest seqs that may match,
     then the parts if those hold less than a page);
   - select: a bare SELECT of the same 50 rows by primary key (the floor the issue names);
   - bare app: a minimal Flask app that SELECTs the same 50 rows by primary key and renders them in a
     six-column template, through its own test client.
   and prints app/select, app/query and app/bare-app (the issue's bare SELECT, read in-process).
4. Over HTTP, as users feel it (skip with --http-requests 0): serves the real app (wsgi:app) and a bare
   app (bench/bare_audit_app.py: no login, one SELECT of the same rows by primary key, the six-column
   template) under gunicorn with the same settings (2 sync workers, 127.0.0.1, a free port) on the same
   database, and for each of HTTP_SEARCHES drives both with --clients concurrent clients (the real app's
   sign in as HR through the login form with its CSRF token) in alternating phases. Prints p50/p95 of
   each, the ratios (the goal: the page's p95 within 3x the bare app's), the CPU each server's
   processes spent per request (/proc) and the load average.

The PostgreSQL database named in --database-url is dropped and created again, so its name must start with
plaju_bench. Only localhost is accepted.
"""
import argparse
import contextvars
import hashlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bare_audit_app  # noqa: E402
from bench.harness import Client, Server, cpu_seconds, percentile, python_profile, run_phase  # noqa: E402
from bench.harness import prepare_url as _prepare_url  # noqa: E402

PASSWORD = "bench-password-123"
GOAL = 3.0
PAGE = 50
# the searches timed over HTTP (the others are timed in-process only)
HTTP_SEARCHES = ("default (sign-ins hidden)", "tracking code", "person (username, actor)",
                 "document steps, one month", "refused", "person, few events")


# --- seeding ------------------------------------------------------------------------------------------

def _fill_requests(db, target: int, types: list[int], clerk_ids: list[int], rng) -> None:
    from plaju.database import utcnow
    from plaju.documents.models import KELURAHAN, DocumentRequest
    from plaju.documents.nik import make_nik
    table = DocumentRequest.__table__
    have = db.session.scalar(select(text("count(*)")).select_from(table))
    now = utcnow()
    for start in range(have, target, 10_000):
        rows = []
        for i in range(start, min(start + 10_000, target)):
            name = f"Warga Bench {i}"
            received = now - timedelta(minutes=(target - i) * 5)
            rows.append({"tracking_code": f"PLJ-A{i:09d}", "type_id": rng.choice(types),
                         "nik": make_nik(date(1960 + i % 45, 1 + i % 12, 1 + i % 28), i % 2 == 0, i % 9999 + 1),
                         "name": name, "name_key": name.lower(), "phone": "", "kelurahan": rng.choice(KELURAHAN),
                         "note": "", "checklist": "[]", "state": "processing", "version": 3,
                         "created_by_id": rng.choice(clerk_ids), "received_at": received, "budget_minutes": 2400,
                         "clock_used_minutes": 0, "signed_as": "", "updated_at": received})
        db.session.execute(insert(table), rows)
        db.session.commit()


STEPS = [("document.receive", None, "received"), ("document.verify", "received", "verifying"),
         ("document.accept", "verifying", "processing"), ("document.forward", "processing", "at_disdukcapil"),
         ("document.complete", "processing", "ready"), ("document.hand_over", "ready", "handed_over")]


def _fill_events(db, target: int, requests: int, people: dict, rng) -> None:
    """Events up to `target`, in time order over the last 365 days (seq and time rise together)."""
    from plaju.audit.models import AuditEvent
    from plaju.audit.verify import audit_key
    from plaju.database import utcnow
    table = AuditEvent.__table__
    have = db.session.scalar(select(text("count(*)")).select_from(table))
    ids = db.session.execute(select(text("id, tracking_code")).select_from(text("document_request"))
                             .order_by(text("id"))).all()
    staff = [(u.id, u.full_name) for k, u in people.items() if k != "jarang"]
    rare = people["jarang"]  # an ASN whose account changes once in 1,000 events: a sparse person
    clerks = [(people[k].id, people[k].full_name) for k in ("petugas1", "petugas2")]
    kasi = (people["kasi"].id, people["kasi"].full_name)
    now = utcnow()
    span = timedelta(days=365).total_seconds()
    prev = "0" * 64
    for start in range(have, target, 20_000):
        rows = []
        for i in range(start, min(start + 20_000, target)):
            seq = i + 1
            at = now - timedelta(seconds=span * (1 - seq / target))
            roll = rng.random()
            actor_id, actor_name = rng.choice(staff)
            row = {"seq": seq, "occurred_at": at.isoformat(timespec="microseconds"), "actor_id": actor_id,
                   "actor_name": actor_name, "acting_for_id": None, "action": "auth.login", "outcome": "ok",
                   "subject_type": None, "subject_id": None, "from_state": None, "to_state": None,
                   "comment": None, "changes": None, "request_id": None, "ip": "10.0.0.7"}
            if roll < 0.30:
                row["action"] = rng.choice(("auth.login", "auth.logout"))
            elif roll < 0.85:
                req_id = ids[min(int(len(ids) * seq / target + rng.randint(-50, 50)), len(ids) - 1)][0]
                action, source, dest = rng.choice(STEPS)
                who = kasi if action == "document.accept" else rng.choice(clerks)
                row.update(actor_id=who[0], actor_name=who[1], action=action, subject_type="document",
                           subject_id=str(req_id), from_state=source, to_state=dest)
                if rng.random() < 0.05:
                    row.update(outcome="refused", to_state=None, comment="[four_eyes] Bukan giliran Anda.")
            elif roll < 0.93:
                req_id = ids[rng.randrange(len(ids))][0]
                row.update(action="document.view_file", subject_type="document_file", subject_id=str(req_id),
                           changes='{"file":[null,"ktp.pdf"]}')
            else:
                row.update(action="user.update", subject_type="user", subject_id=str(rng.choice(staff)[0]),
                           changes='{"position":["Staf","Petugas"]}')
            if seq % 1_000 == 0:
                row.update(action="user.update", subject_type="user", subject_id=str(rare.id), outcome="ok",
                           from_state=None, to_state=None, comment=None,
                           changes='{"position":["Staf","Pengadministrasi"]}')
            digest = hashlib.sha256(f"{seq}".encode()).hexdigest()
            row.update(prev_hash=prev, hash=digest)
            if seq == target:
                # the newest event carries its real (keyed) hash, so the app appends after it (a sign-in
                # over HTTP) instead of refusing a chain whose head it cannot verify
                row["hash"] = AuditEvent(**row).compute_hash(audit_key())
            prev = digest
            rows.append(row)
        db.session.execute(insert(table), rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE audit_event"))
            conn.execute(text("VACUUM ANALYZE document_request"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


# --- measuring ----------------------------------------------------------------------------------------

def _statements(engine, fn) -> int:
    seen = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _get(client, path) -> str:
    out = {}

    def run():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        out["body"] = response.get_data(as_text=True)
    contextvars.Context().run(run)  # a context of its own, as each request has in production
    return out["body"]


def _median_ms(fn, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _bare_app(url: str):
    app = bare_audit_app.create(url, [[0]])
    return app, app.extensions["bench_engine"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--runs", type=int, default=15)
    # a p95 needs samples in its tail on a shared machine: 600 requests give 30 beyond it
    ap.add_argument("--http-requests", type=int, default=600,
                    help="timed HTTP requests per app and search (0: no HTTP step)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients per app")
    ap.add_argument("--phases", type=int, default=4, help="alternating HTTP phases per app and search")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="print a cProfile of N default pages in-process, at full size")
    ap.add_argument("--export-rows", type=int, default=0,
                    help="also write XLSX exports of n/10 and n events and print time and peak memory")
    ap.add_argument("--strict", action="store_true", help="exit 1 if statements grow or a ratio misses 3x")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    os.environ["PLAJU_INSTANCE_PATH"] = str(folder / "instance")
    os.environ["PLAJU_OUTBOX_DELIVERY"] = "off"
    url = _prepare_url(args.database_url, folder)

    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.accounts.models import User
    from plaju.audit.days import refresh as refresh_days
    from plaju.audit.models import AuditEvent
    from plaju.audit.search import parse
    from plaju.documents.seed import seed_types
    from plaju.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(10)
    failed = False
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade(revision="heads")
        types = [t.id for t in seed_types().values()]
        people = {}
        for username, full_name, position, roles, nip in (
                ("hr", "Kepegawaian Bench", "Analis SDM", ["hr"], "198801012010011001"),
                ("kasi", "Kasi Bench", "Kasi Pelayanan", ["section_head"], "198001012005011002"),
                ("petugas1", "Petugas Satu", "Petugas", ["clerk"], "199001012015011003"),
                ("petugas2", "Petugas Dua", "Petugas", ["clerk"], "199101012015011004"),
                ("camat", "Camat Bench", "Camat", ["camat"], "197501012000011005"),
                ("jarang", "Pegawai Jarang", "Staf", [], "199201012016011006")):
            user = User(username=username, full_name=full_name, position=position, nip=nip)
            user.set_roles(roles)
            user.set_password(PASSWORD)
            db.session.add(user)
            people[username] = user
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "hr", "password": PASSWORD})
        print(f"{dialect}, {args.events:,} events, {args.requests:,} requests; folder {folder}")
        counts = {}
        for events, requests in ((args.events // 10, args.requests // 10), (args.events, args.requests)):
            t0 = time.perf_counter()
            _fill_requests(db, requests, types, [people["petugas1"].id, people["petugas2"].id], rng)
            _fill_events(db, events, requests, people, rng)
            seeded = time.perf_counter() - t0
            t1 = time.perf_counter()
            counted = refresh_days()  # as the scheduled job `audit-days` would after these events
            print(f"audit days refreshed as the scheduled job does: {counted:,} events counted in "
                  f"{time.perf_counter() - t1:.1f} s")
            # a request with events, found by its tracking code and its NIK; a month of document steps
            mid = db.session.execute(select(text("id, tracking_code, nik")).select_from(text("document_request"))
                                     .where(text("id = :i")).params(i=requests // 2)).one()
            db.session.rollback()
            nik_ref = _get_location(client, f"/audit/?nik={mid.nik}")
            last = date.today() - timedelta(days=30)
            old = date.today() - timedelta(days=300)
            scenarios = {
                "default (sign-ins hidden)": "/audit/",
                "tracking code": f"/audit/?code={mid.tracking_code}",
                "NIK": nik_ref,
                "person (username, actor)": "/audit/?person=petugas1",
                "person (NIP)": "/audit/?person=198001012005011002",
                "document steps, one month": f"/audit/?action=document.*&date_from={last}&date_to={date.today()}",
                "refused": "/audit/?outcome=refused",
                "data access": "/audit/?action=data-access",
                # sparse filters: an OR or IN list the planner would answer by scanning the log
                "person, few events": "/audit/?person=jarang",
                "kind with no events": "/audit/?action=delegation.*",
                "document steps, older month": f"/audit/?action=document.*&date_from={old}"
                                               f"&date_to={old + timedelta(days=30)}",
            }
            counts[events] = {name: _statements(db.engine, lambda p=path: _get(client, p))
                              for name, path in scenarios.items()}
            print(f"{events:>9,} events, {requests:>7,} requests (seeded in {seeded:.1f} s); statements: "
                  + ", ".join(f"{n} {c}" for n, c in counts[events].items()))
        if len({tuple(c.values()) for c in counts.values()}) != 1:
            print("WARNING: the number of statements per page depends on the size of the log")
            failed = True

        bare_app, bare_engine = _bare_app(url)
        bare_client = bare_app.test_client()
        pages = {}  # search -> (path, the seqs its page shows), for the HTTP step
        print(f"\nmedian of {args.runs} runs, ms; app = the /audit/ page signed in as HR, query = its read of "
              "the rows alone, select = the same 50 rows by primary key, bare = a minimal Flask app of that select")
        print(f"{'search':<28} {'rows':>4} {'app':>8} {'query':>8} {'select':>8} {'bare':>8} "
              f"{'app/select':>10} {'app/query':>9} {'app/bare':>8}")
        for name, path in scenarios.items():
            body = _get(client, path)
            seqs = [int(s) for s in _seqs(body)]
            args_ = _args(path)
            search = parse(args_)
            stmt = search.statement(limit=PAGE + 1)
            db.session.rollback()  # SQLite: no transaction (BEGIN IMMEDIATE) left open while pages are asked for
            app_ms = _median_ms(lambda p=path: _get(client, p), args.runs)

            def run_query(s=search):  # the page's read: its window first, its parts if that falls short
                s.rows(before=None, limit=PAGE + 1)
                db.session.rollback()
            query_ms = _median_ms(run_query, args.runs)
            pk = select(AuditEvent).where(AuditEvent.seq.in_(seqs)).order_by(AuditEvent.seq.desc())

            def run_select(s=pk):
                with db.engine.connect() as conn:
                    conn.execute(s).all()
            select_ms = _median_ms(run_select, args.runs)
            pages[name] = (path, seqs)
            bare_app.config["PAGES"] = [seqs]
            bare_ms = _median_ms(lambda: bare_client.get("/0").get_data(), args.runs)
            with db.engine.connect() as conn:
                expected = [r.seq for r in conn.execute(stmt)][:PAGE]
            if expected != seqs:
                print(f"WARNING: {name}: the page's rows differ from its query's")
                failed = True
            ratio = app_ms / select_ms
            failed |= ratio > GOAL
            print(f"{name:<28} {len(seqs):>4} {app_ms:>8.1f} {query_ms:>8.2f} {select_ms:>8.2f} {bare_ms:>8.2f} "
                  f"{ratio:>9.1f}x {app_ms / query_ms:>8.1f}x {app_ms / bare_ms:>7.1f}x")
        bare_engine.dispose()
        if args.profile:
            python_profile(lambda: [_get(client, "/audit/") for _ in range(args.profile)],
                           f"{args.profile} default pages", top=40)
        if args.export_rows:
            _export_memory(db, parse, folder, args.export_rows)
        db.session.rollback()
        db.engine.dispose()
    if args.http_requests:
        failed |= _http(args, url, folder, {n: pages[n] for n in HTTP_SEARCHES if n in pages})
    if failed and args.strict:
        sys.exit(1)


def _http(args, url: str, folder: Path, pages: dict) -> bool:
    """Serve wsgi:app and bench/bare_audit_app.py under gunicorn (2 sync workers each) on the same
    database; for each search, drive both with --clients clients (HR signed in through the login form)
    in alternating phases and print p50/p95, their ratio and the servers' CPU per request. Returns
    whether a p95 ratio misses the goal."""
    names = list(pages)
    env = {**os.environ, "PLAJU_DATABASE_URL": url, "PLAJU_MAIL_SERVER": "", "PLAJU_OUTBOX_DELIVERY": "off",
           "PLAJU_RATELIMIT_ENABLED": "0", "BENCH_BARE_DATABASE_URL": url,
           "BENCH_BARE_PAGES": json.dumps([pages[n][1] for n in names])}
    real = Server("wsgi:app", env, folder / "real.log")
    bare = Server("bench.bare_audit_app:create()", env, folder / "bare.log")
    results, missed = [], False
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    try:
        real.wait_up("/healthz")
        bare.wait_up("/")
        real_clients = [Client(real.base).login("hr", PASSWORD, "/audit/") for _ in range(args.clients)]
        bare_clients = [Client(bare.base) for _ in range(args.clients)]
        per_client = max(args.http_requests // (args.phases * args.clients), 1)
        for i, name in enumerate(names):
            path, seqs = pages[name]
            shown = [int(s) for s in _seqs(real_clients[0].get(path))]
            floor = [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", bare_clients[0].get(f"/{i}"))]
            if shown != seqs or floor != seqs:
                sys.exit(f"{name}: the two apps do not show the same rows over HTTP")

            def real_work(client, _n, p=path):
                client.get(p)

            def bare_work(client, _n, p=f"/{i}"):
                client.get(p)
            apps = {"app": (real, real_clients, real_work), "bare": (bare, bare_clients, bare_work)}
            samples = {"app": [], "bare": []}
            cpu = {"app": 0.0, "bare": 0.0}
            errors = []
            for _server, clients, work in apps.values():  # warm-up
                run_phase(clients, work, 2)
            for phase in range(args.phases):
                for who in (("app", "bare") if phase % 2 == 0 else ("bare", "app")):
                    server, clients, work = apps[who]
                    before = cpu_seconds(server.process.pid)
                    got, _took, failed = run_phase(clients, work, per_client)
                    cpu[who] += cpu_seconds(server.process.pid) - before
                    samples[who].extend(got)
                    errors.extend(failed)
            if errors:
                print(f"  {name}: {len(errors)} requests failed, e.g. {errors[0]}")
            results.append((name, len(seqs), samples, cpu))
    finally:
        real.stop()
        bare.stop()
    elapsed = time.perf_counter() - t0
    print(f"\nHTTP, gunicorn 2 sync workers each, {args.clients} clients per app, {args.phases} alternating "
          f"phases per search, the same database ({elapsed:.0f} s); ms, server CPU ms per request:")
    print(f"{'search':<28} {'rows':>4} {'n':>5} {'app p50':>8} {'p95':>8} {'bare p50':>8} {'p95':>7} "
          f"{'ratio p50':>9} {'p95':>6} {'CPU app':>8} {'bare':>6} {'ratio':>6}")
    for name, rows, samples, cpu in results:
        a50, a95 = percentile(samples["app"], .5) * 1e3, percentile(samples["app"], .95) * 1e3
        b50, b95 = percentile(samples["bare"], .5) * 1e3, percentile(samples["bare"], .95) * 1e3
        ca, cb = (cpu[w] / max(len(samples[w]), 1) * 1e3 for w in ("app", "bare"))
        missed |= a95 / b95 > GOAL
        print(f"{name:<28} {rows:>4} {len(samples['app']):>5} {a50:>8.1f} {a95:>8.1f} {b50:>8.1f} {b95:>7.1f} "
              f"{a50 / b50:>8.1f}x {a95 / b95:>5.1f}x {ca:>8.1f} {cb:>6.1f} {ca / cb if cb else 0:>5.1f}x")
    print(f"goal: the page's p95 within {GOAL:.0f}x the bare app's; load average before / after: "
          f"{load_before[0]:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return missed


def _export_memory(db, parse, folder: Path, rows: int) -> None:
    """The background export's writer (the same function run_export calls) for n/10 then n events: the
    process's peak RSS must not grow with the rows (openpyxl write-only, keyset batches)."""
    import resource

    from werkzeug.datastructures import MultiDict

    from plaju.audit.export import write_xlsx
    print("\nXLSX export (write_xlsx, as run_export uses it), all events newest first:")
    for n in (rows // 10, rows):
        search = parse(MultiDict({"logins": "1"}))
        db.session.rollback()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        path = folder / f"export-{n}.xlsx"
        count = write_xlsx(search, path, stop=n)
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {count:>9,} rows in {seconds:6.1f} s ({count / seconds:,.0f} rows/s), file "
              f"{path.stat().st_size / 1e6:.1f} MB, peak RSS {before:.0f} -> {after:.0f} MB")
        path.unlink()


def _seqs(body: str) -> list[str]:
    return re.findall(r'data-seq="(\d+)"', body)


def _args(path: str):
    from urllib.parse import parse_qsl, urlsplit

    from werkzeug.datastructures import MultiDict
    return MultiDict(parse_qsl(urlsplit(path).query))


def _get_location(client, path: str) -> str:
    out = {}

    def run():
        response = client.get(path)
        assert response.status_code == 303, (path, response.status_code)
        out["location"] = response.headers["Location"]
    contextvars.Context().run(run)
    return out["location"]


if __name__ == "__main__":
    main()
