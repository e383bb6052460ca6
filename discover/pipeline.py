"""Compose the stages into one discovery run.

    stage            function            in → out                                     unit of work
    1. plan          plan_stage          keyword, place, types → Plan (queries)
    2. search        search_stage        queries → QueryOutcome per (query, engine)    tasks.SEARCH
    3. fuse          fuse_stage          outcomes → FusedResult per page
    4-6. fetch       fetch_stage         fused → Pages (fetches, candidates): fetched,  tasks.FETCH
                                         extracted and classified
    7. expand        expand_stage        Pages → Expansion (terms, round-2 outcomes);
                                         its new pages join Pages
    8. contacts      contacts_stage      candidates → contacts one hop away, per site   tasks.CONTACTS
       about         about_stage         --about files/URLs → texts
    9. links         links_stage         resource pages → LinkChecks                    tasks.LINKS
   10. quality       quality_stage       candidates, fetches → SiteQuality per site
   11. score         score_stage         candidates → Score (relevance, geo, type, quality)
   12. prospects     build_prospects     one prospect per site, best page kept
       journalists   _journalist_queries open journalist queries on the boards found
       ledger        _apply_ledger       what the user sees (spam, contacted, own site hidden)

Stages share a `RunContext` (runtime, store, run id, request, executor). The fan-out units
(`discover.tasks`) run on an executor chosen by configuration (`discover.executor`): in this
process (default) or as Celery tasks on workers (`discover.scale`); the stages do not know
which. Every unit writes to the store as it goes (a run without `--db` gets an in-memory
store), so an interrupted run resumes (`--resume`) without fetching again what was already
fetched and without duplicating prospects.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from discover.errors import DiscoverError, InputError, Interrupted
from discover.inputs import clean_keyword
from discover.outreach.prospects import build_prospects, save_prospects
from discover.records import (
    WANTED_TYPES, Candidate, Classification, FetchOutcome, FetchResult, FusedResult, Prospect, ProspectType, Query, QueryOutcome,
    Score, SearchOutcome, SiteQuality,
)

if TYPE_CHECKING:
    from discover.executor import Executor
    from discover.outreach.policy import Visibility
    from discover.plan import Plan
    from discover.rank.geo import Place
    from discover.runtime import Runtime
    from discover.settings import Settings
    from discover.store import Store
    from discover.tasks import TaskEnv

#: Page types whose outbound links are checked for broken-link prospects.
LINKCHECK_TYPES = ("resource",)

Progress = Callable[[str, int, int], None]   # (stage, done, total)


@dataclass
class RunRequest:
    keyword: str
    geo: str = ""
    types: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    about: tuple[str, ...] = ()               # files or URLs of the user's own content
    extra_terms: tuple[str, ...] = ()
    expand: bool = True
    include_spam: bool = False
    show_contacted: bool = False
    resume: bool = False
    out: str = ""                             # absolute path of the CSV the user asked for ("" = none)
    include_rejected: bool = False
    only_approved: bool = False
    include_hidden: bool = False

    def visibility(self) -> "Visibility":
        from discover.outreach.policy import Visibility

        return Visibility(include_spam=self.include_spam, show_contacted=self.show_contacted,
                          include_rejected=self.include_rejected, only_approved=self.only_approved,
                          include_hidden=self.include_hidden)


@dataclass
class RunResult:
    run_id: int | None
    request: RunRequest
    prospects: list[Prospect] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    outcomes: list[QueryOutcome] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    hidden: dict[str, int] = field(default_factory=dict)   # why prospects were left out: spam, contacted...
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def request_from_run(settings: dict[str, Any], **overrides: Any) -> RunRequest:
    """The request a stored run was started with (for --resume), with explicit overrides."""
    saved = dict(settings.get("request") or {})
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()
                              if k in RunRequest.__dataclass_fields__}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return RunRequest(**fields)


@dataclass
class RunContext:
    """What every stage of one run shares, instead of positional arguments and loose dicts."""

    runtime: "Runtime"
    store: "Store"
    run_id: int
    request: RunRequest
    keyword: str                       # validated
    target: "Place | None"             # parsed --geo
    types: tuple[str, ...]
    engines: list[str]
    executor: "Executor"
    env: "TaskEnv"                     # this process's fetcher, link checker ... (the local executor's)
    result: RunResult
    progress: Progress = field(default=lambda stage, done, total: None)
    stats: dict[Any, Any] = field(default_factory=dict)   # footprint yields from earlier runs

    @property
    def settings(self) -> "Settings":
        return self.runtime.settings

    @property
    def geo(self) -> str | None:
        """The place as resolved ("S7K 1H1" → "Saskatoon, SK, CA"): what queries and engine locales read."""
        return self.target.label if self.target is not None else None

    @property
    def summary(self) -> dict[str, Any]:
        return self.result.summary

    def stage(self, name: str) -> None:
        self.result.summary["stage"] = name


# --- typed stage outputs ---------------------------------------------------------------------

@dataclass
class Pages:
    """What the fetch stage read: every fetch (any outcome) and a candidate per page read."""

    fetches: list[FetchResult] = field(default_factory=list)
    candidates: dict[str, Candidate] = field(default_factory=dict)   # final URL → candidate

    def add(self, other: "Pages") -> None:
        self.fetches.extend(other.fetches)
        self.candidates.update(other.candidates)


@dataclass
class Expansion:
    terms: list[str] = field(default_factory=list)
    outcomes: list[QueryOutcome] = field(default_factory=list)   # the round-2 searches


async def run_discovery(runtime: "Runtime", request: RunRequest, *, store: "Store | None" = None,
                        on_progress: Progress | None = None, executor: "Executor | None" = None) -> RunResult:
    """Run the whole pipeline; see the module docstring for the stages.

    Without a store the run goes to a private in-memory one; without an executor the settings
    choose it (`executor = "local"` by default: everything in this process).
    """
    from discover.executor import make_executor
    from discover.rank.geo import parse_place
    from discover.store import Store
    from discover.tasks import TaskEnv

    settings = runtime.settings
    # Before any search: ranking could not match pages on a keyword without topic words.
    keyword = clean_keyword(request.keyword, rankable=True, example='discover run "maternity clothes"')
    types = request.types or WANTED_TYPES
    engines = list(request.engines or settings.engines())
    target = parse_place(request.geo) if request.geo else None
    own_store = store is None
    store = Store.memory() if store is None else store
    executor = executor or make_executor(settings)
    result = RunResult(run_id=None, request=request)

    resumable = store.find_resumable_run(keyword, request.geo or "") if request.resume else None
    if resumable is not None:
        run_id = resumable.id
        store.resume_run(run_id)
        result.notes.append(f"resuming run {run_id}")
    else:
        run_id = store.start_run(keyword, request.geo or "", types,
                                 {"engines": engines, "request": asdict(request), "executor": executor.name,
                                  # absolute, so --resume from another folder finds the same world
                                  "web": str(Path(settings.web).expanduser().resolve()) if settings.web else ""})
    result.run_id = run_id
    ctx = RunContext(runtime=runtime, store=store, run_id=run_id, request=request, keyword=keyword, target=target,
                     types=types, engines=engines, executor=executor, env=TaskEnv(runtime, store, run_id),
                     result=result, progress=on_progress or (lambda stage, done, total: None),
                     stats=store.footprint_stats())
    started = time.monotonic()
    try:
        await _run_stages(ctx)
        result.summary["elapsed_s"] = round(time.monotonic() - started, 2)
        store.finish_run(run_id, "finished", result.summary)
    except (KeyboardInterrupt, asyncio.CancelledError):
        store.finish_run(run_id, "interrupted", {"stage": result.summary.get("stage", "")})
        raise Interrupted(f"run {run_id} interrupted; finish it with `discover run --resume`") from None
    except DiscoverError:
        store.finish_run(run_id, "failed", result.summary)
        raise
    finally:
        await ctx.env.aclose()
        await executor.aclose()
        if own_store:
            store.close()
    return result


async def _run_stages(ctx: RunContext) -> None:
    """The stages in order; each is a function below with typed inputs and outputs."""
    request = ctx.request
    await ctx.executor.start(ctx)
    # 1-3: plan, search, fuse ----------------------------------------------------------------
    plan = plan_stage(ctx)
    ctx.result.notes.extend(plan.notes)
    outcomes = await search_stage(ctx, plan.queries)
    _fail_if_no_engine_answered(outcomes)
    fused = fuse_stage(outcomes)
    # 4-6: fetch, extract, classify -----------------------------------------------------------
    pages = await fetch_stage(ctx, fused, ctx.settings.max_pages)
    # 7: keyword expansion → round 2 --------------------------------------------------------
    if request.expand and pages.candidates:
        expansion = await expand_stage(ctx, pages, outcomes)
        outcomes = outcomes + expansion.outcomes
    ctx.result.outcomes = outcomes
    ctx.result.fetches = pages.fetches
    cands = list(pages.candidates.values())
    # 8: contacts one hop away; the user's own content ----------------------------------------
    await contacts_stage(ctx, cands)
    about_texts = await about_stage(ctx)
    # 9: broken links on resource pages -----------------------------------------------------
    await links_stage(ctx, cands)
    # 10: site quality and authority --------------------------------------------------------
    quality_stage(ctx, cands, pages.fetches)
    # 11: score -----------------------------------------------------------------------------
    scores = score_stage(ctx, cands, about_texts)
    ctx.result.candidates = cands
    # 12: prospects, journalist queries, ledger, store ----------------------------------------
    ctx.stage("store")
    prospects = build_prospects(cands, scores, keyword=ctx.keyword, geo=request.geo or "")
    if ProspectType.HARO in ctx.types:
        ctx.stage("journalist queries")
        await _journalist_queries(ctx.runtime, prospects, ctx.keyword, request.geo or "", ctx.summary)
    # Everything is stored (spam flagged, ledger status applied later); hiding is a view.
    save_prospects(ctx.store, ctx.run_id, prospects)
    _record_footprint_yield(ctx.store, outcomes, prospects)
    prospects = _apply_ledger(prospects, ctx.store, request, ctx.result)
    ctx.result.prospects = prospects
    ctx.summary.update(_summarise(outcomes, pages.fetches, prospects, ctx.result.hidden))
    ctx.stage("done")


def _fail_if_no_engine_answered(outcomes: list[QueryOutcome]) -> None:
    """Every query blocked or failed: say why instead of presenting an empty shortlist."""
    from discover.errors import SearchBlocked, SearchError

    if not outcomes or any(o.outcome not in (SearchOutcome.BLOCKED, SearchOutcome.ERROR) for o in outcomes):
        return
    reasons: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        reasons[o.engine].add(f"{o.outcome}: {o.reason}" if o.reason else o.outcome)
    detail = "; ".join(f"{engine} ({', '.join(sorted(r)[:2])})" for engine, r in reasons.items())
    if all(o.outcome == SearchOutcome.BLOCKED for o in outcomes):
        raise SearchBlocked(f"every engine blocked all {len(outcomes)} queries: {detail}",
                            hint="wait and retry, add another engine (--engine ddg,bing), or --headed to solve a captcha")
    raise SearchError(f"no search engine answered any of {len(outcomes)} queries: {detail}",
                      hint="check the engine names and your connection (`discover doctor`)")


# --- the stages ------------------------------------------------------------------------------

def plan_stage(ctx: RunContext, *, extra_terms: list[str] | None = None, max_per_type: int | None = None) -> "Plan":
    """Footprint queries for the keyword, place and types (round 2: paired with mined terms)."""
    from discover.plan import plan_queries

    return plan_queries(ctx.keyword, geo=ctx.geo, types=list(ctx.types), engines=ctx.engines,
                        extra_terms=list(extra_terms if extra_terms is not None else ctx.request.extra_terms),
                        max_per_type=max_per_type or ctx.settings.max_queries_per_type, stats=ctx.stats)


async def search_stage(ctx: RunContext, queries: list[Query]) -> list[QueryOutcome]:
    """Every query on every engine: one outcome per (query, engine), in query then engine order."""
    from discover.plan import region_for
    from discover.tasks import SEARCH, SearchTask

    ctx.stage("search")
    region = region_for(ctx.geo) if ctx.geo else None
    # One unit per distinct query text (the task key); a repeated text reuses the first's outcomes.
    unique = list(dict.fromkeys(q.text for q in queries))
    first = {q.text: q for q in reversed(queries)}
    done = await ctx.executor.map(SEARCH, [SearchTask(first[t], tuple(ctx.engines), region) for t in unique], ctx)
    by_text = dict(zip(unique, done))
    return [o for q in queries for o in by_text[q.text].outcomes]


def fuse_stage(outcomes: list[QueryOutcome]) -> list[FusedResult]:
    """One result per distinct page, by reciprocal-rank fusion, best first."""
    from discover.search.merge import fuse

    return fuse(outcomes)


async def fetch_stage(ctx: RunContext, fused: list[FusedResult], limit: int) -> Pages:
    """Fetch, read (extract) and classify the best `limit` results; pages keyed by final URL."""
    from discover.domains import registrable_domain
    from discover.tasks import FETCH, FetchTask
    from discover.urls import FOR_STORE, url_key

    ctx.stage("fetch")
    hits = list({f.url: f for f in fused[:limit]}.values())
    # The --geo country reads the phone numbers of pages that do not say where they are.
    country = getattr(ctx.target, "country_code", "") or ""
    done = await ctx.executor.map(FETCH, [FetchTask(h.url, tuple(h.types), country) for h in hits], ctx)
    labels = _user_labels(ctx.store)
    pages = Pages()
    for hit, page in zip(hits, done):   # in fused order, whichever finished first
        fr = page.fetch
        pages.fetches.append(fr)
        if page.extraction is None or page.classification is None:
            continue
        url = fr.final_url or fr.url
        classification = page.classification
        label = labels.get(url_key(url, FOR_STORE)) or labels.get(url_key(fr.url, FOR_STORE))
        if label:   # the user's word beats the model's (the store keeps the model's, for `discover train`)
            classification = Classification(ProspectType(label), 1.0, ["as you labelled it in review",
                                                          *[e for e in classification.evidence if e.startswith("model:")]])
        pages.candidates[url] = Candidate(
            url=url, domain=registrable_domain(url), extraction=page.extraction,
            classification=classification, html=fr.html, found_by_types=tuple(hit.types),
            found_by=tuple(f"{engine}: {query}" for engine, query, _rank in hit.found_by))
    return pages


async def expand_stage(ctx: RunContext, pages: Pages, outcomes: list[QueryOutcome]) -> Expansion:
    """Related terms mined from round-1 pages feed a second round of queries; its new pages are
    added to `pages`."""
    from discover.plan import expand_terms

    texts = [c.extraction.title + " " + c.extraction.text for c in pages.candidates.values()
             if c.classification.type not in (ProspectType.SPAM, ProspectType.OTHER)]
    terms = expand_terms(texts, ctx.keyword, n=4) if texts else []
    if not terms:
        return Expansion()
    ctx.summary["expansion_terms"] = terms
    plan2 = plan_stage(ctx, extra_terms=terms, max_per_type=2)
    round2 = [q for q in plan2.queries if q.round == 2]
    outcomes2 = await search_stage(ctx, round2)
    fused = fuse_stage(outcomes + outcomes2)
    room = max(0, ctx.settings.max_pages - len(pages.fetches))
    fetched = {x.url for x in pages.fetches}
    new = [f for f in fused if f.url not in pages.candidates and f.url not in fetched]
    pages.add(await fetch_stage(ctx, new[:room], room))
    return Expansion(terms, outcomes2)


async def contacts_stage(ctx: RunContext, candidates: list[Candidate]) -> None:
    """Contact / about / write-for-us pages one hop away, once per site: the site's pages share them."""
    from discover.tasks import CONTACTS, ContactsTask

    ctx.stage("contacts")
    todo = [c for c in candidates if c.classification.type not in (ProspectType.SPAM, ProspectType.OTHER)]
    by_domain: dict[str, list[Candidate]] = defaultdict(list)
    for c in todo:
        by_domain[c.domain].append(c)
    # Completion order varies between runs; pick the same page every time.
    leads = {d: min(group, key=lambda c: (len(c.url), c.url)) for d, group in by_domain.items()}
    items = [ContactsTask(d, lead.url, tuple(lead.extraction.contacts), lead.extraction.country)
             for d, lead in leads.items()]
    for item, found in zip(items, await ctx.executor.map(CONTACTS, items, ctx)):
        for c in by_domain[item.domain]:
            seen = {(x.kind, x.value) for x in c.extraction.contacts}
            c.extraction.contacts = c.extraction.contacts + [x for x in found.contacts
                                                             if (x.kind, x.value) not in seen]


async def about_stage(ctx: RunContext) -> list[str]:
    """The user's own content (files or pages) that profiles the niche beside the keyword."""
    from discover.pages.extract import extract

    texts = []
    for item in ctx.request.about:
        path = Path(item).expanduser()
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        elif item.startswith(("http://", "https://")):
            page = await ctx.env.fetcher.fetch(item)
            if page.outcome != FetchOutcome.OK:
                raise InputError(f"--about {item} could not be read ({page.outcome}: {page.reason or page.status})")
            ex = await asyncio.to_thread(extract, page)
            texts.append(f"{ex.title}\n{ex.text}")
        else:
            raise InputError(f"--about {item!r} is neither a readable file nor a URL")
    return texts


async def links_stage(ctx: RunContext, candidates: list[Candidate]) -> None:
    """Outbound links of resource pages checked: broken-link prospects."""
    from discover.tasks import LINKS, LinksTask

    ctx.stage("links")
    pages = [c for c in candidates if c.classification.type in LINKCHECK_TYPES]
    items = [LinksTask(c.url, tuple(link for link in c.extraction.links if not link.internal)) for c in pages]
    for c, done in zip(pages, await ctx.executor.map(LINKS, items, ctx)):
        c.link_checks = done.checks


def quality_stage(ctx: RunContext, candidates: list[Candidate], fetches: list[FetchResult]) -> dict[str, SiteQuality]:
    """Per-site signals and link-graph authority; every candidate gets its site's quality."""
    from discover.links.authority import authority_scores
    from discover.links.quality import assess_site

    ctx.stage("quality")
    # The link graph: this run's pages plus every link the store has seen in earlier runs.
    links_by_page: dict[str, list[str]] = defaultdict(list)
    for c in candidates:
        links_by_page[c.url].extend(link.url for link in c.extraction.links if not link.internal)
    for page, url in ctx.store.all_links_edges():
        links_by_page[page].append(url)
    authority = authority_scores(links_by_page) if links_by_page else {}
    fetch_by_url = {f.final_url or f.url: f for f in fetches}
    by_domain: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_domain[c.domain].append(c)
    out: dict[str, SiteQuality] = {}
    for domain, group in by_domain.items():
        quality = assess_site(domain, [c.extraction for c in group],
                              fetches=[fetch_by_url[c.url] for c in group if c.url in fetch_by_url],
                              returned_by_search=True, authority=authority.get(domain, 0.0))
        for c in group:
            c.quality = quality
        ctx.store.save_site_quality(quality)
        out[domain] = quality
    return out


def score_stage(ctx: RunContext, cands: list[Candidate], about_texts: list[str]) -> list[Score]:
    """Topic relevance, geo tier, type fit and quality → one explained score per candidate."""
    from discover.outreach.ledger import topic_feedback
    from discover.rank.score import score_candidates

    ctx.stage("score")
    # Review's verdicts for this niche: approved pages pull the topic model, off-topic ones push it.
    approved, rejected = topic_feedback(ctx.store, ctx.keyword)
    if approved or rejected:
        ctx.summary["review_feedback"] = {"approved": len(approved), "rejected_off_topic": len(rejected)}
    return score_candidates(cands, keyword=ctx.keyword, target=ctx.target, types=ctx.types, settings=ctx.settings,
                            about_texts=about_texts, expansions=ctx.summary.get("expansion_terms", []),
                            approved=approved, rejected=rejected)


def _user_labels(store: "Store") -> dict[str, str]:
    """Canonical page URL → the type the user gave it in review."""
    from discover.outreach.ledger import labelled_pages
    from discover.urls import FOR_STORE, url_key

    return {url_key(u, FOR_STORE): t for u, t in labelled_pages(store).items()}


async def _journalist_queries(runtime: "Runtime", prospects: list[Prospect], keyword: str, geo: str,
                              summary: dict[str, Any]) -> None:
    """Crawl the journalist-query boards found (list → request pages) and attach to each board's
    prospect its best open query matching the niche: its deadline, reply route and pitch."""
    from discover.haro.boards import BoardCrawl, crawl_boards
    from discover.haro.match import match_queries, to_prospect

    boards = [p for p in prospects if p.type == ProspectType.HARO and p.url.startswith(("http://", "https://"))]
    if not boards:
        return
    crawl = BoardCrawl()
    queries = await crawl_boards(runtime, [p.url for p in boards], max_pages=40,
                                 settings=runtime.settings, crawl=crawl)
    matches = [m for m in match_queries(queries, keyword, geo=geo or None, settings=runtime.settings) if m.matched]
    best: dict[str, Any] = {}
    for m in matches:  # best first
        best.setdefault(to_prospect(m.query, m).domain or "", m)
    summary["journalist_queries"] = {"found": len(queries), "matched": len(matches),
                                     "pages": crawl.pages_fetched}
    for p in boards:
        found = best.get(p.domain)
        if found is None:
            p.explanation["journalist_query"] = "no open query on this board matches the niche"
            continue
        q = to_prospect(found.query, found, niche=keyword, geo=geo)
        if q.url != p.url:
            p.other_urls = [p.url] + [u for u in p.other_urls if u != q.url]
            p.url = q.url
        p.deadline, p.pitch = q.deadline, q.pitch
        p.email, p.email_kind = q.email or p.email, q.email_kind or p.email_kind
        journalist = str(q.explanation.get("journalist") or "")
        if journalist and q.email:
            from discover.pages.contacts import split_name

            p.contact_name = journalist
            p.first_name, p.last_name = split_name(journalist)
        p.explanation["journalist_query"] = {**q.explanation, "summary": found.query.summary, "why": found.why}


def _apply_ledger(prospects: list[Prospect], store: "Store", request: RunRequest,
                  result: RunResult) -> list[Prospect]:
    """What the run may show: the visibility policy over the ledger, suppression list and own sites."""
    from discover.outreach.policy import Policy

    shown, result.hidden = Policy.load(store, request.visibility(), about=request.about).apply(prospects)
    return shown


def _record_footprint_yield(store: "Store", outcomes: list[QueryOutcome], prospects: list[Prospect]) -> None:
    from discover.rank.score import CUTOFF

    good_urls = {p.url for p in prospects if p.score >= CUTOFF} | {u for p in prospects if p.score >= CUTOFF
                                                                  for u in p.other_urls}
    for o in outcomes:
        if o.cached or not o.query.footprint:
            continue
        good = sum(1 for r in o.results if r.url in good_urls)
        store.record_footprint(o.query.footprint, o.engine, len(o.results), good)


def lost_page(f: FetchResult) -> bool:
    """A page that failed for a reason another day might not have: a timeout, or an error that
    was tried again (only transient errors are) — not a 404, a robots.txt rule or a trap."""
    return f.outcome == "timeout" or (f.outcome == "error" and f.attempts > 1)


def _summarise(outcomes: list[QueryOutcome], fetches: list[FetchResult], prospects: list[Prospect],
               hidden: dict[str, int]) -> dict[str, Any]:
    per_engine: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in outcomes:
        per_engine[o.engine][o.outcome] += 1
    fetch_outcomes: dict[str, int] = defaultdict(int)
    fetch_paths: dict[str, int] = defaultdict(int)
    for f in fetches:
        fetch_outcomes[f.outcome] += 1
        fetch_paths[f.path] += 1
    by_type: dict[str, int] = defaultdict(int)
    for p in prospects:
        by_type[p.type] += 1
    return {
        "queries": len(outcomes),
        "results": sum(len(o.results) for o in outcomes),
        "query_outcomes": {e: dict(v) for e, v in per_engine.items()},
        "pages": len(fetches),
        "fetch_outcomes": dict(fetch_outcomes),
        "fetch_paths": dict(fetch_paths),
        # Pages given up on after their retries (timeouts, resets, 5xx): prospects possibly missed.
        "lost_pages": [{"url": f.url, "outcome": f.outcome, "reason": f.reason, "attempts": f.attempts}
                       for f in fetches if f.path != "cache" and lost_page(f)],
        "prospects": len(prospects),
        "prospects_by_type": dict(by_type),
        "hidden": hidden,
        "blocked_engines": sorted({o.engine for o in outcomes if o.outcome == SearchOutcome.BLOCKED}),
    }
