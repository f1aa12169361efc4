"""Extensions, created unbound and initialised in create_app()."""
import os

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData

# named constraints so Alembic migrations are stable on SQLite and PostgreSQL
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

db = SQLAlchemy(metadata=metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def public_post_limit() -> str:
    """Every form a signed-out visitor sends (a complaint, a survey answer), refused or not, per address: each
    refusal is a row of the audit log, so the limits that count only what is sent leave this one as the bound."""
    from flask import current_app
    return current_app.config.get("PUBLIC_POST_LIMIT") or os.environ.get("PLAJU_PUBLIC_POST_LIMIT", "60 per hour")
