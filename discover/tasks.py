"""The pipeline's fan-out work, in units an executor can run in this process or on a worker.

    kind      one unit                                        key         result
    search    one query on every engine of the run            query text  SearchDone (one outcome per engine)
    fetch     one URL fetched, read (extract) and classified  URL         PageDone
    contacts  one site's contact pages one hop away           domain      ContactsDone
    links     one resource page's outbound links checked      page URL    LinksDone
    echo      nothing: measures an executor's own cost        number      EchoDone

Every kind runs two ways, over the same `TaskEnv` (runtime, store, fetcher, link checker):
`run_batch` is the in-process way (today's code: one `search_all` over all queries, one
fetcher with its own concurrency, one link checker that checks each URL once per run);
`run_one` is one unit on a worker. Both save what they produce to the store as they go, with
idempotent upserts, so a unit run twice (a redelivered task) writes nothing twice. Items and
results are typed dataclasses that cross process boundaries as JSON (`discover.codec`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from discover.codec import from_json, to_json
from discover.records import (
    Classification, Contact, Extraction, FetchOutcome, FetchResult, Link, LinkCheck, Query, QueryOutcome,
)

if TYPE_CHECKING:
    from discover.links.linkcheck import LinkChecker
    from discover.pages.fetch import Fetcher
    from discover.runtime import Runtime
    from discover.settings import Settings
    from discover.store import Store

I = TypeVar("I")
O = TypeVar("O")
Tick = Callable[[int, int], None]   # (done, total)

#: Settings that belong to the run, not to the machine running it: a worker applies the
#: coordinator's values so every unit of one run is done the same way wherever it runs.
RUN_SETTINGS = ("pages", "ignore_robots", "page_cache_ttl", "serp_cache_ttl", "query_delay",
                "queries_per_minute", "max_redirects", "max_bytes", "timeout", "per_host_concurrency",
                "per_host_delay", "user_agent", "max_links", "page_deadline", "retries")


# --- the environment a unit runs in ----------------------------------------------------------

class StorePageCache:
    """The store as the fetcher's page cache: a URL fetched within the TTL is not fetched again."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    def get(self, url: str, ttl: float) -> FetchResult | None:
        return self.store.get_page(url, ttl)

    def put(self, result: FetchResult) -> None:
        pass  # pages are saved with their extraction by the fetch unit itself


class TaskEnv:
    """What units of one run share in one process: the network, the store, one fetcher (pages
    cached in the store) and one link checker, opened on first use and closed by `aclose`."""

    def __init__(self, runtime: "Runtime", store: "Store", run_id: int, settings: "Settings | None" = None) -> None:
        self.runtime = runtime
        self.store = store
        self.run_id = run_id
        self.settings = settings or runtime.settings
        self._fetcher: Fetcher | None = None
        self._checker: LinkChecker | None = None
        self._serp_cache: Any = None
        self._model: Any = None

    @property
    def fetcher(self) -> "Fetcher":
        if self._fetcher is None:
            from discover.pages.fetch import Fetcher

            self._fetcher = Fetcher(self.runtime, self.settings, cache=StorePageCache(self.store))
        return self._fetcher

    @property
    def page_model(self) -> Any:
        """The page-type model: the user's own after `discover train`, else the shipped one."""
        if self._model is None:
            from discover.pages.user_model import preferred_model

            self._model = preferred_model(self.settings.data_path())
        return self._model

    @property
    def link_checker(self) -> "LinkChecker":
        if self._checker is None:
            from discover.links.linkcheck import LinkChecker

            self._checker = LinkChecker(self.runtime, self.settings)
        return self._checker

    @property
    def serp_cache(self) -> Any:
        if self._serp_cache is None:
            self._serp_cache = self.store.serp_cache(self.settings.serp_cache_ttl)
        return self._serp_cache

    async def aclose(self) -> None:
        fetcher, checker, self._fetcher, self._checker = self._fetcher, self._checker, None, None
        if fetcher is not None:
            await fetcher.aclose()
        if checker is not None:
            await checker.aclose()


# --- kinds ---------------------------------------------------------------------------------

class TaskKind(Generic[I, O]):
    """One kind of unit: its name, its item and result types, and how to run it."""

    name: str = ""
    item_type: type = object
    result_type: type = object

    def key(self, item: I) -> str:
        raise NotImplementedError

    def encode_item(self, item: I) -> Any:
        return to_json(item)

    def decode_item(self, data: Any) -> I:
        return from_json(self.item_type, data)  # type: ignore[no-any-return]

    def encode_result(self, result: O) -> Any:
        return to_json(result)

    def load_result(self, store: "Store", data: Any) -> O:
        """The result a worker recorded, as the coordinator needs it."""
        return from_json(self.result_type, data)  # type: ignore[no-any-return]

    def load_results(self, store: "Store", data: list[Any]) -> list[O]:
        """Many recorded results at once (a kind whose results live in the store reads them in bulk)."""
        return [self.load_result(store, d) for d in data]

    async def run_batch(self, env: TaskEnv, items: Sequence[I], tick: Tick) -> list[O]:
        """All items in this process (results in item order); `tick(done, total)` as they finish."""
        out: list[O] = []
        for i, item in enumerate(items, 1):
            out.append(await self.run_one(env, item))
            tick(i, len(items))
        return out

    async def run_one(self, env: TaskEnv, item: I) -> O:
        raise NotImplementedError


# search ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchTask:
    query: Query
    engines: tuple[str, ...]
    region: dict[str, str] | None = None


@dataclass
class SearchDone:
    outcomes: list[QueryOutcome] = field(default_factory=list)   # one per engine, in engine order


class _Search(TaskKind[SearchTask, SearchDone]):
    name, item_type, result_type = "search", SearchTask, SearchDone

    def key(self, item: SearchTask) -> str:
        return item.query.text

    async def run_batch(self, env: TaskEnv, items: Sequence[SearchTask], tick: Tick) -> list[SearchDone]:
        from discover.search.runner import search_all

        if not items:
            return []
        engines, region = list(items[0].engines), items[0].region
        done = 0
        total = len(items) * len(engines)

        def one_more(*_: Any) -> None:
            nonlocal done
            done += 1
            tick(done, total)

        # Engines in parallel, each engine's queries in order through one page: politeness.
        outcomes = await search_all(env.runtime, [i.query for i in items], engines, pages=env.settings.pages,
                                    cache=env.serp_cache, region=region, on_progress=one_more)
        for o in outcomes:
            env.store.save_query_outcome(env.run_id, o)
        per = len(outcomes) // len(items)
        return [SearchDone(outcomes[i * per:(i + 1) * per]) for i in range(len(items))]

    async def run_one(self, env: TaskEnv, item: SearchTask) -> SearchDone:
        from discover.search.runner import search_all

        outcomes = await search_all(env.runtime, [item.query], list(item.engines), pages=env.settings.pages,
                                    cache=env.serp_cache, region=item.region)
        for o in outcomes:
            await asyncio.to_thread(env.store.save_query_outcome, env.run_id, o)
        return SearchDone(outcomes)


# fetch + read + classify -------------------------------------------------------------------

@dataclass(frozen=True)
class FetchTask:
    url: str
    types: tuple[str, ...] = ()     # prospect types of the queries that found it (classifier hints)
    country: str = ""               # the --geo country: phone numbers of pages that do not say where they are


@dataclass
class PageDone:
    fetch: FetchResult
    extraction: Extraction | None = None          # None unless the fetch is ok
    classification: Classification | None = None


class _Fetch(TaskKind[FetchTask, PageDone]):
    name, item_type, result_type = "fetch", FetchTask, PageDone

    def key(self, item: FetchTask) -> str:
        return item.url

    def encode_result(self, result: PageDone) -> Any:
        # The page, its extraction and classification are in the store already (pages table).
        return {"fetch": to_json(dataclasses.replace(result.fetch, html=""))}

    def load_result(self, store: "Store", data: Any) -> PageDone:
        return self.load_results(store, [data])[0]

    def load_results(self, store: "Store", data: list[Any]) -> list[PageDone]:
        fetches = [from_json(FetchResult, d["fetch"]) for d in data]
        pages = store.read_pages([f.url for f in fetches if f.outcome == FetchOutcome.OK])
        out = []
        for fetch in fetches:
            if fetch.outcome != FetchOutcome.OK:
                out.append(PageDone(fetch))
                continue
            stored, extraction, classification = pages.get(fetch.url, (None, None, None))
            if stored is None or extraction is None or classification is None:
                raise LookupError(f"the store has no extracted page for {fetch.url}")
            fetch.html = stored.html
            out.append(PageDone(fetch, extraction, classification))
        return out

    async def run_batch(self, env: TaskEnv, items: Sequence[FetchTask], tick: Tick) -> list[PageDone]:
        out: list[PageDone | None] = [None] * len(items)
        done = 0
        async for index, fr in env.fetcher.iter_fetch([i.url for i in items]):
            out[index] = await _read(env, fr, items[index].types, items[index].country)
            done += 1
            tick(done, len(items))
        return [r for r in out if r is not None]

    async def run_one(self, env: TaskEnv, item: FetchTask) -> PageDone:
        fr = await env.fetcher.fetch(item.url)
        return await _read(env, fr, item.types, item.country, threaded_store=True)


async def _read(env: TaskEnv, fr: FetchResult, hint_types: tuple[str, ...], country: str = "", *,
                threaded_store: bool = False) -> PageDone:
    """Extract and classify one fetched page, and save it (pages fetched before come from the store)."""
    from discover.pages.classify import classify
    from discover.pages.extract import extract

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        # On a worker the store is a network database shared by concurrent units: keep the loop free.
        return await asyncio.to_thread(fn, *args) if threaded_store else fn(*args)

    if fr.outcome != FetchOutcome.OK:
        if fr.path != "cache":
            await call(env.store.save_page, env.run_id, fr)
        return PageDone(fr)
    extraction: Extraction | None = None
    classification: Classification | None = None
    if fr.path == "cache":
        extraction, classification = await call(env.store.get_extraction, fr.url)
    if extraction is None:
        # CPU-bound: keep the event loop (and the other fetches) moving.
        extraction = await asyncio.to_thread(extract, fr, max_links=env.settings.max_links, country=country)
    if classification is None:
        classification = classify(extraction, fr.html, hint_types=tuple(hint_types), model=env.page_model)
    await call(env.store.save_page, env.run_id, fr, extraction, classification)
    fr.screenshot = b""   # kept with the page in the store; a run holds hundreds of pages
    return PageDone(fr, extraction, classification)


# contacts one hop away ---------------------------------------------------------------------

@dataclass(frozen=True)
class ContactsTask:
    domain: str
    page: str                        # the site's lead page (its contacts and links to contact pages)
    contacts: tuple[Contact, ...] = ()
    country: str = ""                # the lead page's country (phone numbers on its contact pages)


@dataclass
class ContactsDone:
    contacts: list[Contact] = field(default_factory=list)


class _Contacts(TaskKind[ContactsTask, ContactsDone]):
    name, item_type, result_type = "contacts", ContactsTask, ContactsDone

    def key(self, item: ContactsTask) -> str:
        return item.domain

    async def run_batch(self, env: TaskEnv, items: Sequence[ContactsTask], tick: Tick) -> list[ContactsDone]:
        done = 0

        async def one(item: ContactsTask) -> ContactsDone:
            nonlocal done
            result = await self.run_one(env, item)
            done += 1
            tick(done, len(items))
            return result

        return list(await asyncio.gather(*(one(i) for i in items)))

    async def run_one(self, env: TaskEnv, item: ContactsTask) -> ContactsDone:
        from discover.pages.contacts import enrich_contacts

        lead = Extraction(url=item.page, contacts=list(item.contacts), country=item.country)
        return ContactsDone(await enrich_contacts(env.fetcher, lead))


# outbound links of a resource page ---------------------------------------------------------

@dataclass(frozen=True)
class LinksTask:
    page: str
    links: tuple[Link, ...] = ()     # the page's outbound links


@dataclass
class LinksDone:
    checks: list[LinkCheck] = field(default_factory=list)


class _Links(TaskKind[LinksTask, LinksDone]):
    name, item_type, result_type = "links", LinksTask, LinksDone

    def key(self, item: LinksTask) -> str:
        return item.page

    async def run_one(self, env: TaskEnv, item: LinksTask) -> LinksDone:
        checks = await env.link_checker.check_links(item.page, list(item.links))
        await asyncio.to_thread(env.store.save_links, item.page, checks)
        return LinksDone(checks)

    async def run_batch(self, env: TaskEnv, items: Sequence[LinksTask], tick: Tick) -> list[LinksDone]:
        out = []
        for i, item in enumerate(items, 1):   # one page at a time; the checker checks each URL once
            checks = await env.link_checker.check_links(item.page, list(item.links))
            env.store.save_links(item.page, checks)
            out.append(LinksDone(checks))
            tick(i, len(items))
        return out


# the executor's own cost -------------------------------------------------------------------

@dataclass(frozen=True)
class EchoTask:
    n: int


@dataclass
class EchoDone:
    n: int


class _Echo(TaskKind[EchoTask, EchoDone]):
    name, item_type, result_type = "echo", EchoTask, EchoDone

    def key(self, item: EchoTask) -> str:
        return str(item.n)

    async def run_one(self, env: TaskEnv, item: EchoTask) -> EchoDone:
        return EchoDone(item.n)


SEARCH = _Search()
FETCH = _Fetch()
CONTACTS = _Contacts()
LINKS = _Links()
ECHO = _Echo()
KINDS: dict[str, TaskKind[Any, Any]] = {k.name: k for k in (SEARCH, FETCH, CONTACTS, LINKS, ECHO)}
