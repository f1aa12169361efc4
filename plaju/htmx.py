"""HTMX helpers: a page or one of its blocks, trigger headers, Vary."""
import json

from flask import render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """A real HTMX request that is not boosted and not a history restore gets a fragment."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render_page_or_block(template: str, block: str, **context) -> str:
    if wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)


class Lazy:
    """A template value computed when a template first uses it: a page shows it, the HTMX block answering
    a step (which does not) never pays for it. Iterable, sized and truthy like the list it stands for."""

    def __init__(self, compute):
        self._compute = compute
        self._value = None
        self._done = False

    def _get(self):
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())

    def __bool__(self):
        return bool(self._get())

    def __getitem__(self, key):
        return self._get()[key]


def trigger(response, *events: str, **events_with_detail):
    """Add HX-Trigger events to a response so counters and lists elsewhere refresh themselves."""
    payload = {name: True for name in events}
    payload.update(events_with_detail)
    existing = response.headers.get("HX-Trigger")
    if existing:
        payload = {**json.loads(existing), **payload}
    response.headers["HX-Trigger"] = json.dumps(payload)
    return response


def add_vary(response):
    response.vary.add("HX-Request")
    return response


# The statuses htmx swaps as an answer the user reads (templates/base.html's responseHandling): a refusal
# to put right, not a fault.
REFUSALS = frozenset({400, 403, 409, 413, 422, 429})
# a page also shows a refused sign-in (401) and a POST-only address opened by its URL (405, e.g. /logout)
PAGE_REFUSALS = REFUSALS | {401, 405}
REFUSED_STATUS = "X-Refused-Status"
# lookups whose "nothing has this code" the page itself says (a citizen's typo on /track or /cek): an answer,
# not a missing page, so it is answered like a refusal (`answers_not_found`)
LOOKUPS: set[str] = set()


def answers_not_found(endpoint: str) -> None:
    LOOKUPS.add(endpoint)


def refusal_as_answer(response):
    """A refusal the browser shows (an HTMX answer, or a page) answers 200 and names its status in
    X-Refused-Status: the browser logs every 4xx answer as a console error ("Failed to load resource"),
    though the page shows the refusal where it belongs. Registered first, so it runs after every other hook
    has seen the status; gunicorn's access log prints the header beside the status. A missing page (404,
    but for a lookup's "no such code") and a fault (5xx) keep theirs."""
    if getattr(request, "htmx", None):
        # a form sent after the session ended: 401 with HX-Redirect to the sign-in (htmx follows it on a 200)
        status = response.status_code
        refused = status in REFUSALS or (status == 401 and "HX-Redirect" in response.headers)
    else:
        refused = response.mimetype == "text/html" and (
            response.status_code in PAGE_REFUSALS or (response.status_code == 404 and request.endpoint in LOOKUPS))
    if refused:
        response.headers[REFUSED_STATUS] = str(response.status_code)
        response.status_code = 200
    return response
