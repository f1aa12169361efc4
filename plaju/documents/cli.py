"""flask --app plaju sla sweep: tell section heads what is overdue (idempotent, for cron)."""
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
    from .services import sweep
    result = sweep(base_url=base_url)
    click.echo(f"overdue: {result['overdue']}, new notifications: {result['notified']}, "
               f"e-mails sent: {result['mailed']}")


commands = [sla_group]
