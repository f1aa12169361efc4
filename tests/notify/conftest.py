"""The factories of the areas, for notifications about their rows, and a way to act as the engine does
when it reports changed assignments."""
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from plaju.database import utcnow
from plaju.extensions import db as _db
from plaju.workflow.engine import Context, spec_for
from plaju.workflow.signals import assignments_changed
from tests.documents.conftest import doc_types, make_request  # noqa: F401  (fixtures)
from tests.training.conftest import camat_away, enrol, make_course  # noqa: F401  (fixtures)


def step_taken(entity, trigger, actor, assignees, comment=None, commit=True):
    """Move `entity` along `trigger` and send `assignments_changed` in the same transaction, as the
    engine does inside fire(); `trigger=None` is the creation of the row."""
    spec = spec_for(entity)
    step = spec.step_by_trigger[trigger] if trigger else None
    from_state = getattr(entity, spec.state_attr)
    ctx = None
    if step is not None:
        setattr(entity, spec.state_attr, step.dest)
        ctx = Context(actor=actor, acting_for=None, delegation=None, comment=comment, data={}, now=utcnow())
    assignments_changed.send(spec, entity=entity, step=step, from_state=from_state if step else None, ctx=ctx,
                             assignees=list(assignees))
    if commit:
        _db.session.commit()


@pytest.fixture()
def with_emails(db, users):
    for name, user in users.items():
        user.email = f"{name}@plaju.local"
    db.session.commit()
    return users


class GatewayServer:
    """A local HTTP server on 127.0.0.1 standing in for an SMS/WhatsApp gateway: it keeps every request
    (path, headers, raw body) and answers from a queue of (status, body) replies, then with `default`.
    It can be stopped and started again on the same port (an outage)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, bytes]] = []
        self.default = (200, b'{"status": true, "detail": "queued"}')
        self.port = 0
        self.httpd = None
        self.lock = threading.Lock()

    def start(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                            "body": body})
                    status, reply = server.replies.pop(0) if server.replies else server.default
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def forms(self) -> list[dict]:
        return [{k: v[0] for k, v in parse_qs(r["body"].decode()).items()} for r in self.requests]

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture()
def gateway_server():
    server = GatewayServer()
    server.start()
    yield server
    server.stop()


GATEWAY_TOKEN = "token-uji-gateway-123"
CLOUD_TOKEN = "token-uji-cloud-456"
PHONE_NUMBER_ID = "109876543210"


@contextmanager
def _configured(app, **settings):
    old = {k: app.config.get(k) for k in settings}
    app.config.update(settings)
    try:
        yield
    finally:
        app.config.update(old)


@pytest.fixture()
def form_gateway(app, gateway_server):
    """The token-and-form gateway, pointed at the local server."""
    with _configured(app, CITIZEN_GATEWAY="form_gateway", GATEWAY_URL=f"http://127.0.0.1:{gateway_server.port}/send",
                     GATEWAY_TOKEN=GATEWAY_TOKEN, GATEWAY_TOKEN_HEADER="Authorization", GATEWAY_TOKEN_FIELD="",
                     GATEWAY_NUMBER_FIELD="target", GATEWAY_MESSAGE_FIELD="message", GATEWAY_ID_FIELD="",
                     GATEWAY_EXTRA_FIELDS="countryCode=62", GATEWAY_TIMEOUT=5):
        yield gateway_server


@pytest.fixture()
def whatsapp_cloud(app, gateway_server):
    """The WhatsApp Business Cloud API, its base URL pointed at the local server."""
    gateway_server.default = (200, json.dumps({"messaging_product": "whatsapp", "contacts": [{"wa_id": "x"}],
                                               "messages": [{"id": "wamid.uji"}]}).encode())
    with _configured(app, CITIZEN_GATEWAY="whatsapp_cloud",
                     WHATSAPP_BASE_URL=f"http://127.0.0.1:{gateway_server.port}/v21.0",
                     WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_TOKEN=CLOUD_TOKEN,
                     WHATSAPP_TEMPLATE="plaju_status_permohonan", WHATSAPP_LANGUAGE="id", GATEWAY_TIMEOUT=5):
        yield gateway_server
