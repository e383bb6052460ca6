"""What kind of page is this? forum, directory, haro, resource, guest_post, blog, news, spam or other.

Two parts, combined:
  rules   markup and text fingerprints a person would cite (forum software, dated posts, listing
          entries + submit form, deadline/outlet fields, "write for us" with guidelines, outbound
          link profile, spam anchors); each fired rule adds to its type and leaves an evidence line;
  model   a logistic regression over the hand-made features (pages/features.py), the rule
          scores and TF-IDF of URL/title/heading words, fitted by models/build_page_type.py and
          stored as plain JSON inside the package (discover/data/models/page_type.json) — no
          pickle, loads in milliseconds.

The footprint that found a page (`hint_types`) never decides its label: the page must show it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from discover.errors import ModelError
from discover.pages.features import CUES, page_features, page_tokens
from discover.records import PROSPECT_TYPES, Classification, Extraction, ProspectType

#: The fitted model ships as package data, so a plain (non-editable) install finds it.
MODEL_PATH: Traversable = resources.files("discover") / "data" / "models" / "page_type.json"
MODEL_FORMAT = "discover-page-type/1"
#: Key in rule_scores' evidence dict listing the types the page contradicts.
VETO = "_vetoed"
#: Weight of the rules against the model in the final vote.
RULE_WEIGHT = 0.35
_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # the TfidfVectorizer default, so build and use agree
_LISTING_CLASS = re.compile(r"listing|business|company|directory|vcard|\bbiz|\bplace|search-result|"
                            r"\bshop|vendor|member|\bentry|\brow\b", re.I)
# Menus and post lists repeat too; they are not listings.
_NOT_LISTING = re.compile(r"menu|nav|post|comment|widget|footer|social|share", re.I)


def rule_scores(ext: Extraction, html: str = "", feats: dict[str, float] | None = None
                ) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Per-type rule score (0 = no sign) and the evidence lines behind it."""
    f = feats if feats is not None else page_features(ext, html)
    meta = ext.meta or {}
    score: dict[str, float] = {t: 0.0 for t in PROSPECT_TYPES}
    why: dict[str, list[str]] = {t: [] for t in PROSPECT_TYPES}
    # Types the page was named for but fails to show (a "resources" page with 3 links): the
    # model, which reads titles and URLs, must not win them back.
    vetoed: list[str] = []
    why[VETO] = vetoed
    full = (ext.full_text or ext.text)[:20_000]
    title_blob = " ".join([ext.title, *meta.get("h1", [])])

    def add(t: str, points: float, reason: str) -> None:
        score[t] += points
        why[t].append(reason)

    # forum
    software = meta.get("forum_software") or []
    if software:
        add("forum", 1.5, f"{'/'.join(software[:2])} signature")
    posts = ext.forum_posts or 0
    if posts >= 2 and ext.forum_last_post:
        add("forum", 1.5 if posts >= 3 else 0.8, f"{posts} dated posts (newest {ext.forum_last_post})")
    elif posts >= 3:
        add("forum", 0.7, f"{posts} repeated post blocks")
    if f.get("url_forum") and f.get("cue_forum", 0) > 1.5:
        add("forum", 0.7, "forum URL and thread vocabulary (reply/quote/joined)")

    # haro: journalist query fields
    fields = {m.lower().strip(" :") for m in re.findall(r"(?im)^\s*(deadline|outlet|media outlet|requirements)\s*:",
                                                         ext.full_text[:50_000] or full)}
    if not fields:
        fields = {m.lower() for m in re.findall(r"(?i)\b(deadline|outlet|requirements)\s*:", full)}
    if html:
        # Field labels in table headers / definition terms / bold labels: <th>Deadline</th>
        fields |= {m.lower().replace("media ", "") for m in re.findall(
            r"(?i)<(?:th|dt|strong|b|label|span|td)\b[^>]*>\s*(deadline|media outlet|outlet|requirements)\s*:?\s*</",
            html[:300_000])}
    if {"deadline"} <= fields and (fields & {"outlet", "media outlet"}):
        add("haro", 3.0, "deadline and outlet fields")
    elif "deadline" in fields and f.get("cue_haro", 0) > 1.0:
        add("haro", 1.5, "deadline field and journalist wording")
    elif f.get("cue_haro", 0) > 1.6 and f.get("url_haro"):
        add("haro", 1.0, "journalist source-request wording")

    # guest post: an invitation with guidelines, not a "write for us" menu link
    wfu_title = bool(CUES["write_for_us"].search(title_blob)) or bool(f.get("url_guest"))
    guidelines = len(CUES["guidelines"].findall(full))
    if wfu_title and guidelines >= 2:
        add("guest_post", 3.0, f"'write for us' with guidelines ({guidelines} guideline cues)")
    elif wfu_title and guidelines == 1:
        add("guest_post", 1.2, "'write for us' page with thin guidelines")
    elif wfu_title:
        why["guest_post"].append("'write for us' in title/URL but no guidelines")
        vetoed.append("guest_post")
    elif f.get("cue_write_for_us", 0) > 0 and guidelines >= 3:
        add("guest_post", 1.0, "guest contributions invited in the text")

    # directory: many listing entries, a submit form
    listings = _listing_entries(html) if html else 0
    submit = bool(f.get("form_submit"))
    if listings >= 5 and submit:
        add("directory", 3.0, f"{listings} listing entries + submit form")
    elif listings >= 5 and f.get("cue_directory", 0) > 0.6:
        add("directory", 1.8, f"{listings} listing entries + 'add your listing' wording")
    elif submit and f.get("cue_directory", 0) > 0.6:
        add("directory", 1.5, "submit-your-site form")
    elif f.get("schema_business") and (f.get("phones", 0) > 0 or f.get("addresses", 0) > 0) and f.get("url_directory"):
        add("directory", 1.0, "business listing markup with phone/address")
    join_link = any(CUES["directory"].search(lk.anchor) for lk in ext.links
                    if lk.internal or not lk.url.startswith("http"))
    if not score["directory"] and join_link and html:
        # Old or plain markup: table rows, repeated sections/headings or classed rows with no
        # listing vocabulary, plus a "join the directory" / "add your business" link.
        entries = max(listings, _plain_entries(html))
        if entries >= 3:
            add("directory", 2.0, f"{entries} repeated entries + 'add your business' link")
    outbound_sites = {urlsplit(lk.url).hostname for lk in ext.links
                      if lk.position == "content" and not lk.internal and lk.url.startswith("http")}
    if not score["directory"] and len(outbound_sites) >= 3 and CUES["directory"].search(title_blob) and any(
            CUES["directory"].search(lk.anchor) for lk in ext.links if lk.internal or not lk.url.startswith("http")):
        # Plain markup (no listing classes, a link rather than a form): the title names a
        # directory and the site offers a submission page.
        add("directory", 1.5, "directory title + 'submit a site' link")

    # resource: a curated list of outbound links
    content_ext = [lk for lk in ext.links if lk.position == "content" and not lk.internal and lk.url.startswith("http")]
    domains = {urlsplit(lk.url).hostname for lk in content_ext}
    links_word = bool(re.search(r"\blinks\b", title_blob, re.I)) or bool(f.get("url_resource"))
    if links_word and len(domains) < 8:
        # A semantic <section><ul> of outbound links can be read as navigation; menus do not
        # point at eight other sites, a "links" page does.
        listed = [lk for lk in ext.links if lk.position in ("content", "navigation") and not lk.internal
                  and lk.url.startswith("http")]
        if len({urlsplit(lk.url).hostname for lk in listed}) >= 8:
            content_ext = listed
            domains = {urlsplit(lk.url).hostname for lk in listed}
    res_title = bool(CUES["resource"].search(title_blob)) or links_word
    if res_title and len(domains) >= 8:
        add("resource", 3.0, f"resources page with {len(content_ext)} outbound links to {len(domains)} sites")
    elif res_title and len(domains) >= 5:
        add("resource", 1.5, f"resources page with {len(domains)} outbound sites")
    elif res_title:
        why["resource"].append(f"'resources' in title but only {len(domains)} outbound sites")
        vetoed.append("resource")
    elif len(domains) >= 15 and f.get("content_external_ratio", 0) > 0.4 and not f.get("spam_anchors"):
        add("resource", 1.0, f"{len(domains)} outbound sites linked from the content")

    # spam: casino/pill anchors, paid-link offers, keyword stuffing
    anchors = Counter(w.lower() for lk in ext.links if not lk.internal for w in CUES["spam"].findall(lk.anchor))
    if sum(anchors.values()) >= 3:
        top = ", ".join(a for a, _ in anchors.most_common(2))
        share = len([lk for lk in ext.links if not lk.internal]) / max(1, len(ext.links))
        add("spam", 3.0, f"{share:.0%} outbound links, {top} anchors")
    title_spam = {w.lower() for w in CUES["spam"].findall(title_blob)}
    if len(title_spam) >= 2:
        add("spam", 4.0, f"link-selling title ({', '.join(sorted(title_spam)[:3])})")
        vetoed.extend(["resource", "directory"])  # a list of links sold as links is the farm itself
    vocab_spam = score["spam"]
    paid = len(CUES["paid"].findall(full))
    if paid >= 2:
        add("spam", 1.5, f"paid-link offers ({paid} mentions)")
    text_spam = {w.lower() for w in CUES["spam"].findall(full + " " + " ".join(lk.anchor for lk in ext.links))}
    if len(text_spam) >= 3:
        add("spam", 1.5, f"spam vocabulary in the page ({', '.join(sorted(text_spam)[:3])})")
    vocab_spam = score["spam"]  # anchors, titles, offers, vocabulary: not the shape of the text
    if f.get("top_word_share", 0) > 0.08 and f.get("text_len", 0) > 5:
        add("spam", 1.0, f"keyword stuffing (top word {f['top_word_share']:.0%} of text)")
    if f.get("unique_word_ratio", 1) < 0.12 and f.get("text_len", 0) > 6:
        add("spam", 1.0, "repetitive generated text")
    if len(domains) < 5 and _repeated_phrases(ext.text or "") >= 3.0:  # link lists repeat item text
        add("spam", 1.5, "spun text (the same phrases over and over)")
    if vocab_spam >= 3 and "resource" not in vetoed:
        vetoed.extend(["resource", "directory"])  # a link farm or article mill is not a prospect list

    if not score["haro"] and html:
        requests = [lk for lk in ext.links if lk.internal and re.search(r"request|quer(?:y|ies)|/q/", lk.url, re.I)]
        dl = len(re.findall(r"(?i)\b(?:deadline|closes|due)\b", full))
        if len(requests) >= 3 and dl >= 3 and re.search(r"(?i)journalist|reporter|source request|sources?\b", full):
            add("haro", 2.5, f"{len(requests)} journalist requests with deadlines")

    # blog vs news
    path = urlsplit(ext.url).path
    if path in ("", "/", "/index.html", "/index.php") and html:
        post_links = {lk.url for lk in ext.links if lk.internal and lk.position in ("content", "navigation")
                      and re.search(r"/\d{4}/\d{2}/|/posts?/|/blog/", lk.url)}
        teasers = len(re.findall(r"(?i)read more|continue reading|\b\d+ comments?\b", full))
        if len(post_links) >= 2 and (f.get("wordpress") or teasers >= 2 or re.search(r"(?i)<body[^>]*class=[\"'][^\"']*\bblog\b", html[:5000])):
            add("blog", 1.5, f"home page listing {len(post_links)} posts")
    if f.get("schema_blog"):
        add("blog", 1.5, "schema.org BlogPosting")
    if f.get("form_comment") and (ext.author or ext.date):
        add("blog", 1.0, "comment form under a dated/authored post")
    if f.get("url_blog") and not f.get("url_news"):
        add("blog", 0.5, "/blog/ URL")
    if f.get("wordpress") and ext.date:
        add("blog", 0.3, "WordPress post")
    if f.get("schema_article"):
        add("news", 1.5, "schema.org NewsArticle")
    if f.get("url_news") and ext.date:
        add("news", 0.6, "dated article under a news URL")
    if f.get("og_article") and f.get("text_len", 0) > 7 and not f.get("form_comment"):
        add("news", 0.4, "og:type article without comment form")
    if ext.date and ext.author and f.get("cue_news", 0) > 1.0:
        add("news", 0.5, "bylined, dated report")
    return score, why


def _listing_entries(html: str) -> int:
    """Size of the largest group of repeated listing-like blocks (class shape repeated ≥ 5 times)."""
    counts = Counter(
        re.sub(r"\d+", "#", m.group(2).strip().lower())
        for m in re.finditer(r"<(li|div|article|tr|section)\b[^>]*class=[\"']([^\"']+)[\"']", html[:2_000_000], re.I)
        if _LISTING_CLASS.search(m.group(2)) and not _NOT_LISTING.search(m.group(2)))
    return max(counts.values(), default=0)


def _plain_entries(html: str) -> int:
    """Entries in markup without listing classes: rows of the largest table, headings of one section."""
    best = 0
    for piece in html[:500_000].lower().split("<table")[1:]:
        table = piece.split("</table>")[0]  # up to the first close: inner tables count on their own
        # Listing rows have a name cell and a detail cell; one-cell layout rows do not count.
        rows = sum(1 for row in table.split("<tr")[1:] if row.count("<td") >= 2)
        best = max(best, rows)
    for sec in re.findall(r"(?is)<section\b[^>]*>(.*?)</section>", html[:500_000]):
        best = max(best, len(re.findall(r"(?i)<h[2-4]\b", sec)))
    return best


def _repeated_phrases(text: str) -> float:
    """Distinct word 3-grams seen 3+ times, per 100 words: spun/stuffed articles repeat their phrases."""
    words = re.findall(r"[^\W\d_]+", text.lower()[:20_000])
    if len(words) < 60:
        return 0.0
    grams = Counter(tuple(words[i:i + 3]) for i in range(len(words) - 2))
    return 100.0 * sum(1 for n in grams.values() if n >= 3) / len(words)


@dataclass
class PageTypeModel:
    """The fitted model, as stored in discover/data/models/page_type.json."""

    classes: list[str]
    feature_names: list[str]
    mean: list[float]
    scale: list[float]
    vocab: dict[str, int]
    idf: list[float]
    coef: list[list[float]]
    intercept: list[float]
    info: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path | Traversable = MODEL_PATH) -> "PageTypeModel":
        if isinstance(path, str):
            path = Path(path)
        if not path.is_file():
            raise ModelError(f"page-type model not found at {path}",
                             hint="rebuild it: python models/build_page_type.py")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != MODEL_FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            model = cls(classes=list(data["classes"]), feature_names=list(data["feature_names"]),
                        mean=[float(x) for x in data["mean"]], scale=[float(x) or 1.0 for x in data["scale"]],
                        vocab={str(k): int(v) for k, v in data["vocab"].items()},
                        idf=[float(x) for x in data["idf"]],
                        coef=[[float(x) for x in row] for row in data["coef"]],
                        intercept=[float(x) for x in data["intercept"]], info=data.get("info", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"page-type model at {path} is corrupt: {exc}",
                             hint="rebuild it: python models/build_page_type.py") from None
        width = len(model.feature_names) + len(model.vocab)
        if (len(model.coef) != len(model.classes) or any(len(r) != width for r in model.coef)
                or len(model.mean) != len(model.feature_names) or len(model.idf) != len(model.vocab)):
            raise ModelError(f"page-type model at {path} is corrupt: shapes do not match",
                             hint="rebuild it: python models/build_page_type.py")
        return model

    def vector(self, feats: dict[str, float], tokens: str) -> list[float]:
        dense = [(feats.get(n, 0.0) - m) / s for n, m, s in zip(self.feature_names, self.mean, self.scale)]
        sparse = [0.0] * len(self.vocab)
        for tok, n in Counter(_TOKEN.findall(tokens.lower())).items():
            j = self.vocab.get(tok)
            if j is not None:
                sparse[j] = (1.0 + math.log(n)) * self.idf[j]
        norm = math.sqrt(sum(x * x for x in sparse)) or 1.0
        return dense + [x / norm for x in sparse]

    def predict_proba(self, feats: dict[str, float], tokens: str) -> dict[str, float]:
        x = self.vector(feats, tokens)
        logits = [b + sum(w * v for w, v in zip(row, x) if v) for row, b in zip(self.coef, self.intercept)]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> PageTypeModel:
    return PageTypeModel.load(MODEL_PATH if path is None else path)


def model_inputs(ext: Extraction, html: str = "") -> tuple[dict[str, float], str]:
    """The model's input for one page: features (with rule scores) and its token text."""
    feats = page_features(ext, html)
    scores, _ = rule_scores(ext, html, feats)
    feats.update({f"rule_{t}": s for t, s in scores.items()})
    return feats, page_tokens(ext)


def combine(proba: Mapping[str, float], scores: Mapping[str, float], vetoed: Sequence[str]) -> dict[str, float]:
    """The final vote: the model's probabilities mixed with the rule scores, vetoed types cut down."""
    # Rules as a distribution: a type with no rule support keeps a small floor.
    rule_total = sum(scores.values())
    combined: dict[str, float] = {}
    for t in PROSPECT_TYPES:
        rule_p = scores[t] / rule_total if rule_total > 0 else 0.0
        weight = RULE_WEIGHT * min(1.0, rule_total / 3.0)
        combined[t] = (1 - weight) * proba.get(t, 0.0) + weight * rule_p
    for name in vetoed:
        combined[name] *= 0.2
    return combined


def preferred_model(data_dir: str | Path | None) -> PageTypeModel:
    """The user's own model (`discover train`) when there is a usable one, else the shipped model.

    A user model fitted on another shipped model (the tool was upgraded since) is set aside:
    its features may no longer mean what they meant; `discover train` refits it.
    """
    if data_dir:
        path = Path(data_dir) / "models" / "page_type.json"
        if path.is_file():
            import logging

            try:
                user = _load_user_model(str(path), path.stat().st_mtime_ns)
            except ModelError as exc:
                logging.getLogger(__name__).warning("ignoring your page-type model: %s", exc)
            else:
                if user.info.get("base_model_sha256") == _shipped_digest():
                    return user
                logging.getLogger(__name__).warning(
                    "ignoring your page-type model at %s: it was trained on an older shipped model; "
                    "run `discover train` again", path)
    return load_model()


@lru_cache(maxsize=4)
def _load_user_model(path: str, _mtime_ns: int) -> PageTypeModel:
    """Cached per file version: a retrained model is read again."""
    return PageTypeModel.load(path)


@lru_cache(maxsize=1)
def _shipped_digest() -> str:
    import hashlib

    return hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()


def classify(extraction: Extraction, html: str = "", *, hint_types: tuple[str, ...] = (),
             model: PageTypeModel | None = None) -> Classification:
    """The page's type with a confidence and the evidence for it; `hint_types` only annotates."""
    model = model or load_model()
    feats = page_features(extraction, html)
    scores, why = rule_scores(extraction, html, feats)
    feats.update({f"rule_{t}": s for t, s in scores.items()})
    proba = model.predict_proba(feats, page_tokens(extraction))
    combined = combine(proba, scores, why[VETO])
    label = max(combined, key=combined.__getitem__)
    evidence = list(why[label])
    evidence.append(f"model: {label} {proba.get(label, 0.0):.0%}")
    for hint in hint_types:
        if hint == label:
            evidence.append(f"confirms the '{hint}' footprint that found it")
        elif hint in PROSPECT_TYPES:
            neg = [w for w in why.get(hint, []) if "but" in w or "only" in w]
            evidence.append(f"found by a '{hint}' footprint, but the page is not one"
                            + (f" ({neg[0]})" if neg else ""))
    return Classification(type=ProspectType(label), confidence=round(combined[label], 3), evidence=evidence)
