"""Shared helpers of the CRM exporters."""

from __future__ import annotations

from discover.records import Prospect
from discover.outreach.shortlist import pitch_angle

TYPE_LABELS = {"forum": "Forum", "directory": "Directory", "haro": "Journalist query", "resource": "Resource page",
               "guest_post": "Guest post", "blog": "Blog", "news": "News", "other": "Other", "spam": "Spam"}


def person_name(p: Prospect) -> tuple[str, str]:
    """(first, last) of the person behind the email when the page named them; else empty."""
    name = str(p.explanation.get("contact_name") or (p.explanation.get("author") if p.email_kind == "person" else "")
               or "").strip()
    if not name:
        return "", ""
    first, _, last = name.partition(" ")
    return first, last


def website(p: Prospect) -> str:
    scheme = "https" if p.url.startswith("https:") else "http"
    return f"{scheme}://{p.domain}/"


def note(p: Prospect) -> str:
    parts = [f"{TYPE_LABELS.get(p.type, p.type)} prospect, score {p.score:.2f}"]
    if p.why:
        parts.append(f"Why: {p.why}")
    parts.append(f"Pitch: {p.pitch or pitch_angle(p)}")
    parts.append(f"Page: {p.url}")
    if p.broken_links:
        parts.append("Broken links: " + ", ".join(p.broken_links[:5]))
    return " | ".join(parts)


def social(p: Prospect, network: str) -> str:
    for url in p.social:
        if network in url.lower():
            return url
    return ""
