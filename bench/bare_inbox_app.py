"""The floor for bench_inbox.py: a bare Flask app that signs in nobody and SELECTs the 25 rows the inbox's
first page shows (document_request joined with their work_item rows), rendering them in a minimal template.

    gunicorn --chdir <repo> 'bench.bare_inbox_app:create()'

Reads BENCH_BARE_DATABASE_URL and BENCH_BARE_IDS (comma-separated document_request ids). The engine gets
the same connection setup as the app (plaju.database.configure_engine: WAL, busy timeout and BEGIN
IMMEDIATE on SQLite), so the comparison measures the inbox's own work, not the database's settings.
"""
import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

TEMPLATE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>bare</title></head><body>
<table>{% for r in rows %}<tr><td>{{ r.tracking_code }}</td><td>{{ r.name }}</td><td>{{ r.state }}</td>
<td>{{ r.trigger }}</td><td>{{ r.due_at }}</td><td>{{ r.since }}</td></tr>{% endfor %}</table></body></html>"""


def create() -> Flask:
    from plaju.database import configure_engine

    url = os.environ["BENCH_BARE_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    ids = [int(i) for i in os.environ["BENCH_BARE_IDS"].split(",") if i]
    engine = create_engine(url)
    configure_engine(engine)
    # the same 25 rows, with their waiting steps, by primary key: one statement
    query = text(
        "SELECT d.id, d.tracking_code, d.name, d.state, w.trigger, w.due_at, w.since "
        "FROM document_request d JOIN work_item w ON w.spec = 'document' AND w.entity_id = d.id "
        f"WHERE d.id IN ({','.join(str(i) for i in ids)}) ORDER BY d.id, w.id")
    app = Flask(__name__)

    @app.get("/")
    def rows():
        with engine.connect() as conn:
            found = conn.execute(query).mappings().all()
        return render_template_string(TEMPLATE, rows=found)

    return app
