"""Generate large synthetic web worlds (docs/web-dir.md format) for benchmarks and scale tests.

`generate_world(out, sites=N, pages_per_site=P, seed=S)` writes N hosts across several niches
and every prospect type (forum, directory, haro, resource, guest_post, blog, news, spam,
other), each page carrying the footprints real pages of its type carry ("Powered by phpBB",
"Submit a site", "Write for us", "Useful links", "Leave a comment", …), links between sites
(and to hosts that do not exist), `_routes.toml` on some hosts (404, 410, redirects, a
redirect loop, slow paths), `labels.csv` and `queries.toml`. Same seed, same world, byte for
byte. Thousands of sites take seconds: pages are formatted strings, no templating engine.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from html import escape
from pathlib import Path

from discover.errors import ExportError, InputError


@dataclass(frozen=True)
class Niche:
    keyword: str
    geo: str
    city: str
    words: tuple[str, ...]
    nouns: tuple[str, ...]


NICHES: tuple[Niche, ...] = (
    Niche("maternity clothes", "Des Moines, IA, US", "Des Moines",
          ("maternity", "pregnancy", "bump", "nursing", "expecting", "trimester", "stretchy", "postpartum"),
          ("maternity jeans", "nursing bras", "maternity dresses", "belly bands", "maternity leggings",
           "bump-friendly tops", "baby showers", "hospital bags")),
    Niche("vegan baking", "", "",
          ("vegan", "plant-based", "dairy-free", "egg-free", "aquafaba", "flaxseed", "oat", "coconut"),
          ("vegan brownies", "sourdough loaves", "egg replacers", "cashew frosting", "banana bread",
           "vegan butter", "chocolate chip cookies", "cupcakes")),
    Niche("dog grooming", "Leeds, West Yorkshire, GB", "Leeds",
          ("grooming", "groomer", "puppy", "coat", "de-shedding", "clipping", "bathing", "breed"),
          ("nail trims", "dog shampoo", "slicker brushes", "hand stripping", "puppy cuts",
           "mobile groomers", "ear cleaning", "double coats")),
    Niche("home brewing", "", "",
          ("brewing", "homebrew", "hops", "malt", "yeast", "fermentation", "wort", "mash"),
          ("pale ales", "brew kettles", "starter kits", "dry hopping", "bottle conditioning",
           "all-grain recipes", "hydrometers", "stouts")),
    Niche("trail running", "Boulder, CO, US", "Boulder",
          ("trail", "running", "ultramarathon", "elevation", "singletrack", "hydration", "stride", "race"),
          ("trail shoes", "hydration vests", "hill repeats", "race calendars", "running poles",
           "trail etiquette", "recovery runs", "gaiters")),
)

FILLER = ("we", "really", "found", "that", "this", "is", "great", "for", "anyone", "looking", "at",
          "the", "best", "options", "and", "our", "team", "thinks", "it", "helps", "a", "lot", "when",
          "you", "start", "with", "good", "advice", "from", "people", "who", "know")

TLDS = ("com", "org", "net", "co.uk", "info", "blog", "us")

#: (type, share of sites) — spam and other keep the world honest for the classifiers.
TYPE_MIX: tuple[tuple[str, float], ...] = (
    ("forum", 0.16), ("directory", 0.12), ("haro", 0.06), ("resource", 0.14), ("guest_post", 0.1),
    ("blog", 0.18), ("news", 0.1), ("spam", 0.07), ("other", 0.07),
)

HOST_WORD = {"forum": "forum", "directory": "directory", "haro": "mediaqueries", "resource": "resources",
             "guest_post": "magazine", "blog": "blog", "news": "news", "spam": "best-links", "other": "shop"}


def _sentence(rng: random.Random, niche: Niche, n: int = 12) -> str:
    words = [rng.choice(FILLER) for _ in range(n)]
    words[rng.randrange(n)] = rng.choice(niche.words)
    words.insert(rng.randrange(n), rng.choice(niche.nouns))
    return " ".join(words).capitalize() + "."


def _para(rng: random.Random, niche: Niche, sentences: int = 4) -> str:
    return " ".join(_sentence(rng, niche) for _ in range(sentences))


def _page(title: str, body: str, footer: str = "", extra_head: str = "") -> str:
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"{extra_head}</head>\n<body><header><nav><a href=\"/\">Home</a> <a href=\"/about.html\">About</a>"
            f" <a href=\"/contact.html\">Contact</a></nav></header>\n<main>{body}</main>\n"
            f"<footer>{footer}</footer></body></html>\n")


def _links(urls: list[str], rng: random.Random, niche: Niche) -> str:
    return "<ul>" + "".join(
        f'<li><a href="{escape(u)}">{escape(rng.choice(niche.nouns).title())}</a> — '
        f'{escape(_sentence(rng, niche, 8))}</li>' for u in urls) + "</ul>"


class _Gen:
    def __init__(self, sites: int, pages: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_sites = sites
        self.pages = pages
        self.hosts: list[tuple[str, str, Niche, bool]] = []   # host, type, niche, local
        self.labels: list[tuple[str, str, str, int, str]] = []

    def plan_hosts(self) -> None:
        rng = self.rng
        types = [t for t, _ in TYPE_MIX]
        weights = [w for _, w in TYPE_MIX]
        seen: set[str] = set()
        for i in range(self.n_sites):
            niche = NICHES[i % len(NICHES)]
            typ = rng.choices(types, weights)[0]
            local = bool(niche.geo) and rng.random() < 0.35
            stem = (niche.city.lower().replace(" ", "") if local else
                    rng.choice(niche.words).replace("-", ""))
            host = f"{stem}-{HOST_WORD[typ]}-{i}.{rng.choice(TLDS)}"
            if typ == "forum" and rng.random() < 0.3:
                host = "forum." + host
            if host in seen:
                continue
            seen.add(host)
            self.hosts.append((host, typ, niche, local))

    def outbound(self, k: int, dead_share: float = 0.15) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(k):
            if rng.random() < dead_share:
                out.append(f"http://expired-{rng.randrange(10**6)}.example.com/")
            else:
                h = self.hosts[rng.randrange(len(self.hosts))][0]
                out.append(f"http://{h}/" + ("" if rng.random() < 0.6 else "page-1.html"))
        return out

    def body_for(self, typ: str, niche: Niche, local: bool, k: int, host: str) -> tuple[str, str, str]:
        """(title, main html, footer html) of page k of a site of type `typ`."""
        rng = self.rng
        place = f" in {niche.city}" if local else ""
        noun = rng.choice(niche.nouns)
        kw = niche.keyword
        if typ == "forum":
            software = rng.choice(("Powered by phpBB® Forum Software", "Powered by vBulletin", "Powered by SMF",
                                   "Powered By MyBB", "Forum software by XenForo®", "Powered by Discourse"))
            title = f"{noun.title()}{place}? - {kw.title()} Forum"
            posts = "".join(f'<div class="post"><p class="author">member{rng.randrange(900)}</p>'
                            f'<p>{escape(_para(rng, niche, 2))}</p></div>' for _ in range(rng.randint(2, 5)))
            return title, f"<h1>{escape(title)}</h1>{posts}<p>Discussion board for {kw}{place}.</p>", software
        if typ == "directory":
            title = f"{kw.title()} Directory{place} - Add a Site"
            rows = _links(self.outbound(rng.randint(4, 8), 0.05), rng, niche)
            return title, (f"<h1>{escape(title)}</h1><p>Business directory of {kw} sites{place}. "
                           f"<a href=\"/submit.html\">Submit a site</a> or suggest a listing.</p>{rows}"), \
                "Add your business today"
        if typ == "haro":
            title = f"Journalist request: {kw} experts wanted"
            return title, (f"<h1>{escape(title)}</h1><p>Looking for sources: a reporter is seeking experts on "
                           f"{noun}{place}. Deadline: 2026-12-{rng.randint(1, 28):02d}. #journorequest</p>"
                           f"<p>{escape(_para(rng, niche, 2))}</p>"), "Media request board"
        if typ == "resource":
            title = f"{kw.title()} Resources{place}"
            links = _links(self.outbound(rng.randint(6, 14), 0.2), rng, niche)
            return title, (f"<h1>{escape(title)}</h1><p>Useful links and recommended resources for {kw}"
                           f"{place}.</p>{links}"), "Helpful resources, updated yearly"
        if typ == "guest_post":
            title = f"Write for us - {kw.title()} Magazine"
            return title, (f"<h1>Write for us</h1><p>We accept guest posts about {kw} and {noun}. Read our guest "
                           f"post guidelines and become a contributor.</p><p>{escape(_para(rng, niche, 3))}</p>"), \
                "Submit an article"
        if typ == "blog":
            title = f"{noun.title()}: what I learned{place}"
            return title, (f"<article><h1>{escape(title)}</h1><p>{escape(_para(rng, niche, 5))}</p></article>"
                           f"<section id=\"comments\"><h2>Leave a comment</h2><form><textarea></textarea>"
                           f"</form></section>"), "Blog about " + kw
        if typ == "news":
            title = f"{noun.title()} trend grows{place}"
            return title, (f"<article><h1>{escape(title)}</h1><p class=\"byline\">By Staff Reporter</p>"
                           f"<p>{escape(_para(rng, niche, 6))}</p></article>"), "News desk"
        if typ == "spam":
            title = f"Best {kw} links cheap buy backlinks casino"
            links = _links(self.outbound(rng.randint(20, 40), 0.3), rng, niche)
            return title, f"<h1>{escape(title)}</h1><p>Buy links now. Guaranteed ranking.</p>{links}", "Links"
        title = f"{noun.title()} - Shop{place}"
        return title, f"<h1>{escape(title)}</h1><p>{escape(_para(rng, niche, 3))}</p>", "Shop footer"

    def write(self, out: Path) -> int:
        rng = self.rng
        pages = 0
        for host, typ, niche, local in self.hosts:
            base = out / "sites" / host
            base.mkdir(parents=True)
            names = ["index.html"] + [f"page-{k}.html" for k in range(1, self.pages)]
            if typ == "forum" and self.pages > 1:
                names = ["index.html"] + [f"forum/viewtopic-{k}.html" for k in range(1, self.pages)]
            if typ == "guest_post" and self.pages > 1:
                names[1] = "write-for-us.html"
            for k, name in enumerate(names):
                title, body, footer = self.body_for(typ, niche, local, k, host)
                nav = "".join(f'<a href="/{n}">more</a> ' for n in names[:4] if n != name)
                ext = "" if typ in ("resource", "directory", "spam") else _links(self.outbound(2, 0.1), rng, niche)
                html = _page(title, body + f"<p>{nav}</p>" + ext, escape(footer))
                f = base / name
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text(html, encoding="utf-8")
                pages += 1
                url = f"http://{host}/" + ("" if name == "index.html" else name)
                relevance = 0 if typ in ("spam", "other") else (3 if k > 0 or typ in ("resource", "directory",
                                                                                      "guest_post") else 2)
                self.labels.append((url, niche.keyword, typ, relevance, niche.geo if local else ""))
            if rng.random() < 0.12:
                self.write_routes(base, rng)
        return pages

    @staticmethod
    def write_routes(base: Path, rng: random.Random) -> None:
        delay = rng.choice((800, 1500, 3000))
        (base / "_routes.toml").write_text(
            '["/old-page"]\nstatus = 301\nlocation = "/"\n\n'
            '["/retired"]\nstatus = 410\n\n'
            '["/missing-page"]\nstatus = 404\n\n'
            '["/loop"]\nstatus = 302\nlocation = "/loop"\n\n'
            f'["/slow"]\ndelay_ms = {delay}\nfile = "index.html"\n', encoding="utf-8")


def generate_world(out: Path, *, sites: int, pages_per_site: int, seed: int) -> dict:
    """Write a synthetic web directory into `out` (missing or empty); return {"hosts", "pages"}."""
    out = Path(out)
    if sites < 1 or pages_per_site < 1:
        raise InputError("sites and pages_per_site must be at least 1")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not empty; choose a new folder")
    gen = _Gen(sites, pages_per_site, seed)
    gen.plan_hosts()
    try:
        pages = _write_all(gen, out, sites, pages_per_site, seed)
    except OSError as exc:
        raise ExportError(f"cannot write the world to {out}: {exc.strerror or exc}",
                          hint="choose a folder you can write to, e.g. --out /tmp/big") from None
    return {"hosts": len(gen.hosts), "pages": pages}


def _write_all(gen: "_Gen", out: Path, sites: int, pages_per_site: int, seed: int) -> int:
    (out / "sites").mkdir(parents=True, exist_ok=True)
    pages = gen.write(out)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["url", "niche", "type", "relevance", "geo"])
    w.writerows(gen.labels)
    (out / "labels.csv").write_text(buf.getvalue(), encoding="utf-8")
    q = []
    for n in NICHES:
        q.append(f'[[niche]]\nkeyword = "{n.keyword}"\n' + (f'geo = "{n.geo}"\n' if n.geo else ""))
    (out / "queries.toml").write_text("\n".join(q), encoding="utf-8")
    (out / "web.toml").write_text(f'name = "generated-{sites}-{seed}"\n'
                                  f'description = "synthetic world: {sites} sites x {pages_per_site} pages, '
                                  f'seed {seed}"\n', encoding="utf-8")
    return pages
