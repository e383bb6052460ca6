"""Compose the stages into one discovery run.

    1. plan      footprint queries for the keyword, place and prospect types   (plan.py)
    2. search    each query on each engine through the browser, typed outcomes  (search/)
    3. fuse      merge results by normalised URL with reciprocal-rank fusion     (search/merge.py)
    4. fetch     static first, browser when needed; typed outcomes, cached      (fetch.py)
    5. extract   main text, metadata, links, contacts                            (extract.py, contacts.py)
    6. classify  prospect type from fingerprints + a fitted model                (classify.py)
    7. expand    related terms mined from round-1 pages feed a second round     (plan.expand_terms)
    8. contacts  contact / about / write-for-us pages one hop away              (contacts.enrich_contacts)
    9. links     outbound links of resource pages checked: broken-link prospects (linkcheck.py)
   10. quality   per-site signals and link-graph authority                       (quality.py, authority.py)
   11. score     topic relevance, geo tier, type fit, quality → explained score  (score.py)
   12. store     one prospect per site, best page kept; shown as the policy says (outreach/prospects.py,
                 outreach/policy.py, store/)

Every stage writes to the store as it goes, so an interrupted run resumes (`--resume`)
without fetching again what was already fetched and without duplicating prospects.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from discover.errors import DiscoverError, InputError, Interrupted
from discover.inputs import clean_keyword
from discover.outreach.prospects import build_prospects, save_prospects
from discover.records import (
    WANTED_TYPES, Candidate, Classification, Extraction, FetchOutcome, FetchResult, Prospect, ProspectType,
    QueryOutcome, Score, SearchOutcome,
)

if TYPE_CHECKING:
    from discover.outreach.policy import Visibility
    from discover.runtime import Runtime
    from discover.store import Store

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


async def run_discovery(runtime: "Runtime", request: RunRequest, *, store: "Store | None" = None,
                        on_progress: Progress | None = None) -> RunResult:
    """Run the whole pipeline; see the module docstring for the stages."""
    from discover.rank.geo import parse_place

    settings = runtime.settings
    # Before any search: ranking could not match pages on a keyword without topic words.
    keyword = clean_keyword(request.keyword, rankable=True, example='discover run "maternity clothes"')
    types = request.types or WANTED_TYPES
    engines = list(request.engines or settings.engines())
    target = parse_place(request.geo) if request.geo else None
    progress = on_progress or (lambda stage, done, total: None)
    result = RunResult(run_id=None, request=request)

    run_id: int | None = None
    if store is not None:
        resumable = store.find_resumable_run(keyword, request.geo or "") if request.resume else None
        if resumable is not None:
            run_id = resumable.id
            store.resume_run(run_id)
            result.notes.append(f"resuming run {run_id}")
        else:
            run_id = store.start_run(keyword, request.geo or "", types,
                                     {"engines": engines, "request": asdict(request),
                                      # absolute, so --resume from another folder finds the same world
                                      "web": str(Path(settings.web).expanduser().resolve()) if settings.web else ""})
    result.run_id = run_id
    started = time.monotonic()
    try:
        await _run_stages(runtime, store, run_id, keyword, target, types, engines, request, result, progress)
    except (KeyboardInterrupt, asyncio.CancelledError):
        if store is not None and run_id is not None:
            store.finish_run(run_id, "interrupted", {"stage": result.summary.get("stage", "")})
        raise Interrupted(f"run {run_id} interrupted; finish it with `discover run --resume`") from None
    except DiscoverError:
        if store is not None and run_id is not None:
            store.finish_run(run_id, "failed", result.summary)
        raise
    result.summary["elapsed_s"] = round(time.monotonic() - started, 2)
    if store is not None and run_id is not None:
        store.finish_run(run_id, "finished", result.summary)
    return result


async def _run_stages(runtime: "Runtime", store: "Store | None", run_id: int | None, keyword: str,
                      target: Any, types: tuple[str, ...], engines: list[str], request: RunRequest,
                      result: RunResult, progress: Progress) -> None:
    from discover.pages.fetch import Fetcher, MemoryPageCache
    from discover.plan import expand_terms, plan_queries, region_for
    from discover.search.cache import MemorySerpCache
    from discover.search.merge import fuse
    from discover.search.runner import search_all

    settings = runtime.settings
    summary = result.summary
    stats = store.footprint_stats() if store is not None else None
    serp_cache = store.serp_cache(settings.serp_cache_ttl) if store is not None else MemorySerpCache(settings.serp_cache_ttl)
    page_cache = _StorePageCache(store, run_id) if store is not None else MemoryPageCache()
    # queries and engine locale read the place as resolved ("S7K 1H1" → "Saskatoon, SK, CA")
    geo = target.label if target is not None else None
    region = region_for(geo) if geo else None

    async def search_round(queries) -> list[QueryOutcome]:
        summary["stage"] = "search"
        done = 0

        def tick(*_: Any) -> None:
            nonlocal done
            done += 1
            progress("search", done, len(queries) * len(engines))

        outcomes = await search_all(runtime, queries, engines, pages=settings.pages, cache=serp_cache,
                                    region=region, on_progress=tick)
        if store is not None and run_id is not None:
            for o in outcomes:
                store.save_query_outcome(run_id, o)
        return outcomes

    # 1-3: plan, search, fuse ----------------------------------------------------------------
    await runtime.browser()  # no browser is an environment error, not 50 failed queries
    plan = plan_queries(keyword, geo=geo, types=list(types), engines=engines,
                        extra_terms=list(request.extra_terms), max_per_type=settings.max_queries_per_type,
                        stats=stats)
    result.notes.extend(plan.notes)
    outcomes = await search_round(plan.queries)
    _fail_if_no_engine_answered(outcomes)
    fused = fuse(outcomes)

    # 4-6: fetch, extract, classify -----------------------------------------------------------
    candidates: dict[str, Candidate] = {}
    fetches: list[FetchResult] = []
    async with Fetcher(runtime, settings, cache=page_cache) as fetcher:
        await _fetch_and_read(fetcher, fused, candidates, fetches, store, run_id, settings.max_pages, progress, summary,
                              country=getattr(target, "country_code", "") or "")

        # 7: keyword expansion → round 2 ----------------------------------------------------
        if request.expand and candidates:
            texts = [c.extraction.title + " " + c.extraction.text for c in candidates.values()
                     if c.classification.type not in (ProspectType.SPAM, ProspectType.OTHER)]
            terms = expand_terms(texts, keyword, n=4) if texts else []
            if terms:
                summary["expansion_terms"] = terms
                plan2 = plan_queries(keyword, geo=geo, types=list(types), engines=engines,
                                     extra_terms=terms, max_per_type=2, stats=stats)
                round2 = [q for q in plan2.queries if q.round == 2]
                outcomes2 = await search_round(round2)
                outcomes += outcomes2
                fused = fuse(outcomes)
                room = max(0, settings.max_pages - len(fetches))
                new = [f for f in fused if f.url not in candidates and f.url not in {x.url for x in fetches}]
                await _fetch_and_read(fetcher, new[:room], candidates, fetches, store, run_id, room, progress, summary,
                                      country=getattr(target, "country_code", "") or "")
        result.outcomes = outcomes
        result.fetches = fetches

        # 8: contacts one hop away --------------------------------------------------------------
        summary["stage"] = "contacts"
        await _enrich_contacts(fetcher, list(candidates.values()), progress)
        about_texts = await _load_about(fetcher, request.about)

    # 9: broken links on resource pages -------------------------------------------------------
    summary["stage"] = "links"
    await _check_links(runtime, list(candidates.values()), store, progress)

    # 10: site quality and authority --------------------------------------------------------
    summary["stage"] = "quality"
    _assess_quality(list(candidates.values()), fetches, store)

    # 11: score -----------------------------------------------------------------------------
    summary["stage"] = "score"
    cands = list(candidates.values())
    approved, rejected = _judged_texts(store, keyword)
    if approved or rejected:
        summary["review_feedback"] = {"approved": len(approved), "rejected_off_topic": len(rejected)}
    scores = _score(cands, keyword, target, types, settings, about_texts, summary.get("expansion_terms", []),
                    approved, rejected)
    result.candidates = cands

    # 12: prospects, ledger, store ------------------------------------------------------------
    summary["stage"] = "store"
    prospects = build_prospects(cands, scores, keyword=keyword, geo=request.geo or "")
    if ProspectType.HARO in types:
        summary["stage"] = "journalist queries"
        await _journalist_queries(runtime, prospects, keyword, request.geo or "", summary)
    if store is not None and run_id is not None:
        # Everything is stored (spam flagged, ledger status applied later); hiding is a view.
        save_prospects(store, run_id, prospects)
        _record_footprint_yield(store, outcomes, prospects)
    prospects = _apply_ledger(prospects, store, request, result)
    result.prospects = prospects
    summary.update(_summarise(outcomes, fetches, prospects, result.hidden))
    summary["stage"] = "done"


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


class _StorePageCache:
    """The store as the fetcher's page cache: a URL fetched within the TTL is not fetched again."""

    def __init__(self, store: "Store", run_id: int | None) -> None:
        self.store = store
        self.run_id = run_id

    def get(self, url: str, ttl: float) -> FetchResult | None:
        return self.store.get_page(url, ttl)

    def put(self, result: FetchResult) -> None:
        pass  # the pipeline saves pages itself, with their extraction


async def _fetch_and_read(fetcher, fused, candidates: dict[str, Candidate], fetches: list[FetchResult],
                          store, run_id, limit: int, progress: Progress, summary: dict, *, country: str = "") -> None:
    from discover.pages.classify import classify
    from discover.pages.user_model import preferred_model
    from discover.pages.extract import extract
    from discover.domains import registrable_domain
    from discover.urls import FOR_STORE, url_key

    summary["stage"] = "fetch"
    labels = _user_labels(store)
    model = preferred_model(fetcher.settings.data_path())   # the user's own, after `discover train`
    by_url = {f.url: f for f in fused[:limit]}
    urls = list(by_url)
    done = 0
    async for index, fr in fetcher.iter_fetch(urls):
        done += 1
        progress("fetch", done, len(urls))
        fetches.append(fr)
        hit = by_url[urls[index]]
        if fr.outcome != FetchOutcome.OK:
            if store is not None and fr.path != "cache":
                store.save_page(run_id, fr)
            continue
        extraction: Extraction | None = None
        classification: Classification | None = None
        if store is not None and fr.path == "cache":
            extraction, classification = store.get_extraction(fr.url)
        if extraction is None:
            # CPU-bound: keep the event loop (and the other fetches) moving.
            # The --geo country reads the phone numbers of pages that do not say where they are.
            extraction = await asyncio.to_thread(extract, fr, max_links=fetcher.settings.max_links,
                                                 country=country)
        if classification is None:
            classification = classify(extraction, fr.html, hint_types=tuple(hit.types), model=model)
        if store is not None:
            store.save_page(run_id, fr, extraction, classification)
            fr.screenshot = b""   # kept with the page in the store; a run holds hundreds of pages
        url = fr.final_url or fr.url
        label = labels.get(url_key(url, FOR_STORE)) or labels.get(url_key(fr.url, FOR_STORE))
        if label:   # the user's word beats the model's (the store keeps the model's, for `discover train`)
            classification = Classification(ProspectType(label), 1.0, ["as you labelled it in review",
                                                          *[e for e in classification.evidence if e.startswith("model:")]])
        candidates[url] = Candidate(
            url=url, domain=registrable_domain(url), extraction=extraction, classification=classification,
            html=fr.html, found_by_types=tuple(hit.types),
            found_by=tuple(f"{engine}: {query}" for engine, query, _rank in hit.found_by))


def _user_labels(store) -> dict[str, str]:
    """Canonical page URL → the type the user gave it in review."""
    if store is None:
        return {}
    from discover.outreach.ledger import labelled_pages
    from discover.urls import FOR_STORE, url_key

    return {url_key(u, FOR_STORE): t for u, t in labelled_pages(store).items()}


async def _enrich_contacts(fetcher, candidates: list[Candidate], progress: Progress) -> None:
    from discover.pages.contacts import enrich_contacts

    todo = [c for c in candidates if c.classification.type not in (ProspectType.SPAM, ProspectType.OTHER)]
    # One contact crawl per site: the best page of a site shares its contacts with the others.
    by_domain: dict[str, list[Candidate]] = defaultdict(list)
    for c in todo:
        by_domain[c.domain].append(c)
    done = 0

    async def one(group: list[Candidate]) -> None:
        nonlocal done
        # Completion order varies between runs; pick the same page every time.
        lead = min(group, key=lambda c: (len(c.url), c.url))
        contacts = await enrich_contacts(fetcher, lead.extraction)
        for c in group:
            seen = {(x.kind, x.value) for x in c.extraction.contacts}
            c.extraction.contacts = c.extraction.contacts + [x for x in contacts if (x.kind, x.value) not in seen]
        done += 1
        progress("contacts", done, len(by_domain))

    await asyncio.gather(*(one(g) for g in by_domain.values()))


async def _check_links(runtime: "Runtime", candidates: list[Candidate], store, progress: Progress) -> None:
    from discover.links.linkcheck import LinkChecker

    pages = [c for c in candidates if c.classification.type in LINKCHECK_TYPES]
    if not pages:
        return
    checker = LinkChecker(runtime, runtime.settings)
    try:
        for i, c in enumerate(pages, 1):
            outbound = [link for link in c.extraction.links if not link.internal]
            c.link_checks = await checker.check_links(c.url, outbound)
            if store is not None:
                store.save_links(c.url, c.link_checks)
            progress("links", i, len(pages))
    finally:
        close = getattr(checker, "aclose", None)
        if close is not None:
            await close()


def _assess_quality(candidates: list[Candidate], fetches: list[FetchResult], store) -> None:
    from discover.links.authority import authority_scores
    from discover.links.quality import assess_site

    # The link graph: this run's pages plus every link the store has seen in earlier runs.
    links_by_page: dict[str, list[str]] = defaultdict(list)
    for c in candidates:
        links_by_page[c.url].extend(link.url for link in c.extraction.links if not link.internal)
    if store is not None:
        for page, url in store.all_links_edges():
            links_by_page[page].append(url)
    authority = authority_scores(links_by_page) if links_by_page else {}
    fetch_by_url = {f.final_url or f.url: f for f in fetches}
    by_domain: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_domain[c.domain].append(c)
    for domain, group in by_domain.items():
        quality = assess_site(domain, [c.extraction for c in group],
                              fetches=[fetch_by_url[c.url] for c in group if c.url in fetch_by_url],
                              returned_by_search=True, authority=authority.get(domain, 0.0))
        for c in group:
            c.quality = quality
        if store is not None:
            store.save_site_quality(quality)


async def _load_about(fetcher, about: tuple[str, ...]) -> list[str]:
    """The user's own content (files or pages) that profiles the niche beside the keyword."""
    from discover.pages.extract import extract

    texts = []
    for item in about:
        path = Path(item).expanduser()
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        elif item.startswith(("http://", "https://")):
            page = await fetcher.fetch(item)
            if page.outcome != FetchOutcome.OK:
                raise InputError(f"--about {item} could not be read ({page.outcome}: {page.reason or page.status})")
            ex = await asyncio.to_thread(extract, page)
            texts.append(f"{ex.title}\n{ex.text}")
        else:
            raise InputError(f"--about {item!r} is neither a readable file nor a URL")
    return texts


def _judged_texts(store, keyword: str) -> tuple[list[str], list[str]]:
    """Pages the user approved, and rejected as off-topic, for this niche in review."""
    if store is None:
        return [], []
    from discover.outreach.ledger import topic_feedback

    return topic_feedback(store, keyword)


def _score(cands: list[Candidate], keyword: str, target: Any, types: tuple[str, ...], settings,
           about_texts: list[str], expansions: list[str], approved: Sequence[str] = (),
           rejected: Sequence[str] = ()) -> list[Score]:
    from discover.rank.score import score_candidates

    return score_candidates(cands, keyword=keyword, target=target, types=types, settings=settings,
                            about_texts=about_texts, expansions=expansions, approved=approved,
                            rejected=rejected)


async def _journalist_queries(runtime: "Runtime", prospects: list[Prospect], keyword: str, geo: str,
                              summary: dict) -> None:
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


def _apply_ledger(prospects: list[Prospect], store: "Store | None", request: RunRequest,
                  result: RunResult) -> list[Prospect]:
    """What the run may show: the visibility policy over the ledger, suppression list and own sites."""
    from discover.outreach.policy import Policy

    shown, result.hidden = Policy.load(store, request.visibility(), about=request.about).apply(prospects)
    return shown


def _record_footprint_yield(store, outcomes: list[QueryOutcome], prospects: list[Prospect]) -> None:
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
