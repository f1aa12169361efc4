"""How the document queue page holds up at 100,000 requests.

Fills a database with generated requests (bulk insert), then times the queue's own query for 25 rows
(first page and a deep keyset page, with and without filters) against a bare SELECT of the same 25 rows
by primary key in the same run, and prints the ratio; the queue's counters against that SELECT and the
whole signed-in page against a bare Flask page of the same rows, also as ratios. Also prints the SQL
statements one page costs at 1,000 and at 100,000 rows (they must be equal).

  .venv/bin/python bench/bench_documents_queue.py                      # SQLite in a temporary folder
  .venv/bin/python bench/bench_documents_queue.py --url postgresql://postgres@127.0.0.1/plaju_bench_docs

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

from flask import Flask
from sqlalchemy import event, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import prepare_url as _prepare_url  # noqa: E402

PASSWORD = "bench-password-123"
BARE_PAGE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>bare</title></head><body>
<table>{% for r in rows %}<tr><td>{{ r.tracking_code }}</td><td>{{ r.name }}</td><td>{{ r.state }}</td>
<td>{{ r.due_at }}</td></tr>{% endfor %}</table></body></html>"""


def _fill(db, models, target: int, clerk_id: int, type_ids: list[int], rng: random.Random) -> None:
    from plaju.database import utcnow
    from plaju.documents.nik import make_nik
    from plaju.documents.workflow import STATES
    table = models.DocumentRequest.__table__
    have = db.session.scalar(select(text("count(*)")).select_from(table))
    states = [s.name for s in STATES]
    kel = models.KELURAHAN
    now = utcnow()
    first = ["Ahmad", "Siti", "Budi", "Dewi", "Rudi", "Sri", "Agus", "Nur", "Hendra", "Rina", "Yusuf", "Maya"]
    last = ["Saputra", "Lestari", "Wijaya", "Hasibuan", "Siregar", "Kurniawan", "Rahmawati", "Pratama"]
    chunk = 10_000
    for start in range(have, target, chunk):
        rows = []
        for i in range(start, min(start + chunk, target)):
            name = f"{rng.choice(first)} {rng.choice(last)} {i}"
            received = now - timedelta(minutes=i * 5 + rng.randint(0, 4))
            rows.append({
                "tracking_code": f"PLJ-B{i:09d}", "type_id": rng.choice(type_ids),
                "nik": make_nik(date(1960 + i % 45, 1 + i % 12, 1 + i % 28), i % 2 == 0, i % 9999 + 1),
                "name": name, "name_key": name.lower(), "phone": "", "kelurahan": rng.choice(kel), "note": "",
                "checklist": "[]", "state": rng.choice(states), "version": 0, "created_by_id": clerk_id,
                "received_at": received, "budget_minutes": 2400, "clock_used_minutes": 0,
                "due_at": received + timedelta(days=7), "signed_as": "", "updated_at": received})
        db.session.execute(insert(table), rows)
        ids = dict(db.session.execute(select(table.c.tracking_code, table.c.id).where(
            table.c.tracking_code.in_([r["tracking_code"] for r in rows]))).all())
        db.session.execute(insert(models.DocumentNameWord.__table__),
                           [w for r in rows for w in models.name_word_rows(ids[r["tracking_code"]], r["name"])])
        db.session.commit()
    # fresh statistics and visibility map, as PostgreSQL's autovacuum and a nightly ANALYZE on SQLite give
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE document_request"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _median_ms(fn, repeat: int) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


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
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-docs-"))
    os.environ["PLAJU_INSTANCE_PATH"] = str(folder / "instance")
    url = _prepare_url(args.url, folder)

    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.accounts.models import User
    from plaju.documents import models, queue
    from plaju.documents.seed import seed_types
    from plaju.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(7)
    with app.app_context():
        upgrade(revision="heads")
        types = seed_types()
        clerk = User(username="bench", full_name="Petugas Bench", position="Petugas")
        clerk.set_roles(["clerk"])
        clerk.set_password(PASSWORD)
        db.session.add(clerk)
        db.session.commit()
        clerk_id, type_ids = clerk.id, [t.id for t in types.values()]
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": PASSWORD})
        filtered = "/documents/?state=processing&kelurahan=Komperta"
        counts = {}
        for size in (1_000, args.rows):
            t0 = time.perf_counter()
            _fill(db, models, size, clerk_id, type_ids, rng)
            fill_s = time.perf_counter() - t0
            # each request in a context of its own, as in production (no user cached from the last one)
            counts[size] = tuple(
                _count_statements(db.engine, lambda path=path: contextvars.Context().run(client.get, path))
                for path in ("/documents/", filtered))
            print(f"{size:>7,} rows (filled in {fill_s:.1f} s): SQL statements per queue page: "
                  f"{counts[size][0]} (no filter), {counts[size][1]} (state + kelurahan filter)")
        if len(set(counts.values())) != 1:
            print("WARNING: the number of statements per page depends on the table size")

        def deep_cursor(filters):
            """The cursor halfway down the rows this filter matches."""
            matching = db.session.scalar(queue.queue_statement(filters, None, limit=10 ** 9).with_only_columns(
                func.count()).order_by(None).limit(None))
            stmt = queue.queue_statement(filters, None, limit=max(matching // 2, 1))
            rows = list(db.session.scalars(stmt).unique())
            return queue.encode_cursor(rows[-1]) if rows else None

        scenarios = [
            ("first page, all open", queue.QueueFilters(), None),
            ("first page, processing in Komperta", queue.QueueFilters(state="processing", kelurahan="Komperta"),
             None),
            ("first page, one type, overdue", queue.QueueFilters(type_id=type_ids[0], flag="overdue"), None),
        ]
        scenarios += [("deep page (halfway), all open", queue.QueueFilters(), deep_cursor(queue.QueueFilters()))]
        for label, filters in (("deep page, all states in Plaju Ulu",
                                queue.QueueFilters(state="all", kelurahan="Plaju Ulu")),
                               ("deep page, overdue", queue.QueueFilters(flag="overdue")),
                               ("deep page, name search 'siti'", queue.QueueFilters(state="all", q="siti"))):
            scenarios.append((label, filters, deep_cursor(filters)))
        table = models.DocumentRequest.__table__
        print(f"\nqueue query for 25 rows vs a bare SELECT of the same 25 rows by primary key "
              f"({db.engine.dialect.name}, {args.rows:,} rows, median of {args.repeat}):")
        for label, filters, cursor in scenarios:
            rows, _next = queue.queue_page(filters, cursor)
            ids = [r.id for r in rows]
            db.session.expunge_all()

            def queue(filters=filters, cursor=cursor):
                list(db.session.scalars(queue.queue_statement(filters, cursor)).unique())
                db.session.rollback()
                db.session.expunge_all()

            def bare(ids=ids):
                with db.engine.connect() as conn:
                    conn.execute(select(table).where(table.c.id.in_(ids)).limit(25)).all()

            q_ms, b_ms = _median_ms(queue, args.repeat), _median_ms(bare, args.repeat)
            print(f"  {label:<40} {len(ids):>2} rows  queue {q_ms:7.2f} ms  bare {b_ms:6.2f} ms  "
                  f"ratio {q_ms / b_ms:5.1f}x")
        # the counters and the whole page, each against a floor measured now: a bare SELECT of the first
        # page's 25 rows, and a bare Flask app rendering those rows in a minimal template
        first_ids = [r.id for r in queue.queue_page(queue.QueueFilters(), None)[0]]
        db.session.rollback()
        db.session.expunge_all()

        engine = db.engine

        def bare_select():
            with engine.connect() as conn:
                return conn.execute(select(table).where(table.c.id.in_(first_ids))).mappings().all()
        bare_app = Flask("bare_queue")
        bare_template = bare_app.jinja_env.from_string(BARE_PAGE)
        bare_app.get("/")(lambda: bare_template.render(rows=bare_select()))
        bare_client = bare_app.test_client()
        floor_ms = _median_ms(bare_select, args.repeat)
        count_ms = _median_ms(lambda: (queue.counters(), db.session.rollback()), 10)
        print(f"\ncounters of the queue (open, overdue, due today, signature, ready, each bounded): "
              f"{count_ms / floor_ms:.1f}x the bare 25-row SELECT ({count_ms:.2f} vs {floor_ms:.2f} ms, median)")
        page_ms = _median_ms(lambda: contextvars.Context().run(client.get, "/documents/"), 10)
        bare_page_ms = _median_ms(lambda: contextvars.Context().run(bare_client.get, "/"), 10)
        print(f"whole queue page (HTML, first page, signed in): {page_ms / bare_page_ms:.1f}x a bare Flask page of the "
              f"same 25 rows ({page_ms:.1f} vs {bare_page_ms:.1f} ms, median of 10)")

if __name__ == "__main__":
    main()
