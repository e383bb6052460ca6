"""A self-contained HTML report of one run: inline CSS and SVG charts, no script, no CDN.

Sections: the funnel (queries → results → pages → prospects), query outcomes per engine,
prospects by type, the score histogram, and the shortlist with explanations. Every piece
of scraped text goes through `html.escape`.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from discover.errors import ExportError, InputError
from discover.records import Prospect

if TYPE_CHECKING:
    from discover.outreach.policy import Visibility
    from discover.store import Store

PALETTE = ("#2b6cb0", "#38a169", "#d69e2e", "#e53e3e", "#805ad5", "#319795", "#dd6b20", "#718096")
OUTCOME_COLOURS = {"ok": "#38a169", "no_results": "#a0aec0", "blocked": "#e53e3e", "operator_ignored": "#d69e2e",
                   "error": "#805ad5"}

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1a202c;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e2e8f0}
.meta{color:#4a5568}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1.5rem}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e2e8f0;padding:.35rem;
text-align:left;vertical-align:top}th{background:#f7fafc}td.num{text-align:right;font-variant-numeric:tabular-nums}
.why{color:#4a5568}.tag{display:inline-block;padding:0 .4rem;border-radius:3px;background:#edf2f7}
svg text{font:12px system-ui,sans-serif;fill:#2d3748}
"""


def _bars(data: Sequence[tuple[str, float]], *, width: int = 460, colour: str = PALETTE[0], title: str = "") -> str:
    """A horizontal bar chart as inline SVG."""
    if not data:
        return "<p class='meta'>nothing to show</p>"
    row, label_w = 24, 140
    height = row * len(data) + 10
    peak = max(v for _, v in data) or 1
    parts = [f"<svg role='img' aria-label='{escape(title)}' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>"]
    for i, (label, value) in enumerate(data):
        y = 5 + i * row
        w = (width - label_w - 60) * value / peak
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>{escape(str(label))}</text>"
                     f"<rect x='{label_w}' y='{y + 3}' width='{w:.1f}' height='{row - 8}' fill='{colour}'/>"
                     f"<text x='{label_w + w + 4:.1f}' y='{y + 15}'>{value:g}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _stacked(per_engine: dict[str, dict[str, int]], width: int = 460) -> str:
    """Query outcomes per engine as stacked horizontal bars with a legend."""
    if not per_engine:
        return "<p class='meta'>no queries recorded</p>"
    outcomes = sorted({o for d in per_engine.values() for o in d})
    row, label_w = 26, 110
    height = row * len(per_engine) + 30
    peak = max(sum(d.values()) for d in per_engine.values()) or 1
    parts = [f"<svg role='img' aria-label='outcomes per engine' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>"]
    for i, (engine, counts) in enumerate(sorted(per_engine.items())):
        y, x = 5 + i * row, float(label_w)
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>{escape(engine)}</text>")
        for o in outcomes:
            w = (width - label_w - 20) * counts.get(o, 0) / peak
            if w > 0:
                parts.append(f"<rect x='{x:.1f}' y='{y + 3}' width='{w:.1f}' height='{row - 8}' "
                             f"fill='{OUTCOME_COLOURS.get(o, PALETTE[-1])}'><title>{escape(o)}: "
                             f"{counts.get(o, 0)}</title></rect>")
                x += w
    lx, ly = label_w, height - 8
    for o in outcomes:
        parts.append(f"<rect x='{lx}' y='{ly - 10}' width='10' height='10' fill='{OUTCOME_COLOURS.get(o, PALETTE[-1])}'/>"
                     f"<text x='{lx + 14}' y='{ly}'>{escape(o)}</text>")
        lx += 24 + 8 * len(o)
    parts.append("</svg>")
    return "".join(parts)


def _histogram(scores: Sequence[float], bins: int = 10, width: int = 460, height: int = 180) -> str:
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s * bins)))] += 1
    peak = max(counts) or 1
    bw = (width - 40) / bins
    parts = [f"<svg role='img' aria-label='score histogram' width='{width}' height='{height + 30}' "
             f"viewBox='0 0 {width} {height + 30}' xmlns='http://www.w3.org/2000/svg'>"]
    for i, c in enumerate(counts):
        h = (height - 20) * c / peak
        x = 20 + i * bw
        parts.append(f"<rect x='{x + 1:.1f}' y='{height - h:.1f}' width='{bw - 2:.1f}' height='{h:.1f}' "
                     f"fill='{PALETTE[0]}'><title>{i / bins:.1f}–{(i + 1) / bins:.1f}: {c}</title></rect>"
                     f"<text x='{x + bw / 2:.1f}' y='{height - h - 4:.1f}' text-anchor='middle'>{c or ''}</text>"
                     f"<text x='{x:.1f}' y='{height + 16}'>{i / bins:.1f}</text>")
    parts.append(f"<text x='{width - 20}' y='{height + 16}'>1.0</text></svg>")
    return "".join(parts)


def _shortlist(prospects: Sequence[Prospect]) -> str:
    if not prospects:
        return "<p class='meta'>no prospects</p>"
    rows = []
    for i, p in enumerate(prospects, 1):
        contact = escape(p.email) + (f" <span class='tag'>{escape(p.email_kind)}</span>" if p.email_kind else "")
        if not p.email and p.contact_page:
            contact = f"<a href='{escape(p.contact_page)}' rel='noopener nofollow'>contact page</a>"
        name = " ".join(x for x in (p.first_name, p.last_name) if x) or p.contact_name
        if name:
            contact = f"{escape(name)}<br>{contact}" if contact else escape(name)
        if p.phone:
            contact += f"<br><a href='tel:{escape(p.phone)}' rel='nofollow'>{escape(p.phone)}</a>"
        rows.append(
            f"<tr><td class='num'>{i}</td><td><a href='{escape(p.url)}' rel='noopener nofollow'>"
            f"{escape(p.domain)}</a><br><span class='why'>{escape(p.title)}</span></td>"
            f"<td><span class='tag'>{escape(p.type)}</span></td><td class='num'>{p.score:.2f}</td>"
            f"<td>{escape(p.geo_tier)}</td><td>{contact}</td>"
            f"<td class='why'>{escape(p.why)}<br><b>Pitch:</b> {escape(p.pitch)}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>site</th><th>type</th><th>score</th><th>geo</th><th>contact</th>"
            "<th>why / pitch</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def render_report(store: "Store", run_id: int | None = None, *, top: int = 100,
                  visibility: "Visibility | None" = None, info: dict[str, Any] | None = None) -> str:
    """The report of `run_id` (default: the latest run) as one HTML string; its shortlist lists
    what the visibility policy lets out (the charts count every prospect found). `info`, when
    given, is filled with the run and niche used and how many prospects are listed."""
    from discover.outreach.shortlist import select_prospects

    run = store.get_run(run_id) if run_id is not None else store.last_run()
    if run is None:
        raise InputError("no such run in this database" if run_id is not None else "the database holds no run yet",
                         hint="run `discover run KEYWORD` first, or check --run / --db")
    stats = store.run_stats(run.id)
    selection: dict[str, Any] = {}
    prospects = select_prospects(store, run_id=run.id, top=top, visibility=visibility, report=selection)
    if info is not None:
        info.update(selection, shown=len(prospects))
    funnel = [("queries", stats["queries"]), ("results", stats["results"]), ("distinct URLs", stats["distinct_urls"]),
              ("pages fetched", stats["pages"]), ("pages ok", stats["pages_ok"]), ("prospects", stats["prospects"])]
    by_type = sorted(stats["by_type"].items(), key=lambda kv: -kv[1])
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started_at))
    title = f"discover — {run.keyword}" + (f" @ {run.geo}" if run.geo else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{escape(title)}</title><style>{CSS}</style></head><body>
<h1>{escape(title)}</h1>
<p class="meta">Run {run.id} · {escape(run.status)} · started {escape(started)} ·
types: {escape(", ".join(run.types) or "all")}</p>
<div class="grid">
<section><h2>Funnel</h2>{_bars(funnel, title="funnel")}</section>
<section><h2>Query outcomes per engine</h2>{_stacked(stats["per_engine"])}</section>
<section><h2>Prospects by type</h2>{_bars(by_type, colour=PALETTE[1], title="prospects by type")}</section>
<section><h2>Score distribution</h2>{_histogram(stats["scores"])}</section>
</div>
<h2>Shortlist (top {len(prospects)})</h2>
{_shortlist(prospects)}
<p class="meta">Generated by discover on {escape(time.strftime("%Y-%m-%d %H:%M"))}.</p>
</body></html>
"""


def write_report(store: "Store", out: Path, run_id: int | None = None, *, top: int = 100,
                 visibility: "Visibility | None" = None, info: dict[str, Any] | None = None) -> Path:
    html = render_report(store, run_id, top=top, visibility=visibility, info=info)
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror}") from None
    return out
