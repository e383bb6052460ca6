"""Shared helpers of the CRM exporters: who the contact is, the company, the note."""

from __future__ import annotations

from discover.records import Prospect
from discover.outreach.shortlist import pitch_angle

TYPE_LABELS = {"forum": "Forum", "directory": "Directory", "haro": "Journalist query", "resource": "Resource page",
               "guest_post": "Guest post", "blog": "Blog", "news": "News", "other": "Other", "spam": "Spam"}


def person_name(p: Prospect) -> tuple[str, str]:
    """(first, last) of the person to write to, as the page named them; ("", "") when it named nobody.

    Never made up from an address: "jane@site" without a name on the page stays nameless."""
    from discover.pages.contacts import split_name

    if p.first_name or p.last_name:
        return p.first_name, p.last_name
    name = str(p.contact_name or p.explanation.get("contact_name") or "").strip()
    if not name and p.type == "haro" and p.email:
        name = str(p.explanation.get("journalist") or "").strip()   # records stored before names were split
    return split_name(name) if name else ("", "")


def full_name(p: Prospect) -> str:
    return " ".join(x for x in person_name(p) if x)


def company(p: Prospect) -> str:
    """The site's name as it names itself (og:site_name, schema.org, its title); "" when unknown."""
    return str(p.company or p.explanation.get("outlet") or "").strip()


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
