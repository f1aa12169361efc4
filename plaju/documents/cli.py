"""flask --app plaju sla sweep: tell section heads what is overdue, give overdue requests a new promise
date and tell the citizen (idempotent, for cron)."""
import click
from flask.cli import with_appcontext


@click.group("sla")
def sla_group():
    """Service standards of document requests."""


@sla_group.command("sweep")
@click.option("--base-url", default="", help="address of the intranet for links in e-mails")
@with_appcontext
def sweep_command(base_url):
    """Notify section heads of overdue requests once per request and due date, then send the mail."""
    from ..notify.outbox import deliver_due
    from .services import sweep
    result = sweep(base_url=base_url)
    # a cron job's process ends here: send now rather than leave it to a background thread
    deliver_due()
    click.echo(f"overdue: {result['overdue']}, new notifications: {result['notified']}, "
               f"e-mails queued: {result['mailed']}, new promise dates: {result['revised']}")


commands = [sla_group]
