"""URL identity: one function, named variants, each stage's answer written down."""

from __future__ import annotations

import pytest

from discover.urls import (
    FOR_CRAWL, FOR_EVAL, FOR_FETCH, FOR_MERGE, FOR_STORE, TRACKING_PARAMS, bare_host, host_of, is_tracking_param,
    url_key,
)

MESSY = "HTTP://WWW.Example.COM:80/Shop/?utm_source=x&b=2&a=1&gclid=9#top"


@pytest.mark.parametrize("how, want", [
    (FOR_FETCH, "http://www.example.com:80/Shop/?utm_source=x&b=2&a=1&gclid=9"),
    (FOR_MERGE, "https://www.example.com/Shop?b=2&a=1"),
    (FOR_STORE, "https://example.com/Shop?a=1&b=2"),
    (FOR_CRAWL, "example.com/Shop/?utm_source=x&b=2&a=1&gclid=9"),
    (FOR_EVAL, "example.com/Shop?utm_source=x&b=2&a=1&gclid=9"),
])
def test_each_variant_on_one_messy_url(how, want) -> None:
    assert url_key(MESSY, how) == want == how.key(MESSY)


def test_scheme_is_identity_only_for_fetching() -> None:
    assert FOR_FETCH.key("http://x.com/a") != FOR_FETCH.key("https://x.com/a")
    for how in (FOR_MERGE, FOR_STORE, FOR_CRAWL, FOR_EVAL):
        assert how.key("http://x.com/a") == how.key("https://x.com/a")


def test_www_is_a_different_site_when_merging_search_results() -> None:
    assert FOR_MERGE.key("http://www.x.com/") != FOR_MERGE.key("http://x.com/")
    assert FOR_STORE.key("http://www.x.com/") == FOR_STORE.key("http://x.com/")


def test_ports_and_host_spelling() -> None:
    assert FOR_STORE.key("https://x.com:443/a") == FOR_STORE.key("http://X.com./a") == "https://x.com/a"
    assert FOR_STORE.key("http://x.com:8080/a") == "https://x.com:8080/a"      # another server
    assert FOR_STORE.key("http://user:pw@x.com/a") == "https://x.com/a"       # credentials are no identity
    assert FOR_FETCH.key("http://user:pw@X.com:8080") == "http://user:pw@x.com:8080/"
    assert FOR_STORE.key("http://[2001:DB8::1]:8080/") == "https://[2001:db8::1]:8080/"
    assert FOR_STORE.key("http://x.com:abc/") == "https://x.com:abc/"        # written, not guessed


def test_trailing_slash_and_static_page_names() -> None:
    assert FOR_MERGE.key("http://x.com/a/") == FOR_MERGE.key("http://x.com/a")
    assert FOR_MERGE.key("http://x.com") == FOR_MERGE.key("http://x.com/") == "https://x.com/"
    assert FOR_CRAWL.key("http://x.com/a/") != FOR_CRAWL.key("http://x.com/a")   # the audit sees both
    # docs/web-dir.md: one page under a/b.html, a/b, a/index.html, a/ and a
    assert {FOR_EVAL.key(f"http://x.com/{p}") for p in ("a/index.html", "a/", "a")} == {"x.com/a"}
    assert FOR_EVAL.key("http://x.com/a/b.html") == FOR_EVAL.key("http://x.com/a/b") == "x.com/a/b"
    assert FOR_EVAL.key("http://x.com/index.html") == FOR_EVAL.key("http://x.com/") == "x.com"
    assert FOR_STORE.key("http://x.com/a.html") != FOR_STORE.key("http://x.com/a")


def test_one_list_of_tracking_parameters() -> None:
    url = "http://x.com/p?id=7&utm_medium=m&mc_cid=1&_hsenc=2&srsltid=3&dclid=4&ref_src=5&FBCLID=6"
    assert FOR_MERGE.key(url) == FOR_STORE.key(url) == "https://x.com/p?id=7"
    assert all(is_tracking_param(p) for p in TRACKING_PARAMS)
    assert not is_tracking_param("ref") and not is_tracking_param("page")   # ?ref= names a branch, a tab ...
    assert FOR_EVAL.key(url).endswith("FBCLID=6")   # labels are compared as written


def test_other_schemes_are_their_own_identity() -> None:
    # A digest item's fragment names the item: two items of one mail file stay two.
    for how in (FOR_FETCH, FOR_MERGE, FOR_STORE, FOR_CRAWL, FOR_EVAL):
        assert how.key(" mail:haro.eml#2 ") == "mail:haro.eml#2"
        assert how.key("mail:haro.eml#2") != how.key("mail:haro.eml#3")


def test_unparseable_url_raises_for_the_caller_to_judge() -> None:
    with pytest.raises(ValueError):
        url_key("http://[::1", FOR_FETCH)


def test_hosts() -> None:
    assert host_of("https://WWW.x.com:8080/a") == "www.x.com"
    assert host_of("x.com/a") == "x.com" and host_of("http://[bad") == ""
    assert bare_host("https://www.x.com/") == bare_host("X.com") == "x.com"
    assert bare_host("::1") == "::1" and bare_host("::2") != bare_host("::1")


@pytest.mark.parametrize("url, shown", [
    ("postgresql://disc:s3cret@db.internal/disc", "postgresql://disc:***@db.internal/disc"),
    ("postgresql+psycopg://disc:s3cret@db/disc", "postgresql+psycopg://disc:***@db/disc"),
    ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("http://user:p%40ss@proxy.example:3128", "http://user:***@proxy.example:3128"),
    ("sqlite:////home/u/discover.db", "sqlite:////home/u/discover.db"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_one_rule_hides_passwords_in_database_broker_and_proxy_urls(url, shown):
    from discover.urls import redact_url

    assert redact_url(url) == shown
    assert "s3cret" not in redact_url(url) and "p%40ss" not in redact_url(url)
