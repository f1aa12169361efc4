"""The office under load, over HTTP: approvals, the to-do list, the home page and search, each as a ratio to
a bare Flask app doing only the minimal query and template on the same database in the same run.

    .venv/bin/python bench/bench_load.py                                  # SQLite, 100,000 requests
    .venv/bin/python bench/bench_load.py --database-url postgresql://postgres@127.0.0.1/plaju_bench_load
    .venv/bin/python bench/bench_load.py --n 10000 --requests 80 --strict # the small run CI makes

1. Seeds --n document requests (--waiting of them in verification, waiting for the Kasi's "accept"; the
   rest spread over every other state) with their audit history (one event per step on the shortest path
   of the real workflow to the request's state, hash-chained with the app's own key) and the work items the
   engine computes for them. It seeds a tenth first, counts the SQL statements of each measured request
   in-process at both sizes, then seeds the rest and counts again: the counts must not grow with the data
   (--strict exits 1 when they do).
2. Serves the real app (wsgi:app) and bench/bare_load_app.py under gunicorn with the same settings (2 sync
   workers, 127.0.0.1, free ports) and drives both with --clients clients in alternating phases. The real
   app's clients sign in as the Kasi through the login form with its CSRF token and send what the
   browser's htmx sends (HX-Request, X-CSRFToken). Measured:
   - one-POST approval: POST /documents/<id>/actions/accept with the version the page showed, each client
     taking the next waiting request, against the bare app's UPDATE of one row (rate ratio);
   - the same with --high-clients clients (PostgreSQL; skipped with 0);
   - the to-do list /inbox/ (25 rows) against the bare SELECT of the same 25 rows (p95 ratio);
   - the home page with its counters, and a search that matches nothing, against the same bare list;
   - the full UI cycle: open the request's page, approve it, read the answer (cycles per second).
Prints one table with p50/p95, rates and ratios, the CPU each request cost in the server's processes,
in PostgreSQL's and in this load generator (from /proc, over the timed phases), and the statements per
request; the goals are issue 12's.

The PostgreSQL database named in --database-url is dropped and created again, so its name must start with
plaju_bench. Only localhost is accepted.
"""
import argparse
import contextvars
import json
import os
import random
import sys
import tempfile
import time
from collections import deque
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    Client,
    Server,
    Statements,
    cpu_seconds,
    database_cpu_seconds,
    percentile,
    prepare_url,
    run_phase,
)

PASSWORD = "bench-password-123"
KASI = "kasi"
NO_MATCH = "Zzqxjwv"


# --- seeding ------------------------------------------------------------------------------------------

def _paths(spec) -> dict[str, list]:
    """The shortest sequence of steps from the initial state to every state (breadth first)."""
    paths = {spec.initial: []}
    frontier = deque([spec.initial])
    while frontier:
        state = frontier.popleft()
        for step in spec.steps:
            sources = step.source if isinstance(step.source, (tuple, list)) else (step.source,)
            if state in sources and step.dest not in paths:
                paths[step.dest] = paths[state] + [step]
                frontier.append(step.dest)
    return paths


def _fill(db, target: int, waiting: int, people: dict, types: list, rng: random.Random) -> None:
    """Add requests up to `target`, `waiting` of them (in all) in verification, with their audit events
    and work items."""
    from plaju.audit.models import GENESIS, AuditEvent, canonical_json, chain_hash
    from plaju.audit.record import audit_key
    from plaju.database import utcnow
    from plaju.documents.models import KELURAHAN, DocumentNameWord, DocumentRequest, name_word_rows
    from plaju.documents.nik import make_nik
    from plaju.documents.workflow import DOCUMENT_FLOW
    from plaju.reports.facts import month_of
    from plaju.reports.models import ServiceFact
    from plaju.workflow.assignments import assignees_for, item_row
    from plaju.workflow.models import WorkItem

    paths = _paths(DOCUMENT_FLOW)
    table = DocumentRequest.__table__
    have = db.session.scalar(select(text("count(*)")).select_from(table).where(
        table.c.tracking_code.like("PLJ-L%")))
    have_waiting = db.session.scalar(select(text("count(*)")).select_from(table).where(
        table.c.tracking_code.like("PLJ-L%"), table.c.state == "verifying"))
    new = target - have
    waiting_new = set(rng.sample(range(have, target), waiting - have_waiting)) if new > 0 else set()
    others = [s for s in paths if s not in ("verifying", DOCUMENT_FLOW.initial)] + [DOCUMENT_FLOW.initial]
    all_types = [t for t, _signs, _forwards in types]
    signs = [t for t, camat_signs, _f in types if camat_signs] or all_types
    forwards = [t for t, _s, fw in types if fw] or all_types
    plain = [t for t, camat_signs, fw in types if not camat_signs and not fw] or all_types
    actor_of = {"accept": people["kasi"], "to_signature": people["kasi"], "complete": people["kasi"],
                "reject": people["kasi"], "sign": people["camat"], "send_back": people["camat"]}
    first = ["Ahmad", "Siti", "Budi", "Dewi", "Rudi", "Sri", "Agus", "Nur", "Hendra", "Rina", "Yusuf", "Maya"]
    last = ["Saputra", "Lestari", "Wijaya", "Hasibuan", "Siregar", "Kurniawan", "Rahmawati", "Pratama"]
    key = audit_key()
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    now = utcnow()
    chunk = 5_000
    for start in range(have, target, chunk):
        rows = []
        for i in range(start, min(start + chunk, target)):
            state = "verifying" if i in waiting_new else rng.choice(others)
            steps = paths[state]
            triggers = {s.trigger for s in steps}
            if {"to_signature", "sign"} & triggers:
                doc_type = rng.choice(signs)
            elif "forward" in triggers:
                doc_type = rng.choice(forwards)
            elif "complete" in triggers:
                doc_type = rng.choice(plain)
            else:
                doc_type = rng.choice(all_types)
            name = f"{rng.choice(first)} {rng.choice(last)} {i}"
            received = now - timedelta(minutes=i * 3 + rng.randint(0, 2))
            terminal = DOCUMENT_FLOW.state(state).terminal
            rows.append({
                "tracking_code": f"PLJ-L{i:09d}", "type_id": doc_type,
                "nik": make_nik(date(1960 + i % 45, 1 + i % 12, 1 + i % 28), i % 2 == 0, i % 9999 + 1),
                "name": name, "name_key": name.lower(), "phone": "", "kelurahan": rng.choice(KELURAHAN),
                "note": "", "checklist": "[]", "state": state, "version": len(steps),
                "created_by_id": rng.choice(people["clerks"]).id, "received_at": received,
                "budget_minutes": 2400, "clock_used_minutes": 0,
                "due_at": None if state == "returned" else received + timedelta(days=rng.randint(1, 60)),
                "disdukcapil_back_at": received + timedelta(days=1) if state == "back_from_disdukcapil" else None,
                "closed_at": received + timedelta(days=2) if terminal else None,
                "signed_as": "", "updated_at": received + timedelta(hours=len(steps))})
        db.session.execute(insert(table), rows)
        db.session.flush()
        ids = dict(db.session.execute(select(table.c.tracking_code, table.c.id).where(
            table.c.tracking_code.in_([r["tracking_code"] for r in rows]))).all())
        events = []
        for row in rows:
            request_id = ids[row["tracking_code"]]
            history = [("document.receive", people["clerks"][0], None, DOCUMENT_FLOW.initial)]
            state = DOCUMENT_FLOW.initial
            for step in paths[row["state"]]:
                history.append((f"document.{step.trigger}", actor_of.get(step.trigger, people["clerks"][0]),
                                state, step.dest))
                state = step.dest
            for hop, (action, actor, from_state, to_state) in enumerate(history):
                seq += 1
                event = {"seq": seq, "occurred_at": (row["received_at"] + timedelta(hours=hop)).isoformat(
                    timespec="microseconds"), "actor_id": actor.id, "actor_name": actor.full_name,
                    "acting_for_id": None, "action": action, "outcome": "ok", "subject_type": "document",
                    "subject_id": str(request_id), "from_state": from_state, "to_state": to_state,
                    "comment": None, "changes": canonical_json({"state": [from_state, to_state]}),
                    "request_id": None, "ip": "127.0.0.1", "prev_hash": prev}
                payload = {name: event[name] for name in _hashed_fields()}
                event["hash"] = prev = chain_hash(prev, payload, key)
                events.append(event)
        db.session.execute(insert(AuditEvent.__table__), events)
        words = [w for row in rows for w in name_word_rows(ids[row["tracking_code"]], row["name"])]
        db.session.execute(insert(DocumentNameWord.__table__), words)
        entities = db.session.scalars(select(DocumentRequest).where(DocumentRequest.id.in_(ids.values()))).all()
        items = [item_row(DOCUMENT_FLOW, entity.id, a, entity.updated_at)
                 for entity in entities for a in assignees_for(DOCUMENT_FLOW, entity)]
        if items:
            db.session.execute(insert(WorkItem.__table__), items)
        # each request's row of the service dashboard, as the intake writes it: a step then updates it
        db.session.execute(insert(ServiceFact.__table__), [{
            "request_id": e.id, "type_id": e.type_id, "kelurahan": e.kelurahan, "state": e.state,
            "received_at": e.received_at, "received_month": month_of(e.received_at),
            "last_month": month_of(e.updated_at), "budget_minutes": e.budget_minutes, "returned_minutes": 0,
            "returned_times": 0} for e in entities])
        db.session.commit()
        db.session.expunge_all()
    if db.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum gives
        # every table: at 1,800,000 requests the name-word index without statistics made the planner walk
        # the whole queue for a name that matches nobody (3.5 s), the same query 0.2 ms once analysed
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _hashed_fields():
    from plaju.audit.models import HASHED_FIELDS
    return HASHED_FIELDS


# --- in-process statement counts ----------------------------------------------------------------------

def _count(app, db, waiting_ids: list) -> dict:
    """SQL statements of each measured request, in-process, as the Kasi."""
    from plaju.documents.models import DocumentRequest
    count = Statements(db.engine)
    client = app.test_client()
    # every request in a context of its own, as in production (no app context or user shared with the bench)
    contextvars.Context().run(client.post, "/login", data={"username": KASI, "password": PASSWORD})
    result = {}
    for label, path in (("to-do list", "/inbox/"), ("home page", "/"), ("navigation count", "/inbox/count"),
                        ("search, no match", f"/documents/?state=all&q={NO_MATCH}")):
        def get(path=path):
            response = client.get(path, headers={"HX-Request": "true"} if "count" in path else {})
            assert response.status_code == 200, (path, response.status_code)
        result[label] = (*count(get), count.last)
    chosen = [(i, db.session.get(DocumentRequest, i).version) for i in (waiting_ids.pop(), waiting_ids.pop())]
    db.session.rollback()

    def approve():
        request_id, version = chosen.pop()
        response = client.post(f"/documents/{request_id}/actions/accept", data={"version": str(version)},
                               headers={"HX-Request": "true"})
        refused = response.headers.get("X-Refused-Status")  # a refusal answers htmx 200 and names its status
        assert response.status_code == 200 and not refused, response.get_data(as_text=True)[:500]
    # the steady state: the first step a process serves reads the holidays into its shared copy
    contextvars.Context().run(approve)
    result["approval POST"] = (*count(approve), count.last)
    return result


def _cpu(server: Server) -> tuple[float, float, float]:
    """CPU seconds so far of the server's processes, the database server's and this process's (the load
    generator): a request's cost where it is spent, not inflated by the others waiting for a core."""
    return cpu_seconds(server.process.pid), database_cpu_seconds(), time.process_time()


# --- main ---------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="document requests")
    ap.add_argument("--waiting", type=int, default=None, help="of them waiting for the Kasi (default n/5)")
    ap.add_argument("--database-url", help="database URL (default: SQLite in a temporary folder)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--high-clients", type=int, default=None, help="a second approval run (default 50 on "
                    "PostgreSQL, none on SQLite; 0 skips it)")
    ap.add_argument("--requests", type=int, default=400, help="timed requests per measure and app")
    ap.add_argument("--phases", type=int, default=4)
    ap.add_argument("--strict", action="store_true", help="exit 1 when statements per request grow with n")
    args = ap.parse_args()
    waiting = args.waiting or args.n // 5
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    instance = folder / "instance"
    os.environ["PLAJU_INSTANCE_PATH"] = str(instance)
    os.environ["PLAJU_OUTBOX_DELIVERY"] = "off"
    os.environ["PLAJU_DEMO_PASSWORD"] = PASSWORD
    url = prepare_url(args.database_url, folder)

    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.accounts.demo import seed_people
    from plaju.accounts.models import User
    from plaju.documents.models import DocumentRequest
    from plaju.documents.seed import seed_types
    from plaju.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(12)
    with app.app_context(), app.test_request_context("/", method="POST"):
        dialect = db.engine.dialect.name
        upgrade(revision="heads")
        seed_people(PASSWORD)
        types = [(t.id, t.camat_signs, t.forwards_to_disdukcapil) for t in seed_types().values()]
        # plain values: the seeding commits and expunges, ORM rows would go stale
        by_name = {u.username: SimpleNamespace(id=u.id, full_name=u.full_name)
                   for u in db.session.scalars(select(User))}
        people = {"kasi": by_name["kasi"], "camat": by_name["camat"],
                  "clerks": [by_name["petugas"], by_name["petugas2"]]}
        db.session.commit()
        counts = {}
        print(f"{dialect}, {args.n:,} requests, {waiting:,} waiting for the Kasi; folder {folder}")
        for n, w in ((max(args.n // 10, 1), max(waiting // 10, 2)), (args.n, waiting)):
            t0 = time.perf_counter()
            _fill(db, n, w, people, types, rng)
            # the approval counted is of the same document type at both sizes: a step stores one work item
            # per next step, and which steps follow depends on the type (signed by the Camat or not)
            waiting_ids = list(db.session.scalars(select(DocumentRequest.id).where(
                DocumentRequest.state == "verifying", DocumentRequest.tracking_code.like("PLJ-L%"),
                DocumentRequest.type_id == types[0][0])))
            db.session.rollback()
            counts[n] = _count(app, db, waiting_ids)
            events = db.session.scalar(text("SELECT count(*) FROM audit_event"))
            db.session.rollback()
            print(f"  {n:>9,} requests ({events:,} audit events) seeded in {time.perf_counter() - t0:.1f} s; "
                  "statements: " + ", ".join(f"{k} {v[0]}" for k, v in counts[n].items()))
        grew = [k for k in counts[args.n] if counts[args.n][k][0] != counts[max(args.n // 10, 1)][k][0]]
        # the Kasi's first page of to-dos, for the bare app's list
        waiting_ids = list(db.session.scalars(select(DocumentRequest.id).where(
            DocumentRequest.state == "verifying", DocumentRequest.tracking_code.like("PLJ-L%"))
            .order_by(DocumentRequest.id)))
        db.session.rollback()
        db.engine.dispose()
        from plaju.documents.workflow import DOCUMENT_FLOW
        version = str(len(_paths(DOCUMENT_FLOW)["verifying"]))  # what the page shows: one step per hop
    rng.shuffle(waiting_ids)
    bare_pool = deque(waiting_ids[: len(waiting_ids) // 2])
    real_pool = deque(waiting_ids[len(waiting_ids) // 2:])
    env = {**os.environ, "PLAJU_INSTANCE_PATH": str(instance), "PLAJU_DATABASE_URL": url, "PLAJU_MAIL_SERVER": "",
           "PLAJU_OUTBOX_DELIVERY": "off", "PLAJU_RATELIMIT_ENABLED": "0", "BENCH_BARE_DATABASE_URL": url,
           "BENCH_BARE_IDS": ",".join(map(str, sorted(waiting_ids)[:25]))}
    real = Server("wsgi:app", env, folder / "real.log")
    bare = Server("bench.bare_load_app:create()", env, folder / "bare.log")
    rows, spent = [], []
    try:
        real.wait_up("/healthz")
        bare.wait_up("/list")
        high = args.high_clients if args.high_clients is not None else (50 if dialect == "postgresql" else 0)
        clients = [Client(real.base).login(KASI, PASSWORD, "/inbox/") for _ in range(max(args.clients, high))]
        bare_clients = [Client(bare.base) for _ in range(max(args.clients, high))]
        per_client = max(args.requests // (args.phases * args.clients), 1)

        def compare(label, real_work, bare_work, n_clients, rate=False):
            samples = {"app": [], "bare": []}
            seconds = {"app": 0.0, "bare": 0.0}
            errors = {"app": [], "bare": []}
            run_phase(clients[:n_clients], real_work, 1)  # warm-up
            run_phase(bare_clients[:n_clients], bare_work, 1)
            per = max(args.requests // (args.phases * n_clients), 1)
            cpu = {"app": [0.0, 0.0, 0.0], "bare": [0.0, 0.0, 0.0]}  # server, database, load generator
            servers = {"app": real, "bare": bare}
            for phase in range(args.phases):
                order = [("app", clients, real_work), ("bare", bare_clients, bare_work)]
                for name, who, work in (order if phase % 2 == 0 else order[::-1]):
                    before = _cpu(servers[name])
                    got, took, failed = run_phase(who[:n_clients], work, per)
                    cpu[name] = [total + after - start for total, start, after
                                 in zip(cpu[name], before, _cpu(servers[name]), strict=True)]
                    samples[name] += got
                    seconds[name] += took
                    errors[name] += failed
            app_rate = len(samples["app"]) / seconds["app"]
            bare_rate = len(samples["bare"]) / seconds["bare"]
            rows.append((label, n_clients, samples, app_rate, bare_rate, rate, errors))
            spent.append((label, n_clients, {name: [c / max(len(samples[name]), 1) for c in cpu[name]]
                                              for name in cpu}))

        def take(pool):
            try:
                return pool.popleft()
            except IndexError:
                sys.exit("ran out of waiting requests: raise --waiting or lower --requests")

        def approve_real(client, _i):
            status, body = client.post(f"/documents/{take(real_pool)}/actions/accept",
                                       {"version": version})
            if status != 200:
                raise AssertionError(f"approval answered {status}: {body[:300]}")

        def approve_bare(client, _i):
            status, _body = client.post(f"/approve/{take(bare_pool)}", {}, htmx=False)
            if status != 200:
                raise AssertionError(f"bare approval answered {status}")

        def page(path):
            return lambda client, _i: client.get(path)

        bare_list = page("/list")
        compare("to-do list /inbox/ (25 rows) vs bare list", page("/inbox/"), bare_list, args.clients)
        compare("home page (counters) vs bare list", page("/"), bare_list, args.clients)
        compare("search with no match vs bare list", page(f"/documents/?state=all&q={NO_MATCH}"), bare_list,
                args.clients)
        compare("one-POST approval (HTMX) vs bare UPDATE", approve_real, approve_bare, args.clients, rate=True)
        if high:
            compare("one-POST approval (HTMX) vs bare UPDATE", approve_real, approve_bare, high, rate=True)

        def cycle(client, _i):
            request_id = take(real_pool)
            client.get(f"/documents/{request_id}")
            status, body = client.post(f"/documents/{request_id}/actions/accept",
                                       {"version": version})
            if status != 200:
                raise AssertionError(f"approval answered {status}: {body[:300]}")
        cycle_samples, cycle_seconds, cycle_errors = [], 0.0, []
        for _phase in range(args.phases):
            got, took, failed = run_phase(clients[:args.clients], cycle, per_client)
            cycle_samples += got
            cycle_seconds += took
            cycle_errors += failed
    finally:
        real.stop()
        bare.stop()

    print(f"\nHTTP, gunicorn 2 sync workers per app, {args.phases} alternating phases "
          f"({dialect}, {args.n:,} requests):")
    print(f"  {'measure':<46} {'clients':>7} {'app p50/p95 ms':>16} {'bare p50/p95 ms':>16} "
          f"{'app/s':>7} {'bare/s':>7} {'ratio':>9} {'errors':>7}")
    failures = []
    for label, n_clients, samples, app_rate, bare_rate, rate, errors in rows:
        a50, a95 = percentile(samples["app"], .5) * 1e3, percentile(samples["app"], .95) * 1e3
        b50, b95 = percentile(samples["bare"], .5) * 1e3, percentile(samples["bare"], .95) * 1e3
        ratio = f"{app_rate / bare_rate:.2f}x/s" if rate else f"{a95 / b95:.1f}x p95"
        print(f"  {label:<46} {n_clients:>7} {a50:7.1f}/{a95:<8.1f} {b50:7.1f}/{b95:<8.1f} "
              f"{app_rate:7.1f} {bare_rate:7.1f} {ratio:>9} {len(errors['app']):>3}/{len(errors['bare']):<3}")
        failures += errors["app"] + errors["bare"]
    print(f"  {'full UI cycle (open, approve, read the answer)':<46} {args.clients:>7} "
          f"{percentile(cycle_samples, .5) * 1e3:7.1f}/{percentile(cycle_samples, .95) * 1e3:<8.1f} "
          f"{'':>16} {len(cycle_samples) / cycle_seconds:7.1f} {'':>17} {len(cycle_errors):>3}")
    failures += cycle_errors
    if failures:
        print(f"  {len(failures)} requests failed (app/bare per row); first: {failures[0]}")
    print("\nCPU per request (ms), from /proc: the server's gunicorn processes, the database server's "
          "(PostgreSQL; SQLite runs inside the server), this load generator's:")
    print(f"  {'measure':<46} {'clients':>7} {'app: server+db+client':>24} {'bare: server+db+client':>24} "
          f"{'bare/app':>9}")
    for label, n_clients, per in spent:
        app, bare_ = per["app"], per["bare"]
        print(f"  {label:<46} {n_clients:>7} "
              f"{'{:.2f}+{:.2f}+{:.2f}'.format(*(c * 1e3 for c in app)):>24} "
              f"{'{:.2f}+{:.2f}+{:.2f}'.format(*(c * 1e3 for c in bare_)):>24} "
              f"{sum(bare_) / max(sum(app), 1e-9):8.2f}x")
    print("\nSQL statements per request (in-process) and their database time at the large size:")
    for label, (statements, seconds, _texts) in counts[args.n].items():
        small = counts[max(args.n // 10, 1)][label][0]
        print(f"  {label:<22} {small:>3} at {max(args.n // 10, 1):,}, {statements:>3} at {args.n:,}  "
              f"({seconds * 1e3:.1f} ms in the database)")
    if grew:
        print("WARNING: statements per request grow with the data: " + ", ".join(grew))
        small = max(args.n // 10, 1)
        for label in grew:
            print(f"  {label} at {small:,}:\n    " + "\n    ".join(counts[small][label][2]))
            print(f"  {label} at {args.n:,}:\n    " + "\n    ".join(counts[args.n][label][2]))
    print(json.dumps({"statements": {k: v[0] for k, v in counts[args.n].items()}}))
    sys.exit(1 if (args.strict and (grew or failures)) else 0)


if __name__ == "__main__":
    main()
