"""Site quality: is a prospect site worth a link from — and is it a link scheme to stay away from?

    assess_site(domain, extractions, ...) -> SiteQuality

Every signal is named, computed from what the run saw, and explained in `reasons`:

    outbound            external links per page and per 100 words (link-farm density)
    unrelated_share     share of external links whose anchor and target share no term with the site topic
    paid_language       "buy a link", "sponsored post", "link packages", "featured listing $" ... (negations skipped)
    spam_anchors        casino / pharma / payday / essay ... anchors or target domains
    sitewide_blocks     external links in footer/sidebar positions, repeated across pages
    nofollow_share      rel=nofollow/sponsored/ugc share of external links (the site's link policy)
    comment_spam        comment links with commercial anchors (an unmoderated page)
    thin / repetition   very short main text; repeated word sequences (spun or generated text)
    noindex, returned_by_search
    editorial           byline, date, an about page link, contact details
    newest_date / age_days
    load_s, viewport

`spam` is True for link farms, sites selling links, pharma/casino link blocks and generated
text; the pipeline keeps those out of the shortlist unless asked.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import date
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from discover.domains import registrable_domain
from discover.records import Extraction, FetchResult, Link, SiteQuality

#: Phrases that mean links are for sale on the site.
PAID_PHRASES = (
    "buy a link", "buy links", "buy backlinks", "buy a backlink", "paid link", "paid links", "paid backlinks",
    "link packages", "link package", "sponsored post", "sponsored posts", "sponsored article",
    "link insertion", "niche edit", "dofollow link", "do-follow link", "permanent backlink", "pbn link",
    "guest post price", "price per post", "price per link", "backlinks for sale", "links for sale",
    "sell links", "we sell links", "rent a link", "featured listing $", "featured listing for $",
    "link placement", "homepage link for", "sitewide link",
)
_PAID = re.compile(r"(?:" + "|".join(re.escape(p).replace(r"\$", r"\s*\$") for p in PAID_PHRASES)
                   + r"|(?:featured|premium|sponsored) listing[^.]{0,30}\$\s?\d|\$\s?\d+[^.]{0,20}per (?:link|post))",
                   re.I)
_NEGATION = re.compile(r"\b(?:no|not|never|don'?t|do not|doesn'?t|won'?t|will not|refuse|without|nor)\b[^.]{0,25}$",
                       re.I)
#: Anchor / target words of the classic link-scheme verticals.
SPAM_TERMS = (
    "casino", "poker", "slots", "betting", "bet365", "viagra", "cialis", "levitra", "pharmacy", "pills",
    "payday", "loans", "loan", "essay writing", "essay", "essays", "replica", "porn", "xxx", "escort",
    "crypto signals", "forex", "weight loss pills", "cbd oil", "vape", "bitcoin casino", "adult",
)
_SPAM = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in SPAM_TERMS) + r")\b", re.I)
_COMMERCIAL = re.compile(r"\b(?:buy|cheap|discount|best price|order now|online|sale|deal|coupon|free shipping|"
                         r"click here|visit|shop)\b", re.I)
_DATE = re.compile(r"\b(19[9]\d|20[0-4]\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?\b")
_YEAR = re.compile(r"\b(199\d|20[0-4]\d)\b")
_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_STOP = frozenset("""
about above after again against also among another because been before being below between both cannot
could does doing down during each every from further have having here hers herself himself into itself
just like more most much must myself only other ours ourselves over same should some such than that their
theirs them themselves then there these they this those through under until very what when where which
while whom will with would your yours yourself yourselves the and for are but not you all any can had her
was one our out day get has him his how man new now old see two way who boy did its let put say she too use
page home click here read more best good great make made many well also http https www html index contact
privacy policy terms link links site website blog post posts news info article articles
""".split())

THIN_WORDS = 150          # main text shorter than this is thin
FARM_MIN_OUTBOUND = 25    # external links on one page before the unrelated share matters
FARM_UNRELATED = 0.5
DENSE_PER_100_WORDS = 8.0
SLOW_S = 3.0


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _stem(word: str) -> str:
    # Crude prefix stem: "grooming"/"groomer"/"groom" meet at "groom"; enough for topic overlap.
    return word[:5]


def _topic_stems(extractions: Sequence[Extraction], topic_terms: Iterable[str]) -> set[str]:
    counts: Counter[str] = Counter()
    for ex in extractions:
        for w in _words(" ".join((ex.title, ex.title, ex.description, ex.text or ex.full_text))):
            if w not in _STOP and len(w) >= 4:
                counts[_stem(w)] += 1
    stems = {s for s, _ in counts.most_common(40)}
    for term in topic_terms:
        stems |= {_stem(w) for w in _words(term) if w not in _STOP and len(w) >= 3}
    return stems


def _link_terms(link: Link) -> tuple[set[str], str]:
    host = (urlsplit(link.url).hostname or "").lower()
    labels = registrable_domain(host).rsplit(".", 1)[0] if host else ""
    words = {_stem(w) for w in _words(link.anchor + " " + labels.replace("-", " ").replace(".", " "))
             if w not in _STOP and len(w) >= 4}
    return words, labels.replace("-", "").replace(".", "")


def _related(link: Link, topic: set[str]) -> bool | None:
    """True/False when the link can be judged against the topic, None when it has nothing to judge by."""
    words, compact = _link_terms(link)
    if not words and not compact:
        return None
    if words & topic:
        return True
    # Compound domains ("dogspaleeds") hold topic words without separators.
    return any(len(s) >= 5 and s in compact for s in topic)


def _is_external(link: Link, domain: str) -> bool:
    if link.internal or not link.url.lower().startswith(("http://", "https://")):
        return False
    return registrable_domain(link.url) != domain


def _paid_hits(text: str) -> list[str]:
    hits: list[str] = []
    for m in _PAID.finditer(text):
        before = text[max(0, m.start() - 40):m.start()]
        if _NEGATION.search(before):
            continue  # "we do not accept paid links" is a good sign, not a bad one
        hits.append(m.group(0).strip().lower())
    return hits


def _repetition(text: str, k: int = 5) -> float:
    """Share of k-word sequences that occur more than once (spun / generated text repeats itself)."""
    words = _words(text)
    if len(words) < 150:  # too short to tell repetition from a reused phrase
        return 0.0
    grams = [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
    counts = Counter(grams)
    repeated = sum(c for c in counts.values() if c > 1)
    return repeated / len(grams)


def _dates(ex: Extraction) -> list[date]:
    found: list[date] = []
    for source in (ex.date, str(ex.meta.get("date", "")), str(ex.meta.get("modified", "")),
                   str(ex.meta.get("published", "")), ex.forum_last_post):
        for m in _DATE.finditer(source or ""):
            try:
                found.append(date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)))
            except ValueError:
                continue
        if not found and source:
            years = [int(y) for y in _YEAR.findall(source)]
            found += [date(y, 1, 1) for y in years]
    return found


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "none")
    return bool(value)


def assess_site(domain: str, extractions: list[Extraction], *, fetches: Sequence[FetchResult] = (),
                returned_by_search: bool = True, authority: float = 0.0, topic_terms: Sequence[str] = (),
                today: date | None = None) -> SiteQuality:
    """Quality signals, a 0..1 score, a spam verdict and human-readable reasons for one site."""
    domain = registrable_domain(domain) or domain
    today = today or date.today()
    signals: dict[str, Any] = {}
    reasons: list[str] = []
    spam_reasons: list[str] = []
    if not extractions:
        return SiteQuality(domain=domain, score=0.0, signals={"pages": 0}, reasons=["no page could be read"],
                           authority=authority)
    topic = _topic_stems(extractions, topic_terms)

    # --- outbound links, density, unrelated share (link farm) ---------------------------
    per_page: list[dict[str, Any]] = []
    all_external: list[Link] = []
    for ex in extractions:
        ext = list({l.url: l for l in ex.links if _is_external(l, domain)}.values())
        all_external += ext
        judged = [r for r in (_related(l, topic) for l in ext if l.position != "comments") if r is not None]
        words = len(_words(ex.text or ex.full_text))
        per_page.append({"url": ex.url, "external": len(ext), "words": words,
                         "unrelated": (judged.count(False) / len(judged)) if judged else 0.0})
    worst = max(per_page, key=lambda p: p["external"])
    density = worst["external"] * 100.0 / max(worst["words"], 1)
    signals["outbound_max"] = worst["external"]
    signals["outbound_mean"] = round(statistics.fmean(p["external"] for p in per_page), 1)
    signals["outbound_per_100_words"] = round(density, 1)
    signals["unrelated_share"] = round(worst["unrelated"], 2)
    link_farm = worst["external"] >= FARM_MIN_OUTBOUND and (
        worst["unrelated"] >= FARM_UNRELATED or (density >= DENSE_PER_100_WORDS and worst["unrelated"] >= 0.3))
    signals["link_farm"] = link_farm
    if link_farm:
        spam_reasons.append(f"link farm: {worst['external']} outbound links, "
                            f"{worst['unrelated']:.0%} to unrelated topics")
    elif worst["external"] >= FARM_MIN_OUTBOUND and density >= DENSE_PER_100_WORDS:
        reasons.append(f"many outbound links: {worst['external']} on one page "
                       f"({density:.0f} per 100 words)")

    # --- paid-link language ---------------------------------------------------------------
    paid: list[str] = []
    for ex in extractions:
        paid += _paid_hits(" ".join((ex.title, ex.text, ex.full_text)))
        paid += [h for l in ex.links if l.position != "comments" for h in _paid_hits(l.anchor)]
    paid_terms = sorted(set(paid))
    signals["paid_language"] = paid_terms
    if paid_terms:
        spam_reasons.append("paid-link language: " + ", ".join(f"'{p}'" for p in paid_terms[:3]))

    # --- spam anchors (outside comments), comment spam -------------------------------------
    own_spam = [(l, t) for l in all_external if l.position != "comments" for t in [_spam_term(l)] if t]
    signals["spam_anchors"] = len(own_spam)
    if len(own_spam) >= 2:
        sample = sorted({t for _, t in own_spam})
        spam_reasons.append(f"{len(own_spam)} links with spam anchors ({', '.join(sample[:4])})")
    comment_links = [l for ex in extractions for l in ex.links if l.position == "comments" and not l.internal]
    commercial = [l for l in comment_links if _spam_term(l) or _COMMERCIAL.search(l.anchor)]
    signals["comment_links"] = len(comment_links)
    signals["comment_spam"] = len(commercial)
    if len(commercial) >= 3:
        reasons.append(f"comment spam: {len(commercial)} comment links with commercial anchors (unmoderated)")

    # --- sitewide sidebar / footer blocks --------------------------------------------------
    block_links = [l for l in all_external if l.position in ("footer", "sidebar")]
    pages_per_url: Counter[str] = Counter()
    for ex in extractions:
        for u in {l.url for l in ex.links if l.position in ("footer", "sidebar") and _is_external(l, domain)}:
            pages_per_url[u] += 1
    sitewide = [u for u, n in pages_per_url.items() if n >= 2]
    per_page_blocks = len(block_links) / len(extractions)
    signals["footer_sidebar_external"] = round(per_page_blocks, 1)
    signals["sitewide_external"] = len(sitewide)
    unrelated_blocks = [l for l in block_links if _related(l, topic) is False]
    if per_page_blocks >= 8 or len(sitewide) >= 8:
        msg = f"sitewide link block: {per_page_blocks:.0f} external footer/sidebar links per page"
        if len(unrelated_blocks) >= max(5, len(block_links) // 2):
            spam_reasons.append(msg + f", {len(unrelated_blocks) / max(1, len(block_links)):.0%} unrelated")
        else:
            reasons.append(msg)

    # --- link policy ----------------------------------------------------------------------
    content_ext = [l for l in all_external if l.position != "comments"]
    nofollow = [l for l in content_ext if {"nofollow", "sponsored", "ugc"} & {r.lower() for r in l.rel}]
    share = len(nofollow) / len(content_ext) if content_ext else 0.0
    signals["nofollow_share"] = round(share, 2)
    if content_ext and share >= 0.8:
        reasons.append(f"outbound links are nofollow/sponsored ({share:.0%}): a link passes little value")

    # --- content: thin, spun ----------------------------------------------------------------
    word_counts = [p["words"] for p in per_page]
    median_words = statistics.median(word_counts)
    # Main text only: navigation, signatures and quoted posts repeat on honest pages too.
    repetition = max(_repetition(ex.text) for ex in extractions)
    signals["median_words"] = int(median_words)
    signals["repetition"] = round(repetition, 2)
    thin = median_words < THIN_WORDS
    spun = repetition >= 0.5
    signals["thin"] = thin
    signals["spun"] = spun
    if thin:
        reasons.append(f"thin content: {int(median_words)} words of main text")
    if spun:
        # Generated text alone may be a careless site; with link selling or a link farm it is a scheme.
        (spam_reasons if spam_reasons else reasons).append(
            f"repetitive text: {repetition:.0%} of phrases repeated (spun or generated)")

    # --- indexability ---------------------------------------------------------------------
    noindex = [ex.url for ex in extractions if _truthy(ex.meta.get("noindex"))]
    signals["noindex_pages"] = len(noindex)
    signals["returned_by_search"] = returned_by_search
    if noindex:
        reasons.append("noindex" if len(noindex) == len(extractions) else f"noindex on {len(noindex)} page(s)")
    if not returned_by_search:
        reasons.append("not returned by any search engine (possibly deindexed)")

    # --- editorial signals -----------------------------------------------------------------
    has_author = any(ex.author.strip() for ex in extractions)
    all_dates = [d for ex in extractions for d in _dates(ex) if d <= today]
    about = any(_looks_about(l) for ex in extractions for l in ex.links)
    contact = any(ex.contacts for ex in extractions) or any(_looks_contact(l) for ex in extractions for l in ex.links)
    editorial = 0.3 * has_author + 0.25 * bool(all_dates) + 0.2 * about + 0.25 * contact
    signals.update(byline=has_author, dated=bool(all_dates), about_page=about, contact=contact,
                   editorial=round(editorial, 2))
    missing = [n for n, ok in (("byline", has_author), ("date", all_dates), ("about page", about),
                               ("contact details", contact)) if not ok]
    if missing:
        reasons.append("no " + ", no ".join(missing))

    # --- freshness ----------------------------------------------------------------------------
    newest = max(all_dates) if all_dates else None
    age = (today - newest).days if newest else None
    signals["newest_date"] = newest.isoformat() if newest else ""
    signals["age_days"] = age
    if age is None:
        fresh = 0.4
    elif age <= 365:
        fresh = 1.0
    elif age <= 3 * 365:
        fresh = 0.5
        reasons.append(f"last updated {age // 30} months ago")
    else:
        fresh = 0.15
        reasons.append(f"stale: last updated {age // 365} years ago")

    # --- speed, mobile ---------------------------------------------------------------------------
    times = [f.elapsed_s for f in fetches if f.elapsed_s]
    load = statistics.fmean(times) if times else None
    signals["load_s"] = round(load, 2) if load is not None else None
    viewport = [ex for ex in extractions if "viewport" in ex.meta]
    has_viewport = any(_truthy(ex.meta.get("viewport")) for ex in viewport) if viewport else None
    signals["viewport"] = has_viewport
    if load is not None and load > SLOW_S:
        reasons.append(f"slow: {load:.1f} s per page")
    if has_viewport is False:
        reasons.append("no mobile viewport")

    # --- score ------------------------------------------------------------------------------------
    content = 0.0 if thin else 1.0
    content *= 0.4 if spun else 1.0
    indexable = (0.0 if noindex and len(noindex) == len(extractions) else 1.0) * (1.0 if returned_by_search else 0.3)
    technical = (0.5 if has_viewport is None else float(has_viewport)) * 0.5 + \
                (0.5 if load is None else (1.0 if load <= SLOW_S else 0.3)) * 0.5
    score = (0.25 * editorial + 0.2 * content + 0.1 * fresh + 0.15 * indexable + 0.1 * technical
             + 0.2 * max(0.0, min(1.0, authority)))
    if len(commercial) >= 3:
        score *= 0.7
    if share >= 0.8 and content_ext:
        score *= 0.85
    spam = bool(spam_reasons)
    if spam:
        score = min(score, 0.15) * 0.5
    signals["pages"] = len(extractions)
    return SiteQuality(domain=domain, score=round(max(0.0, min(1.0, score)), 3), spam=spam, signals=signals,
                       reasons=spam_reasons + reasons, authority=authority)


_SPAM_IN_DOMAIN = ("casino", "poker", "viagra", "cialis", "pharma", "payday", "loans", "essay", "replica",
                   "porn", "betting", "escort", "slots")


def _spam_term(link: Link) -> str:
    """The link-scheme vertical a link's anchor or target domain belongs to, or ""."""
    m = _SPAM.search(link.anchor)
    if m:
        return m.group(0).lower()
    compact = _link_terms(link)[1]
    return next((t for t in _SPAM_IN_DOMAIN if t in compact), "")


def _looks_about(link: Link) -> bool:
    path = urlsplit(link.url).path.lower()
    return link.internal and ("about" in path or "about" in link.anchor.lower() or "who we are" in link.anchor.lower())


def _looks_contact(link: Link) -> bool:
    if link.url.lower().startswith(("mailto:", "tel:")):
        return True
    path = urlsplit(link.url).path.lower()
    return link.internal and ("contact" in path or "contact" in link.anchor.lower())
