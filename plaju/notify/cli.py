"""flask --app plaju outbox deliver | prune | status: send what is due (for cron or a worker)."""
import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("outbox")
def outbox_group():
    """Outgoing messages (e-mail now; SMS and WhatsApp through channel adapters)."""


@outbox_group.command("deliver")
@click.option("--limit", default=500, show_default=True, help="at most this many messages per run")
@with_appcontext
def deliver_command(limit):
    """Send every message that is due; failures wait for their next attempt."""
    from .outbox import deliver_due, stats
    sent = deliver_due(limit=limit)
    state = stats()
    db.session.commit()  # end the transaction: on SQLite an open one holds the write lock
    click.echo(f"sent: {sent}, pending: {state['pending']}, oldest pending: {state['oldest_pending_seconds']} s, "
               f"given up: {state['given_up']}")


@outbox_group.command("prune")
@click.option("--days", default=90, show_default=True, type=click.IntRange(min=1),
              help="keep sent messages this many days")
@with_appcontext
def prune_command(days):
    """Delete messages sent long ago, so the table holds the queue and recent history only."""
    from .outbox import prune
    click.echo(f"deleted: {prune(days)}")


@outbox_group.command("status")
@with_appcontext
def status_command():
    """Queue depth and age, as /healthz reports them."""
    from .outbox import stats
    state = stats()
    db.session.commit()  # end the transaction: on SQLite an open one holds the write lock
    click.echo(" ".join(f"{k}={v}" for k, v in state.items()))
