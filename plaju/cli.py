"""flask --app plaju seed-demo | create-user | audit verify|checkpoint|key|index-days | demo | worker | scheduler."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from .accounts import passwords, staff
from .accounts.demo import seed_people
from .accounts.models import ROLES, Unit, User
from .accounts.nip import InvalidNIP, validate_asn_number
from .audit import checkpoint as checkpoints
from .audit import days as audit_days
from .audit import record as audit
from .audit.reconcile import reconcile
from .audit.verify import audit_key, verify_chain
from .core.registry import SEEDERS
from .extensions import db
from .workflow.assignments import store_ready_today


def _seed(password: str) -> None:
    logins = seed_people(password)
    for _order, fn in SEEDERS:
        fn()
    audit_days.refresh()  # the demo's date searches start counted, as the scheduled job keeps them
    store_ready_today()  # the seeded history happened earlier: what can be done today waits, as the job keeps it
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
    if not current_app.config.get("PUBLIC_URL"):  # the demo letters' check links lead to this server
        current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    upgrade(revision="heads")
    _seed(current_app.config["DEMO_PASSWORD"])
    # a signed checkpoint of the seeded log at once: HR's chain check can say the log is complete from the
    # first minute, not only after the hourly job (tasks.schedule) first ran
    try:
        click.get_current_context().invoke(audit_checkpoint)
    except SystemExit:  # it said why on stderr; the demo still serves
        pass
    app = current_app._get_current_object()
    if app.config.get("QUEUE") in ("thread", "inline"):  # no Redis: the scheduled jobs run in this process
        from .tasks.schedule import InProcessScheduler
        InProcessScheduler(app).start()
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
            nip = validate_asn_number(nip)
        except InvalidNIP as e:
            raise click.ClickException(str(e)) from None
    unit = None
    if unit_code:
        unit = db.session.scalars(select(Unit).where(Unit.code == unit_code)).first()
        if unit is None:
            raise click.ClickException(f"unknown unit {unit_code!r}")
    weak = passwords.problem(password, username, full_name, nip)  # the same rules as the people page
    if weak:
        raise click.ClickException(weak)
    user = User(username=username, full_name=full_name, nip=nip, position=position, unit=unit)
    user.set_roles(roles)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    staff.record(user, None)  # on staff from now: a closed month's report does not count the account
    audit.record("user.create", actor_name="cli", subject=user,
                 changes={"username": [None, username], "roles": [None, ",".join(sorted(roles))]})
    db.session.commit()
    click.echo(f"created {username}")


@click.command("reset-password")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def reset_password(username, password):
    """Set a temporary password, as the server's operator: the only reset of an account that signs with an
    electronic certificate (whoever sets its password could sign in its name)."""
    from .accounts.people import set_temporary_password
    from .i18n import gettext as _
    from .notify.service import notify
    user = db.session.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise click.ClickException(f"no account {username!r}")
    weak = passwords.problem(password, user.username, user.full_name, user.nip)
    if weak:
        raise click.ClickException(weak)
    set_temporary_password(user, password, None)
    user.session_epoch = (user.session_epoch or 0) + 1  # the sessions opened with the old password end
    audit.record("user.update", actor_name="cli", subject=user, changes={"password": ["***", "(reset, one-time)"]})
    notify(user, _("Your password was reset"),
           _("The server's operator set a temporary password for your account. Your open sessions have ended; "
             "sign in with it and choose your own. If you did not ask for this, tell the Sekretaris Camat."),
           url="/account/password")
    db.session.commit()
    click.echo(f"temporary password set for {user.username}; it must be changed at the next sign-in")


@click.group("audit")
def audit_group():
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Walk the chain and compare it with the newest signed checkpoint.

    Exit 0: intact up to a fresh checkpoint; 1: broken, events missing, the newest checkpoint too old
    (the first problem is named), or records that differ from the log (audit.reconcile: each is named);
    2: the links hold but nothing proves completeness (no checkpoint yet, or a chain not keyed yet)."""
    verdict = verify_chain()
    db.session.rollback()  # end the read (on SQLite every transaction holds the write lock)
    if not verdict.ok:
        if verdict.broken_seq is not None:
            click.echo(f"audit chain BROKEN at seq {verdict.broken_seq}: {verdict.reason} "
                       f"({verdict.checked} events before it are intact)", err=True)
        else:
            click.echo(f"audit check FAILED: {verdict.reason} "
                       f"({verdict.checked} events, head {verdict.head})", err=True)
        sys.exit(1)
    differ = reconcile()  # the rows against the log: a value no logged step gave was changed outside the app
    db.session.rollback()
    if differ:
        click.echo(f"records DIFFER from the audit log ({len(differ)}):", err=True)
        for mismatch in differ:
            click.echo(f"  - {mismatch.subject_type} {mismatch.subject_id}: {mismatch.text}", err=True)
        sys.exit(1)
    if verdict.warnings:
        click.echo(f"WARNING: the {verdict.checked} events link correctly (head #{verdict.head_seq} "
                   f"{verdict.head}), but completeness is not proven:", err=True)
        for warning in verdict.warnings:
            click.echo(f"  - {warning}", err=True)
        sys.exit(2)
    checkpoint = verdict.checkpoint
    click.echo(f"audit chain intact: {verdict.checked} events, head #{verdict.head_seq} {verdict.head}; "
               f"checked against the checkpoint of {checkpoint.at_text} (event #{checkpoint.seq})")


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Verify the chain, then append a signed line with its head to PLAJU_AUDIT_CHECKPOINT_FILE
    and mail it to PLAJU_AUDIT_CHECKPOINT_MAILTO. Run it from cron (docs/operations.md)."""
    # an old checkpoint must not stop the next one; anything else wrong must not be signed
    verdict = verify_chain(check_age=False)
    db.session.rollback()
    if not verdict.ok:
        if verdict.broken_seq is not None:
            click.echo(f"no checkpoint written: the audit chain is BROKEN at seq {verdict.broken_seq}: "
                       f"{verdict.reason}", err=True)
        else:
            click.echo(f"no checkpoint written: {verdict.reason}", err=True)
        sys.exit(1)
    checkpoint = checkpoints.Checkpoint(verdict.head_seq, verdict.head, checkpoints.now())
    path = current_app.config["AUDIT_CHECKPOINT_FILE"]
    try:
        line = checkpoints.append(path, checkpoint, audit_key())
    except OSError as exc:
        click.echo(f"no checkpoint written: {path}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    click.echo(f"{path}: {line}")
    try:
        recipients = checkpoints.mail(line, checkpoint)
    except checkpoints.CheckpointError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    if recipients:
        click.echo(f"mailed to {', '.join(recipients)}")


@audit_group.command("key")
@with_appcontext
def audit_key_command():
    """Key a chain written before PLAJU_AUDIT_KEY existed now, instead of in the first request
    that records an event (it verifies the whole old chain first)."""
    try:
        event = audit.key_chain()
    except audit.AuditChainError as exc:
        db.session.rollback()
        click.echo(f"not keyed: {exc}", err=True)
        sys.exit(1)
    db.session.commit()
    if event is None:
        click.echo("nothing to do: the chain is empty or already keyed")
    else:
        click.echo(f"chain keyed at event #{event.seq}: {event.comment}")


@audit_group.command("index-days")
@with_appcontext
def audit_index_days():
    """Count the events appended since the last run in audit_day (the lowest and highest seq of each
    WIB day, which a date search reads). Idempotent; the scheduled job `audit-days` runs it."""
    counted = audit_days.refresh()
    covered = audit_days.covered_seq()
    db.session.remove()  # end the read (on SQLite every transaction holds the write lock)
    click.echo(f"audit days: {counted} new events counted, up to event #{covered}")


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
    from .workflow.assignments import waiting_states
    for spec in all_specs():
        open_states = waiting_states(spec)
        count = 0
        for entity in db.session.scalars(select(spec.model).where(
                getattr(spec.model, spec.state_attr).in_(open_states))).unique():
            started(entity)
            count += 1
        db.session.commit()
        click.echo(f"{spec.name}: {count}")


@workflow_group.command("stand-ins")
@with_appcontext
def workflow_stand_ins():
    """Tell the Plh/Plt whose appointment begins today what already waits for their official, and close the
    to-do notices of those whose appointment ended yesterday (scheduled early each day)."""
    from .accounts.delegations import retell_for_today
    click.echo(f"officials: {retell_for_today()}")


@workflow_group.command("ready")
@with_appcontext
def workflow_ready():
    """Store and tell the to-dos that can be taken from today, such as a course's completion report from its
    last day (scheduled hourly, so a restart misses none)."""
    click.echo(f"rows: {store_ready_today()}")


def register_cli(app) -> None:
    from .tasks.cli import commands as task_commands
    for command in (seed_demo, demo, create_user, reset_password, audit_group, workflow_group, *task_commands):
        app.cli.add_command(command)
