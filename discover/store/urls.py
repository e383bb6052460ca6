"""URL identity for dedup: registrable domain (re-exported from discover.domains) and canonical URL."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from discover.domains import registrable_domain

_TRACKING_PREFIXES = ("utm_", "mc_", "_hs")
_TRACKING_KEYS = {"fbclid", "gclid", "msclkid", "ref", "yclid", "igshid", "_ga"}




def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no `www.`, default port, fragment, tracking parameters or trailing slash."""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACKING_KEYS and not k.lower().startswith(_TRACKING_PREFIXES)]
    # http and https of one page are one prospect
    return urlunsplit(("https" if scheme in ("http", "https") else scheme, netloc, path,
                       urlencode(sorted(query)), ""))
