"""URL identity: when are two URLs the same page? One function, `url_key`, with named variants.

Stages need different answers, on purpose:

    FOR_FETCH  the request itself: scheme and host lower-cased, fragment dropped, nothing else
               (fetch redirects, link checking, board crawls, the audit frontier);
    FOR_MERGE  search results: http = https, tracking parameters and trailing slash dropped,
               but `www.` kept (www.example.com and example.com may be different sites);
    FOR_STORE  pages of one prospect: as FOR_MERGE, and `www.` and parameter order ignored;
    FOR_CRAWL  the audit's seen-set: no scheme, no `www.`, query and slashes as written;
    FOR_EVAL   labels.csv: no scheme, no `www.`, and `a/b.html` = `a/b`, `a/index.html` = `a/`
               (docs/web-dir.md serves one page under those names).

Only http(s) URLs are normalised; any other URL ("mail:digest.eml#3", "mailto:...") is its
own identity, whitespace stripped: its fragment may name the item. A URL `urlsplit` cannot
parse raises ValueError; callers that meet page links decide what a malformed link means.

The registrable domain (a *site*) is `discover.domains.registrable_domain`; `bare_host` is
the host without `www.`, for the places that compare hosts rather than sites.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters that only track a click or a campaign and never change the page.
TRACKING_PARAMS = frozenset({
    "gclid", "fbclid", "msclkid", "dclid", "yclid", "igshid", "srsltid", "ref_src", "_ga",
})
#: Parameter-name prefixes of the same kind (utm_source, mc_cid, _hsenc ...).
TRACKING_PREFIXES = ("utm_", "mc_", "_hs")


def is_tracking_param(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


@dataclass(frozen=True)
class UrlIdentity:
    """How much of a URL its identity keeps. Use the presets; `replace()` one for a new need."""

    #: "keep": the scheme is part of the identity; "fold": http and https are one (written https);
    #: "omit": the key has no scheme at all ("host/path?query").
    scheme: Literal["keep", "fold", "omit"] = "keep"
    #: False: the netloc exactly as written, lower-cased (user info and any port kept);
    #: True: the host alone (trailing dot dropped) with its port unless it is 80 or 443.
    canonical_host: bool = True
    strip_www: bool = False
    strip_trailing_slash: bool = False
    drop_tracking: bool = False
    sort_query: bool = False
    #: "a/b.html" = "a/b" and "a/index.html" = "a/" (static web servers, docs/web-dir.md).
    strip_html_suffix: bool = False

    def key(self, url: str) -> str:
        return url_key(url, self)


FOR_FETCH = UrlIdentity(scheme="keep", canonical_host=False)
FOR_MERGE = UrlIdentity(scheme="fold", strip_trailing_slash=True, drop_tracking=True)
FOR_STORE = replace(FOR_MERGE, strip_www=True, sort_query=True)
FOR_CRAWL = UrlIdentity(scheme="omit", strip_www=True)
FOR_EVAL = UrlIdentity(scheme="omit", strip_www=True, strip_trailing_slash=True, strip_html_suffix=True)


def url_key(url: str, how: UrlIdentity = FOR_MERGE) -> str:
    """The identity of `url` under `how` (see the module docstring for the presets)."""
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return text
    netloc = parts.netloc.lower() if not how.canonical_host else _host_port(parts)
    if how.strip_www:
        netloc = netloc.removeprefix("www.")
    path = parts.path or "/"
    if how.strip_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    if how.strip_html_suffix:
        if path.endswith("/index.html"):
            path = path[: -len("index.html")]
            if how.strip_trailing_slash and len(path) > 1:
                path = path.rstrip("/") or "/"
        elif path.endswith(".html"):
            path = path[: -len(".html")] or "/"
    query = parts.query
    if how.drop_tracking or how.sort_query:
        params = parse_qsl(query, keep_blank_values=True)
        if how.drop_tracking:
            params = [(k, v) for k, v in params if not is_tracking_param(k)]
        query = urlencode(sorted(params) if how.sort_query else params)
    if how.scheme == "omit":
        return netloc + ("" if path == "/" else path) + (f"?{query}" if query else "")
    return urlunsplit(("https" if how.scheme == "fold" else scheme, netloc, path, query, ""))


def _host_port(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:   # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:   # "host:abc": keep what was written; no client will fetch it anyway
        return host + ":" + parts.netloc.rsplit(":", 1)[1].lower()
    return host if port in (None, 80, 443) else f"{host}:{port}"


def host_of(url_or_host: str) -> str:
    """The lower-case host of a URL or a bare host ('' for a malformed URL)."""
    text = url_or_host.strip()
    if "//" not in text and text.count(":") > 1:   # a bare IPv6 address
        return text.strip("[]").lower()
    try:
        host = urlsplit(text).hostname if "//" in text else text.split("/")[0].split(":")[0]
    except ValueError:   # a malformed URL on a page ("http://[bad")
        return ""
    return (host or "").lower().strip(".")


def bare_host(url_or_host: str) -> str:
    """The host without a leading `www.`: www.example.com and example.com compare equal."""
    return host_of(url_or_host).removeprefix("www.")


def redact_url(url: str) -> str:
    """The URL with the password of its user part masked: database, broker and proxy URLs in
    messages, `doctor` and logs. One rule, so no path forgets a credential."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.rsplit("@", 1)[-1]   # unreadable: keep only what follows any credentials
    if password is None:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}"))
