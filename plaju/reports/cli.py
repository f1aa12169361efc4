"""flask --app plaju reports rebuild: recompute the service dashboard's table from the raw rows."""
import click
from flask.cli import with_appcontext


@click.group("reports")
def reports_group():
    """Figures of the report pages."""


@reports_group.command("rebuild")
@with_appcontext
def rebuild_command():
    """Recompute report_service_fact from the document requests and their audit trail (after an
    upgrade, a restore, or a change of the holiday table)."""
    from .facts import rebuild
    click.echo(f"rows rebuilt: {rebuild()}")


commands = [reports_group]
