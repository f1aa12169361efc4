"""The migrations build exactly the schema the models describe: every change is a migration."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from plaju.extensions import db as _db


def _differences(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, kind, parent: not (name or "").startswith("test_"),
        })
        return [d for d in compare_metadata(context, _db.metadata)
                if not (isinstance(d, tuple) and getattr(d[1], "name", "").startswith("test_"))]


def test_models_and_migrations_agree(db):
    assert _differences(db) == []


def test_there_is_one_head(app):
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_an_office_s_sqlite_database_with_data_upgrades_from_the_last_release(tmp_path):
    """Adding a column with a foreign key to `user` made SQLite rebuild the table, which the rows pointing at it
    refused ("FOREIGN KEY constraint failed"): `flask demo` on an existing instance stopped. Every migration
    since the last release runs on a database that holds an account and its role."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from plaju import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'office.sqlite'}"})
    with app.app_context():
        upgrade(revision="0039_certificate_number_key")  # the schema the office runs before this release
        with _db.engine.begin() as conn:
            conn.execute(text("INSERT INTO user (id, username, full_name, position, password_hash, active, "
                              "session_epoch, created_at) VALUES (1, 'camat', 'Camat Uji', 'Camat', 'x', 1, 0, "
                              "'2026-01-05 08:00:00')"))
            conn.execute(text("INSERT INTO user_role (user_id, role) VALUES (1, 'camat')"))
            # a seeded type with its requirement: migration 0044 rebuilds document_type under them
            conn.execute(text("INSERT INTO document_type (id, code, name, description, service_amount, service_unit, "
                              "camat_signs, forwards_to_disdukcapil, active, position, subject_kind, archive_code) "
                              "VALUES (1, 'dispensasi-nikah', 'Dispensasi Nikah', '', 1, 'days', 1, 0, 1, 1, "
                              "'applicant', '400.12')"))
            conn.execute(text("INSERT INTO document_requirement (id, type_id, label, required, position) "
                              "VALUES (1, 1, 'KTP-el kedua calon mempelai', 1, 0)"))
        upgrade(revision="heads")
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT role FROM user_role WHERE user_id = 1")).scalars().all() == ["camat"]
            assert conn.execute(text("SELECT subject_kind FROM document_type")).scalar() == "marriage"
            assert conn.execute(text("SELECT count(*) FROM document_requirement")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # on again for the app's requests
        _db.engine.dispose()


def test_a_migration_that_breaks_a_key_on_sqlite_keeps_nothing(tmp_path, app):
    """With foreign keys off for the rebuilds, a migration deleting rows others point at was reported only after
    Alembic had committed it (and the version): the upgrade is one transaction, rolled back whole."""
    import shutil
    from pathlib import Path

    import pytest
    from flask_migrate import upgrade
    from sqlalchemy import text

    from plaju import create_app
    directory = tmp_path / "migrations"
    shutil.copytree(Path(app.extensions["migrate"].directory), directory)
    (directory / "versions" / "0999_break.py").write_text(
        '"""break a key"""\nfrom alembic import op\n\nrevision = "0999_break"\n'
        'down_revision = "0044_marriage_subject"\n'
        'branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n'
        '    op.execute("CREATE TABLE test_kept (id INTEGER PRIMARY KEY)")\n'
        '    op.execute("DELETE FROM document_type")\n\n\ndef downgrade():\n    pass\n')
    office = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'office.sqlite'}"})
    with office.app_context():
        upgrade(directory=str(directory), revision="0044_marriage_subject")
        with _db.engine.begin() as conn:
            conn.execute(text("INSERT INTO document_type (id, code, name, description, service_amount, service_unit, "
                              "camat_signs, forwards_to_disdukcapil, active, position, subject_kind, archive_code) "
                              "VALUES (1, 'sktm', 'SKTM', '', 1, 'days', 1, 0, 1, 1, 'person', '400.12')"))
            conn.execute(text("INSERT INTO document_requirement (id, type_id, label, required, position) "
                              "VALUES (1, 1, 'KK', 1, 0)"))
        with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError and exits 1
            upgrade(directory=str(directory), revision="heads")
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0044_marriage_subject"
            assert conn.execute(text("SELECT count(*) FROM document_type")).scalar() == 1
            assert not conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'test_kept'")).first()
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        _db.engine.dispose()
