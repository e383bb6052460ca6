"""The review web app (Starlette + Jinja2): one page of prospect cards, a small JSON API behind it.

Safe by construction:
  - every scraped string goes through Jinja2's autoescaping (or `textContent` in the script);
    links are only ever http(s) or mailto to a well-formed address;
  - a Content-Security-Policy allows scripts, styles and images from this server only: no
    inline script, no inline handler, no `eval`, nothing from elsewhere;
  - the page opens only with the access key printed by `discover review` (so another user of
    the machine cannot read the queue); the key buys a session cookie (HttpOnly, SameSite=Strict);
  - every state-changing request is a JSON POST carrying the session's CSRF token in a header,
    which a page on another site can neither read nor send;
  - the Host header must name this server, so a DNS-rebinding page cannot reach it either.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from discover.errors import DiscoverError
from discover.outreach.ledger import RejectReason
from discover.records import GEO_TIERS, PROSPECT_TYPES
from discover.review.queue import STATUS_FILTERS, Filters, ReviewItem, load_queue, niches
from discover.rank.score import CUTOFF

if TYPE_CHECKING:
    from discover.store import Store

SESSION_COOKIE = "discover_review"
CSRF_HEADER = "x-csrf-token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
MAX_BODY = 4096


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI: no buffering of bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)


@dataclass
class Session:
    csrf: str
    undo: list[dict[str, Any]] = field(default_factory=list)   # review ids this session wrote, newest last


@dataclass
class ReviewState:
    store: "Store"
    niche: str = ""
    cutoff: float = CUTOFF
    access_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    sessions: dict[str, Session] = field(default_factory=dict)
    cards: dict[str, ReviewItem] = field(default_factory=dict)   # key → the card last shown


def safe_url(url: Any) -> str:
    """An http(s) URL for an href, or "" (never javascript:, data:, ...)."""
    text = str(url or "").strip()
    try:
        ok = urlsplit(text).scheme in ("http", "https") and not any(ch.isspace() or ord(ch) < 32 for ch in text)
    except ValueError:
        ok = False
    return text if ok else ""


def safe_email(value: Any) -> str:
    text = str(value or "").strip()
    return text if _EMAIL.match(text) else ""


def _templates() -> Any:
    import jinja2
    from starlette.templating import Jinja2Templates

    env = jinja2.Environment(loader=jinja2.PackageLoader("discover.review", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["safe_url"] = safe_url
    env.filters["safe_email"] = safe_email
    return Jinja2Templates(env=env)


def _session(state: ReviewState, request: Request) -> Session | None:
    sid = request.cookies.get(SESSION_COOKIE, "")
    return state.sessions.get(sid) if sid else None


def _forbidden(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=403)


async def _json_body(request: Request, state: ReviewState) -> tuple[Session, dict[str, Any]] | Response:
    """The session and JSON body of a state-changing request, or the refusal."""
    session = _session(state, request)
    if session is None:
        return _forbidden("no review session: open the address printed by `discover review`")
    token = request.headers.get(CSRF_HEADER, "")
    if not token or not hmac.compare_digest(token.encode(), session.csrf.encode()):
        return _forbidden("missing or wrong CSRF token")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return _forbidden("cross-origin request")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return JSONResponse({"error": "expected application/json"}, status_code=415)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return JSONResponse({"error": "request too large"}, status_code=413)
    import json

    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return JSONResponse({"error": "not JSON"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "expected a JSON object"}, status_code=400)
    return session, body


def _card_state(state: ReviewState, item: ReviewItem) -> dict[str, Any]:
    """What the page shows of a card after a change: its status, rejection reason and type."""
    from discover.outreach.ledger import entries
    from discover.outreach.policy import Policy
    from discover.urls import FOR_STORE, url_key

    policy = Policy.load(state.store)
    p = item.prospect
    status = str(policy.status(p) or "")
    corrected = policy.ledger.types.get(url_key(p.url, FOR_STORE), "")
    entry = entries(state.store).get(p.domain)
    return {"key": item.key, "status": status,
            "reason": entry.note if entry is not None and status == "rejected" else "",
            "type": str(corrected or item.model_type), "corrected": bool(corrected)}


def create_app(store: "Store", *, niche: str = "", cutoff: float = CUTOFF, allowed_hosts: list[str] | None = None,
               access_key: str | None = None) -> Starlette:
    """The review app over `store`; `access_key` is the secret of the printed URL (random by default)."""
    state = ReviewState(store=store, niche=niche, cutoff=cutoff)
    if access_key:
        state.access_key = access_key
    templates = _templates()

    async def index(request: Request) -> Response:
        session = _session(state, request)
        if session is None:
            key = request.query_params.get("key", "")
            if key and hmac.compare_digest(key.encode(), state.access_key.encode()):
                sid = secrets.token_urlsafe(32)
                state.sessions[sid] = Session(csrf=secrets.token_urlsafe(32))
                params = [(k, v) for k, v in request.query_params.multi_items() if k != "key"]
                from urllib.parse import urlencode

                resp = RedirectResponse("/" + (f"?{urlencode(params)}" if params else ""), status_code=303)
                resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
                return resp
            return HTMLResponse("<!doctype html><title>discover review</title><p>Open the address printed by "
                                "<code>discover review</code> (it carries the access key).</p>", status_code=403)
        known = niches(state.store)
        filters = Filters.from_query(request.query_params, default_niche=state.niche)
        if filters.niche and filters.niche not in known:
            filters = Filters(status=filters.status)
        try:
            items = load_queue(state.store, filters, cutoff=state.cutoff)
        except DiscoverError as exc:
            import html

            return HTMLResponse(f"error: {html.escape(str(exc))}", status_code=400)
        state.cards.update({i.key: i for i in items})
        context = {
            "items": items, "filters": filters, "niches": known, "types": PROSPECT_TYPES, "tiers": GEO_TIERS,
            "statuses": STATUS_FILTERS, "reasons": [r.value for r in RejectReason], "csrf": session.csrf,
            "cutoff": state.cutoff, "decided": sum(1 for i in items if i.status in ("approved", "rejected")),
        }
        return templates.TemplateResponse(request, "review.html", context)

    async def _change(request: Request, kind: str, write: Callable[[Any, dict[str, Any]], int]) -> Response:
        """A state-changing request about one card: checked (token, body, card), written by
        `write(card, body)` -> the ledger row id, remembered for undo, answered with the card."""
        got = await _json_body(request, state)
        if isinstance(got, Response):
            return got
        session, body = got
        item = state.cards.get(str(body.get("key", "")))
        if item is None:
            return JSONResponse({"error": "unknown card; reload the page"}, status_code=404)
        try:
            rid = write(item, body)
        except DiscoverError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        session.undo.append({"kind": kind, "id": rid, "key": item.key})
        return JSONResponse({**_card_state(state, item), "undo": len(session.undo)})

    async def decide(request: Request) -> Response:
        from discover.outreach.ledger import decide as record

        return await _change(request, "decision", lambda item, body: record(
            state.store, item.prospect.domain, str(body.get("decision", "")), reason=str(body.get("reason", ""))))

    async def retype(request: Request) -> Response:
        from discover.outreach.ledger import correct_type

        return await _change(request, "label", lambda item, body: correct_type(
            state.store, item.prospect.url, str(body.get("type", "")), was=item.model_type, niche=item.prospect.niche))

    async def undo(request: Request) -> Response:
        from discover.outreach.ledger import undo as take_back

        got = await _json_body(request, state)
        if isinstance(got, Response):
            return got
        session, body = got
        if not session.undo:
            return JSONResponse({"nothing": True, "undo": 0})
        last = session.undo.pop()
        take_back(state.store, last["kind"], last["id"])
        item = state.cards[last["key"]]
        return JSONResponse({**_card_state(state, item), "undo": len(session.undo)})

    async def shot(request: Request) -> Response:
        if _session(state, request) is None:
            return _forbidden("no review session")
        item = state.cards.get(request.path_params["key"])
        found = state.store.get_screenshot(item.page_url or item.prospect.url) if item is not None else None
        if not found:
            return Response(status_code=404)
        image, media_type = found
        # only image types we wrote ourselves; nosniff (SecurityHeaders) stops any other reading
        return Response(image, media_type=media_type if media_type in ("image/jpeg", "image/png") else "image/jpeg")

    routes = [
        Route("/", index),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/retype", retype, methods=["POST"]),
        Route("/api/undo", undo, methods=["POST"]),
        Route("/shot/{key}", shot),
        Mount("/static", app=StaticFiles(packages=[("discover.review", "static")]), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders),
                  Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or ["127.0.0.1", "localhost", "::1"])]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.review = state
    return app
