"""Notifications in the app, the outbox of outgoing messages, and notifications from assignments."""


def init_app(app) -> None:
    from . import assignments, gateways, outbox  # noqa: F401  (gateways registers the phone channels)
    from .cli import outbox_group
    outbox.init_app(app)
    assignments.connect()
    app.cli.add_command(outbox_group)
