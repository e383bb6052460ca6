"""Upstream proxies the user routes traffic through: `--proxy URL` (repeatable, setting `proxy`)
or, when none is given, the standard `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` variables (either
case). Both the HTTP client (discover.runtime) and the browser's egress proxy
(discover.egress_proxy) ask this one object which proxy a URL goes through.

    proxies = Proxies.from_settings(settings)        # empty inside an offline world
    proxies.for_target("https", "example.com")       # "http://10.0.0.9:3128" or None (direct)

Rotation: with several proxies, each target host gets one of them, chosen by a stable hash of
the host name, so a host (and so a search engine, which is one host) always sees the same
proxy address within and across runs, and different hosts spread over the proxies.

The egress policy still applies: the target host is resolved locally as a pre-check (a name
that resolves to an internal address is refused); the proxy does its own DNS, so a name this
machine cannot resolve is left to the proxy. The proxy's own address is the user's choice and
is never checked (a proxy on localhost is normal).
"""

from __future__ import annotations

import base64
import ipaddress
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from discover.errors import ConfigError
from discover.urls import redact_url

_SCHEMES = ("http", "https")


def parse_proxy_list(text: str) -> list[str]:
    """`"http://a:3128, http://b:3128"` → URLs; ConfigError names a bad entry."""
    out = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        check_proxy_url(item, "proxy")
        out.append(item)
    return out


def check_proxy_url(url: str, source: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port   # raises on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise ConfigError(f"{source}: {redact_url(url)!r} is not an http:// proxy URL",
                          hint="e.g. --proxy http://127.0.0.1:3128 or http://user:pass@proxy.example:8080")


@dataclass(frozen=True)
class Upstream:
    """One proxy to connect to: its address and, when its URL carries them, the credentials."""

    url: str
    host: str
    port: int
    authorization: str = ""   # the value of a Proxy-Authorization header, or ""

    @classmethod
    def parse(cls, url: str) -> "Upstream":
        parts = urlsplit(url)
        auth = ""
        if parts.username is not None:
            raw = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            auth = "Basic " + base64.b64encode(raw).decode()
        return cls(url=url, host=parts.hostname or "", port=parts.port or 80, authorization=auth)


@dataclass(frozen=True)
class Proxies:
    """Which upstream proxy (if any) each target goes through."""

    #: From --proxy / the `proxy` setting: used for http and https alike, rotated per host.
    explicit: tuple[str, ...] = ()
    #: From the environment: scheme → proxy URL (only when `explicit` is empty).
    by_scheme: tuple[tuple[str, str], ...] = ()
    #: NO_PROXY as given (comma-separated hosts, domains, `*`).
    no_proxy: str = ""

    @classmethod
    def from_settings(cls, settings: object, env: Mapping[str, str] | None = None) -> "Proxies":
        """The proxies a run uses; none inside an offline world (its traffic is local)."""
        if getattr(settings, "web", ""):
            return cls()
        env = os.environ if env is None else env
        no_proxy = _env(env, "no_proxy")
        explicit = parse_proxy_list(str(getattr(settings, "proxy", "") or ""))
        if explicit:
            return cls(explicit=tuple(explicit), no_proxy=no_proxy)
        by_scheme = []
        for scheme in _SCHEMES:
            value = _env(env, f"{scheme}_proxy")
            if value:
                if "://" not in value:
                    value = "http://" + value   # curl's habit: a bare host:port is an http proxy
                check_proxy_url(value, f"{scheme.upper()}_PROXY")
                by_scheme.append((scheme, value))
        return cls(by_scheme=tuple(by_scheme), no_proxy=no_proxy)

    @property
    def active(self) -> bool:
        return bool(self.explicit or self.by_scheme)

    def all(self) -> list[str]:
        return list(dict.fromkeys(list(self.explicit) + [u for _, u in self.by_scheme]))

    def bypassed(self, host: str) -> bool:
        """NO_PROXY as curl reads it: `*`, host names matching themselves and every name under
        them (a leading dot is optional), IP addresses and CIDR networks; a `:port` is ignored."""
        return no_proxy_match(self.no_proxy, host)

    def for_target(self, scheme: str, host: str) -> str | None:
        """The proxy URL a request for scheme://host goes through, or None (direct)."""
        if not self.active or not host or self.bypassed(host):
            return None
        host = host.strip("[]").lower().rstrip(".")
        if self.explicit:
            return self.explicit[zlib.crc32(host.encode()) % len(self.explicit)]
        scheme = "https" if scheme.lower() in ("https", "wss") else "http"
        return dict(self.by_scheme).get(scheme)


def no_proxy_match(no_proxy: str, host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    for entry in (no_proxy or "").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.startswith("[") and "]" in entry:
            entry = entry[1:entry.index("]")]
        elif entry.count(":") == 1:
            entry = entry.split(":", 1)[0]   # host:port
        if addr is not None:
            try:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip(".").rstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def _env(env: Mapping[str, str], name: str) -> str:
    # Lower case first, as curl and urllib do (upper-case HTTP_PROXY is spoofable under CGI).
    return (env.get(name) or env.get(name.upper()) or "").strip()
