"""X-Forwarded-For is believed only from the reverse proxies listed in PLAJU_TRUSTED_PROXIES.

Anyone can send the header; taking it from any peer would let a client pick the address that rate
limits and the audit log see. When the direct peer is trusted, the client is the right-most address
of the header that is not itself a trusted proxy.
"""
import ipaddress


def parse(value: str) -> frozenset:
    """'10.0.0.1, 10.0.0.2' -> addresses; raises ValueError naming a bad entry."""
    found = set()
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            found.add(ipaddress.ip_address(item))
        except ValueError:
            raise ValueError(f"PLAJU_TRUSTED_PROXIES: {item!r} is not an IP address") from None
    return frozenset(found)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxies:
    """WSGI middleware; reads the trusted set from the app's config on every request."""

    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def __call__(self, environ, start_response):
        trusted = self.flask_app.config.get("TRUSTED_PROXIES") or frozenset()
        peer = _address(environ.get("REMOTE_ADDR") or "")
        if trusted and peer in trusted:
            environ["plaju.proxy_addr"] = environ.get("REMOTE_ADDR")
            forwarded = [part for part in (environ.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
            for candidate in reversed(forwarded):
                address = _address(candidate)
                if address is None:
                    break  # garbage in the chain: stop believing it and keep the last good address
                environ["REMOTE_ADDR"] = str(address)
                if address not in trusted:
                    break
            proto = (environ.get("HTTP_X_FORWARDED_PROTO") or "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.wsgi_app(environ, start_response)
