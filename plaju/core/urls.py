"""Where a redirect may go: only paths on this site."""
from urllib.parse import urlsplit


def is_local_url(target: str | None) -> bool:
    """True for a path on this site ("/documents/3?x=1"); false for anything a browser could read as
    another host: "//evil", "/\\evil", or control characters such as a tab that servers strip."""
    if not target or not target.startswith("/") or "\\" in target:
        return False
    if any(ord(ch) < 0x21 or ord(ch) == 0x7f for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
