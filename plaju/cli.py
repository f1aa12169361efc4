"""flask --app plaju seed-demo | create-user | audit verify | demo."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from .accounts.demo import seed_people
from .accounts.models import ROLES, Unit, User
from .accounts.nip import InvalidNIP, validate_nip
from .audit import record as audit
from .audit.verify import verify_chain
from .core.registry import SEEDERS
from .extensions import db


def _seed(password: str) -> None:
    logins = seed_people(password)
    for _order, fn in SEEDERS:
        fn()
    click.echo(f"Demo logins (password: {password})")
    for username, name, roles in logins:
        click.echo(f"  {username:<12} {roles:<18} {name}")
    # end the CLI's transaction: on SQLite an open one would hold the single write lock
    db.session.remove()


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create invented demo data (idempotent) and print the logins."""
    _seed(current_app.config["DEMO_PASSWORD"])


@click.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def demo(host, port):
    """Migrate, seed and serve on http://127.0.0.1:5000: the one command a newcomer needs."""
    upgrade(revision="heads")
    _seed(current_app.config["DEMO_PASSWORD"])
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C stops)")
    # app.run() is refused inside the flask CLI; werkzeug's server is what it would start
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--nip", default=None)
@click.option("--position", default="")
@click.option("--unit", "unit_code", default=None, help="unit code, e.g. pelayanan")
@click.option("--role", "roles", multiple=True, type=click.Choice(sorted(ROLES)))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user(username, full_name, nip, position, unit_code, roles, password):
    """Create a user account."""
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise click.ClickException(f"username {username!r} already exists")
    if nip:
        try:
            nip = validate_nip(nip)
        except InvalidNIP as e:
            raise click.ClickException(str(e)) from None
    unit = None
    if unit_code:
        unit = db.session.scalars(select(Unit).where(Unit.code == unit_code)).first()
        if unit is None:
            raise click.ClickException(f"unknown unit {unit_code!r}")
    if len(password) < 10:
        raise click.ClickException("the password needs at least 10 characters")
    user = User(username=username, full_name=full_name, nip=nip, position=position, unit=unit)
    user.set_roles(roles)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor_name="cli", subject=user,
                 changes={"username": [None, username], "roles": [None, ",".join(sorted(roles))]})
    db.session.commit()
    click.echo(f"created {username}")


@click.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Walk the hash chain; exit 1 naming the first broken event."""
    verdict = verify_chain()
    if verdict.ok:
        click.echo(f"audit chain intact: {verdict.checked} events, head {verdict.head}")
        return
    click.echo(f"audit chain BROKEN at seq {verdict.broken_seq}: {verdict.reason} "
               f"({verdict.checked} events before it are intact)", err=True)
    sys.exit(1)


@click.group("workflow")
def workflow_group():
    """Workflow specs."""


@workflow_group.command("diagrams")
@click.option("--out", default="docs/workflows", type=click.Path(file_okay=False))
@with_appcontext
def workflow_diagrams(out):
    """Write one Mermaid diagram per workflow spec into OUT."""
    from pathlib import Path

    from .workflow.diagram import mermaid
    from .workflow.engine import all_specs
    Path(out).mkdir(parents=True, exist_ok=True)
    for spec in all_specs():
        if spec.model.__module__.startswith("plaju."):
            (Path(out) / f"{spec.name}.md").write_text(mermaid(spec), encoding="utf-8")
            click.echo(f"{out}/{spec.name}.md")


@workflow_group.command("reassign")
@with_appcontext
def workflow_reassign():
    """Recompute the assignments of every open row (after an upgrade, or rows changed by hand)."""
    from .extensions import db
    from .workflow import all_specs, started
    for spec in all_specs():
        open_states = [s.name for s in spec.states if not s.terminal]
        count = 0
        for entity in db.session.scalars(select(spec.model).where(
                getattr(spec.model, spec.state_attr).in_(open_states))).unique():
            started(entity)
            count += 1
        db.session.commit()
        click.echo(f"{spec.name}: {count}")


def register_cli(app) -> None:
    for command in (seed_demo, demo, create_user, audit_group, workflow_group):
        app.cli.add_command(command)
