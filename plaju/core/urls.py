"""Where a redirect may go: only paths on this site; the address citizens reach a path at."""
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from werkzeug.routing import IntegerConverter


def is_local_url(target: str | None) -> bool:
    """True for a path on this site ("/documents/3?x=1"); false for anything a browser could read as
    another host: "//evil", "/\\evil", or control characters such as a tab that servers strip."""
    if not target or not target.startswith("/") or "\\" in target:
        return False
    if any(ord(ch) < 0x21 or ord(ch) == 0x7f for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def public_url(path: str) -> str:
    """`path` at the address citizens use (PLAJU_PUBLIC_URL): a receipt printed at the intranet's address
    would send them to a host they cannot reach. Without it (a demo), the address this request came to."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base:
        base = request.url_root.rstrip("/") if has_request_context() else "http://127.0.0.1:5000"
    return base + path


# the largest id both databases store in an INTEGER column; larger numbers in a URL are "not found"
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes: an id too large for the database gives 404, never a crash."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def int_arg(name: str, default: int | None = None) -> int | None:
    """A whole-number query argument within 0..MAX_ID, else `default` (bad input is ignored, not fatal)."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else default


def path_by_id(endpoint: str, name: str, **fixed):
    """A function id -> local_path(endpoint, **fixed, **{name: id}) for lists that link every row: the
    route is built once per application and script root, then only the id changes."""
    def path(entity_id: int) -> str:
        from flask import current_app, has_request_context, url_for
        if not has_request_context():
            return local_path(endpoint, **fixed, **{name: entity_id})
        patterns = current_app.extensions.setdefault("paths_by_id", {})
        key = (endpoint, name, tuple(sorted(fixed.items())), request.script_root)
        pattern = patterns.get(key)
        if pattern is None:
            pattern = patterns[key] = tuple(url_for(endpoint, **fixed, **{name: MAX_ID}).split(str(MAX_ID)))
        if len(pattern) != 2:  # the marker id is not one segment of this route: build it the usual way
            return url_for(endpoint, **fixed, **{name: entity_id})
        return f"{pattern[0]}{int(entity_id)}{pattern[1]}"
    return path


def fixed_path(endpoint: str, **values) -> str:
    """url_for() of a link every page repeats (navigation, assets), built once per application and
    script root."""
    from flask import current_app, url_for
    paths = current_app.extensions.setdefault("fixed_paths", {})
    key = (endpoint, tuple(sorted(values.items())), request.script_root)
    path = paths.get(key)
    if path is None:
        path = paths[key] = url_for(endpoint, **values)
    return path


def local_path(endpoint: str, **values) -> str:
    """The local path of an endpoint, also outside a request (CLI, signal receivers, demo data)."""
    from flask import current_app, has_request_context, url_for
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)
