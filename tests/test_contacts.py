"""Contacts: every obfuscation, no invented addresses, person vs generic, pages/social/forms/people."""

from __future__ import annotations

import asyncio

import pytest

from discover.pages.contacts import best_email, email_label, emails_in_text, enrich_contacts, find_contacts
from discover.pages.extract import extract
from discover.pages.fetch import Fetcher
from discover.records import Contact, FetchResult
from discover.runtime import Runtime
from discover.settings import load_settings
from discover.webworld.server import WorldServer
from discover.webworld.world import World


def write_world(root, sites):
    for host, files in sites.items():
        for rel, content in files.items():
            f = root / "sites" / host / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(content, encoding="utf-8")
    return root


class world_fetcher:  # noqa: N801 - used like a function: `async with world_fetcher(root) as f`
    """A Fetcher over a real WorldServer serving `root`."""

    def __init__(self, root):
        self.settings = load_settings({"web": str(root)}, env={})
        self.rt = Runtime(self.settings)
        self.rt.world = World(root)

    async def __aenter__(self):
        self.rt.server = WorldServer(self.rt.world).start()
        self.fetcher = Fetcher(self.rt, self.settings)
        return self.fetcher

    async def __aexit__(self, *exc):
        await self.fetcher.aclose()
        await self.rt.close()


@pytest.mark.parametrize("text,expected", [
    ("write to jane [at] crumbclub [dot] com today", ["jane@crumbclub.com"]),
    ("write to jane (at) crumbclub (dot) co (dot) uk", ["jane@crumbclub.co.uk"]),
    ("mail: jane(at)crumbclub.com", ["jane@crumbclub.com"]),
    ("JANE AT CRUMBCLUB DOT COM", ["jane@crumbclub.com"]),
    ("jane {at} crumbclub {dot} org", ["jane@crumbclub.org"]),
    ("plain: Mary.Stone@CrumbClub.com.", ["mary.stone@crumbclub.com"]),
])
def test_obfuscations(text, expected):
    assert emails_in_text(text) == expected


@pytest.mark.parametrize("text", [
    "We meet at home. com is fine",
    "see you at the park dot com style names",
    "Look AT this DOT",
    "logo@2x.png and icon@3x.jpg",
    "you@example.com or name@yourdomain.com",
    "the price is 5 at 3.00 each",
])
def test_no_false_positives(text):
    assert emails_in_text(text) == []


def test_entity_encoded_and_mailto():
    html = ("<html><body><p>Contact: &#106;&#97;&#110;&#101;&#64;&#99;&#114;&#117;&#109;&#98;&#46;&#99;&#111;&#109;</p>"
            "<p><a href='mailto:&#x62;&#x6f;&#x62;@crumb.com?subject=hi'>Bob Stone</a></p>"
            "<p><a href='mailto:info@crumb.com'>Email us</a></p></body></html>")
    found = {c.value: c for c in find_contacts(html, "https://crumb.com/")}
    assert found["jane@crumb.com"].label == "person"
    assert found["bob@crumb.com"].label == "person" and found["bob@crumb.com"].name == "Bob Stone"
    assert found["info@crumb.com"].label == "generic"


def test_never_invents_addresses():
    html = ("<html><head><meta name='author' content='Jane Miller'></head><body><h1>About Jane Miller</h1>"
            "<p>Jane runs crumbclub.com from Leeds. Reach her on the form below.</p></body></html>")
    contacts = find_contacts(html, "https://crumbclub.com/about")
    assert not [c for c in contacts if c.kind == "email"]
    assert any(c.kind == "person" and c.value == "Jane Miller" for c in contacts)


@pytest.mark.parametrize("addr,label", [
    ("info@x.com", "generic"), ("contact@x.com", "generic"), ("hello@x.com", "generic"),
    ("editor@x.com", "generic"), ("support@x.com", "generic"), ("press@x.com", "generic"),
    ("noreply@x.com", "generic"), ("sales2@x.com", "generic"),
    ("jane@x.com", "person"), ("jane.doe@x.com", "person"), ("j.doe@x.com", "person"),
])
def test_person_vs_generic(addr, label):
    assert email_label(addr) == label


def test_pages_social_forms_people():
    html = """<html><head><meta name="author" content="Sam Carter"></head><body>
    <nav><a href="/contact-us">Contact</a> <a href="/write-for-us">Write for us</a> <a href="/about">About</a>
    <a href="/shop">Shop</a> <a href="https://other.example.org/contact">Their contact</a></nav>
    <p class="byline">By Priya Patel</p><p>Editor: Tom Hughes</p>
    <a href="https://twitter.com/crumbclub">tw</a> <a href="https://twitter.com/intent/tweet?text=x">share</a>
    <a href="https://www.facebook.com/sharer/sharer.php?u=x">share</a> <a href="https://www.facebook.com/crumbclub">fb</a>
    <a href="https://www.linkedin.com/in/priya-patel-123/">in</a> <a href="https://www.instagram.com/crumbclub/">ig</a>
    <form action="/send"><input type="email" name="email"><textarea name="message"></textarea></form>
    <form action="/comments"><input name="email"><textarea name="comment"></textarea></form>
    </body></html>"""
    contacts = find_contacts(html, "https://www.crumbclub.com/post")
    pages = {c.value for c in contacts if c.kind == "page"}
    assert pages == {"https://www.crumbclub.com/contact-us", "https://www.crumbclub.com/write-for-us",
                     "https://www.crumbclub.com/about"}
    social = {(c.label, c.value) for c in contacts if c.kind == "social"}
    assert social == {("twitter", "https://twitter.com/crumbclub"), ("facebook", "https://www.facebook.com/crumbclub"),
                      ("linkedin", "https://www.linkedin.com/in/priya-patel-123"),
                      ("instagram", "https://www.instagram.com/crumbclub")}
    forms = [c.value for c in contacts if c.kind == "form"]
    assert forms == ["https://www.crumbclub.com/send"]
    people = {c.value for c in contacts if c.kind == "person"}
    assert {"Sam Carter", "Priya Patel", "Tom Hughes"} <= people


def test_best_email_prefers_named_person():
    contacts = [Contact("email", "info@crumb.com", "generic", "https://crumb.com/"),
                Contact("email", "jane@crumb.com", "person", "https://crumb.com/contact", "Jane"),
                Contact("page", "https://crumb.com/contact", "contact")]
    assert best_email(contacts).value == "jane@crumb.com"
    assert best_email([contacts[0]]).value == "info@crumb.com"
    assert best_email([contacts[2]]) is None


def test_enrich_follows_contact_pages_one_hop(tmp_path):
    root = write_world(tmp_path / "web", {"crumb.example.com": {
        "index.html": "<html><body><h1>Crumb</h1><p>Mail info@crumb.example.com for orders.</p>"
                      "<a href='/contact'>Contact</a> <a href='/write-for-us'>Write for us</a></body></html>",
        "contact.html": "<html><body><p>Editor: <a href='mailto:jane.miller@crumb.example.com'>Jane Miller</a></p>"
                        "<a href='/contact/deeper'>More contacts</a></body></html>",
        "contact/deeper.html": "<html><body><p>deep@crumb.example.com</p></body></html>",
        "write-for-us.html": "<html><body><p>Pitch ed (at) crumb.example (dot) com</p></body></html>",
    }})

    async def go():
        async with world_fetcher(root) as f:
            res = await f.fetch("http://crumb.example.com/")
            return await enrich_contacts(f, extract(res))

    contacts = asyncio.run(go())
    emails = [c.value for c in contacts if c.kind == "email"]
    assert emails[0] == "jane.miller@crumb.example.com"      # named person first
    assert set(emails) == {"jane.miller@crumb.example.com", "info@crumb.example.com", "ed@crumb.example.com"}
    assert "deep@crumb.example.com" not in emails              # one hop only


# --- issue 12, item 2: contacts read from the DOM, one node at a time -----------------------------

from discover.pages.contacts import (  # noqa: E402
    company_name, contact_person, looks_like_name, normalise_phone, page_country, phones_in_text, split_name,
)
from discover.html import load_html  # noqa: E402


def _page(body: str, head: str = "", lang: str = "") -> str:
    return f"<html{f' lang={lang!r}' if lang else ''}><head>{head}</head><body>{body}</body></html>"


def _emails(html: str, url: str = "https://crumb.co.uk/") -> list[str]:
    return [c.value for c in find_contacts(html, url) if c.kind == "email"]


@pytest.mark.parametrize("body", [
    "<ul><li>jane</li><li>[at] crumb [dot] com</li></ul>",           # obfuscated, split over list items
    "<p>jane [at] crumb<br>[dot] com</p>",                            # split by a line break
    "<p><span>Write to jane</span><span> (at) crumb (dot) com</span></p>",
    "<table><tr><td>sales</td><td>AT crumb DOT com</td></tr></table>",
])
def test_an_address_split_across_elements_is_not_glued(body):
    assert _emails(_page(body)) == []


def test_obfuscation_inside_one_text_node_still_works():
    assert _emails(_page("<p>Pitches: jane [at] crumb [dot] com, thanks!</p>")) == ["jane@crumb.com"]


@pytest.mark.parametrize("html", [
    _page("<a href='mailto:%E2%80%8Bjane@crumb.com'>write to us</a>"),     # zero-width space in the href
    _page("<p>Mail: \u2060jane@crumb.com</p>"),
    _page("<p>Mail: jane\u00ad@crumb.com</p>"),                            # soft hyphen inside the address
    _page("<p>Mail: \u202ajane@crumb.com\u202c</p>"),                      # bidi embedding marks
    _page("<p>Mail: ja\u200dne@cr\u200bumb.com</p>"),
    _page("<p>Mail: jane@crumb.com\ufeff</p>"),
])
def test_invisible_characters_are_stripped(html):
    assert _emails(html) == ["jane@crumb.com"]


def test_addresses_in_data_attributes_and_cloudflare_protection():
    # data-cfemail: the first byte is the XOR key of the rest (here "jane@crumb.com" under key 0x2a).
    key = 0x2A
    hexed = f"{key:02x}" + "".join(f"{ord(ch) ^ key:02x}" for ch in "jane@crumb.com")
    html = _page(f"<a href='/cdn-cgi/l/email-protection' data-cfemail='{hexed}'>[email&#160;protected]</a>"
                 "<div data-contact='press@crumb.com'></div>")
    assert set(_emails(html)) == {"jane@crumb.com", "press@crumb.com"}


def test_commenters_are_not_the_sites_contacts():
    html = _page("<article><p>By <a href='/author/isa/'>Isa Chandra</a></p><p>Recipe text.</p></article>"
                 "<ol class='commentlist'><li class='comment'><div class='comment-author vcard'>"
                 "<cite class='fn'>Regan Brown</cite></div><p>Loved it, mail me at regan.b@gmail.com</p></li></ol>")
    contacts = find_contacts(html, "https://theppk.example/recipe")
    assert [c.value for c in contacts if c.kind == "person"] == ["Isa Chandra"]
    assert _emails(html, "https://theppk.example/recipe") == []


# --- phones ----------------------------------------------------------------------------------------

def test_phones_from_tel_links_and_text_in_e164():
    html = _page("<p>Call <a href='tel:0113 496 0000'>0113 496 0000</a>, London office 020 7946 0123.</p>"
                 "<p>Fax: 0113 496 0001</p><p>Posted 02.01.2016, issue 35/2023</p>")
    contacts = find_contacts(html, "https://crumb.co.uk/contact")
    phones = [(c.value, c.label) for c in contacts if c.kind == "phone"]
    assert phones == [("+441134960000", "tel"), ("+442079460123", "text")]


@pytest.mark.parametrize("url,body,head,lang,default,expected", [
    ("https://crumb.co.uk/", "", "", "", "", "GB"),                                     # ccTLD
    ("https://crumb.com/", "<address>12 Main St, Des Moines, IA 50309</address>", "", "en-GB", "", "US"),
    ("https://crumb.com/", "", '<script type="application/ld+json">{"@type":"Bakery","address":'
                               '{"@type":"PostalAddress","addressCountry":"AU"}}</script>', "", "US", "AU"),
    ("https://crumb.com/", "<p>Visit us in Saskatoon, SK S7K 1H1</p>", "", "", "", "CA"),
    ("https://crumb.com/", "", "", "en-US", "GB", "GB"),                               # the run's --geo
    ("https://crumb.com/", "", "", "de", "", "DE"),                                    # the page's language
    ("https://crumb.com/", "", "", "en-US", "", "US"),
])
def test_the_pages_country(url, body, head, lang, default, expected):
    root = load_html(_page(body, head, lang))
    from discover.html import visible_text

    assert page_country(root, url, default, text=visible_text(root)) == expected


def test_a_number_is_read_in_the_pages_country():
    # The same national number means different places; a +country number needs no guess.
    assert phones_in_text("Ring 020 7946 0000", "GB") == ["+442079460000"]
    assert phones_in_text("Ring 020 7946 0000", "US") == []
    assert phones_in_text("Ruf an: +49 30 901820", "US") == ["+4930901820"]
    assert normalise_phone("tel:+44 113 496") == ""                           # too short to be a number
    assert normalise_phone("tel:(515)%20283-4200", "US") == "+15152834200"


def test_extract_reads_phones_in_the_geo_country():
    from discover.records import FetchResult

    html = _page("<h1>Bumps &amp; Babies</h1><p>Call us on (515) 283-4200 for fittings.</p>")
    res = FetchResult(url="https://bumpsandbabies.com/", final_url="https://bumpsandbabies.com/", outcome="ok",
                      html=html)
    assert [c.value for c in extract(res).contacts if c.kind == "phone"] == []       # no country: no guess
    ext = extract(res, country="US")
    assert ext.country == "US" and [c.value for c in ext.contacts if c.kind == "phone"] == ["+15152834200"]


# --- names -----------------------------------------------------------------------------------------

def test_author_never_comes_from_class_or_style_text():
    """The CSS of the Co-Authors Plus block, in a <style id="co-authors-plus-…">, became the author."""
    from discover.records import FetchResult

    html = ("<html><head><title>Budget news | Example Times</title>"
            "<style id='co-authors-plus-coauthors-style-inline-css'>"
            ".wp-block-co-authors-plus-coauthors.is-layout-flow [class*=wp-block-co-authors-plus]{display:inline}"
            "</style></head><body><article><h1>Budget news</h1>"
            "<p class='meta'>By <a href='/contributors/noor-hassan/'>Noor Hassan</a></p>"
            "<p>" + "The council approved the budget on Tuesday after a long debate about libraries. " * 20
            + "</p></article></body></html>")
    ext = extract(FetchResult(url="https://times.example.org/budget", outcome="ok", html=html))
    assert ext.author == "Noor Hassan"
    assert all("Wp-Block" not in c.value and "Layout" not in c.value for c in ext.contacts)
    assert ext.site_name == "Example Times"


@pytest.mark.parametrize("body,address,name", [
    ("<p>Pitch me at noor@crumb.com — Noor</p>", "noor@crumb.com", "Noor"),
    ("<p>Send pitches to noor.h@crumb.com.</p><p>Thanks, Noor</p>", "noor.h@crumb.com", "Noor"),
    ("<ul class='team'><li><strong>Jane Miller</strong><br>Editor<br>"
     "<a href='mailto:jm@crumb.com'>jm@crumb.com</a></li></ul>", "jm@crumb.com", "Jane Miller"),
    ("<table><tr><td>Tom Hughes</td><td>Sales</td><td>tom@crumb.com</td></tr></table>", "tom@crumb.com",
     "Tom Hughes"),
    ("<p><a href='mailto:priya@crumb.com'>Priya Patel</a></p>", "priya@crumb.com", "Priya Patel"),
])
def test_a_name_next_to_an_address(body, address, name):
    found = {c.value: c for c in find_contacts(_page(body), "https://crumb.com/team")}
    assert found[address].name == name
    assert found[name].kind == "person"


def test_a_street_or_section_next_to_an_inbox_is_not_a_person():
    html = _page("<div><p>Am Delft</p><p>info@von-der-see.example</p></div>"
                 "<nav><a href='/sides'>Side Dishes</a> <a href='mailto:abra@kitchen.example'>Email</a></nav>")
    assert all(not c.name for c in find_contacts(html, "https://von-der-see.example/") if c.kind == "email")


def test_schema_org_person_in_json_ld_and_microdata():
    ld = ('<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"Article",'
          '"author":{"@type":"Person","name":"Angela Liddon"},"comment":[{"@type":"Comment","author":'
          '{"@type":"Person","name":"Regan Brown"}}]}]}</script>')
    people = [c.value for c in find_contacts(_page("<p>x</p>", ld), "https://glows.example/") if c.kind == "person"]
    assert people == ["Angela Liddon"]
    micro = _page("<div itemscope itemtype='https://schema.org/Person'><span itemprop='name'>Kelly Senyei</span>"
                  "</div>")
    assert [c.value for c in find_contacts(micro, "https://taste.example/") if c.kind == "person"] == ["Kelly Senyei"]


@pytest.mark.parametrize("raw,first,last", [
    ("Noor", "Noor", ""),
    ("Jane Miller", "Jane", "Miller"),
    ("Dr. Jane Miller PhD", "Jane", "Miller"),
    ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
    ("Alejandro de la Garza", "Alejandro", "de la Garza"),
    ("Laura E. Adkins", "Laura E.", "Adkins"),
    ("Alina Perera Robbio", "Alina", "Perera Robbio"),
    ("Mr Larry Hamilton Jr.", "Larry", "Hamilton"),
])
def test_split_name(raw, first, last):
    assert split_name(raw) == (first, last)


@pytest.mark.parametrize("text,ok", [
    ("Jane Miller", True), ("Nuño Domínguez", True), ("Loïc Le Clerc", True), ("Daniel Kahn Gillmor", True),
    ("Wp-Block-Co-Authors-Plus-Coauthors Is-Layout-Flow", False), ("Follow Author", False),
    ("Zum Newsletter", False), ("Read More", False), ("TV Columnist", False), ("Our Foreign", False),
    ("CBC's Journalistic Standards", False), ("jane@crumb.com", False),
])
def test_looks_like_name(text, ok):
    assert looks_like_name(text) is ok


def test_contact_person_prefers_the_name_by_the_address():
    contacts = [Contact("email", "info@crumb.com", "generic", "u"), Contact("person", "Jane Miller", "author", "u")]
    assert contact_person(contacts, contacts[0]) == "Jane Miller"         # a generic inbox: write to the author
    mine = Contact("email", "tom@crumb.com", "person", "u")
    assert contact_person(contacts + [mine], mine) == ""                  # someone else's own address: no guess
    named = Contact("email", "jane.miller@crumb.com", "person", "u")
    assert contact_person(contacts + [named], named) == "Jane Miller"


@pytest.mark.parametrize("head,title,url,expected", [
    ('<meta property="og:site_name" content="Crumb Club">', "Vegan scones – Crumb Club", "https://crumb.co.uk/x",
     "Crumb Club"),
    ('<script type="application/ld+json">{"@type":"WebSite","name":"Bumps &amp; Babies"}</script>', "Shop",
     "https://bumpsandbabies.com/shop", "Bumps & Babies"),
    ("", "Dylann Roof Convicted : The Two-Way : NPR", "https://www.npr.org/x", "NPR"),
    ("", "About - Asahi Linux", "https://asahilinux.org/about/", "Asahi Linux"),
    ("", "The Cooker - Links", "https://01micko.github.io/links.html", "The Cooker"),
    ('<meta property="og:site_name" content="crumb.co.uk">', "", "https://crumb.co.uk/", ""),   # bare domain: no
])
def test_company_is_the_sites_name_not_its_domain(head, title, url, expected):
    root = load_html(f"<html><head>{head}<title>{title}</title></head><body></body></html>")
    assert company_name(root, url, title) == expected


def test_page_command_shows_phones_and_the_person(tmp_path, make_world):
    import json
    import subprocess
    import sys

    world = make_world({"leedsgroomers.co.uk": {
        "index.html": _page("<h1>Leeds Groomers</h1><p>Book on <a href='tel:0113 496 0000'>0113 496 0000</a>.</p>"
                            "<ul><li><strong>Priya Patel</strong> — priya@leedsgroomers.co.uk</li></ul>",
                            '<meta property="og:site_name" content="Leeds Groomers">')}})
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "80"}
    r = subprocess.run([sys.executable, "-m", "discover", "page", "http://leedsgroomers.co.uk/", "--web", str(world),
                        "--no-enrich", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["phones"] == ["+441134960000"] and data["country"] == "GB"
    assert (data["contact_name"], data["first_name"], data["last_name"]) == ("Priya Patel", "Priya", "Patel")
    assert data["site_name"] == "Leeds Groomers"
    r = subprocess.run([sys.executable, "-m", "discover", "page", "http://leedsgroomers.co.uk/", "--web", str(world),
                        "--no-enrich"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and "phone" in r.stdout and "+441134960000" in r.stdout


def test_prospects_carry_phone_name_and_company():
    from discover.outreach.prospects import build_prospects
    from discover.records import Candidate, Classification, Extraction, Score

    ex = Extraction(url="https://leedsgroomers.co.uk/", site_name="Leeds Groomers", contacts=[
        Contact("email", "info@leedsgroomers.co.uk", "generic", "https://leedsgroomers.co.uk/"),
        Contact("phone", "+441134960000", "tel", "https://leedsgroomers.co.uk/"),
        Contact("person", "Priya Patel", "author", "https://leedsgroomers.co.uk/", "Priya Patel")])
    cand = Candidate(url=ex.url, domain="leedsgroomers.co.uk", extraction=ex,
                     classification=Classification("directory", 0.9))
    [p] = build_prospects([cand], [Score(total=0.8)], keyword="dog grooming", geo="Leeds")
    assert (p.phone, p.company, p.first_name, p.last_name) == ("+441134960000", "Leeds Groomers", "Priya", "Patel")
    assert p.to_json()["phone"] == "+441134960000"


@pytest.mark.parametrize("body,name", [
    ("<p>Editor: Carrie Lindqvist. Story tips and press releases welcome.</p>", "Carrie Lindqvist"),
    ("<p class='byline'>By Laura E. Adkins</p>", "Laura E. Adkins"),
])
def test_a_name_ends_where_its_sentence_ends(body, name):
    assert [c.value for c in find_contacts(_page(body), "https://x.example/") if c.kind == "person"] == [name]


def test_bylines_at_the_end_of_a_date_line_and_self_introductions():
    html = _page("<div class='date'>2026-06-21 &middot; written by Kelsey Ruiz</div>"
                 "<figcaption>Photo by Sam Lee</figcaption>")
    assert [c.value for c in find_contacts(html, "https://mama.example/post") if c.kind == "person"] == ["Kelsey Ruiz"]
    about = _page("<h2>About me</h2><p>I'm Kelsey Ruiz, a Des Moines mom writing about life in Iowa's capital "
                  "since 2019, with the parks, shops and schools I know.</p><p>Email: kelsey(at)mama-blog.co.uk</p>")
    found = {c.value: c for c in find_contacts(about, "https://mama-blog.co.uk/about")}
    assert found["Kelsey Ruiz"].kind == "person" and found["kelsey@mama-blog.co.uk"].name == "Kelsey Ruiz"


def test_a_directory_page_is_not_named_after_the_business_it_lists():
    head = ('<script type="application/ld+json">{"@type":"LocalBusiness","name":"Bloom Maternity Boutique",'
            '"url":"https://bloommaternity.example/"}</script>')
    root = load_html(f"<html><head>{head}<title>Bloom Maternity Boutique - Iowa Business Directory</title></head>"
                     "<body></body></html>")
    assert company_name(root, "https://iowa-business-directory.example/listing/42",
                        "Bloom Maternity Boutique - Iowa Business Directory") == "Iowa Business Directory"
