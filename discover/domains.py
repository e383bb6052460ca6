"""Registrable domains (offline public-suffix list): the identity of a site across the pipeline.

`https://blog.example.co.uk/x` → `example.co.uk`. tldextract uses the suffix-list snapshot it
ships with and never downloads one (`suffix_list_urls=()`, no cache directory).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from discover.urls import host_of


@lru_cache(maxsize=1)
def _extractor() -> Any:  # tldextract is imported lazily (CLI start-up)
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(url_or_host: str) -> str:
    """The registrable domain of a URL or host; hosts without a known suffix stay as they are."""
    return _domain_of_host(host_of(url_or_host))


@lru_cache(maxsize=65_536)
def _domain_of_host(host: str) -> str:
    if not host:
        return ""
    ext = _extractor()(host)
    if hasattr(ext, "top_domain_under_public_suffix"):   # tldextract >= 5.3
        return ext.top_domain_under_public_suffix or host.removeprefix("www.")
    return ext.registered_domain or host.removeprefix("www.")
