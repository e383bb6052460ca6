"""Integrity checks for the bundled demo web world (fixtures/web/), standard library only."""
from __future__ import annotations

import csv
import email
import re
import tomllib
from collections import Counter
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

WEB = Path(__file__).resolve().parent.parent / "fixtures" / "web"
SITES = WEB / "sites"
TYPES = {"forum", "directory", "haro", "resource", "guest_post", "blog", "news", "spam", "other"}
CLASSES = {"ok", "broken", "redirect", "redirect_loop", "too_many_redirects", "soft_404", "parked", "unknown",
           "robots_disallowed"}


def routes(host: str) -> dict:
    f = SITES / host / "_routes.toml"
    return tomllib.loads(f.read_text(encoding="utf-8")) if f.exists() else {}


def file_for(host: str, path: str) -> Path | None:
    base = SITES / host
    rel = unquote(path.split("?", 1)[0]).lstrip("/")
    cands = [base / rel / "index.html"] if rel == "" or rel.endswith("/") else [base / rel, base / (rel + ".html"), base / rel / "index.html"]
    for c in cands:
        if c.is_file() and c.name != "_routes.toml":
            return c
    return None


def resolve(url: str, hops: int = 0):
    """(status, file) following the contract (routes first, then files); no delays."""
    sp = urlsplit(url)
    host, path = sp.hostname, sp.path or "/"
    if not (SITES / host).is_dir():
        return None, None
    rt = routes(host)
    route = rt.get(path) or (rt.get(f"{path}?{sp.query}") if sp.query else None) or (rt.get(path.rstrip("/")) if path != "/" and path.endswith("/") else None)
    if route is None:
        f = file_for(host, path)
        return (200 if f else 404), f
    status = int(route.get("status", 200))
    if 300 <= status < 400:
        return status, urljoin(url, route["location"])
    if "file" in route:
        return status, SITES / host / route["file"]
    return status, (file_for(host, path) if status == 200 else None)


def labels():
    with open(WEB / "labels.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def html_pages():
    for f in sorted(SITES.rglob("*.htm*")):
        host = f.relative_to(SITES).parts[0]
        rel = f.relative_to(SITES / host).as_posix()
        if rel.endswith("index.html"):
            rel = rel[: -len("index.html")]
        yield f"http://{host}/{rel}", f


def test_counts():
    hosts = [p for p in SITES.iterdir() if p.is_dir()]
    assert len(hosts) >= 40
    assert sum(1 for _ in html_pages()) >= 200


def test_routes_parse():
    for f in SITES.glob("*/_routes.toml"):
        table = tomllib.loads(f.read_text(encoding="utf-8"))
        for key, val in table.items():
            assert key.startswith("/") and isinstance(val, dict), (f, key)
            if "file" in val:
                assert (f.parent / val["file"]).is_file(), (f, key)


def test_labels_well_formed_and_resolve():
    rows = labels()
    assert rows and set(rows[0]) == {"url", "niche", "type", "relevance", "geo"}
    mails = {p.name: p for p in (WEB / "mail").glob("*.eml")}
    for r in rows:
        assert r["type"] in TYPES, r
        assert r["relevance"] in {"0", "1", "2", "3"}, r
        assert r["geo"] == "" or re.fullmatch(r"[^,]+, [^,]+, [A-Z]{2}", r["geo"]), r
        if r["type"] == "spam":
            assert r["relevance"] == "0", r
        if r["url"].startswith("mail:"):
            name, n = r["url"][5:].split("#")
            assert name in mails and int(n) >= 1, r
            assert r["type"] == "haro"
        else:
            assert r["url"].startswith("http://"), r
            status, f = resolve(r["url"])
            if status in (403, 429):  # blocked hosts still hold a page on disk
                sp = urlsplit(r["url"])
                f = file_for(sp.hostname, sp.path)
            assert f is not None and Path(f).is_file(), r["url"]


def test_every_page_labelled_for_every_niche():
    niches = {n["keyword"] for n in tomllib.loads((WEB / "queries.toml").read_text(encoding="utf-8"))["niche"]}
    per_url = {}
    for r in labels():
        per_url.setdefault(r["url"], set()).add(r["niche"])
    assert set().union(*per_url.values()) == niches
    for u, ns in per_url.items():
        assert ns == niches, u
    for url, _ in html_pages():
        assert url in per_url, url


def test_types_and_relevance_coverage():
    rows = labels()
    assert {r["type"] for r in rows} == TYPES
    for niche in {r["niche"] for r in rows}:
        good = [r for r in rows if r["niche"] == niche and int(r["relevance"]) >= 2]
        assert len(good) >= 12, niche
        assert len({r["type"] for r in good}) >= 4, niche
        assert sum(1 for r in good if r["relevance"] == "3") >= 5, niche


def test_local_niches_have_wrong_place_pages():
    q = tomllib.loads((WEB / "queries.toml").read_text(encoding="utf-8"))["niche"]
    rows = labels()
    for n in q:
        if "geo" not in n:
            continue
        mine = [r for r in rows if r["niche"] == n["keyword"]]
        right = {r["type"] for r in mine if r["geo"] == n["geo"] and int(r["relevance"]) >= 2}
        wrong_places = {"Omaha, NE, US", "Bradford, West Yorkshire, GB"}
        wrong = [r for r in mine if r["geo"] in wrong_places and int(r["relevance"]) >= 1]
        assert wrong and all(int(r["relevance"]) <= 1 for r in wrong)
        assert {"forum", "directory"} <= right & {r["type"] for r in wrong}


def test_mail_digests_parse():
    files = sorted((WEB / "mail").glob("*.eml"))
    assert 4 <= len(files) <= 6
    counts = Counter(r["url"][5:].split("#")[0] for r in labels() if r["url"].startswith("mail:"))
    for f in files:
        msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
        assert msg["From"] and msg["Subject"] and msg["Date"]
        body = msg.get_body(preferencelist=("plain", "html")).get_content()
        assert "eadline" in body
        assert 3 <= counts[f.name] // 3 <= 8, f.name


def test_links_truth():
    with open(WEB / "links_truth.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["class"] for r in rows} == CLASSES
    res_pages = {r["url"] for r in labels() if r["type"] == "resource"}
    assert {r["page"] for r in rows} == res_pages
    for r in rows:
        status, target = resolve(r["url"])
        cls = r["class"]
        if cls == "broken":
            assert status in (None, 404, 410), r
        elif cls == "ok":
            assert status == 200 and target is not None, r
        elif cls == "redirect":
            hops = 0
            while status and 300 <= status < 400:
                status, target = resolve(target)
                hops += 1
            assert hops >= 2 and status == 200, r
        elif cls in ("redirect_loop", "too_many_redirects"):
            seen, hops = set(), 0
            url = r["url"]
            while status and 300 <= status < 400 and hops < 50:
                seen.add(url)
                url = target
                status, target = resolve(url)
                hops += 1
                if url in seen:
                    break
            assert (url in seen) == (cls == "redirect_loop"), r
            if cls == "too_many_redirects":
                assert hops > 8, r
        elif cls == "soft_404":
            assert status == 200 and "Page not found" in Path(target).read_text(encoding="utf-8"), r
        elif cls == "parked":
            assert status == 200 and "for sale" in Path(target).read_text(encoding="utf-8"), r
        elif cls == "unknown":
            host = urlsplit(r["url"]).hostname
            rt = routes(host).get(urlsplit(r["url"]).path, {})
            assert status in (401, 403, 429) or rt.get("delay_ms", 0) > 10000, r
        elif cls == "robots_disallowed":
            from protego import Protego

            robots = SITES / urlsplit(r["url"]).hostname / "robots.txt"
            assert not Protego.parse(robots.read_text(encoding="utf-8")).can_fetch(r["url"], "discover-prospects"), r


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v:
                    self.hrefs.append(v)


def test_internal_links_resolve():
    """Same-host links must lead somewhere, except the ones listed in links_truth.csv as broken."""
    with open(WEB / "links_truth.csv", encoding="utf-8", newline="") as f:
        intended = {r["url"] for r in csv.DictReader(f)}
    bad = []
    for url, f in html_pages():
        p = _Links()
        p.feed(f.read_bytes().decode("utf-8", errors="replace"))
        for href in p.hrefs:
            if href.startswith(("mailto:", "#", "javascript:")):
                continue
            target = urljoin(url, href)
            sp = urlsplit(target)
            if sp.hostname != urlsplit(url).hostname or target in intended:
                continue
            status, _ = resolve(target)
            if status not in (200, 301, 302, 403, 410, 429):
                bad.append((url, href))
    # Forum chrome (posting.php, member pages, search, ...) is deliberately not modelled; cap the noise.
    chrome = re.compile(r"(memberlist|posting|ucp|member|newreply|search|sendmessage|user-|forumdisplay\.php/13|board,3|/c/|/u/|/categories|/guidelines|/tos|/privacy|/whats-new|/members|/forums/baby-gear|/forums/birth-stories|/help/|index\.php\?action|/search\?|/style\.css|/css/|/img/|/images/)")
    real = [(u, h) for u, h in bad if not chrome.search(h)]
    assert not real, real[:20]
