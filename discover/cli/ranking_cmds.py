"""Ranking commands: `eval` (measure the ranking on a labelled world) and `explain` (why one prospect)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import (
    AllowPrivateOpt, BrowserOpt, DbOpt, GeoOpt, JsonOpt, TypesOpt, WebOpt, console, make_settings, print_json,
    print_table, progress, run_async,
)
from discover.errors import InputError
from discover.records import FetchOutcome


@app.command("eval")
def eval_cmd(
    web: Annotated[Path | None, typer.Option("--web", help="A labelled web directory (with labels.csv).",
                                             show_default=False)] = None,
    niche: Annotated[list[str] | None, typer.Option(
        "--niche", help="Only this niche (repeatable); default: every niche labels.csv judges.",
        show_default=False)] = None,
    floors: Annotated[Path | None, typer.Option(
        "--floors", help="Fail (exit 1) when a metric is below these floors (JSON, see models/eval_floors.json).",
        show_default=False)] = None,
    ranking_only: Annotated[bool, typer.Option(
        "--ranking-only", help="Score every page of the world instead of searching (ranking alone, no browser).")] = False,
    types: Annotated[bool, typer.Option(
        "--types", help="Page-type report instead: per-type precision/recall and confusion matrix, by "
        "site-grouped cross-validation over the real-page corpus and leave-one-world-out.")] = False,
    world: Annotated[list[Path] | None, typer.Option(
        "--world", help="With --types: a labelled world to include (repeatable; default fixtures/web, "
        "fixtures/web-holdout and fixtures/web-other, the last scored but never trained on).",
        show_default=False)] = None,
    realpages: Annotated[list[Path] | None, typer.Option(
        "--realpages", help="With --types: another folder holding manifest*.csv (repeatable; "
        "fixtures/realpages and $DISCOVER_REALPAGES are always read).", show_default=False)] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20,
                                       help="With --types: cross-validation folds (by site).")] = 5,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="With --types: re-read every page instead of using the model build's feature cache.")] = False,
    browser: BrowserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the full pipeline per labelled niche and report nDCG@10/20, P@10, recall, type F1, geo accuracy;
    with --types, report how well page types are recognised on sites the model never saw."""
    from discover.evaluate import METRICS, check_floors, evaluate_ranking_only, evaluate_world

    if not types and web is None:
        raise InputError("eval needs a labelled world (--web DIR) or --types",
                         hint="discover eval --web fixtures/web   |   discover eval --types")
    if types and (niche or ranking_only):
        raise InputError("--types reports page types; --niche and --ranking-only are for ranking",
                         hint="discover eval --types [--world DIR] [--floors models/eval_floors.json]")
    spec: dict = {}
    if floors is not None:   # read before the (long) evaluation: a bad file must not waste it
        try:
            spec = json.loads(floors.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read floors file {floors}: {getattr(exc, 'strerror', None) or exc}") from None
        if not isinstance(spec, dict):
            raise InputError(f"floors file {floors} is not a JSON object", hint="see models/eval_floors.json")
    if types:
        worlds = list(world or []) + ([web] if web is not None else [])
        _eval_types(worlds, list(realpages or []), folds, fresh, spec if floors is not None else None, as_json)
        return
    assert web is not None   # checked above
    settings = make_settings(web=web, browser=browser)
    if ranking_only:
        report = evaluate_ranking_only(settings, web, niches=niche or None)
    else:
        report = run_async(evaluate_world(settings, web, niches=niche or None))
    problems: list[str] = []
    if floors is not None:
        # a floors file may hold both sets (models/eval_floors.json): pick the one for this mode
        section = spec.get("ranking_only" if ranking_only else "full", spec)
        problems = check_floors(report, section)
        report["floor_failures"] = problems
    if as_json:
        print_json(report)
    else:
        metrics = [*METRICS] + (["haro_p@5"] if "haro_p@5" in report["macro"] else [])
        rows = [[r["niche"], r["geo"] or "-", r["prospects"]] + ["-" if r.get(m) is None else f"{r[m]:.3f}"
                                                                 for m in metrics] for r in report["niches"]]
        rows.append(["macro", "", ""] + ["-" if report["macro"].get(m) is None else f"{report['macro'][m]:.3f}"
                                         for m in metrics])
        print_table(f"eval on {report['world']}", ["niche", "geo", "prospects", *metrics], rows)
        for p in problems:
            console().print(f"[red]below floor:[/red] {p}")
    if problems:
        raise typer.Exit(1)


def _eval_types(worlds: list[Path], realpages: list[Path], folds: int, fresh: bool, spec: dict | None,
                as_json: bool) -> None:
    from discover.evaluate import check_type_floors, evaluate_page_types

    with progress() as bar:
        task = bar.add_task("reading labelled pages", total=None)
        report = evaluate_page_types(worlds or None, realpages, folds=folds, fresh=fresh,
                                     on_progress=lambda done, total: bar.update(task, completed=done, total=total))
    problems: list[str] = []
    if spec is not None:
        problems = check_type_floors(report, spec.get("page_types", spec))
        report["floor_failures"] = problems
    if as_json:
        print_json(report)
    else:
        _print_type_report(report, problems)
    if problems:
        raise typer.Exit(1)


def _short(t: str) -> str:
    return {"directory": "dir", "guest_post": "guest", "resource": "res"}.get(t, t)


def _print_type_report(report: dict, problems: list[str]) -> None:
    c = console()
    real = report["data"]["real"]
    c.print(f"real-page corpus: {real['pages']} pages from {real['sites']} sites; worlds: "
            + ", ".join(f"{w} {n}" for w, n in report["data"]["worlds"].items()))
    sections = []
    if "grouped_cv" in report:
        g = report["grouped_cv"]
        sections.append((f"real corpus, {g['folds']}-fold cross-validation by site (no site on both sides)", g))
    for w, rep in (report.get("lowo") or {}).get("per_world", {}).items():
        sections.append((f"leave-one-world-out: {w} (model fitted on the other worlds)", rep))
    for title, rep in sections:
        rows = [[t, v["support"], f"{v['precision']:.2f}", f"{v['recall']:.2f}", f"{v['f1']:.2f}"]
                for t, v in rep["per_type"].items()]
        rows.append(["macro", rep["pages"], "", "", f"{rep['macro_f1']:.3f}"])
        print_table(title, ["type", "pages", "precision", "recall", "F1"], rows)
        labels = rep["labels"]
        matrix = [[_short(t)] + [rep["confusion"][t].get(p, 0) or "." for p in labels] for t in rep["confusion"]]
        print_table("confusion (rows: true, columns: predicted)", ["true"] + [_short(p) for p in labels], matrix)
        u = rep.get("uncertainty") or {}
        if u:
            c.print(f"uncertain: {u['uncertain']} pages (right among the top two: {u['uncertain_right_in_top2']}); "
                    f"accuracy certain {u['accuracy_certain']}, uncertain {u['accuracy_uncertain']}")
    if "lowo" in report:
        c.print(f"leave-one-world-out macro-F1: mean {report['lowo']['mean_macro_f1']:.3f}, "
                f"pooled {report['lowo']['pooled_macro_f1']:.3f}")
    for p in problems:
        c.print(f"[red]below floor:[/red] {p}")


@app.command()
def explain(
    url: Annotated[str, typer.Argument(help="The prospect's URL.")],
    run: Annotated[int | None, typer.Option("--run", help="Explain it as ranked in this run (default: latest).",
                                            show_default=False)] = None,
    niche: Annotated[str | None, typer.Option(
        "--niche", help="Score the page live for this keyword (when it is not in the database).",
        show_default=False)] = None,
    geo: GeoOpt = None,
    types: TypesOpt = None,
    web: WebOpt = None,
    db: DbOpt = None,
    browser: BrowserOpt = None,
    allow_private: AllowPrivateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Why a prospect ranks where it does: topic terms, place and distance, type evidence, quality."""
    if not url.strip():
        raise InputError("the URL is empty", hint="give the prospect's page URL, e.g. http://example.com/resources")
    if niche and not url.startswith(("http://", "https://")):
        raise InputError(f"not an http(s) URL: {url}", hint="URLs start with http:// or https://")
    settings = make_settings(web=web, db=db, browser=browser, allow_private=allow_private)
    data: dict | None = None
    if not niche:
        from discover.store import Store

        store = Store.open(settings.db_url())
        try:
            prospect = store.get_prospect(url, run_id=run)
        finally:
            store.close()
        if prospect is None:
            raise InputError(f"{url} is not a prospect of {'run ' + str(run) if run else 'any run'} in the database",
                             hint="give --niche (and --geo) to score it live")
        data = {"url": prospect.url, "score": prospect.score, "type": prospect.type,
                "geo_tier": prospect.geo_tier, "why": prospect.why, "explanation": prospect.explanation,
                "niche": prospect.niche, "geo": prospect.geo, "source": "database"}
    else:
        data = run_async(_explain_live(settings, url, niche, geo or "", types))
    if as_json:
        print_json(data)
        return
    c = console()
    from rich.markup import escape

    c.print(f"[bold]{escape(data['url'])}[/bold]  score {data['score']:.3f}  ({escape(data['niche'])}"
            + (f" @ {escape(data['geo'])}" if data.get("geo") else "") + f", {data['source']})")
    c.print(escape(data["why"]))
    exp = data.get("explanation") or {}
    if exp.get("top_terms"):
        c.print("topic terms: " + ", ".join(f"{escape(str(t))} {w:.2f}" for t, w in exp["top_terms"]))
    if exp.get("geo_place") or data.get("geo_tier"):
        dist = exp.get("geo_distance_km")
        c.print(f"place: {escape(exp.get('geo_place') or '-')} — {data.get('geo_tier')}"
                + (f", {dist} km" if dist is not None else ""))
    for key in ("type_evidence", "quality_reasons", "geo_evidence"):
        if exp.get(key):
            c.print(f"{key.replace('_', ' ')}: " + "; ".join(escape(str(x)) for x in exp[key]))


async def _explain_live(settings, url: str, niche: str, geo: str, types: str | None) -> dict:
    from discover.pages.classify import classify
    from discover.domains import registrable_domain
    from discover.pages.extract import extract
    from discover.pages.fetch import Fetcher
    from discover.rank.geo import geo_tier, locate, parse_place
    from discover.inputs import parse_types
    from discover.records import Candidate
    from discover.runtime import Runtime
    from discover.rank.score import score_candidates

    target = parse_place(geo) if geo else None
    wanted = parse_types(types)
    async with Runtime(settings) as runtime:
        async with Fetcher(runtime, settings) as fetcher:
            fetched = await fetcher.fetch(url)
    if fetched.outcome != FetchOutcome.OK:
        from discover.errors import FetchError

        raise FetchError(f"cannot fetch {url}: {fetched.outcome} {fetched.reason}".strip(), outcome=fetched.outcome)
    ex = extract(fetched)
    cls = classify(ex, fetched.html, hint_types=())
    cand = Candidate(url=fetched.final_url or url, domain=registrable_domain(url), extraction=ex,
                     classification=cls, html=fetched.html)
    score = score_candidates([cand], keyword=niche, target=target, types=wanted, settings=settings)[0]
    geo_ev = []
    if target is not None:
        geo_ev = list(geo_tier(target, locate(ex, fetched.html, cand.url), settings.nearby_km).evidence)
    return {"url": cand.url, "score": score.total, "type": cls.type, "geo_tier": score.geo_tier,
            "why": score.explanation, "niche": niche, "geo": geo, "source": "live (one page: topic judged alone)",
            "explanation": {"top_terms": score.top_terms, "geo_place": score.geo_place,
                            "geo_distance_km": score.geo_distance_km, "type_evidence": cls.evidence,
                            "geo_evidence": geo_ev,
                            "components": {"relevance": score.relevance, "geo": score.geo,
                                           "type_fit": score.type_fit, "quality": score.quality}}}


