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
