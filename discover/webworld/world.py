"""Load a web directory and answer requests exactly as docs/web-dir.md describes.

`World.respond(host, path)` is the single source of truth for what a host answers; the HTTP
server, the browser's https route and the httpx transport all go through it.
"""

from __future__ import annotations

import mimetypes
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from discover.errors import WebWorldError

_STATUS_TEXT = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 410: "Gone",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}

_EXTRA_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".xml": "application/xml", ".json": "application/json",
    ".css": "text/css", ".js": "application/javascript", ".pdf": "application/pdf",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".svg": "image/svg+xml", ".ico": "image/x-icon", ".eml": "message/rfc822", ".zip": "application/zip",
}


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0
    #: Send the body one byte at a time, this many seconds apart (a dripping server).
    drip_s: float = 0.0
    #: Repeat the body for ever, without a Content-Length (a body that never ends).
    endless: bool = False


def error_body(status: int) -> bytes:
    text = _STATUS_TEXT.get(status, "Error")
    return (f"<!doctype html><html><head><title>{status} {text}</title></head>"
            f"<body><h1>{status} {text}</h1></body></html>").encode()


def content_type_for(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in _EXTRA_TYPES:
        return _EXTRA_TYPES[ext]
    guess, _ = mimetypes.guess_type(path.name)
    return guess or "application/octet-stream"


def normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") or host.count(":") > 1:
        return host
    return host.split(":", 1)[0]


#: A handler for a virtual host (the local search engine): (path, query string) → Response.
HostHandler = Callable[[str, str], Response]


class World:
    """A web directory. Cheap to construct: file contents are read per request."""

    def __init__(self, root: str | Path) -> None:
        root = Path(root).expanduser()
        if not root.exists():
            raise WebWorldError(f"web directory not found: {root}")
        sites = root / "sites"
        if not root.is_dir() or not sites.is_dir():
            raise WebWorldError(f"{root} is not a web directory (no sites/ folder inside)",
                                hint="see docs/web-dir.md for the layout")
        self.root = root.resolve()
        self.sites_dir = sites.resolve()
        self.hosts: set[str] = {p.name.lower() for p in sites.iterdir() if p.is_dir()}
        if not self.hosts:
            raise WebWorldError(f"{root} is not a web directory (sites/ has no host folders)")
        self._routes: dict[str, dict[str, dict]] = {}
        self._hits: dict[tuple[str, str], int] = {}   # requests per flaky route (fail_first)
        self._lock = threading.Lock()
        self.virtual_hosts: dict[str, HostHandler] = {}
        self.meta: dict = {}
        web_toml = root / "web.toml"
        if web_toml.exists():
            try:
                self.meta = tomllib.loads(web_toml.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise WebWorldError(f"{web_toml}: {exc}") from None

    # --- host table --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.root.name)

    def all_hosts(self) -> set[str]:
        return self.hosts | set(self.virtual_hosts)

    def knows(self, host: str) -> bool:
        return normalise_host(host) in self.all_hosts()

    def host_dir(self, host: str) -> Path:
        # Folder names may carry upper case; look up case-insensitively once.
        host = normalise_host(host)
        direct = self.sites_dir / host
        if direct.is_dir():
            return direct
        for p in self.sites_dir.iterdir():
            if p.name.lower() == host:
                return p
        return direct

    def routes(self, host: str) -> dict[str, dict]:
        host = normalise_host(host)
        if host not in self._routes:
            path = self.host_dir(host) / "_routes.toml"
            table: dict[str, dict] = {}
            if path.exists():
                try:
                    table = tomllib.loads(path.read_text(encoding="utf-8"))
                except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                    raise WebWorldError(f"{path}: {exc}") from None
            self._routes[host] = {k: v for k, v in table.items() if isinstance(v, dict)}
        return self._routes[host]

    # --- files -------------------------------------------------------------------------
    def file_for(self, host: str, path: str) -> Path | None:
        """The file that serves `path` on `host`, or None (→ 404)."""
        base = self.host_dir(host).resolve()
        rel = unquote(path.split("?", 1)[0]).lstrip("/")
        candidates: list[Path]
        if rel == "" or rel.endswith("/"):
            candidates = [base / rel / "index.html"]
        else:
            candidates = [base / rel, base / (rel + ".html"), base / rel / "index.html"]
        for cand in candidates:
            try:
                resolved = cand.resolve()
            except (OSError, RuntimeError):
                continue
            # Never serve outside the host folder (../ tricks), nor the routes file itself.
            if base not in resolved.parents and resolved != base:
                continue
            if resolved.name == "_routes.toml":
                continue
            if resolved.is_file():
                return resolved
        return None

    def pages(self, host: str | None = None):
        """Yield (url, file) for every HTML page in the world (or on one host)."""
        hosts = [host] if host else sorted(self.hosts)
        for h in hosts:
            base = self.host_dir(h)
            for f in sorted(base.rglob("*.htm*")):
                rel = f.relative_to(base).as_posix()
                if rel.endswith("index.html"):
                    rel = rel[: -len("index.html")]
                yield f"http://{h}/{rel}", f

    # --- the contract ------------------------------------------------------------------
    def respond(self, host: str, path: str) -> Response | None:
        """The response for GET http://host/path; None when the host does not exist."""
        host = normalise_host(host)
        split = urlsplit(path if path.startswith("/") else "/" + path)
        if host in self.virtual_hosts:
            return self.virtual_hosts[host](split.path, split.query)
        if host not in self.hosts:
            return None
        route_path = split.path or "/"
        routes = self.routes(host)
        route = routes.get(route_path)
        if route is None and split.query:
            route = routes.get(f"{route_path}?{split.query}")
        if route is None and route_path != "/" and route_path.endswith("/"):
            route = routes.get(route_path.rstrip("/"))
        if route is None:
            return self._file_response(host, route_path)
        return self._route_response(host, route_path, route)

    def _file_response(self, host: str, path: str, status: int = 200) -> Response:
        file = self.file_for(host, path)
        if file is None:
            return Response(404, {"Content-Type": "text/html; charset=utf-8"}, error_body(404))
        return Response(status, {"Content-Type": content_type_for(file)}, file.read_bytes())

    def _route_response(self, host: str, path: str, route: dict) -> Response:
        failing = int(route.get("fail_first", 0))
        if failing > 0:
            # A flaky server: the first N requests for this path fail with a 503, then it recovers.
            with self._lock:
                seen = self._hits.get((host, path), 0)
                self._hits[(host, path)] = seen + 1
            if seen < failing:
                return Response(503, {"Content-Type": "text/html; charset=utf-8"}, error_body(503))
        status = int(route.get("status", 200))
        delay = float(route.get("delay_ms", 0)) / 1000.0
        headers: dict[str, str] = {str(k): str(v) for k, v in (route.get("headers") or {}).items()}
        body = b""
        ctype = ""
        if 300 <= status < 400 and "location" in route:
            headers["Location"] = str(route["location"])
        elif "file" in route:
            f = (self.host_dir(host) / str(route["file"])).resolve()
            if not f.is_file() or self.host_dir(host).resolve() not in f.parents:
                raise WebWorldError(f"{host}{path}: route file {route['file']!r} not found")
            body = f.read_bytes()
            ctype = content_type_for(f)
        elif status == 200 or (200 <= status < 300):
            file = self.file_for(host, path)
            if file is None:
                # A route that adds only headers/delay to a path with no file is still a 404.
                status, body, ctype = 404, error_body(404), "text/html; charset=utf-8"
            else:
                body, ctype = file.read_bytes(), content_type_for(file)
        elif status >= 400:
            body, ctype = error_body(status), "text/html; charset=utf-8"
        if "content_type" in route:
            ctype = str(route["content_type"])
        if ctype and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = ctype
        endless = bool(route.get("endless", False))
        if endless and not body:
            body = b"<p>" + b"and on " * 1000 + b"</p>\n"
        return Response(status, headers, body, delay, drip_s=float(route.get("drip_ms", 0)) / 1000.0,
                        endless=endless)


def wait(resp: Response) -> None:
    if resp.delay_s > 0:
        time.sleep(resp.delay_s)
