"""Engine overhead per transition, as a ratio to a bare UPDATE of the same row in the same run.

    .venv/bin/python bench/bench_engine.py [--n 2000] [--database-url postgresql://postgres@127.0.0.1/plaju_bench]

Prints, per transition: a bare UPDATE+COMMIT (the baseline), a full engine.fire() (lock, checks, move,
audit append, commit), the time fire() spends in the database, and what is left: the engine's own
Python overhead. Ratios are what to compare between runs; the machine is shared and absolute times drift.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import String, event, text  # noqa: E402
from sqlalchemy.orm import Mapped, mapped_column  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="plaju-bench-")
    os.environ["PLAJU_INSTANCE_PATH"] = tmp
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    if url.startswith("postgresql"):
        from plaju.database import recreate_postgres_database
        url = recreate_postgres_database(url)

    from flask_migrate import upgrade

    from plaju import create_app
    from plaju.accounts.models import User
    from plaju.extensions import db
    from plaju.workflow import Spec, State, Step, fire, register, roles

    class BenchRow(db.Model):
        __tablename__ = "bench_row"
        id: Mapped[int] = mapped_column(primary_key=True)
        state: Mapped[str] = mapped_column(String(20), default="open")
        version: Mapped[int] = mapped_column(default=0)

    register(Spec(name="bench", model=BenchRow, initial="open",
                  states=[State("open", "Open"), State("closed", "Closed")],
                  steps=[Step("close", "open", "closed", "Close", who=roles("section_head")),
                         Step("reopen", "closed", "open", "Reopen", who=roles("section_head"))]))

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="heads")
        BenchRow.__table__.create(db.engine, checkfirst=True)
        actor = User(username="bench", full_name="Bench", password_hash="x")
        actor.set_roles(["section_head"])
        row = BenchRow()
        db.session.add_all([actor, row])
        db.session.commit()
        row_id = row.id

        db_time = [0.0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, params, context, executemany):
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, params, context, executemany):
            db_time[0] += time.perf_counter() - conn.info.pop("t0")

        def bare(n):
            db.session.commit()
            start = time.perf_counter()
            for i in range(n):
                db.session.execute(text("UPDATE bench_row SET state = :s, version = version + 1 WHERE id = :id"),
                                   {"s": "closed" if i % 2 == 0 else "open", "id": row_id})
                db.session.commit()
            return (time.perf_counter() - start) / n

        def engine(n):
            db.session.execute(text("UPDATE bench_row SET state = 'open' WHERE id = :id"), {"id": row_id})
            db.session.commit()
            entity = db.session.get(BenchRow, row_id)
            db_time[0] = 0.0
            start = time.perf_counter()
            for i in range(n):
                entity = fire(entity, "close" if i % 2 == 0 else "reopen", actor, expected_version=entity.version)
            total = time.perf_counter() - start
            return total / n, db_time[0] / n

        bare(50), engine(50)  # warm-up
        results = {"bare": [], "fire": [], "fire_db": []}
        for _round in range(3):  # interleaved rounds, so drift hits both sides alike
            results["bare"].append(bare(args.n))
            per_fire, per_db = engine(args.n)
            results["fire"].append(per_fire)
            results["fire_db"].append(per_db)
        best = {k: min(v) for k, v in results.items()}
        overhead = best["fire"] - best["fire_db"]
        print(f"database: {db.engine.dialect.name}, {args.n} transitions x 3 rounds, best round shown")
        rows = [("bare UPDATE+COMMIT", best["bare"]), ("engine.fire() total", best["fire"]),
                ("  of which in the database", best["fire_db"]), ("  engine overhead (no DB)", overhead)]
        for label, seconds in rows:
            print(f"{label:<28} {seconds * 1e6:9.1f} us  ratio {seconds / best['bare']:.2f}")


if __name__ == "__main__":
    main()
