"""One settings object: defaults < config file < DISCOVER_* environment < command-line flags.

The config file is TOML: `$DISCOVER_CONFIG`, else `$XDG_CONFIG_HOME/discover/config.toml`
(`~/.config/discover/config.toml`). Keys are the field names below, flat or grouped in
tables whose keys are joined with `_` (`[weights] relevance = 0.5` sets `weights_relevance`).
Environment variables are `DISCOVER_` + the field name in upper case (`DISCOVER_BROWSER`).
Settings are passed explicitly; there is no module-level global instance.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from discover.errors import ConfigError
from discover.urls import redact_url


#: Where a run's work runs (the `executor` setting).
EXECUTORS = ("local", "celery")


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


SCREENSHOT_MODES = ("auto", "all", "off")


@dataclass(frozen=True)
class Settings:
    # --- environment -------------------------------------------------------------------
    #: Path to a Chromium/Chrome executable; empty = find one (Playwright's own, then /usr/bin/chromium ...).
    browser: str = ""
    #: CDP or Playwright websocket endpoint of a remote browser; several, comma-separated, are a pool
    #: (a browser farm: a dead one is taken out, the others carry on); empty = launch locally.
    browser_endpoint: str = ""
    #: Show the browser window (lets a person solve a captcha).
    headed: bool = False
    #: Web directory (offline world) to run in; empty = the real internet.
    web: str = ""
    #: Where the database, caches and exports live.
    data_dir: str = ""
    #: Database URL or SQLite file path; empty = <data_dir>/discover.sqlite.
    db: str = ""

    # --- execution (docs/scale.md) --------------------------------------------------------
    #: Where the run's work runs: "local" (this process, asyncio) or "celery" (workers, see `broker`).
    executor: str = "local"
    #: Redis URL of the Celery broker (redis://host:6379/0); also holds the fleet's shared politeness.
    broker: str = ""
    #: Tasks one `discover worker` runs at once (threads sharing one event loop and one browser).
    worker_concurrency: int = 16
    #: Seconds before a task a worker took but never acknowledged (killed) goes back to the queue.
    task_visibility_timeout: int = 300
    #: Seconds a worker's claim on a running task outlives its last heartbeat (a killed worker's
    #: task is run by another one after this).
    task_claim_ttl: float = 30.0
    #: Seconds an engine stays blocked for the whole fleet after one worker was blocked by it.
    engine_block_ttl: int = 1800

    # --- search ------------------------------------------------------------------------
    #: Comma-separated engines; empty = `local` inside a web world, else `duckduckgo`.
    engine: str = ""
    #: Result pages to read per query.
    pages: int = 1
    #: SearXNG instance URL for the `searxng` engine.
    searxng_url: str = ""
    #: Seconds to wait between two queries to the same engine (real engines).
    query_delay: float = 2.0
    #: Maximum queries per minute per engine (real engines).
    queries_per_minute: int = 12
    #: Seconds a SERP stays cached (same query + engine is not searched again).
    serp_cache_ttl: int = 7 * 24 * 3600
    #: Maximum queries a run plans per prospect type.
    max_queries_per_type: int = 6

    # --- fetch -------------------------------------------------------------------------
    #: User agent of the static fetcher (robots.txt is read for the `discover` token).
    user_agent: str = "discover-prospects/0.1 (+https://github.com/discover-prospects/discover)"
    #: Seconds before a request times out.
    timeout: float = 10.0
    #: Maximum body size in bytes.
    max_bytes: int = 5_000_000
    #: Concurrent requests in total / per host.
    concurrency: int = 16
    per_host_concurrency: int = 2
    #: Seconds between two requests to the same host.
    per_host_delay: float = 0.0
    #: Maximum redirects followed.
    max_redirects: int = 8
    #: Ignore robots.txt (off by default: be polite).
    ignore_robots: bool = False
    #: Seconds a fetched page stays cached in the store.
    page_cache_ttl: int = 7 * 24 * 3600
    #: Maximum pages fetched in one run.
    max_pages: int = 400
    #: Page thumbnails for `discover review`, kept with the page: `auto` = of the pages the browser
    #: renders anyway (no extra cost), `all` = every HTML page fetched (one more render each), `off`.
    screenshots: str = "auto"
    #: Seconds one page may take in all (redirects, retries, the browser); then it is a timeout.
    page_deadline: float = 60.0
    #: Tries after a transient failure (timeout, connection reset, 5xx) before a page is given up.
    retries: int = 2
    #: Links read from one page (the first N in document order; the rest are counted, not kept).
    max_links: int = 2000
    #: Seconds a `links` or `audit` command may run before it stops and prints what it has (0 = no limit).
    deadline: float = 600.0

    # --- network safety ----------------------------------------------------------------
    #: Let pages lead requests to loopback, private, link-local and other internal addresses
    #: (auditing your own intranet). Off: such links are reported as blocked_internal, not fetched.
    allow_private: bool = False
    #: Internal networks always allowed, comma-separated (e.g. "10.20.0.0/16, 192.168.1.7").
    allow_networks: str = ""
    #: Upstream proxies, comma-separated (`--proxy`, repeatable): http:// URLs, credentials allowed
    #: (http://user:pass@host:3128). Each host, and so each search engine, always goes through the same
    #: one of them. Empty: the HTTP_PROXY / HTTPS_PROXY variables, if set. NO_PROXY hosts go direct either
    #: way; inside a --web world no proxy is used.
    proxy: str = ""

    # --- scoring -----------------------------------------------------------------------
    weights_relevance: float = 0.5
    weights_geo: float = 0.2
    weights_type: float = 0.1
    weights_quality: float = 0.2
    #: Radius in km for the `nearby` geo tier.
    nearby_km: float = 60.0

    # --- outreach ----------------------------------------------------------------------
    #: Days without reply before the one follow-up is due.
    followup_after_days: int = 5
    #: Follow-ups allowed per prospect.
    max_followups: int = 1
    #: Maximum touches in the window below.
    max_touches: int = 3
    touch_window_days: int = 14

    # --- derived -----------------------------------------------------------------------
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else _xdg("XDG_DATA_HOME", ".local/share") / "discover"

    def db_url(self) -> str:
        if not self.db:
            return "sqlite:///" + str(self.data_path() / "discover.sqlite")
        if "://" in self.db:
            return self.db
        return "sqlite:///" + str(Path(self.db).expanduser().resolve())

    def engines(self) -> list[str]:
        if self.engine:
            return [e.strip() for e in self.engine.split(",") if e.strip()]
        return ["local"] if self.web else ["duckduckgo"]

    def replace(self, **changes: Any) -> "Settings":
        return _validated(dataclasses.replace(self, **changes))


def config_path(env: Mapping[str, str] | None = None) -> Path:
    explicit = (os.environ if env is None else env).get("DISCOVER_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config") / "discover" / "config.toml"


_FIELDS = {f.name: f for f in fields(Settings)}


def _coerce(name: str, value: Any, source: str) -> Any:
    kind = type(getattr(Settings(), name))
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:   # bytes the locale could not decode (surrogate escapes)
            raise ConfigError(f"{source}: {name} is not valid UTF-8 text") from None
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if kind is int:
            return int(value)
        if kind is float:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} must be a {'finite number' if kind is float else kind.__name__}, "
                          f"got {value!r}") from None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}".replace("-", "_")
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "_"))
        else:
            out[name] = value
    return out


def _validated(s: Settings) -> Settings:
    for name in ("timeout", "max_bytes", "concurrency", "per_host_concurrency", "pages", "max_pages",
                 "page_deadline", "max_links"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"{name} must be positive, got {getattr(s, name)}")
    for name in ("retries", "deadline"):
        if getattr(s, name) < 0:
            raise ConfigError(f"{name} cannot be negative, got {getattr(s, name)}")
    if s.allow_networks.strip():
        from discover.net import parse_networks

        try:
            parse_networks(s.allow_networks)
        except ValueError as exc:
            raise ConfigError(f"allow_networks: {exc}", hint='e.g. "10.20.0.0/16, 192.168.1.7"') from None
    if s.proxy.strip():
        from discover.proxies import parse_proxy_list

        parse_proxy_list(s.proxy)
    if s.per_host_concurrency > s.concurrency:
        raise ConfigError("per_host_concurrency cannot exceed concurrency")
    if s.engine.strip() and not s.engines():
        raise ConfigError(f"engine {s.engine!r} names no search engine",
                          hint="e.g. --engine duckduckgo,bing (or leave it out for the default)")
    if s.screenshots not in SCREENSHOT_MODES:
        raise ConfigError(f"screenshots must be one of {', '.join(SCREENSHOT_MODES)}, got {s.screenshots!r}")
    weights = (s.weights_relevance, s.weights_geo, s.weights_type, s.weights_quality)
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ConfigError("score weights must be non-negative and not all zero")
    if s.executor not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {s.executor!r}")
    if s.broker and not s.broker.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"broker {redact_url(s.broker)!r} is not a Redis URL",
                          hint="e.g. --broker redis://127.0.0.1:6379/0")
    if s.executor == "celery" and not s.broker:
        raise ConfigError("the celery executor needs a broker", hint="give --broker redis://HOST:PORT/N "
                                                                     "(or set broker in the config file)")
    for name in ("worker_concurrency", "task_visibility_timeout", "task_claim_ttl"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"{name} must be positive, got {getattr(s, name)}")
    return s


def load_settings(overrides: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None,
                  config_file: Path | None = None) -> Settings:
    """Build settings from defaults, the config file, the environment and explicit overrides (flags).

    `None` values in `overrides` mean "flag not given" and are ignored.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or config_path(env)
    named = config_file is None and bool(env.get("DISCOVER_CONFIG"))
    if named and not path.exists():
        # A file the user named that is not there is a mistake, not "no config".
        raise ConfigError(f"config file {path} does not exist",
                          hint="check DISCOVER_CONFIG, or unset it to use ~/.config/discover/config.toml")
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        for name, value in _flatten(data).items():
            if name not in _FIELDS:
                raise ConfigError(f"{path}: unknown setting {name!r}")
            values[name] = _coerce(name, value, str(path))
    for name in _FIELDS:
        key = "DISCOVER_" + name.upper()
        if key in env:
            values[name] = _coerce(name, env[key], key)
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in _FIELDS:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    return _validated(Settings(**values))


def describe(s: Settings) -> dict[str, Any]:
    """Settings as a plain dict (for `discover doctor` / `--json`), passwords in URLs hidden."""
    out = dataclasses.asdict(s)
    if s.proxy:
        from discover.proxies import parse_proxy_list

        # a proxy URL may carry a password
        out["proxy"] = ",".join(redact_url(p) for p in parse_proxy_list(s.proxy))
    out["broker"] = redact_url(s.broker)
    return out

