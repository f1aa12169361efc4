"""The floor for bench_audit.py: a bare Flask app that signs in nobody and SELECTs the rows an /audit/ page
shows (up to 50 audit events) by primary key, rendering them in a minimal six-column template.

    gunicorn --chdir <repo> 'bench.bare_audit_app:create()'

Reads BENCH_BARE_DATABASE_URL and BENCH_BARE_PAGES (JSON: a list of lists of seqs, one per search);
GET /<i> answers the rows of the i-th list, newest first. The engine gets the same connection setup as
the app (plaju.database.configure_engine: WAL, busy timeout and BEGIN IMMEDIATE on SQLite), so the
comparison measures the page's own work, not the database's settings.
"""
import json
import os

from flask import Flask, abort, render_template_string
from sqlalchemy import create_engine, text

TEMPLATE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>bare</title></head><body>
<table>{% for r in rows %}<tr><td>{{ r.seq }}</td><td>{{ r.occurred_at }}</td><td>{{ r.actor_name }}</td>
<td>{{ r.action }}</td><td>{{ r.subject_type }} {{ r.subject_id }}</td><td>{{ r.changes }}</td></tr>{% endfor %}
</table></body></html>"""


def select_rows(seqs):
    """The same rows by primary key, in one statement (an empty list matches nothing)."""
    return text("SELECT seq, occurred_at, actor_name, action, subject_type, subject_id, changes FROM audit_event "
                f"WHERE seq IN ({','.join(str(int(s)) for s in seqs) or '0'}) ORDER BY seq DESC")


def create(url: str | None = None, pages: list | None = None) -> Flask:
    """`url` and `pages` default to the environment (as gunicorn starts it); given, they serve the
    in-process comparison, whose `app.config["PAGES"]` may be replaced between searches."""
    from plaju.database import configure_engine

    url = url or os.environ["BENCH_BARE_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url)
    configure_engine(engine)
    app = Flask(__name__)
    app.config["PAGES"] = pages if pages is not None else json.loads(os.environ.get("BENCH_BARE_PAGES", "[]"))
    app.extensions["bench_engine"] = engine
    statements = {}

    @app.get("/<int:page>")
    def rows(page):
        pages_ = app.config["PAGES"]
        if page >= len(pages_):
            abort(404)
        key = (page, tuple(pages_[page]))
        query = statements.get(key)
        if query is None:
            query = statements[key] = select_rows(pages_[page])
        with engine.connect() as conn:
            found = conn.execute(query).mappings().all()
        return render_template_string(TEMPLATE, rows=found)

    @app.get("/")
    def up():
        return "ok"

    return app
