"""What kind of page is this? forum, directory, haro, resource, guest_post, blog, news, spam or other.

Two parts, one decision:
  rules   markup and text fingerprints a person would cite (forum software, dated posts, listing
          entries + submit form, deadline/outlet fields, an invitation to write with its terms,
          outbound link profile, spam anchors); each fired rule adds to its type's score and
          leaves an evidence line. Rule scores are *features* of the model — a missing word
          never vetoes a type; a contradiction ("'resources' in the title, three links") is a
          feature too (`contra_<type>`), and when the model still ranks the contradicted type
          first, the runner-up takes its place (marked uncertain);
  model   a logistic regression over the hand-made features (discover/pages/features.py), the
          rule scores and TF-IDF of URL/title/heading words, fitted by models/build_page_type.py
          on the real-page corpus and the labelled worlds, its probabilities calibrated on
          held-out sites (a temperature), stored as plain JSON inside the package
          (discover/data/models/page_type.json) — no pickle, loads in milliseconds.

The label is the model's most probable type. When the runner-up is within UNCERTAIN_MARGIN the
page is marked `uncertain`: its evidence shows both types and the score (rank/score.py) weighs
both instead of betting on one. The footprint that found a page (`hint_types`) never decides
its label: the page must show it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from discover.errors import ModelError
from discover.pages.features import CUES, LOWER_CUES, count_cue, page_features, page_tokens, title_blob
from discover.records import PROSPECT_TYPES, Classification, Extraction, ProspectType

#: The fitted model ships as package data, so a plain (non-editable) install finds it.
MODEL_PATH: Traversable = resources.files("discover") / "data" / "models" / "page_type.json"
MODEL_FORMAT = "discover-page-type/2"
#: Key in rule_scores' evidence dict listing the types the page contradicts (a feature, not a veto).
VETO = "_contradicted"
#: Top-two probability gap under which a page is `uncertain` (calibrated probabilities).
UNCERTAIN_MARGIN = 0.25
#: TF-IDF token pattern, shared by the fit (training.py) and the use (here) so they agree.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_TOKEN = re.compile(TOKEN_PATTERN)
_LISTING_CLASS = re.compile(r"listing|business|company|directory|vcard|\bbiz|\bplace|search-result|"
                            r"\bshop|vendor|member|\bentry|\brow\b|empresa|entreprise|firma|eintrag", re.I)
# A directory entry speaks to its owner: "is this your business? claim it", "if this is your entry...".
_CLAIM = re.compile(r"(?:is this|if this is|own this) (?:your )?(?:entry|listing|business|company|shop)|"
                    r"claim (?:this|your) (?:listing|business|entry|page)|"
                    r"(?:update|edit) (?:or (?:delete|remove) )?(?:this|your) (?:entry|listing)|"
                    r"ist das ihr (?:unternehmen|eintrag)|eintrag (?:bearbeiten|beanspruchen)|"
                    r"(?:es|is) (?:tu|su) (?:negocio|empresa)|reclamar (?:este|tu) (?:negocio|listado)|"
                    r"(?:c'est|vous [êe]tes) (?:votre|le propri[ée]taire)")
# Menus and post lists repeat too; they are not listings.
_NOT_LISTING = re.compile(r"menu|nav|post|comment|widget|footer|social|share", re.I)


def rule_scores(ext: Extraction, html: str = "", feats: dict[str, float] | None = None
                ) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Per-type rule score (0 = no sign) and the evidence lines behind it."""
    f = feats if feats is not None else page_features(ext, html)
    meta = ext.meta or {}
    score: dict[str, float] = {t: 0.0 for t in PROSPECT_TYPES}
    why: dict[str, list[str]] = {t: [] for t in PROSPECT_TYPES}
    contra: list[str] = []
    why[VETO] = contra
    full = (ext.full_text or ext.text)[:20_000]
    main = (ext.text or "")[:20_000]
    tblob = title_blob(ext)

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
    if f.get("url_forum") and f.get("full_forum", 0) > 1.5:
        add("forum", 0.7, "forum URL and thread vocabulary (reply/quote/joined)")
    if f.get("profile_links", 0) > 1.0 and f.get("post_action_links", 0) > 0.6:
        add("forum", 0.8, "member profile and reply/quote links")

    # haro: journalist query fields
    fields = {m.lower().strip(" :") for m in re.findall(
        r"(?im)^\s*(deadline|outlet|media outlet|requirements|plazo|fecha l[ií]mite|date limite|frist)\s*:",
        ext.full_text[:50_000] or full)}
    if not fields:
        fields = {m.lower() for m in re.findall(r"(?i)\b(deadline|outlet|requirements)\s*:", full)}
    if html:
        # Field labels in table headers / definition terms / bold labels: <th>Deadline</th>
        fields |= {m.lower().replace("media ", "") for m in re.findall(
            r"(?i)<(?:th|dt|strong|b|label|span|td)\b[^>]*>\s*(deadline|media outlet|outlet|requirements)\s*:?\s*</",
            html[:300_000])}
    deadline = bool(fields & {"deadline", "plazo", "fecha límite", "fecha limite", "date limite", "frist"})
    if deadline and (fields & {"outlet", "media outlet"}):
        add("haro", 3.0, "deadline and outlet fields")
    elif deadline and f.get("full_haro", 0) > 1.0:
        add("haro", 1.5, "deadline field and journalist wording")
    elif f.get("full_haro", 0) > 1.6 and (f.get("url_haro") or f.get("title_haro")):
        add("haro", 1.0, "journalist source-request wording")

    # guest post: an invitation to write, its terms, a way to send — each adds, none vetoes
    low_main = (main or full).lower()
    terms = count_cue("guidelines", low_main)
    invites = count_cue("write_for_us", low_main)
    reach = bool(f.get("emails") or f.get("mailto_links") or f.get("form_contact") or f.get("form_submit"))
    # "Contribute" alone also names code, donation and volunteer pages: it needs the text to
    # invite writing before it counts as an invitation.
    invite_title = bool(f.get("title_write_for_us") or f.get("url_guest") or f.get("head_write_for_us")) or (
        bool(f.get("title_contribute") or f.get("url_contribute")) and invites >= 1)
    if invite_title:
        add("guest_post", 1.5, "invitation to write in the title/URL/headings")
        if terms >= 2:
            add("guest_post", 1.5, f"with guidelines ({terms} cues: length, originality, bio, what works...)")
        elif terms == 1:
            add("guest_post", 0.7, "with thin guidelines")
        if reach:
            add("guest_post", 0.5, "and a way to send (email / form)")
        if not terms and not reach:
            why["guest_post"].append("invitation in the title/URL/headings but no guidelines or contact")
            contra.append("guest_post")
    elif invites >= 2 and terms >= 2:
        add("guest_post", 1.2, f"contributions invited in the text ({invites} invitations, {terms} terms)")
    elif invites >= 1 and terms >= 3:
        add("guest_post", 0.8, "guest contributions invited in the text")

    # directory: many listing entries, a submit form or link
    listings = _listing_entries(html) if html else 0
    submit = bool(f.get("form_submit"))
    dir_words = max(f.get("full_directory", 0), f.get("full_directory_add", 0))
    if listings >= 5 and submit:
        add("directory", 3.0, f"{listings} listing entries + submit form")
    elif listings >= 5 and dir_words > 0.6:
        add("directory", 1.8, f"{listings} listing entries + 'add your listing' wording")
    elif submit and dir_words > 0.6:
        add("directory", 1.5, "submit-your-site form")
    elif f.get("schema_business") and (f.get("phones", 0) > 0 or f.get("addresses", 0) > 0) and f.get("url_directory"):
        add("directory", 1.0, "business listing markup with phone/address")
    own_anchors = "\n".join(lk.anchor for lk in ext.links if lk.internal or not lk.url.startswith("http")).lower()
    join_link = bool(LOWER_CUES["directory_add"].search(own_anchors))
    if not score["directory"] and join_link and html:
        # Old or plain markup: table rows, repeated sections/headings or classed rows with no
        # listing vocabulary, plus a "join the directory" / "add your business" link.
        entries = max(listings, _plain_entries(html))
        if entries >= 3:
            add("directory", 2.0, f"{entries} repeated entries + 'add your business' link")
    outbound_sites = {urlsplit(lk.url).hostname for lk in ext.links
                      if lk.position == "content" and not lk.internal and lk.url.startswith("http")}
    if not score["directory"] and len(outbound_sites) >= 3 and CUES["directory"].search(tblob) and join_link:
        add("directory", 1.5, "directory title + 'submit a site' link")
    if CUES["directory"].search(tblob) and (f.get("short_internal_links", 0) > 2.3 or f.get("phones", 0) > 1.6):
        add("directory", 1.0, "directory title over many entries")
    if not score["directory"] and f.get("cue_directory", 0) > 1.0 and f.get("short_internal_links", 0) > 2.0:
        add("directory", 1.0, "directory wording over many entry links")
    if _CLAIM.search(low_main[:5000]):
        add("directory", 1.0, "an entry its owner can claim or update")

    # resource: a curated list of outbound links — unless the links are a farm's (casino, pills...)
    anchors = Counter(m.group(0) for m in LOWER_CUES["spam"].finditer(
        "\n".join(lk.anchor for lk in ext.links if not lk.internal).lower()))
    farm = sum(anchors.values()) >= 3
    content_ext = [lk for lk in ext.links if lk.position == "content" and not lk.internal and lk.url.startswith("http")]
    domains = {urlsplit(lk.url).hostname for lk in content_ext}
    links_word = bool(f.get("title_resource")) or bool(f.get("url_resource"))
    if links_word and len(domains) < 8:
        # A semantic <section><ul> of outbound links can be read as navigation; menus do not
        # point at eight other sites, a "links" page does.
        listed = [lk for lk in ext.links if lk.position in ("content", "navigation") and not lk.internal
                  and lk.url.startswith("http")]
        if len({urlsplit(lk.url).hostname for lk in listed}) >= 8:
            content_ext = listed
            domains = {urlsplit(lk.url).hostname for lk in listed}
    if farm:
        why["resource"].append("its outbound links carry spam anchors")
    elif links_word and len(domains) >= 8:
        add("resource", 3.0, f"resources page with {len(content_ext)} outbound links to {len(domains)} sites")
    elif links_word and len(domains) >= 5:
        add("resource", 1.5, f"resources page with {len(domains)} outbound sites")
    elif links_word:
        why["resource"].append(f"'resources' in title but only {len(domains)} outbound sites")
        contra.append("resource")
    elif len(domains) >= 15 and f.get("content_external_ratio", 0) > 0.3 and not f.get("spam_anchors"):
        add("resource", 2.0 if f.get("cue_resource", 0) > 0 else 1.0,
            f"{len(domains)} outbound sites linked from the content")

    # spam: casino/pill anchors, paid-link offers, keyword stuffing, spun text
    if sum(anchors.values()) >= 3:
        top = ", ".join(a for a, _ in anchors.most_common(2))
        share = len([lk for lk in ext.links if not lk.internal]) / max(1, len(ext.links))
        add("spam", 3.0, f"{share:.0%} outbound links, {top} anchors")
    title_spam = {m.group(0).lower() for m in CUES["spam"].finditer(tblob)}
    if len(title_spam) >= 2:
        add("spam", 4.0, f"link-selling title ({', '.join(sorted(title_spam)[:3])})")
        contra.extend(["resource", "directory"])   # a list of links sold as links is the farm itself
    low_full = full.lower()
    paid = count_cue("paid", low_full)
    if paid >= 2:
        add("spam", 1.5, f"paid-link offers ({paid} mentions)")
    text_spam = {m.group(0) for m in LOWER_CUES["spam"].finditer(
        low_full + " " + " ".join(lk.anchor for lk in ext.links).lower())}
    if len(text_spam) >= 3:
        add("spam", 1.5 if len(text_spam) < 5 else 3.0,
            f"spam vocabulary in the page ({', '.join(sorted(text_spam)[:3])})")
    vocab_spam = score["spam"]   # anchors, titles, offers, vocabulary: not the shape of the text
    if f.get("top_word_share", 0) > 0.08 and f.get("text_len", 0) > 5:
        add("spam", 1.0, f"keyword stuffing (top word {f['top_word_share']:.0%} of text)")
    if f.get("unique_word_ratio", 1) < 0.12 and f.get("text_len", 0) > 6:
        add("spam", 1.0, "repetitive generated text")
    if len(domains) < 5 and _repeated_phrases(ext.text or "") >= 3.0:   # link lists repeat item text
        add("spam", 1.5, "spun text (the same phrases over and over)")
    if vocab_spam >= 3 and "resource" not in contra:
        contra.extend(["resource", "directory"])   # a link farm or article mill is not a prospect list

    if not score["haro"] and html:
        requests = [lk for lk in ext.links if lk.internal and re.search(r"request|quer(?:y|ies)|/q/", lk.url, re.I)]
        dl = len(re.findall(r"(?i)\b(?:deadline|closes|due|plazo|frist)\b", full))
        if len(requests) >= 3 and dl >= 3 and LOWER_CUES["haro"].search(full.lower()):
            add("haro", 2.5, f"{len(requests)} journalist requests with deadlines")

    # blog vs news
    home = bool(f.get("home_page"))
    if home and html:
        post_links = {lk.url for lk in ext.links if lk.internal and lk.position in ("content", "navigation")
                      and re.search(r"/\d{4}/\d{2}/|/posts?/|/blog/|/entry/|/recipes?/", lk.url)}
        teasers = len(re.findall(r"(?i)read more|continue reading|leer m[aá]s|lire la suite|weiterlesen|"
                                 r"\b\d+ (?:comments?|comentarios?|commentaires?|kommentare?)\b", full))
        blog_body = re.search(r"(?i)<body[^>]*class=[\"'][^\"']*\bblog\b", html[:5000])
        if len(post_links) >= 3 or (len(post_links) >= 2 and (teasers >= 2 or blog_body)):
            add("blog", 1.5, f"home page listing {len(post_links)} posts")
        if f.get("nav_news_sections", 0) > 1.6 and f.get("headline_links", 0) > 2.0:
            add("news", 2.0, "front page: section menu (politics, sport...) over many headlines")
    if f.get("schema_blog"):
        add("blog", 1.0, "schema.org BlogPosting")
    if f.get("schema_recipe") or f.get("cue_recipe", 0) > 1.8:
        add("blog", 1.0, "recipe / how-to post")
    if (f.get("form_comment") or f.get("comment_markup")) and (ext.author or ext.date):
        add("blog", 1.0, "reader comments under a dated/authored post")
    if f.get("url_blog") and not f.get("url_news"):
        add("blog", 0.5, "/blog/ URL")
    if f.get("schema_news"):
        add("news", 1.5, "schema.org NewsArticle")
    if f.get("url_news") and ext.date:
        add("news", 0.6, "dated article under a news URL")
    if ext.date and ext.author and f.get("cue_news", 0) > 1.0:
        add("news", 0.5, "bylined, dated report")
    if f.get("nav_news_sections", 0) > 1.6 and not home and ext.date:
        add("news", 0.6, "article under a news outlet's section menu")

    # other: a shop's, a company's own pages
    if f.get("schema_product") or f.get("cue_shop", 0) > 1.6:
        add("other", 1.0, "product / shop page")
    if f.get("title_company") or (f.get("url_company") and f.get("path_depth", 0) <= 1):
        add("other", 0.8, "contact / about / legal page")
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
        table = piece.split("</table>")[0]   # up to the first close: inner tables count on their own
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
    temperature: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import numpy as np

        nd = len(self.feature_names)
        w = np.asarray(self.coef, dtype=float).reshape(len(self.classes), -1)
        self._dense_w = w[:, :nd]
        self._sparse_w = w[:, nd:]
        self._mean = np.asarray(self.mean, dtype=float)
        self._scale = np.asarray([s or 1.0 for s in self.scale], dtype=float)
        self._b = np.asarray(self.intercept, dtype=float)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PageTypeModel":
        return cls(classes=list(data["classes"]), feature_names=list(data["feature_names"]),
                   mean=[float(x) for x in data["mean"]], scale=[float(x) or 1.0 for x in data["scale"]],
                   vocab={str(k): int(v) for k, v in data["vocab"].items()},
                   idf=[float(x) for x in data["idf"]],
                   coef=[[float(x) for x in row] for row in data["coef"]],
                   intercept=[float(x) for x in data["intercept"]],
                   temperature=float(data.get("temperature", 1.0)) or 1.0, info=data.get("info", {}))

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
                raise ValueError(f"format {data.get('format')!r}, expected {MODEL_FORMAT!r}")
            width = len(data["feature_names"]) + len(data["vocab"])
            if (len(data["coef"]) != len(data["classes"]) or any(len(r) != width for r in data["coef"])
                    or len(data["mean"]) != len(data["feature_names"]) or len(data["idf"]) != len(data["vocab"])
                    or len(data["intercept"]) != len(data["classes"])):
                raise ModelError(f"page-type model at {path} is corrupt: shapes do not match",
                                 hint="rebuild it: python models/build_page_type.py")
            return cls.from_dict(data)
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"page-type model at {path} is corrupt: {exc}",
                             hint="rebuild it: python models/build_page_type.py") from None

    def logits(self, feats: dict[str, float], tokens: str) -> list[float]:
        """Raw (uncalibrated) class scores."""
        import numpy as np

        dense = (np.asarray([feats.get(n, 0.0) for n in self.feature_names], dtype=float) - self._mean) / self._scale
        z = self._dense_w @ dense + self._b
        counts = Counter(_TOKEN.findall(tokens.lower()))
        idx, vals = [], []
        for tok, n in counts.items():
            j = self.vocab.get(tok)
            if j is not None:
                idx.append(j)
                vals.append((1.0 + math.log(n)) * self.idf[j])
        if idx:
            v = np.asarray(vals)
            z = z + self._sparse_w[:, idx] @ (v / (np.linalg.norm(v) or 1.0))
        return [float(x) for x in z]

    def predict_proba(self, feats: dict[str, float], tokens: str) -> dict[str, float]:
        """Calibrated probabilities: softmax(logits / temperature)."""
        z = [v / self.temperature for v in self.logits(feats, tokens)]
        top = max(z)
        exps = [math.exp(v - top) for v in z]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> PageTypeModel:
    return PageTypeModel.load(MODEL_PATH if path is None else path)


def model_inputs(ext: Extraction, html: str = "", *, with_evidence: bool = False):
    """The model's input for one page: features (rule scores and contradictions included) and its
    token text; with `with_evidence`, also the rules' evidence lines."""
    feats = page_features(ext, html)
    scores, why = rule_scores(ext, html, feats)
    feats.update({f"rule_{t}": s for t, s in scores.items()})
    feats.update({f"contra_{t}": float(t in why[VETO]) for t in PROSPECT_TYPES})
    tokens = page_tokens(ext)
    return (feats, tokens, why) if with_evidence else (feats, tokens)


def decide(model: PageTypeModel, feats: dict[str, float], tokens: str, why: dict[str, list[str]],
           hint_types: tuple[str, ...] = ()) -> Classification:
    """The label from the model's calibrated probabilities, with evidence; `uncertain` when the
    top two are within UNCERTAIN_MARGIN."""
    proba = model.predict_proba(feats, tokens)
    ranked = sorted(proba.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > 1 and feats.get(f"contra_{ranked[0][0]}"):
        # The page contradicts the top type outright (a "resources" page with no outbound sites,
        # an invitation that asks for money): the runner-up, as a person would call it.
        ranked[0], ranked[1] = ranked[1], ranked[0]
    label, p1 = ranked[0]
    runner, p2 = ranked[1] if len(ranked) > 1 else ("", 0.0)
    uncertain = bool(runner) and p1 - p2 < UNCERTAIN_MARGIN
    evidence = list(why.get(label, []))
    evidence.append(f"model: {label} {p1:.0%}")
    if uncertain:
        evidence.append(f"uncertain: {label} {p1:.0%} vs {runner} {p2:.0%}")
        evidence += [f"{runner}: {w}" for w in why.get(runner, [])]
    for hint in hint_types:
        if hint == label:
            evidence.append(f"confirms the '{hint}' footprint that found it")
        elif hint in PROSPECT_TYPES:
            neg = [w for w in why.get(hint, []) if "but" in w or "only" in w]
            evidence.append(f"found by a '{hint}' footprint, but the page is not one"
                            + (f" ({neg[0]})" if neg else ""))
    return Classification(type=ProspectType(label), confidence=round(p1, 3), evidence=evidence, uncertain=uncertain,
                          runner_up=runner, probabilities={t: round(p, 3) for t, p in ranked if p >= 0.005})


def classify(extraction: Extraction, html: str = "", *, hint_types: tuple[str, ...] = (),
             model: PageTypeModel | None = None) -> Classification:
    """The page's type with a calibrated confidence and the evidence for it; `hint_types` only annotates."""
    model = model or load_model()
    feats, tokens, why = model_inputs(extraction, html, with_evidence=True)
    return decide(model, feats, tokens, why, hint_types)
