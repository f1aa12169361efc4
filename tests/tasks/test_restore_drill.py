"""The backup restore drill (deploy/restore_drill.py) on PostgreSQL: pg_dump, pg_restore into a
scratch database, the copy proved complete (row counts, revision, audit head, append-only triggers,
audit verify)."""
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from plaju.audit.models import AuditEvent
from tests.support import spelled
from tests.tasks.conftest import ROOT

pytestmark = pytest.mark.postgres


def _drill(*args):
    return subprocess.run([sys.executable, str(ROOT / "deploy" / "restore_drill.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def source_url(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the restore drill is for PostgreSQL (set PLAJU_TEST_DATABASE_URL)")
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")


def test_a_backup_restores_into_a_complete_copy(db, users, make_request, source_url):
    for i in range(3):
        make_request("verifying", name=f"Warga Cadangan {spelled(i)}")
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    rows = db.session.scalar(text("SELECT count(*) FROM document_request"))
    db.session.commit()
    assert events >= 3 and rows == 3
    scratch = source_url.set(database=source_url.database + "_restore")
    result = _drill("--source", source_url.render_as_string(hide_password=False),
                    "--scratch", scratch.render_as_string(hide_password=False))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"(\d+) tables, (\d+) rows, revision (\S+), audit head (\d+)", result.stdout)
    assert summary, result.stdout
    head = db.session.scalar(select(func.max(AuditEvent.seq)))
    db.session.rollback()
    assert int(summary[4]) == head and int(summary[2]) >= events + rows
    assert "audit verify on the copy exited 2" in result.stdout  # linked, but no checkpoint yet
    assert "the copy is complete" in result.stdout


def test_the_drill_never_restores_over_its_source(source_url):
    url = source_url.render_as_string(hide_password=False)
    result = _drill("--source", url, "--scratch", url)
    assert result.returncode == 1 and "another database" in result.stderr
