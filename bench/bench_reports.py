"""How the report pages hold up at 100,000 document requests.

Fills a database with generated requests and their rows in `report_service_fact` (bulk insert; the
steps keep that table in production), then, in the same run:
- the SQL statements of each dashboard at 1,000 and at 100,000 requests (they must be equal);
- the service dashboard's whole computation (one read of the window's rows, medians and p90 by
  nearest rank per type, month, kelurahan and before/after, the backlog) against a bare SELECT of the
  same rows (every column of the fact rows in the 12-month window, plus the open requests the backlog
  reads), and the same for the competence dashboard (its enrolment rows) and the monthly report;
- each page through the test client against the same bare SELECT.

  .venv/bin/python bench/bench_reports.py                      # SQLite in a temporary folder
  .venv/bin/python bench/bench_reports.py --url postgresql://postgres@127.0.0.1/plaju_bench_reports

The PostgreSQL database named in --url is dropped and created again, so its name must start with
plaju_bench. Only localhost is accepted.
"""
import argparse
import contextvars
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import prepare_url as _prepare_url  # noqa: E402

PASSWORD = "bench-password-123"
WIB = timedelta(hours=7)


def _month(moment) -> str:
    return (moment + WIB).strftime("%Y-%m")


def _fill(db, target: int, clerk_id: int, types: dict, rng: random.Random) -> None:
    from plaju.database import utcnow
    from plaju.documents.models import KELURAHAN, DocumentRequest
    from plaju.documents.nik import make_nik
    from plaju.reports.models import ServiceFact
    requests, facts = DocumentRequest.__table__, ServiceFact.__table__
    have = db.session.scalar(select(text("count(*)")).select_from(requests))
    now = utcnow()
    type_ids = list(types)
    chunk = 10_000
    for start in range(have, target, chunk):
        rows, fact_rows = [], []
        first_id = (db.session.scalar(select(text("max(id)")).select_from(requests)) or 0) + 1
        for n, i in enumerate(range(start, min(start + chunk, target))):
            type_id = rng.choice(type_ids)
            budget = types[type_id]
            received = now - timedelta(minutes=rng.randint(60, 380 * 1440))
            roll = rng.random()
            state = "handed_over" if roll < 0.8 else ("ready" if roll < 0.85 else
                                                     rng.choice(["verifying", "processing", "returned",
                                                                 "at_disdukcapil", "received"]))
            service = int(budget * rng.uniform(0.2, 1.8)) if state in ("handed_over", "ready") else None
            ready_at = received + timedelta(minutes=service * 3) if service is not None else None
            pickup = rng.randint(10, 6 * 480) if state == "handed_over" else None
            handed_at = ready_at + timedelta(minutes=pickup * 3) if pickup is not None else None
            returned_times = 1 if rng.random() < 0.15 else 0
            name = f"Warga Bench {i}"
            kelurahan = rng.choice(KELURAHAN)
            rows.append({
                "id": first_id + n, "tracking_code": f"PLJ-R{i:09d}", "type_id": type_id,
                "nik": make_nik(date(1960 + i % 45, 1 + i % 12, 1 + i % 28), i % 2 == 0, i % 9999 + 1),
                "name": name, "name_key": name.lower(), "phone": "", "kelurahan": kelurahan, "note": "",
                "checklist": "[]", "state": state, "version": 0, "created_by_id": clerk_id,
                "received_at": received, "budget_minutes": budget, "clock_used_minutes": service or 0,
                "due_at": received + timedelta(days=7), "signed_as": "", "updated_at": received,
                "ready_at": ready_at, "closed_at": handed_at, "service_minutes": service})
            last = handed_at or ready_at or received
            fact_rows.append({
                "request_id": first_id + n, "type_id": type_id, "kelurahan": kelurahan, "state": state,
                "received_at": received, "received_month": _month(received),
                "ready_at": ready_at, "ready_month": _month(ready_at) if ready_at else None,
                "handed_at": handed_at, "handed_month": _month(handed_at) if handed_at else None,
                "last_month": _month(last), "budget_minutes": budget, "service_minutes": service,
                "returned_minutes": rng.randint(60, 2400) if returned_times else 0,
                "returned_times": returned_times, "returned_since": None, "pickup_minutes": pickup})
        db.session.execute(insert(requests), rows)
        db.session.execute(insert(facts), fact_rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE document_request"))
            conn.execute(text("VACUUM ANALYZE report_service_fact"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _compare(work, bare, repeat: int) -> tuple[float, float, float]:
    """Medians of work and bare timed in alternation (the machine's load hits both alike), and the
    median of the per-pair ratios."""
    work(), bare()
    pairs = [(_ms(bare), _ms(work)) for _ in range(repeat)]
    return (statistics.median(w for _b, w in pairs), statistics.median(b for b, _w in pairs),
            statistics.median(w / b for b, w in pairs))


def _count_statements(engine, fn) -> int:
    seen = []

    def listen(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(statement)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="database URL (default: SQLite in a temporary folder)")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    os.environ["PLAJU_INSTANCE_PATH"] = str(folder / "instance")
    url = _prepare_url(args.url, folder)

    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.accounts.models import Unit, User
    from plaju.documents import sla
    from plaju.documents.models import DocumentRequest
    from plaju.documents.seed import seed_types
    from plaju.documents.workflow import OPEN_STATES
    from plaju.extensions import db
    from plaju.reports import exports
    from plaju.reports.competence import competence_dashboard
    from plaju.reports.filters import this_month
    from plaju.reports.models import ServiceFact
    from plaju.reports.service import Filters, service_dashboard
    from plaju.training.models import Course, Enrolment, Plan, PlanItem
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(13)
    with app.app_context():
        upgrade(revision="heads")
        types = {t.id: sla.budget_minutes(t.service_amount, t.service_unit) for t in seed_types().values()}
        hr = User(username="bench", full_name="Kepegawaian Bench", position="Kasubbag")
        hr.set_roles(["hr"])
        hr.set_password(PASSWORD)
        db.session.add(hr)
        db.session.commit()
        # an office of 60 ASN with 600 verified enrolments this year, for the competence dashboard
        year = int(this_month()[:4])
        course = Course(title="Kursus Bench", kind="teknis", method="kursus", jp=8)
        db.session.add(course)
        staff = [User(username=f"asn{i}", full_name=f"ASN {i}", position="Pelaksana", password_hash="x")
                 for i in range(60)]
        db.session.add_all(staff)
        db.session.flush()
        db.session.add_all(Enrolment(course_id=course.id, user_id=staff[i % 60].id, state="verified",
                                     jp_credited=8, credited_year=year,
                                     verified_at=sla.start_of_day_utc(date(year, 1 + i % 11, 10)))
                           for i in range(600))
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": PASSWORD})
        pages = ["/reports/layanan?titik=" + (date.today() - timedelta(days=150)).isoformat(),
                 "/reports/kompetensi", "/reports/bulanan"]
        counts = {}
        for size in (1_000, args.rows):
            t0 = time.perf_counter()
            _fill(db, size, hr.id, types, rng)
            fill_s = time.perf_counter() - t0
            counts[size] = tuple(_count_statements(db.engine, lambda p=p: contextvars.Context().run(client.get, p))
                                 for p in pages)
            print(f"{size:>7,} requests (filled in {fill_s:.1f} s): SQL statements per page: "
                  + ", ".join(f"{p.split('?')[0]} {c}" for p, c in zip(pages, counts[size], strict=True)))
        if len(set(counts.values())) != 1:
            print("WARNING: the number of statements per page depends on the table size")

        end = this_month()
        filters = Filters(end_month=end, split=date.today() - timedelta(days=150))
        months = filters.months
        facts = ServiceFact.__table__
        requests = DocumentRequest.__table__
        in_window = db.session.scalar(select(text("count(*)")).select_from(facts).where(
            facts.c.last_month >= months[0], facts.c.received_month <= months[-1]))

        def bare_service():
            with db.engine.connect() as conn:
                conn.execute(select(facts).where(facts.c.last_month >= months[0],
                                                 facts.c.received_month <= months[-1])).all()
                conn.execute(select(requests.c.type_id, requests.c.kelurahan, requests.c.received_at,
                                    requests.c.due_at, requests.c.state)
                             .where(requests.c.state.in_(OPEN_STATES))).all()

        def bare_enrolments():
            """The rows the competence dashboard reads: people, units, the year's verified enrolments with
            their course, the approved plans' items, the e-learning enrolments."""
            with db.engine.connect() as conn:
                conn.execute(select(User.__table__).where(User.active.is_(True))).all()
                conn.execute(select(Unit.__table__)).all()
                conn.execute(select(Enrolment.__table__, Course.__table__)
                             .join(Course.__table__, Course.id == Enrolment.course_id)
                             .where(Enrolment.state == "verified", Enrolment.credited_year == year)).all()
                conn.execute(select(PlanItem.__table__).join(Plan.__table__, Plan.id == PlanItem.plan_id)
                             .where(Plan.year == year, Plan.state == "approved")).all()
                conn.execute(select(Enrolment.__table__).join(Course.__table__, Course.id == Enrolment.course_id)
                             .where(Course.method == "elearning")).all()

        def bare_month():
            with db.engine.connect() as conn:
                conn.execute(select(facts).where(facts.c.last_month >= end, facts.c.received_month <= end)).all()
                conn.execute(select(requests.c.type_id, requests.c.kelurahan, requests.c.received_at,
                                    requests.c.due_at, requests.c.state)
                             .where(requests.c.state.in_(OPEN_STATES))).all()
            bare_enrolments()

        def service():
            service_dashboard(filters)
            db.session.rollback()

        def competence():
            competence_dashboard(year, 11, sees_everyone=True)
            db.session.rollback()

        def monthly():
            exports.monthly_report(end)
            db.session.rollback()

        def page(path):
            return lambda: contextvars.Context().run(client.get, path)

        print(f"\nwork against a bare SELECT of the same rows ({db.engine.dialect.name}, {args.rows:,} requests, "
              f"{in_window:,} fact rows in the 12-month window; timed in alternation, medians of {args.repeat}):")
        for label, work, bare in (("service dashboard (computation)", service, bare_service),
                                  ("competence dashboard (computation)", competence, bare_enrolments),
                                  ("monthly report (computation)", monthly, bare_month),
                                  ("page /reports/layanan", page(pages[0]), bare_service),
                                  ("page /reports/kompetensi", page(pages[1]), bare_enrolments),
                                  ("page /reports/bulanan", page(pages[2]), bare_month),
                                  ("download /reports/bulanan.xlsx", page("/reports/bulanan.xlsx"), bare_month)):
            w_ms, b_ms, ratio = _compare(work, bare, args.repeat)
            print(f"  {label:<38} {w_ms:8.1f} ms  bare {b_ms:7.1f} ms  ratio {ratio:4.1f}x")


if __name__ == "__main__":
    main()
