"""URL identity for dedup: registrable domain (offline public-suffix list) and canonical URL."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "_hs")
_TRACKING_KEYS = {"fbclid", "gclid", "msclkid", "ref", "yclid", "igshid", "_ga"}


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # Offline only: the snapshot bundled with tldextract, never a download.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registrable_domain(url_or_host: str) -> str:
    """`https://blog.example.co.uk/x` → `example.co.uk`; hosts without a known suffix stay as they are."""
    text = url_or_host.strip().lower()
    host = urlsplit(text).hostname if "://" in text else text.split("/")[0].split(":")[0]
    host = (host or "").strip(".")
    if not host:
        return ""
    ext = _extractor()(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host.removeprefix("www.")


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
