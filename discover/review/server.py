"""Run the review app: bind a socket (loopback unless told otherwise), print the URL, serve."""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import TYPE_CHECKING, Callable

from discover.errors import ServerError

if TYPE_CHECKING:
    from discover.store import Store

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def check_installed() -> None:
    """The web stack is an optional extra: say how to get it instead of failing on an import."""
    missing = []
    for module in ("starlette", "jinja2", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ServerError(f"`discover review` needs {', '.join(missing)}, which are not installed",
                          hint="pip install 'discover-prospects[review]'")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          hint="choose another --port (0 picks a free one)") from None
    return sock


def serve(store: "Store", *, host: str = "127.0.0.1", port: int = 0, niche: str = "", open_browser: bool = True,
          say: Callable[[str], None] | None = None) -> None:
    """Serve the review page until Ctrl-C; the URL (with its access key) goes to stderr."""
    check_installed()
    import uvicorn

    from discover.review.app import create_app

    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    loopback = is_loopback(host)
    if not loopback:
        say(f"warning: --host {host} makes the review page reachable from other machines; anyone with the "
            "printed address (it carries the access key) can read the queue and record decisions")
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    # A page from another site that rebinds its DNS name to 127.0.0.1 sends its own Host: refuse it.
    allowed = list(LOOPBACK_NAMES) if loopback else ["*"]
    app = create_app(store, niche=niche, allowed_hosts=allowed)
    shown = "127.0.0.1" if host in ("localhost", "127.0.0.1") else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{actual}/?key={app.state.review.access_key}"
    say(f"review: {url}")
    say("Ctrl-C stops")
    if open_browser:
        import webbrowser

        try:
            webbrowser.open(url)
        except webbrowser.Error:
            say("could not open a browser; open the address above yourself")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
