"""The floor for bench_load.py: a bare Flask app on the same database, with no login, no checks and no
audit, doing only the minimal query and template of each measured page.

    gunicorn --chdir <repo> 'bench.bare_load_app:create()'

GET /list: the 25 rows of the Kasi's first to-do page (BENCH_BARE_IDS), joined with their work items.
POST /approve/<id>: one UPDATE of the row (state and version) and COMMIT, answering a small fragment.
The engine gets the same connection setup as the app (plaju.database.configure_engine), so the comparison
measures the app's own work, not the database's settings.
"""
import os

from flask import Flask, abort, render_template_string
from sqlalchemy import create_engine, text

LIST = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>bare</title></head><body>
<table>{% for r in rows %}<tr><td>{{ r.tracking_code }}</td><td>{{ r.name }}</td><td>{{ r.state }}</td>
<td>{{ r.trigger }}</td><td>{{ r.due_at }}</td><td>{{ r.since }}</td></tr>{% endfor %}</table></body></html>"""
DONE = """<div id="panel"><span class="badge">{{ state }}</span> versi {{ version }}</div>"""


def create() -> Flask:
    from plaju.database import configure_engine

    url = os.environ["BENCH_BARE_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    ids = [int(i) for i in os.environ["BENCH_BARE_IDS"].split(",") if i]
    engine = create_engine(url)
    configure_engine(engine)
    listing = text(
        "SELECT d.id, d.tracking_code, d.name, d.state, w.trigger, w.due_at, w.since "
        "FROM document_request d JOIN work_item w ON w.spec = 'document' AND w.entity_id = d.id "
        f"WHERE d.id IN ({','.join(str(i) for i in ids)}) ORDER BY d.id, w.id")
    approve = text("UPDATE document_request SET state = 'processing', version = version + 1 "
                   "WHERE id = :id AND state = 'verifying' RETURNING state, version")
    app = Flask(__name__)

    @app.get("/list")
    def rows():
        with engine.connect() as conn:
            found = conn.execute(listing).mappings().all()
        return render_template_string(LIST, rows=found)

    @app.post("/approve/<int:request_id>")
    def approved(request_id):
        with engine.begin() as conn:
            row = conn.execute(approve, {"id": request_id}).mappings().first()
        if row is None:
            abort(409)
        return render_template_string(DONE, **row)

    return app
