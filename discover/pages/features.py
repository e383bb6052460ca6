"""Hand-made page features for the page-type classifier, each one something a person would check.

`page_features(extraction, html)` returns a flat dict name → float (stable names: the fitted
model stores them) plus `page_tokens(...)`, the words of the URL, title and headings that the
model's TF-IDF part reads. Shared by discover/pages/classify.py and models/build_page_type.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from urllib.parse import urlsplit

from discover.records import Extraction

CUES: dict[str, re.Pattern[str]] = {
    "write_for_us": re.compile(r"write for us|guest post(?:s|ing)?\b|\bcontribut(?:e|or|ors|ing)\b|"
                               r"become a contributor|submission guidelines|"
                               r"submit (?:a|your) (?:guest )?(?:post|article|story|wedding)|accepting guest|guest author|"
                               r"schreiben sie für uns|gastbeitr", re.I),
    "guidelines": re.compile(r"guidelines|word count|\d{3,4}\s*(?:-|–|to)\s*\d{3,4}\s*words|original content|"
                             r"we accept|we do not accept|pitch (?:us|your)|submission requirements|"
                             r"do-?follow|(?:author|short) bio|unpublished|how to (?:submit|pitch)|honorarium|"
                             r"\d[\d,]{2,5}\s*(?:-|–|to)\s*\d[\d,]{2,5}\s*words|contributor guidelines", re.I),
    "haro": re.compile(r"journalist|reporter|looking for (?:sources|experts|expert)|seeking (?:sources|experts)|"
                       r"media outlet|\boutlet\b|\bdeadline\b|\bquery\b|requirements:|source request|"
                       r"\bHARO\b|on background|for an upcoming (?:article|story|piece)", re.I),
    "haro_fields": re.compile(r"(?m)^\s*(?:deadline|outlet|media outlet|requirements|category|name)\s*:", re.I),
    "directory": re.compile(r"add (?:your|a)(?: [\w&'-]+){0,2} (?:listing|business|site|website|link|shop|store)|"
                            r"submit (?:your|a)(?: [\w&'-]+){0,2} (?:site|website|listing|business|link|url|shop|store)|"
                            r"join (?:the|our) directory|list your (?:business|shop|company)|"
                            r"business directory|web directory|vendor directory|"
                            r"link directory|listings?\b|categories|claim (?:this|your) (?:listing|business)|"
                            r"branchenbuch|featured listing|list your business", re.I),
    "resource": re.compile(r"\bresources\b|useful links|helpful links|recommended (?:sites|links|reading)|"
                           r"further reading|link list|links? (?:page|we love)|our favou?rite (?:sites|links|blogs)|"
                           r"nützliche links|weblinks", re.I),
    "blog": re.compile(r"leave a (?:comment|reply)|posted (?:on|in|by)|filed under|\bcomments?\b|"
                       r"share this|related posts|read more|tags?:|categor(?:y|ies):", re.I),
    "news": re.compile(r"\b(?:reported|according to|said on|told|press release|newsroom|breaking|"
                       r"staff writer|correspondent|associated press|reuters|updated)\b", re.I),
    "forum": re.compile(r"\b(?:reply|replies|quote|joined|posts?:|thread|topic|members?|registered|"
                        r"re:|moderator|forum|board index|unread|last post|views)\b", re.I),
    "spam": re.compile(r"casino|poker|betting|viagra|cialis|payday|loans?\b|crypto|bitcoin|forex|replica|"
                       r"escort|porn|xxx|cheap (?:pills|watches)|buy (?:backlinks|links|followers)|"
                       r"seo packages?|link packages?|guaranteed rankings?|pbn|weight loss pills|slot|"
                       r"(?:free|cheap|get|buy) (?:do-?follow )?backlinks?|article (?:directory|submission)|"
                       r"instant approval", re.I),
    "paid": re.compile(r"sponsored (?:post|article)s?|paid (?:post|placement|links?)|buy (?:a )?(?:guest post|"
                       r"link)|dofollow links? for|price list|\$\d+ per (?:post|link)|link insertion", re.I),
    "other": re.compile(r"privacy policy|terms (?:of|and) (?:service|conditions)|impressum|imprint|"
                        r"shopping cart|add to cart|checkout|log ?in|sign ?up|review", re.I),
}

URL_CUES: dict[str, re.Pattern[str]] = {
    "url_forum": re.compile(r"forum|thread|topic|viewtopic|showthread|/t/|board|discussion|community", re.I),
    "url_directory": re.compile(r"director|listing|business|/add|submit|catalog|/biz", re.I),
    "url_haro": re.compile(r"quer(y|ies)|request|sources|journalist|haro|press-?req", re.I),
    "url_resource": re.compile(r"resource|links|useful|helpful|recommended", re.I),
    "url_guest": re.compile(r"write-?for-?us|guest|contribut|submission", re.I),
    "url_blog": re.compile(r"blog|/\d{4}/\d{2}/", re.I),
    "url_news": re.compile(r"news|article|story|/\d{4}/\d{2}/\d{2}/|press", re.I),
}

_WORD = re.compile(r"[^\W\d_]{2,}")
# Phone numbers as written for people: (515) 555-0134, +44 113 496 0000, 0113 496 0000.
_PHONE = re.compile(r"(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,5}\)[\s-]?|\b\d{3,5}[\s-])\d{3,4}[\s-]\d{3,4}\b")


def _log(x: float) -> float:
    return math.log1p(max(0.0, x))


def page_features(ext: Extraction, html: str = "") -> dict[str, float]:
    meta = ext.meta or {}
    text = ext.text or ""
    full = ext.full_text or text
    title_blob = " ".join([ext.title, *meta.get("h1", []), *meta.get("headings", [])[:20]])
    low_url = ext.url.lower()
    path = urlsplit(ext.url).path.lower()
    f: dict[str, float] = {}

    links = ext.links
    web_links = [lk for lk in links if lk.url.startswith("http")]
    external = [lk for lk in web_links if not lk.internal]
    content_ext = [lk for lk in external if lk.position == "content"]
    ext_domains = {urlsplit(lk.url).hostname for lk in content_ext}
    f["links"] = _log(len(web_links))
    f["external_links"] = _log(len(external))
    f["content_external_links"] = _log(len(content_ext))
    f["content_external_domains"] = _log(len(ext_domains))
    f["external_ratio"] = len(external) / max(1, len(web_links))
    f["content_external_ratio"] = len(content_ext) / max(1, len(web_links))
    f["nofollow_ratio"] = sum(1 for lk in external if lk.rel) / max(1, len(external))
    f["comment_links"] = _log(sum(1 for lk in links if lk.position == "comments"))
    anchors = " ".join(lk.anchor for lk in external)
    f["spam_anchors"] = _log(len(CUES["spam"].findall(anchors)))
    f["list_items"] = _log(meta.get("list_items", 0))
    f["headings"] = _log(len(meta.get("headings", [])))

    forms = meta.get("forms", [])
    for kind in ("submit", "comment", "contact", "search", "login"):
        f[f"form_{kind}"] = float(any(fm.get("kind") == kind for fm in forms))

    f["forum_software"] = float(bool(meta.get("forum_software")))
    f["forum_posts"] = _log(ext.forum_posts or 0)
    f["forum_dated"] = float(bool(ext.forum_last_post))
    schema_types = " ".join(str(s.get("@type")) for s in meta.get("schema", [])).lower()
    f["schema_article"] = float("newsarticle" in schema_types or "reportage" in schema_types)
    f["schema_blog"] = float("blogposting" in schema_types or "blog" in schema_types)
    f["schema_business"] = float(any(k in schema_types for k in ("localbusiness", "organization", "store",
                                                                   "itemlist", "place")))
    f["schema_forum"] = float("discussionforumposting" in schema_types or "comment" in schema_types)
    f["og_article"] = float(meta.get("og_type", "").lower() == "article")
    gen = (meta.get("generator") or "").lower()
    f["wordpress"] = float("wordpress" in gen or "wp-content" in html[:200_000].lower())
    f["has_author"] = float(bool(ext.author))
    f["has_date"] = float(bool(ext.date))
    f["text_len"] = _log(len(text))
    f["full_len"] = _log(len(full))
    f["text_share"] = len(text) / max(1, len(full))
    f["scripts"] = _log(meta.get("script_count", 0))

    head = full[:20_000]
    for name, rx in CUES.items():
        f[f"cue_{name}"] = _log(len(rx.findall(head)))
        f[f"title_{name}"] = float(bool(rx.search(title_blob)))
    for name, rx in URL_CUES.items():
        f[name] = float(bool(rx.search(low_url)))
    f["path_depth"] = float(min(6, path.strip("/").count("/") + (1 if path.strip("/") else 0)))

    words = _WORD.findall(text.lower()[:30_000])
    if words:
        counts = Counter(words)
        f["unique_word_ratio"] = len(counts) / len(words)
        f["top_word_share"] = counts.most_common(1)[0][1] / len(words)
    else:
        f["unique_word_ratio"] = f["top_word_share"] = 0.0
    f["phones"] = _log(len(_PHONE.findall(head)))
    f["addresses"] = _log(len(re.findall(r"\b\d{1,5}\s+[A-Z][a-z]+\s+(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Lane|"
                                          r"Ln|Dr|Drive|Way|Court|Ct)\b", head)))
    f["emails"] = _log(sum(1 for c in ext.contacts if c.kind == "email"))
    return f


def page_tokens(ext: Extraction) -> str:
    """URL path words, title and headings: the model's bag-of-words input (no page body: that is topic)."""
    parts = urlsplit(ext.url)
    url_words = re.split(r"[^a-z0-9]+", (parts.path + " " + parts.query).lower())
    meta = ext.meta or {}
    blob = " ".join([*(f"u_{w}" for w in url_words if w and not w.isdigit() and len(w) < 25),
                     ext.title, *meta.get("h1", []), *meta.get("headings", [])[:20]])
    return blob.lower()
