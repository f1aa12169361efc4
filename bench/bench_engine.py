"""What one real approval costs in the engine, as a ratio to a bare UPDATE+COMMIT of the same row.

    .venv/bin/python bench/bench_engine.py [--n 600] [--rounds 3]
    .venv/bin/python bench/bench_engine.py --database-url postgresql://postgres@127.0.0.1/plaju_bench_engine

The step is the Kasi's "accept" of a document request (verifying -> processing) from the real document
workflow: its who-rule, four eyes, the requirements guard, the audit append, the work items and the
notification receivers all run. Every measured row gets, in turn:

1. a bare `UPDATE document_request SET version = version + 1 WHERE id = ...` and COMMIT (the baseline:
   what the database needs at least to change that row durably), then
2. `fire(request, "accept", kasi, expected_version=...)` on the same row, freshly loaded outside the timing.

So drift on a shared machine hits both sides of each pair alike. For fire() the time spent in the
database (every statement and the COMMIT itself) is measured with SQLAlchemy events; what is left is the
engine's cost beyond the database (ORM, checks, the transition, hashing the audit event). Printed per round:
medians over the rows, each ratio taken within that round; the goal of issue 12 is the part beyond the
database <= 2x the bare UPDATE+COMMIT.

The PostgreSQL database named in --database-url is dropped and created again, so its name must start with
plaju_bench. Only localhost is accepted.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import prepare_url as _prepare_url  # noqa: E402

PASSWORD = "bench-password-123"


def _seed_requests(db, count: int) -> list[int]:
    """`count` requests in verification, every requirement ticked, taken in by a clerk, with the work
    items the engine stores for them."""
    from plaju.accounts.models import User
    from plaju.database import utcnow
    from plaju.documents.models import DocumentRequest, DocumentType
    from plaju.documents.nik import make_nik
    from plaju.workflow.assignments import started

    clerk = db.session.scalar(select(User).where(User.username == "petugas"))
    doc_type = db.session.scalar(select(DocumentType).where(DocumentType.camat_signs.is_(True)))
    now = utcnow()
    first = db.session.scalar(select(text("coalesce(max(id), 0)")).select_from(DocumentRequest.__table__))
    rows = []
    for i in range(count):
        born = now.date().replace(year=1980 + i % 30, day=1 + i % 28)
        rows.append({"tracking_code": f"PLJ-BENCH{first + i:09d}", "type_id": doc_type.id,
                     "nik": make_nik(born, i % 2 == 0, i % 9999 + 1), "name": f"Warga Bench {i}",
                     "name_key": f"warga bench {i}", "phone": "", "kelurahan": "Plaju Ulu", "note": "",
                     "checklist": "[]", "state": "verifying", "version": 1, "created_by_id": clerk.id,
                     "received_at": now - timedelta(hours=2), "budget_minutes": 2400, "clock_used_minutes": 0,
                     "due_at": now + timedelta(days=3), "signed_as": "", "updated_at": now - timedelta(hours=1)})
    db.session.execute(insert(DocumentRequest.__table__), rows)
    db.session.commit()
    ids = list(db.session.scalars(select(DocumentRequest.id).where(
        DocumentRequest.tracking_code.like("PLJ-BENCH%")).order_by(DocumentRequest.id)))
    for request_id in ids:
        started(db.session.get(DocumentRequest, request_id))
    db.session.commit()
    db.session.expunge_all()
    return ids


class Meter:
    """Time and count what reaches the database: every statement, and every COMMIT."""

    def __init__(self, engine, session_class):
        self.seconds = 0.0
        self.statements = 0
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit_starts)
        event.listen(session_class, "after_commit", self._commit_ends)
        self._t0 = None

    def _before(self, conn, cursor, statement, params, context, executemany):
        self._t0 = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        if self.on:
            self.seconds += time.perf_counter() - self._t0
            self.statements += 1

    def _commit_starts(self, conn):
        self._t0 = time.perf_counter()

    def _commit_ends(self, session):
        if self.on and self._t0 is not None:
            self.seconds += time.perf_counter() - self._t0
        self._t0 = None

    def reset(self):
        self.seconds, self.statements = 0.0, 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=600, help="approvals per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="plaju-bench-engine-")
    os.environ["PLAJU_INSTANCE_PATH"] = folder
    os.environ.setdefault("PLAJU_DEMO_PASSWORD", PASSWORD)
    url = _prepare_url(args.database_url, Path(folder))

    from flask_migrate import upgrade
    from sqlalchemy.orm import Session

    from plaju import create_app
    from plaju.accounts.models import User
    from plaju.cli import _seed
    from plaju.documents.models import DocumentRequest
    from plaju.extensions import db
    from plaju.workflow import fire

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD})
    with app.app_context(), app.test_request_context("/", method="POST"):
        upgrade(revision="heads")
        _seed(PASSWORD)
        ids = _seed_requests(db, args.n * args.rounds + 20)
        kasi_id = db.session.scalar(select(User.id).where(User.username == "kasi"))
        meter = Meter(db.engine, Session)

        def pair(request_id):
            """One bare UPDATE+COMMIT and one fire() on the same row: (bare, fire, fire in the DB, statements)."""
            db.session.commit()
            start = time.perf_counter()
            db.session.execute(text("UPDATE document_request SET version = version + 1 WHERE id = :id"),
                               {"id": request_id})
            db.session.commit()
            bare = time.perf_counter() - start
            db.session.expunge_all()
            kasi = db.session.get(User, kasi_id)
            request = db.session.get(DocumentRequest, request_id)
            version = request.version
            meter.reset()
            meter.on = True
            start = time.perf_counter()
            fire(request, "accept", kasi, expected_version=version)
            total = time.perf_counter() - start
            meter.on = False
            assert db.session.get(DocumentRequest, request_id).state == "processing"
            return bare, total, meter.seconds, meter.statements

        for request_id in ids[:20]:  # warm-up: caches, prepared statements, the pool
            pair(request_id)
        print(f"database: {db.engine.dialect.name}; step: documents 'accept' (verifying -> processing) by the "
              f"Kasi; {args.n} approvals x {args.rounds} rounds, each paired with a bare UPDATE+COMMIT "
              f"of the same row")
        print(f"{'round':<6} {'bare':>9} {'fire':>9} {'in DB':>9} {'beyond DB':>10} {'fire/bare':>10} "
              f"{'beyond/bare':>12} {'statements':>11}")
        summary = []
        for round_no in range(args.rounds):
            chunk = ids[20 + round_no * args.n: 20 + (round_no + 1) * args.n]
            pairs = [pair(request_id) for request_id in chunk]
            bare = statistics.median(p[0] for p in pairs)
            total = statistics.median(p[1] for p in pairs)
            in_db = statistics.median(p[2] for p in pairs)
            beyond = statistics.median(p[1] - p[2] for p in pairs)
            statements = sorted({p[3] for p in pairs})
            summary.append(beyond / bare)
            print(f"{round_no + 1:<6} {bare * 1e3:7.2f}ms {total * 1e3:7.2f}ms {in_db * 1e3:7.2f}ms "
                  f"{beyond * 1e3:8.2f}ms {total / bare:9.1f}x {beyond / bare:11.1f}x "
                  f"{'/'.join(map(str, statements)):>11}")
        verdict = "met" if statistics.median(summary) <= 2 else "missed"
        print(f"median over rounds: fire() beyond the database = {statistics.median(summary):.1f}x the bare "
              f"UPDATE+COMMIT (goal <= 2x: {verdict})")


if __name__ == "__main__":
    main()
