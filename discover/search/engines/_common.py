"""Small helpers shared by the engine modules (region codes, query strings)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode


def region_codes(region: Mapping[str, str] | None) -> tuple[str, str]:
    """(country, language) as lower-case ISO codes from a region mapping such as
    {"country": "GB", "language": "en"}; empty strings when unset. "UK" is accepted for GB."""
    region = region or {}
    country = (region.get("country") or "").strip().lower()
    language = (region.get("language") or "").strip().lower().split("-")[0]
    return ("gb" if country == "uk" else country), language


def build_url(base: str, params: Mapping[str, str | int | None]) -> str:
    """`base?params`, leaving out empty values so URLs stay minimal and cache-friendly."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(kept)}" if kept else base


def check_page(page: int) -> int:
    """Result pages are numbered from 1; anything else is a caller bug."""
    if page < 1:
        raise ValueError(f"page numbers start at 1, got {page}")
    return page
