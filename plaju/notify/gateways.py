"""Phone gateways for messages to citizens, as outbox channels (see outbox.register_channel).

`form_gateway`: the token-and-form HTTP gateways Indonesian offices use for SMS or WhatsApp (a POST
of form fields such as `target` and `message`, the token in a header such as `Authorization` or in a
form field). URL, token, where the token goes and the field names are configuration
(PLAJU_GATEWAY_*). The message id goes along as an `Idempotency-Key` header and, when
PLAJU_GATEWAY_ID_FIELD names one, as a form field, so a gateway can drop a repeat.

`whatsapp_cloud`: the WhatsApp Business Cloud API, `POST {base}/{phone-number-id}/messages` with a
bearer token and a pre-approved template (PLAJU_WHATSAPP_TEMPLATE, PLAJU_WHATSAPP_LANGUAGE) whose
body has three parameters: tracking code, status, date. The message id travels as
`biz_opaque_callback_data` and comes back in the status webhooks.

A reply counts as delivered only when the status is 2xx and, if the body is JSON, it does not say
otherwise (`"status": false`, `"success": false`, an `"error"`); anything else raises SendError or an
OSError and the outbox keeps the message for its next attempt. No error text carries the token.
"""
import json
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode

from . import outbox

_FAILED_STATUS = (False, 0, "0", "false", "False", "error", "failed", "fail")


def _reply_error(raw: bytes) -> str | None:
    """What a 2xx reply's JSON body says went wrong, or None when it reports no error."""
    try:
        data = json.loads(raw.decode("utf-8", "replace") or "null")
    except ValueError:
        return None  # a plain-text "OK" and the like
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    failed = (error not in (None, False, "", {}, []) or data.get("success") is False
              or ("status" in data and data["status"] in _FAILED_STATUS))
    if not failed:
        return None
    detail = data.get("reason") or data.get("message") or data.get("detail") or data.get("text") or error
    if isinstance(detail, dict):
        detail = detail.get("message") or json.dumps(detail)[:200]
    return str(detail or "the gateway reported a failure")[:300]


def _post(url: str, body: bytes, headers: dict, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:  # 4xx/5xx: keep what the gateway said, for the operator
        said = _reply_error(exc.read(65536) or b"") if exc.fp else None
        raise outbox.SendError(f"HTTP {exc.code}" + (f": {said}" if said else "")) from None
    error = _reply_error(raw)
    if error:
        raise outbox.SendError(error)
    return raw


class FormGatewayChannel:
    name = "form_gateway"

    def configured(self, app) -> bool:
        return bool(app.config.get("GATEWAY_URL") and app.config.get("GATEWAY_TOKEN"))

    @contextmanager
    def connect(self, app):
        c = app.config
        extra = parse_qsl(c.get("GATEWAY_EXTRA_FIELDS") or "", keep_blank_values=True)

        def send(message) -> None:
            fields = list(extra) + [(c["GATEWAY_NUMBER_FIELD"], message.address),
                                    (c["GATEWAY_MESSAGE_FIELD"], message.body)]
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                       "Accept": "application/json", "Idempotency-Key": message.message_id}
            if c.get("GATEWAY_ID_FIELD"):
                fields.append((c["GATEWAY_ID_FIELD"], message.message_id))
            if c.get("GATEWAY_TOKEN_FIELD"):
                fields.append((c["GATEWAY_TOKEN_FIELD"], c["GATEWAY_TOKEN"]))
            else:
                headers[c.get("GATEWAY_TOKEN_HEADER") or "Authorization"] = c["GATEWAY_TOKEN"]
            _post(c["GATEWAY_URL"], urlencode(fields).encode("utf-8"), headers, c.get("GATEWAY_TIMEOUT", 10))
        yield send


class WhatsAppCloudChannel:
    name = "whatsapp_cloud"

    def configured(self, app) -> bool:
        return bool(app.config.get("WHATSAPP_TOKEN") and app.config.get("WHATSAPP_PHONE_NUMBER_ID"))

    @staticmethod
    def payload(app, message) -> dict:
        """The Cloud API request for an outbox row whose body is citizen.template_body()."""
        data = json.loads(message.body)
        return {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": message.address,
            "type": "template", "biz_opaque_callback_data": message.message_id,
            "template": {
                "name": app.config["WHATSAPP_TEMPLATE"],
                "language": {"code": app.config["WHATSAPP_LANGUAGE"]},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": str(p)} for p in data["parameters"]]}],
            },
        }

    @contextmanager
    def connect(self, app):
        c = app.config
        url = f"{c['WHATSAPP_BASE_URL'].rstrip('/')}/{c['WHATSAPP_PHONE_NUMBER_ID']}/messages"

        def send(message) -> None:
            try:
                body = json.dumps(self.payload(app, message)).encode("utf-8")
            except (ValueError, KeyError, TypeError) as exc:
                raise outbox.SendError(f"not a template message: {exc}") from None
            raw = _post(url, body, {"Content-Type": "application/json", "Accept": "application/json",
                                    "Authorization": f"Bearer {c['WHATSAPP_TOKEN']}"}, c.get("GATEWAY_TIMEOUT", 10))
            try:
                accepted = json.loads(raw.decode("utf-8", "replace")).get("messages")
            except (ValueError, AttributeError):
                accepted = None
            if not accepted:
                raise outbox.SendError("the Cloud API accepted no message")
        yield send


PHONE_CHANNELS = (FormGatewayChannel.name, WhatsAppCloudChannel.name)

outbox.register_channel(FormGatewayChannel())
outbox.register_channel(WhatsAppCloudChannel())
