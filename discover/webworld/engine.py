"""The local search engine: an offline stand-in for a web search engine over a World.

It answers on the virtual host `search.discover.test` (see `install_engine`) with result
pages whose markup is stable and documented here, so the search layer drives it through the
same browser code path as a real engine:

    GET /                      home page with a search form (form#search-form, input[name=q])
    GET /search?q=QUERY&p=N    10 results per page:
        <p id="stats">About 42 results</p>
        <ol id="results" start="11">
          <li class="result"><h3><a class="result-link" href="URL">Title</a></h3>
              <cite>URL</cite><p class="snippet">… <b>term</b> …</p></li>
        </ol>
        <nav class="pager"><a class="prev" rel="prev" href=…>Previous</a>
                           <a id="next" class="next" rel="next" href=…>Next</a></nav>
      no match:  <div id="no-results">Your search - <b>QUERY</b> - did not match any documents.</div>
      captcha:   HTTP 429 (Retry-After) or 200, <form id="captcha-form">, "unusual traffic" text

Query language: the footprints' language, parsed by discover.search.query (plain terms,
"exact phrase", intitle:, inurl:, site:, filetype:, -exclusion, OR / | and (groups)). Matching
here: plain terms are AND-ish (with 4+ terms one in four may be missing), stemmed
(search.query.stem), two words also match written as one; inurl: is a substring of the URL;
site:host is the host or any subdomain (site:.gov or site:gov a suffix, site:host/path a
prefix). Ranked by BM25 k1=1.2 b=0.75 over title+text with the title counted TITLE_BOOST times.

The index covers every HTML page of the world (title and visible text without
script/style/noscript), skipping paths that `_routes.toml` answers with a non-2xx status. It
is built on the first query and cached per world folder (invalidated when files change).
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs, quote_plus, urlsplit

from discover.search.engines.local import ENGINE_HOST
from discover.search.query import (And, Field, Not, Or, Phrase, Term, compound_stems, host_matches, parse_query,
                                   stem, tokens)
from discover.webworld.world import Response, World

PAGE_SIZE = 10
TITLE_BOOST = 3
K1 = 1.2
B = 0.75
#: Results a query can page through (real engines stop around 100–300 too).
MAX_RESULTS = 300

_HTML_CT = {"Content-Type": "text/html; charset=utf-8"}


# ── text ─────────────────────────────────────────────────────────────────────────────────

def _norm(words: list[str]) -> str:
    return " " + " ".join(words) + " "


# ── index ────────────────────────────────────────────────────────────────────────────────

@dataclass
class Doc:
    url: str
    host: str
    title: str
    text: str          # collapsed visible text, for snippets
    title_norm: str    # " w1 w2 … " for phrase checks
    text_norm: str
    length: float      # BM25 length (text words + boost × title words)


@dataclass
class Index:
    docs: list[Doc] = field(default_factory=list)
    postings: dict[str, dict[int, float]] = field(default_factory=dict)   # stem → {doc: tf}
    title_postings: dict[str, set[int]] = field(default_factory=dict)
    by_host: dict[str, list[int]] = field(default_factory=dict)
    avgdl: float = 1.0

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        n = len(self.docs)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _page_text(data: bytes) -> tuple[str, str]:
    import lxml.html
    from lxml import etree

    try:
        doc = lxml.html.document_fromstring(data, parser=_parser())
    except (etree.ParserError, ValueError):
        return "", ""
    title_el = doc.find(".//title")
    title = " ".join((title_el.text_content() if title_el is not None else "").split())
    body = doc.find("body")
    root = body if body is not None else doc
    parts = root.xpath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
                       " or ancestor::template)]")
    return title, " ".join(" ".join(parts).split())


_local = threading.local()


def _parser():
    import lxml.html

    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = lxml.html.HTMLParser(remove_comments=True)
    return p


def _blocked_paths(world: World, host: str) -> set[str]:
    routes = world.routes(host)
    return {p for p, r in routes.items() if not 200 <= int(r.get("status", 200)) < 300}


def _skipped(url_path: str, blocked: set[str]) -> bool:
    if not blocked:
        return False
    cands = {url_path, url_path.rstrip("/") or "/"}
    if url_path.endswith(".html"):
        cands.add(url_path[:-5])
        if url_path.endswith("/index.html"):
            cands.add(url_path[:-10] or "/")
    return bool(cands & blocked)


def build_index(world: World) -> Index:
    """Index every HTML page of `world` (answering 2xx) for BM25 and operator matching."""
    idx = Index()
    total_len = 0.0
    postings: dict[str, dict[int, float]] = defaultdict(dict)
    title_postings: dict[str, set[int]] = defaultdict(set)
    for host in sorted(world.hosts):
        blocked = _blocked_paths(world, host)
        for url, file in world.pages(host):
            if _skipped(urlsplit(url).path or "/", blocked):
                continue
            try:
                data = file.read_bytes()
            except OSError:
                continue
            title, text = _page_text(data)
            twords, bwords = tokens(title), tokens(text)
            i = len(idx.docs)
            length = len(bwords) + TITLE_BOOST * len(twords)
            idx.docs.append(Doc(url, host, title or url, text, _norm(twords), _norm(bwords), float(length)))
            idx.by_host.setdefault(host, []).append(i)
            total_len += length
            tf: dict[str, float] = defaultdict(float)
            for w in bwords:
                tf[stem(w)] += 1.0
            for w in twords:
                s = stem(w)
                tf[s] += TITLE_BOOST
                title_postings[s].add(i)
            for s, v in tf.items():
                postings[s][i] = v
    idx.postings = dict(postings)
    idx.title_postings = dict(title_postings)
    idx.avgdl = total_len / len(idx.docs) if idx.docs else 1.0
    return idx


def _signature(world: World) -> tuple[int, int, int]:
    """Cheap fingerprint of the world's files: any edit, addition or removal changes it."""
    count = size = newest = 0
    for dirpath, _dirs, files in os.walk(world.sites_dir):
        for name in files:
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            count += 1
            size += st.st_size
            newest = max(newest, st.st_mtime_ns)
    return count, size, newest


# Indexes are shared by every engine over the same folder (tests and benchmarks install
# engines repeatedly on one world); bounded so a long process does not hoard memory.
_CACHE: dict[tuple[str, tuple[int, int, int]], Index] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 4


def index_for(world: World) -> Index:
    key = (str(world.root), _signature(world))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
    idx = build_index(world)
    with _CACHE_LOCK:
        for old in [k for k in _CACHE if k[0] == key[0]]:
            del _CACHE[old]
        while len(_CACHE) >= _CACHE_MAX:
            del _CACHE[next(iter(_CACHE))]
        _CACHE[key] = idx
    return idx


# ── matching and ranking ─────────────────────────────────────────────────────────────────

class Searcher:
    """Evaluates parsed queries against an Index."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.all = frozenset(range(len(index.docs)))

    def match(self, node: object) -> set[int]:
        idx = self.index
        if isinstance(node, Term):
            return set(idx.postings.get(stem(node.word), ()))
        if isinstance(node, Phrase):
            cands = self._intersect([stem(w) for w in node.words])
            needle = _norm(list(node.words))
            return {d for d in cands if needle in idx.docs[d].text_norm or needle in idx.docs[d].title_norm}
        if isinstance(node, Field):
            return self._field(node)
        if isinstance(node, Or):
            out: set[int] = set()
            for n in node.nodes:
                out |= self.match(n) if not isinstance(n, Not) else set(self.all - self.match(n.node))
            return out
        if isinstance(node, And):
            return self.match_and(node.nodes)
        if isinstance(node, Not):
            return set(self.all - self.match(node.node))
        return set()

    def _intersect(self, stems: list[str]) -> set[int]:
        lists = sorted((self.index.postings.get(s, {}) for s in stems), key=len)
        if not lists:
            return set()
        out = set(lists[0])
        for other in lists[1:]:
            out &= other.keys()
        return out

    def _field(self, f: Field) -> set[int]:
        idx = self.index
        if f.op == "intitle":
            words = f.value.split()
            if len(words) == 1:
                return set(idx.title_postings.get(stem(words[0]), ()))
            needle = _norm(words)
            cands = set.intersection(*(set(idx.title_postings.get(stem(w), ())) for w in words))
            return {d for d in cands if needle in idx.docs[d].title_norm}
        if f.op == "site":
            value = f.value
            if "://" in value:
                value = value.split("://", 1)[1]
            host, _, path = value.partition("/")
            out: set[int] = set()
            for h, ids in idx.by_host.items():
                if host_matches(h, host):
                    if path:
                        prefix = f"{h}/{path}"
                        out.update(d for d in ids if idx.docs[d].url.split("://", 1)[1].startswith(prefix))
                    else:
                        out.update(ids)
            return out
        if f.op == "inurl":
            return {i for i, d in enumerate(idx.docs) if f.value in d.url.lower()}
        if f.op == "filetype":
            ext = "." + f.value.lstrip(".")
            return {i for i, d in enumerate(idx.docs) if urlsplit(d.url).path.lower().endswith(ext)}
        return set()

    def match_and(self, nodes: tuple) -> set[int]:
        plain = [n for n in nodes if isinstance(n, Term)]
        must = [n for n in nodes if not isinstance(n, (Term, Not))]
        nots = [n for n in nodes if isinstance(n, Not)]
        result: set[int] | None = None
        for n in must:
            m = self.match(n)
            result = m if result is None else result & m
            if not result:
                return set()
        if plain:
            need = len(plain) - len(plain) // 4
            satisfied: dict[int, set[int]] = defaultdict(set)
            for i, t in enumerate(plain):
                for d in self.match(t):
                    if result is None or d in result:
                        satisfied[d].add(i)
            # Two words also match written as one: "home brewing" finds "homebrewing".
            for i, joined in self.compounds(plain):
                for d in self.index.postings.get(joined, ()):
                    if result is None or d in result:
                        satisfied[d].update((i, i + 1))
            result = {d for d, got in satisfied.items() if len(got) >= need}
        if result is None:
            return set()  # a query of exclusions only matches nothing, as on real engines
        for n in nots:
            result -= self.match(n.node)
        return result

    def compounds(self, terms: list) -> list[tuple[int, str]]:
        """(position, stem) of adjacent plain-word pairs that the index holds as one word."""
        return [(i, joined) for i, joined in compound_stems([t.word for t in terms])
                if joined in self.index.postings]

    def scoring_terms(self, node: object) -> list[str]:
        if isinstance(node, Term):
            return [stem(node.word)]
        if isinstance(node, And):
            plain = [n for n in node.nodes if isinstance(n, Term)]
            joined = [j for _, j in self.compounds(plain)]
            return [t for n in node.nodes for t in self.scoring_terms(n)] + joined
        if isinstance(node, Phrase):
            return [stem(w) for w in node.words]
        if isinstance(node, Field) and node.op == "intitle":
            return [stem(w) for w in node.value.split()]
        if isinstance(node, (And, Or)):
            return [t for n in node.nodes for t in self.scoring_terms(n)]
        return []

    def bm25(self, doc: int, terms: list[str]) -> float:
        idx = self.index
        d = idx.docs[doc]
        norm = K1 * (1 - B + B * d.length / idx.avgdl)
        score = 0.0
        for t in terms:
            tf = idx.postings.get(t, {}).get(doc)
            if tf:
                score += idx.idf(t) * tf * (K1 + 1) / (tf + norm)
        return score

    def search(self, q: str) -> tuple[list[int], And]:
        tree = parse_query(q)
        hits = self.match_and(tree.nodes)
        terms = list(dict.fromkeys(self.scoring_terms(tree)))
        docs = self.index.docs
        if terms:
            ranked = sorted(hits, key=lambda d: (-self.bm25(d, terms), docs[d].url))
        else:  # operators only (site:x): shallow pages first, like a site's own ranking
            ranked = sorted(hits, key=lambda d: (docs[d].url.count("/"), len(docs[d].url), docs[d].url))
        return ranked, tree


def highlight_words(tree: And) -> list[list[str]]:
    """Word sequences to highlight in snippets: phrases first, then single words."""
    phrases: list[list[str]] = []
    words: list[list[str]] = []

    def walk(n: object) -> None:
        if isinstance(n, Phrase):
            phrases.append(list(n.words))
        elif isinstance(n, Term):
            words.append([n.word])
        elif isinstance(n, Field) and n.op == "intitle":
            words.extend([w] for w in n.value.split())
        elif isinstance(n, (And, Or)):
            for c in n.nodes:
                walk(c)

    walk(tree)
    return phrases + words


def snippet(text: str, groups: list[list[str]], width: int = 200) -> str:
    """HTML snippet: a window around the first match of a query term, terms in <b>."""
    if not text:
        return ""
    low = text.lower()
    start = -1
    for seq in groups:
        pattern = r"(?<!\w)" + r"\W+".join(re.escape(w) for w in seq)
        m = re.search(pattern, low)
        if m:
            start = m.start()
            break
    if start < 0:
        begin = 0
    else:
        begin = max(0, start - width // 3)
        space = text.rfind(" ", 0, begin) if begin else -1
        begin = space + 1 if space >= 0 and begin - space < 30 else begin
    window = text[begin:begin + width]
    if begin + width < len(text):
        cut = window.rfind(" ")
        window = window[:cut] if cut > width // 2 else window
    words = {w for seq in groups for w in seq}
    parts: list[str] = []
    last = 0
    if words:
        pat = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                         + r")(?!\w)", re.I)
        for m in pat.finditer(window):
            parts.append(escape(window[last:m.start()]))
            parts.append(f"<b>{escape(m.group(0))}</b>")
            last = m.end()
    parts.append(escape(window[last:]))
    prefix = "… " if begin > 0 else ""
    suffix = " …" if begin + len(window) < len(text) else ""
    return prefix + "".join(parts) + suffix


# ── HTTP face ────────────────────────────────────────────────────────────────────────────

_STYLE = ("body{font-family:sans-serif;max-width:760px;margin:1em auto}"
          "li.result{margin:0 0 1em}cite{color:#060;display:block;font-style:normal}"
          "p.snippet{margin:.2em 0}")


def _page(title: str, body: str, q: str = "") -> bytes:
    form = (f'<form id="search-form" action="/search" method="get" role="search">'
            f'<input type="search" name="q" value="{escape(q)}" aria-label="Search">'
            f'<button type="submit">Search</button></form>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<style>{_STYLE}</style></head><body><header><a href="/" id="logo">Local Search</a>{form}'
            f'</header><main>{body}</main></body></html>').encode("utf-8")


class LocalEngine:
    """The engine behind http://search.discover.test/. Toggle `captcha` (and `captcha_status`,
    `retry_after`) or set `rate_limit_after` at run time to simulate a blocking engine."""

    def __init__(self, world: World, *, captcha: bool = False, captcha_status: int = 429,
                 retry_after: int = 30, rate_limit_after: int | None = None) -> None:
        self.world = world
        self.captcha = captcha
        self.captcha_status = captcha_status
        self.retry_after = retry_after
        self.rate_limit_after = rate_limit_after
        self.queries = 0           # searches answered (including captcha answers)
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._searcher: Searcher | None = None

    # --- index -------------------------------------------------------------------------
    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = index_for(self.world)
                self._searcher = Searcher(self._index)
            return self._index

    def reindex(self) -> None:
        with self._lock:
            self._index = self._searcher = None

    # --- library API -------------------------------------------------------------------
    def search(self, q: str, page: int = 1) -> tuple[list[dict], int]:
        """(results of `page`, total hits): dicts with url, title, snippet (HTML), rank."""
        _ = self.index
        assert self._searcher is not None
        ranked, tree = self._searcher.search(q)
        ranked = ranked[:MAX_RESULTS]
        groups = highlight_words(tree)
        start = (max(1, page) - 1) * PAGE_SIZE
        docs = self.index.docs
        out = [{"url": docs[d].url, "title": docs[d].title, "rank": start + i + 1,
                "snippet": snippet(docs[d].text, groups)}
               for i, d in enumerate(ranked[start:start + PAGE_SIZE])]
        return out, len(ranked)

    # --- HTTP --------------------------------------------------------------------------
    def handle(self, path: str, query_string: str) -> Response:
        params = parse_qs(query_string)
        if path in ("", "/", "/index.html"):
            return Response(200, dict(_HTML_CT), _page("Local Search", "<h1>Local Search</h1>"
                            "<p>Searches every site of this web world.</p>"))
        if path == "/robots.txt":
            return Response(200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /search\n")
        if path != "/search":
            return Response(404, dict(_HTML_CT), _page("Not found", "<h1>404 Not Found</h1>"))
        q = (params.get("q") or [""])[0].strip()
        if not q:
            return Response(302, {"Location": "/"})
        with self._lock:
            self.queries += 1
            limited = self.rate_limit_after is not None and self.queries > self.rate_limit_after
        if self.captcha or limited:
            return self._captcha(q)
        try:
            page = max(1, int((params.get("p") or ["1"])[0]))
        except ValueError:
            page = 1
        results, total = self.search(q, page)
        return Response(200, dict(_HTML_CT), self._results_page(q, page, results, total))

    def _captcha(self, q: str) -> Response:
        body = _page("Sorry…", f'<h1>Sorry…</h1><p>Our systems have detected unusual traffic from your '
                     f'computer network. Please solve this CAPTCHA to continue searching for '
                     f'<b>{escape(q)}</b>.</p><form id="captcha-form" action="/search" method="get">'
                     f'<input type="hidden" name="q" value="{escape(q)}"><img alt="captcha" src="/captcha.png">'
                     f'<input name="captcha" aria-label="Type the characters you see"><button>Submit</button></form>',
                     q)
        headers = dict(_HTML_CT)
        if self.captcha_status == 429:
            headers["Retry-After"] = str(self.retry_after)
        return Response(self.captcha_status, headers, body)

    def _results_page(self, q: str, page: int, results: list[dict], total: int) -> bytes:
        title = f"{q} - Local Search"
        if not results:
            msg = (f'<div id="no-results"><p>Your search - <b>{escape(q)}</b> - did not match any documents.'
                   f'</p><p>Suggestions: check the spelling, or try fewer or more general words.</p></div>')
            return _page(title, msg, q)
        items = "".join(
            f'<li class="result"><h3><a class="result-link" href="{escape(r["url"])}">{escape(r["title"])}</a>'
            f'</h3><cite>{escape(r["url"])}</cite><p class="snippet">{r["snippet"]}</p></li>'
            for r in results)
        first = results[0]["rank"]
        pager = []
        if page > 1:
            pager.append(f'<a class="prev" rel="prev" href="/search?q={quote_plus(q)}&amp;p={page - 1}">Previous</a>')
        if first - 1 + len(results) < min(total, MAX_RESULTS):
            pager.append(f'<a id="next" class="next" rel="next" href="/search?q={quote_plus(q)}&amp;p={page + 1}">'
                         f'Next</a>')
        body = (f'<p id="stats">About {total} results (page {page})</p>'
                f'<ol id="results" start="{first}">{items}</ol><nav class="pager">{" ".join(pager)}</nav>')
        return _page(title, body, q)


def install_engine(world: World, *, captcha: bool = False, **options) -> LocalEngine:
    """Serve the local search engine for `world` on http://search.discover.test/."""
    engine = LocalEngine(world, captcha=captcha, **options)
    world.virtual_hosts[ENGINE_HOST] = engine.handle
    return engine


def engine_of(world: World) -> LocalEngine | None:
    """The LocalEngine installed on `world`, if any (to toggle captcha mode at run time)."""
    handler = world.virtual_hosts.get(ENGINE_HOST)
    owner = getattr(handler, "__self__", None)
    return owner if isinstance(owner, LocalEngine) else None


__all__ = ["ENGINE_HOST", "LocalEngine", "install_engine", "engine_of", "parse_query", "build_index"]
