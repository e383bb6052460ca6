"""Run planned queries through a real browser on one or more search engines.

    for each engine (concurrently; queries on one engine in order, politely spaced):
        translate the query for the engine ──► SERP cache? ──► goto search_url(query, page, region)
        ──► click consent buttons ──► detect a block page ──► parse ──► next page … up to `pages`
        ──► QueryOutcome: ok | no_results | blocked | operator_ignored | error (with a reason)

A block (captcha, "unusual traffic", HTTP 429) is retried after an exponential back-off with
jitter, honouring Retry-After; if the engine still blocks it is skipped for the rest of the run
(every remaining query on it is recorded as blocked with the reason), and with
`failover=True` those queries move to the next engine instead. With `settings.headed` a person
can solve the captcha in the window: the runner waits up to `captcha_wait` seconds for the
result page. A block is never recorded as "no results".
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from discover.politeness import LocalPoliteness
from discover.records import Query, QueryOutcome, SearchOutcome, SerpResult
from discover.search.cache import SerpCache
from discover.search.engines import canonical_name, get_engine, translate
from discover.search.query import Field, host_matches, parse_query, stem, tokens

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

    from discover.runtime import Runtime

log = logging.getLogger(__name__)

__all__ = ["search_all", "check_operators", "parse_retry_after", "backoff_delay"]

#: Engines answered in-process by the offline world: no politeness delay needed.
UNTHROTTLED = frozenset({"local"})

NAV_TIMEOUT_MS = 30_000


class _Blocked(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Exponential back-off with full jitter (attempt 0, 1, 2 …); Retry-After, when given, is the floor."""
    rng = rng or random.Random()
    delay = min(cap, base * (2 ** attempt))
    delay = delay / 2 + rng.uniform(0, delay / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# ── operator check ───────────────────────────────────────────────────────────────────────

def _violates(result: SerpResult, fields: list[Field]) -> bool:
    url = result.url.lower()
    host = (urlsplit(result.url).hostname or "").lower()
    title_stems = {stem(w) for w in tokens(result.title)}
    for f in fields:
        if f.op == "inurl" and f.value not in url:
            return True
        if f.op == "site":
            value = f.value.split("://", 1)[-1]
            h, _, path = value.partition("/")
            if not host_matches(host, h) or (path and path.lower() not in url):
                return True
        if f.op == "intitle" and not all(stem(w) in title_stems for w in f.value.split()):
            return True
    return False


def check_operators(query_text: str, results: list[SerpResult]) -> tuple[bool, str]:
    """(honoured, reason): False when most results break an inurl:/site:/intitle: constraint."""
    tree = parse_query(query_text)
    fields = [n for n in tree.nodes if isinstance(n, Field) and n.op in ("inurl", "site", "intitle")]
    if not fields or not results:
        return True, ""
    bad = sum(1 for r in results if _violates(r, fields))
    if bad * 2 > len(results):
        ops = ", ".join(sorted({f"{f.op}:{f.value}" for f in fields}))
        return False, f"{bad} of {len(results)} results do not satisfy {ops}"
    return True, ""


def _block_spec(module: Any) -> Any:
    """The engine's own block markers, if it declares any (the generic ones always apply)."""
    spec = getattr(module, "SPEC", None)
    return getattr(spec, "block", None)


# ── per-engine state ─────────────────────────────────────────────────────────────────────

#: Browser network errors that mean "this machine cannot reach the engine at all" (offline,
#: DNS down, a dead proxy), as opposed to one slow or broken result page.
_UNREACHABLE = re.compile(r"ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED|NAME_RESOLUTION_FAILED|ADDRESS_UNREACHABLE|"
                          r"CONNECTION_REFUSED|CONNECTION_FAILED|CONNECTION_TIMED_OUT|PROXY_CONNECTION_FAILED|"
                          r"TUNNEL_CONNECTION_FAILED|NETWORK_CHANGED|NETWORK_ACCESS_DENIED)")
#: Network failures, before any answer, after which an engine is given up on for the run: an
#: offline machine then fails in seconds with the reason instead of trying every query.
UNREACHABLE_AFTER = 2


@dataclasses.dataclass
class _Engine:
    name: str
    module: Any
    context: "BrowserContext | None" = None
    page: "Page | None" = None
    blocked: str = ""                      # reason once the engine is given up on
    unreachable: str = ""                  # reason once the engine's host cannot be reached at all
    answered: int = 0                      # queries that got any answer from the engine
    network_errors: int = 0                # failures to reach the engine before any answer
    last_query: float = 0.0
    recent: deque = dataclasses.field(default_factory=deque)


class _Runner:
    def __init__(self, runtime: "Runtime", *, pages: int, cache: SerpCache | None, region: dict | None,
                 on_progress: Callable[[QueryOutcome], None] | None, max_retries: int,
                 backoff_base: float, max_backoff: float, captcha_wait: float) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.pages = max(1, pages)
        self.cache = cache
        self.region = region or {}
        self.on_progress = on_progress
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.captcha_wait = captcha_wait
        self.rng = random.Random()
        # Shared with the other workers of a fleet (Redis) or this process only (discover.politeness).
        self.politeness = getattr(runtime, "politeness", None) or LocalPoliteness()

    # --- browser -----------------------------------------------------------------------
    async def page_for(self, eng: _Engine) -> "Page":
        if eng.page is None or eng.page.is_closed():
            if eng.context is None:
                browser = await self.runtime.browser()
                kwargs: dict[str, Any] = {}
                if self.region.get("country") and self.region.get("language"):
                    kwargs["locale"] = f"{self.region['language']}-{self.region['country'].upper()}"
                eng.context = await browser.new_context(**kwargs)
            from discover.budgets import bounded

            eng.page = await bounded(eng.context.new_page(), 30, "opening a tab")
        return eng.page

    async def close(self, engines: Sequence[_Engine]) -> None:
        for eng in engines:
            if eng.context is not None:
                from discover.budgets import close_quietly

                await close_quietly(eng.context, 10.0)   # the browser may already be gone at shutdown
                eng.context = eng.page = None

    # --- politeness --------------------------------------------------------------------
    async def wait_turn(self, eng: _Engine) -> None:
        if eng.name in UNTHROTTLED:
            return
        gap = self.settings.query_delay * (1 + self.rng.uniform(0, 0.3))
        if self.politeness.shared:
            # The budget is the fleet's: every worker's queries on this engine count against it.
            await self.politeness.engine_turn(eng.name, gap, self.settings.queries_per_minute)
            return
        now = time.monotonic()
        wait = eng.last_query + gap - now if eng.last_query else 0.0
        qpm = self.settings.queries_per_minute
        if qpm > 0:
            while eng.recent and now - eng.recent[0] > 60:
                eng.recent.popleft()
            if len(eng.recent) >= qpm:
                wait = max(wait, 60 - (now - eng.recent[0]))
        if wait > 0:
            await asyncio.sleep(wait)
        eng.last_query = time.monotonic()
        eng.recent.append(eng.last_query)

    # --- one result page ---------------------------------------------------------------
    async def load(self, eng: _Engine, text: str, page_no: int, url: str) -> Any:
        """Navigate and parse one result page; raise _Blocked on a block page."""
        from discover.search.blocked import detect_block

        from discover.budgets import bounded

        page = await self.page_for(eng)
        await self.wait_turn(eng)
        # Every call bounded: a result page whose scripts never yield must not hang the run.
        budget = NAV_TIMEOUT_MS / 1000
        response = await bounded(page.goto(url, wait_until="domcontentloaded", timeout=NAV_TIMEOUT_MS),
                                 budget + 5, "loading the result page")
        status = response.status if response is not None else None
        headers = await bounded(response.all_headers(), budget, "reading headers") if response is not None else {}
        await bounded(self.dismiss_consent(eng, page), budget, "dismissing a consent dialog")
        html = await bounded(page.content(), budget, "reading the result page")
        # The block check comes first and needs no parser: a challenge is never "0 results".
        reason = detect_block(html, page.url, status, _block_spec(eng.module), text) or ""
        parsed = None
        if not reason:
            parsed = eng.module.parse(html, query=text, page=page_no, base_url=page.url)
            if parsed.kind == "blocked":
                reason = parsed.reason or "blocked"
        if reason:
            if self.settings.headed:
                parsed = await self.wait_for_person(eng, page, text, page_no)
                if parsed is not None:
                    return parsed
            raise _Blocked(reason, parse_retry_after(headers.get("retry-after")))
        return parsed

    async def dismiss_consent(self, eng: _Engine, page: "Page") -> None:
        for selector in getattr(eng.module, "CONSENT_SELECTORS", ()):
            try:
                button = page.locator(selector).first
                if await button.count() and await button.is_visible():
                    await button.click(timeout=2000)
                    await page.wait_for_load_state("domcontentloaded", timeout=10_000)
                    return
            except Exception as exc:  # a stale consent button is not a failed search
                log.debug("consent click %s on %s failed: %s", selector, eng.name, exc)

    async def wait_for_person(self, eng: _Engine, page: "Page", text: str, page_no: int) -> Any | None:
        """Headed mode: poll until a person has solved the captcha (results appear) or time runs out."""
        from discover.search.blocked import detect_block

        log.warning("%s shows a captcha: solve it in the browser window (waiting up to %.0f s)",
                    eng.name, self.captcha_wait)
        deadline = time.monotonic() + self.captcha_wait
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            try:
                html = await asyncio.wait_for(page.content(), 10)
            except Exception:  # navigation in progress while the person submits the form
                continue
            if detect_block(html, page.url, None, _block_spec(eng.module), text):
                continue
            parsed = eng.module.parse(html, query=text, page=page_no, base_url=page.url)
            if parsed.kind != "blocked":
                return parsed
        return None

    # --- one query on one engine -------------------------------------------------------
    async def run_query(self, eng: _Engine, query: Query) -> QueryOutcome:
        started = time.monotonic()
        text, notes = translate(query.text, eng.name)
        q = dataclasses.replace(query, text=text, notes=tuple(dict.fromkeys(query.notes + notes)))
        out = QueryOutcome(query=q, engine=eng.name, outcome=SearchOutcome.OK)
        results: list[SerpResult] = []
        all_cached = True
        no_results_reason = ""
        try:
            for page_no in range(1, self.pages + 1):
                cached = self.cache.get(eng.name, text, page_no) if self.cache is not None else None
                if cached is not None:
                    page_results, has_next = cached, len(cached) > 0
                    if not cached:
                        no_results_reason = "no results (cached)"
                else:
                    all_cached = False
                    parsed = await self.load_with_backoff(eng, text, page_no)
                    if parsed.kind == "no_results":
                        page_results = []
                        no_results_reason = parsed.reason
                    else:
                        page_results = parsed.results
                        if not page_results:
                            no_results_reason = parsed.reason or "no results"
                    has_next = parsed.next_page_url is not None
                    if self.cache is not None:
                        self.cache.put(eng.name, text, page_no, page_results)
                out.pages_read += 1
                for r in page_results:
                    results.append(dataclasses.replace(r, rank=len(results) + 1, engine=eng.name,
                                                       query=text, page=page_no))
                if not page_results or not has_next:
                    break
        except _Blocked as exc:
            out.outcome, out.reason = SearchOutcome.BLOCKED, f"{eng.name}: {exc.reason}"
            out.results = results
            out.elapsed_s = time.monotonic() - started
            eng.blocked = exc.reason
            await self.politeness.block_engine(eng.name, exc.reason)
            return out
        except Exception as exc:  # navigation errors, timeouts, a crashed page: recorded, never swallowed
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            out.outcome, out.reason = SearchOutcome.ERROR, f"{eng.name}: {first[:300]}"
            net = _UNREACHABLE.search(first)
            if net and not eng.answered:
                eng.network_errors += 1
                if eng.network_errors >= UNREACHABLE_AFTER:
                    eng.unreachable = f"cannot reach {eng.name} ({net.group(0)})"
            out.results = results
            out.elapsed_s = time.monotonic() - started
            if eng.page is not None and "Target" in first:
                eng.page = None
            from discover.budgets import Stalled as BrowserStalled, close_quietly

            if isinstance(exc, BrowserStalled):   # a hung tab: its context goes, the next query gets a new one
                await close_quietly(eng.context, 10.0)
                eng.context = eng.page = None
            return out
        eng.answered += 1
        out.results = results
        out.cached = all_cached and out.pages_read > 0
        if not results:
            out.outcome, out.reason = SearchOutcome.NO_RESULTS, no_results_reason or "no results"
        else:
            honoured, why = check_operators(text, results)
            if not honoured:
                out.outcome, out.reason = SearchOutcome.OPERATOR_IGNORED, why
        out.elapsed_s = time.monotonic() - started
        return out

    async def load_with_backoff(self, eng: _Engine, text: str, page_no: int) -> Any:
        url = eng.module.search_url(text, page_no, self.region)
        attempt = 0
        while True:
            try:
                return await self.load(eng, text, page_no, url)
            except _Blocked as exc:
                if attempt >= self.max_retries:
                    raise
                if exc.retry_after is not None and exc.retry_after > self.max_backoff:
                    raise _Blocked(f"{exc.reason} (Retry-After {exc.retry_after:.0f} s exceeds the "
                                   f"{self.max_backoff:.0f} s back-off cap)") from None
                delay = backoff_delay(attempt, self.backoff_base, self.max_backoff, exc.retry_after, self.rng)
                log.info("%s blocked (%s); backing off %.1f s", eng.name, exc.reason, delay)
                await self.politeness.engine_backoff(eng.name, delay)   # the others wait too
                await asyncio.sleep(delay)
                attempt += 1

    def skipped(self, eng: _Engine, query: Query) -> QueryOutcome:
        text, notes = translate(query.text, eng.name)
        q = dataclasses.replace(query, text=text, notes=tuple(dict.fromkeys(query.notes + notes)))
        if eng.unreachable and not eng.blocked:
            return QueryOutcome(query=q, engine=eng.name, outcome=SearchOutcome.ERROR,
                                reason=f"{eng.name}: skipped: {eng.unreachable}")
        return QueryOutcome(query=q, engine=eng.name, outcome=SearchOutcome.BLOCKED,
                            reason=f"{eng.name}: skipped for the rest of the run after a block ({eng.blocked})")

    async def still_open(self, eng: _Engine) -> bool:
        """False once the engine blocked us (here or, with shared politeness, on another worker)
        or could not be reached."""
        if eng.unreachable:
            return False
        if not eng.blocked:
            eng.blocked = await self.politeness.engine_blocked(eng.name)
        return not eng.blocked

    def report(self, outcome: QueryOutcome) -> None:
        if self.on_progress is not None:
            self.on_progress(outcome)


async def search_all(runtime: "Runtime", queries: list[Query], engines: list[str], *, pages: int = 1,
                     cache: SerpCache | None = None, region: dict | None = None,
                     on_progress: Callable[[QueryOutcome], None] | None = None, failover: bool = False,
                     max_retries: int = 2, backoff_base: float = 2.0, max_backoff: float = 120.0,
                     captcha_wait: float = 180.0) -> list[QueryOutcome]:
    """Run every query on every engine (engines in parallel, each engine's queries in order)
    and return one QueryOutcome per (query, engine), in query order then engine order.

    With `failover=True` each query runs on the first engine that is not blocked; when an
    engine blocks, that query and the remaining ones move to the next engine in `engines`.
    """
    names = list(dict.fromkeys(canonical_name(e) for e in engines)) or ["local"]
    states = [_Engine(name=n, module=get_engine(n)) for n in names]
    runner = _Runner(runtime, pages=pages, cache=cache, region=region, on_progress=on_progress,
                     max_retries=max_retries, backoff_base=backoff_base, max_backoff=max_backoff,
                     captcha_wait=captcha_wait)
    try:
        if failover:
            return await _failover(runner, states, queries)
        per_engine = await asyncio.gather(*(_one_engine(runner, eng, queries) for eng in states))
    finally:
        await runner.close(states)
    outcomes: list[QueryOutcome] = []
    for i in range(len(queries)):
        for rows in per_engine:
            outcomes.append(rows[i])
    return outcomes


async def _one_engine(runner: _Runner, eng: _Engine, queries: list[Query]) -> list[QueryOutcome]:
    rows: list[QueryOutcome] = []
    for q in queries:
        oc = await runner.run_query(eng, q) if await runner.still_open(eng) else runner.skipped(eng, q)
        rows.append(oc)
        runner.report(oc)
    return rows


async def _failover(runner: _Runner, states: list[_Engine], queries: list[Query]) -> list[QueryOutcome]:
    outcomes: list[QueryOutcome] = []
    for q in queries:
        tried = False
        for eng in states:
            if not await runner.still_open(eng):
                continue
            tried = True
            oc = await runner.run_query(eng, q)
            outcomes.append(oc)
            runner.report(oc)
            if oc.outcome != SearchOutcome.BLOCKED and not eng.unreachable:
                break
        if not tried:  # every engine has blocked: the query is recorded, not dropped
            oc = runner.skipped(states[-1], q)
            outcomes.append(oc)
            runner.report(oc)
    return outcomes
