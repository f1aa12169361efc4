"""Intranet Kecamatan Plaju."""
import importlib
import importlib.util
import os
from pathlib import Path

from flask import Flask, g, request, session

from . import config as config_module
from .database import configure_engine
from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from .extensions import htmx as htmx_extension  # plaju.htmx, the module, would shadow the name

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("PLAJU_INSTANCE_PATH") or str(ROOT / "instance"),
                template_folder=str(ROOT / "templates"), static_folder="static")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from .core.urls import BoundedIntConverter
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(config_module.load(app.instance_path))
    if config:
        app.config.update(config)

    from .htmx import refusal_as_answer
    app.after_request(refusal_as_answer)  # first registered, so it runs last (see its docstring)
    from .proxies import TrustedProxies
    app.wsgi_app = TrustedProxies(app.wsgi_app, app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx_extension.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    from .i18n import init_i18n
    init_i18n(app, babel)
    with app.app_context():
        configure_engine(db.engine)

    from . import once as _once  # noqa: F401  (form_token)
    from . import shared_copies as _shared_copies  # noqa: F401  (cache_stamp)
    from .accounts import models as _accounts  # noqa: F401  (register models before use)
    from .accounts.people_views import bp as people_bp
    from .accounts.views import bp as accounts_bp
    from .audit import models as _audit  # noqa: F401
    from .audit.views import bp as audit_bp
    from .core.views import bp as core_bp
    from .workflow import models as _workflow  # noqa: F401
    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(people_bp)
    from .notify.views import bp as notify_bp
    app.register_blueprint(notify_bp)
    from .notify import init_app as init_notify
    init_notify(app)
    from .inbox.views import bp as inbox_bp
    app.register_blueprint(inbox_bp)
    for area in AREAS:
        module = importlib.import_module(f"plaju.{area}.views")
        app.register_blueprint(module.bp)
        if importlib.util.find_spec(f"plaju.{area}.cli"):
            for command in importlib.import_module(f"plaju.{area}.cli").commands:
                app.cli.add_command(command)

    from .workflow import init_app as init_workflow
    init_workflow(app)  # after the areas: their specs registered at import time

    from .core.errors import register_error_handlers
    register_error_handlers(app)
    from . import inputs
    inputs.init_app(app)  # the input boundary runs before every other hook
    from .cli import register_cli
    register_cli(app)

    @app.before_request
    def _request_start():
        g.csp_nonce = None
        if request.method == "POST":  # what was flashed before: audit.trace_refused_form reads the new ones
            g.flashes_before = len(session.get("_flashes", ()))

    from .audit.record import trace_refused_form
    app.after_request(trace_refused_form)

    @app.after_request
    def _headers(response):
        response.vary.add("HX-Request")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint and request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


# business areas, each a package with views.bp; order is the navigation order
AREAS: list[str] = ["documents", "letters", "training", "public", "reports", "survey", "complaints"]
