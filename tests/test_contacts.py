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
