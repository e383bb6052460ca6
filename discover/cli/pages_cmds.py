"""Page commands: `discover page URL...` fetches, extracts, finds contacts and classifies pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from discover.cli.app import app
from discover.cli.common import (
    AllowPrivateOpt, BrowserOpt, EndpointOpt, HeadedOpt, JsonlOpt, JsonOpt, WebOpt, WideOpt, console, make_settings,
    print_json, print_jsonl, print_table, run_async,
)
from discover.errors import InputError
from discover.records import FetchOutcome


def _read_urls(urls: list[str] | None, from_file: Path | None) -> list[str]:
    out = list(urls or [])
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {from_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InputError(f"{from_file} is not a text file of URLs", hint="one URL per line, UTF-8") from None
        out += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not out:
        raise InputError("no URL given", hint="discover page URL [URL ...] or --from urls.txt")
    bad = [u for u in out if not u.startswith(("http://", "https://"))]
    if bad:
        raise InputError(f"not an http(s) URL: {bad[0]}", hint="URLs start with http:// or https://")
    return list(dict.fromkeys(out))


async def analyse_pages(settings: Any, urls: list[str], *, enrich: bool = True) -> list[dict[str, Any]]:
    """Fetch, extract, classify and find contacts for each URL: one dict per URL, in order."""
    from discover.pages.classify import classify, load_model
    from discover.pages.contacts import best_email, best_phone, contact_person, enrich_contacts, split_name
    from discover.pages.extract import extract
    from discover.pages.fetch import Fetcher
    from discover.records import as_dict
    from discover.runtime import Runtime

    model = load_model()   # a missing model is a ModelError before any fetching
    rows: list[dict[str, Any]] = []
    async with Runtime(settings) as rt, Fetcher(rt, settings) as fetcher:
        results = await fetcher.fetch_many(urls)
        for res in results:
            row: dict[str, Any] = {
                "url": res.url, "final_url": res.final_url, "outcome": res.outcome, "status": res.status,
                "path": res.path, "reason": res.reason, "elapsed_s": res.elapsed_s,
                "type": "", "confidence": 0.0, "evidence": [], "uncertain": False, "runner_up": "",
                "probabilities": {}, "title": "", "contacts": [],
            }
            if res.outcome == FetchOutcome.OK:
                ext = extract(res, max_links=settings.max_links)
                cls = classify(ext, res.html, model=model)
                contacts = await enrich_contacts(fetcher, ext) if enrich else ext.contacts
                best = best_email(contacts)
                phone = best_phone(contacts)
                person = contact_person(contacts, best)
                first, last = split_name(person)
                internal = sum(1 for lk in ext.links if lk.internal)
                row.update({
                    "type": cls.type, "confidence": cls.confidence, "evidence": cls.evidence,
                    "uncertain": cls.uncertain, "runner_up": cls.runner_up, "probabilities": cls.probabilities,
                    "title": ext.title, "author": ext.author, "date": ext.date, "language": ext.language,
                    "site_name": ext.site_name,
                    "links": len(ext.links), "internal_links": internal, "external_links": len(ext.links) - internal,
                    # a link flood keeps its first max_links links: say how many the page had
                    "links_total": ext.meta.get("links_total", len(ext.links)),
                    "links_truncated": bool(ext.meta.get("links_truncated")),
                    "nofollow_links": sum(1 for lk in ext.links if lk.rel),
                    "forum_posts": ext.forum_posts, "forum_last_post": ext.forum_last_post,
                    "noindex": ext.meta.get("noindex", False), "canonical": ext.meta.get("canonical", ""),
                    "forum_software": ext.meta.get("forum_software", []),
                    "text_chars": len(ext.text),
                    "best_email": best.value if best else "",
                    # E.164, read in `country` (the ccTLD, an address on the page or its language)
                    "phones": [c.value for c in contacts if c.kind == "phone"],
                    "best_phone": phone.value if phone else "",
                    "country": ext.country,
                    "contact_name": person, "first_name": first, "last_name": last,
                    "contacts": [as_dict(c) for c in contacts],
                })
            rows.append(row)
    return rows


@app.command()
def page(
    urls: Annotated[list[str] | None, typer.Argument(help="Page URLs to analyse.", show_default=False)] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="Read URLs from a file, one per line.",
                                                   show_default=False)] = None,
    web: WebOpt = None,
    ignore_robots: Annotated[bool, typer.Option("--ignore-robots", help="Fetch pages robots.txt disallows.")] = False,
    allow_private: AllowPrivateOpt = None,
    no_enrich: Annotated[bool, typer.Option("--no-enrich", help="Do not follow contact/about pages for contacts.")] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.1, help="Seconds per request.",
                                                  show_default=False)] = None,
    browser: BrowserOpt = None,
    browser_endpoint: EndpointOpt = None,
    headed: HeadedOpt = None,
    as_json: JsonOpt = False,
    as_jsonl: JsonlOpt = False,
    wide: WideOpt = False,
) -> None:
    """Fetch pages and show their type, evidence, contacts, links and forum activity.

    Exits 4 when none of the pages could be fetched (as `links` and `audit` do)."""
    targets = _read_urls(urls, from_file)
    settings = make_settings(web=web, ignore_robots=True if ignore_robots else None, timeout=timeout,
                             browser=browser, browser_endpoint=browser_endpoint, headed=headed,
                             allow_private=allow_private)
    rows = run_async(analyse_pages(settings, targets, enrich=not no_enrich))
    if as_json:
        # one document: the page's object for one URL (as always), a list for several
        print_json(rows[0] if len(rows) == 1 else rows)
    elif as_jsonl:
        print_jsonl(rows)
    else:
        _print_pages(rows, wide)
    failed = [r for r in rows if r["outcome"] != FetchOutcome.OK]
    if rows and len(failed) == len(rows):
        from discover.errors import FetchError

        first = failed[0]
        raise FetchError(f"none of the {len(rows)} page(s) could be fetched: {first['url']}: "
                         f"{first['outcome']}" + (f" ({first['reason']})" if first["reason"] else ""),
                         outcome=first["outcome"])


def _print_pages(rows: list[dict[str, Any]], wide: bool) -> None:
    print_table("pages", ["url", "outcome", "type", "conf.", "title", "best email", "phone", "contacts", "links",
                          "forum"],
                [(r["final_url"] or r["url"], r["outcome"] + (f" ({r['reason']})" if r["reason"] else ""),
                  r["type"] + (f" or {r['runner_up']}?" if r.get("uncertain") else ""),
                  f"{r['confidence']:.2f}" if r["type"] else "", r["title"][:60], r.get("best_email", ""),
                  r.get("best_phone", ""), len(r["contacts"]), r.get("links", ""),
                  f"{r['forum_posts']} posts, last {r['forum_last_post'] or '?'}" if r.get("forum_posts") else "")
                 for r in rows], wide=wide)
    c = console()
    from rich.markup import escape

    for r in rows:
        if r["evidence"]:
            c.print(f"[bold]{escape(r['url'])}[/bold]: " + escape("; ".join(r["evidence"])))
        who = [x for x in (r.get("contact_name", ""), r.get("best_email", ""), ", ".join(r.get("phones", [])[:3]),
                           r.get("site_name", "")) if x]
        if who:
            c.print(f"  contact: {escape(' · '.join(who))}")
