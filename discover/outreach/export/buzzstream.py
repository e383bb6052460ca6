"""BuzzStream: the link-partner CSV import template, one row per prospect site.

The template's columns come in a fixed order; the first two are required: `Link Partner –
Name` (with an en dash, as the template writes it) and `Link Partner – Domain` (a valid domain
name). Columns 3-16 describe an existing link and its payment and stay empty for a prospect;
the contact and outreach columns follow. A row without a valid domain is not written (BuzzStream
would skip it) and is reported. See docs/crm-formats.md.
"""

from __future__ import annotations

import re
from typing import Any

from discover.outreach.export._crm import TYPE_LABELS, company, note, person_name, social, website
from discover.outreach.export.base import CsvExporter
from discover.records import Prospect

NAME, DOMAIN = "Link Partner \u2013 Name", "Link Partner \u2013 Domain"
#: Columns 1-16 of BuzzStream's link-partner template, in its order and spelling.
TEMPLATE = (NAME, DOMAIN, "Linking from", "Linking To", "Anchor Text", "Sitewide Link?",
            "Sitewide \u2013 # of links", "Acquisition Method", "Payment Date", "Payment \u2013 Amount",
            "Payment \u2013 Method", "Payment \u2013 Reference ID", "Payment \u2013 Type", "Payment \u2013 Term",
            "Payment \u2013 Start date", "Payment \u2013 Expiration date")
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$", re.I)
NO_DOMAIN = "no valid domain name (BuzzStream requires Link Partner \u2013 Domain)"


class BuzzStreamExporter(CsvExporter):
    name = "buzzstream"
    description = "BuzzStream link-partner import (template columns + contact)"
    columns = TEMPLATE + ("First Name", "Last Name", "Email", "Phone", "Website", "Contact Form URL", "Twitter",
                          "Facebook", "LinkedIn", "Instagram", "Tags", "Relationship Stage", "Notes")

    @classmethod
    def problem(cls, p: Prospect) -> str:
        return "" if _DOMAIN.match(p.domain or "") else NO_DOMAIN

    def row(self, p: Prospect) -> dict[str, Any]:
        first, last = person_name(p)
        return {NAME: company(p) or p.domain, DOMAIN: p.domain, "First Name": first, "Last Name": last,
                "Email": p.email, "Phone": p.phone, "Website": website(p), "Contact Form URL": p.contact_page,
                "Twitter": social(p, "twitter.com") or social(p, "x.com"), "Facebook": social(p, "facebook.com"),
                "LinkedIn": social(p, "linkedin.com"), "Instagram": social(p, "instagram.com"),
                "Tags": ", ".join(t for t in (TYPE_LABELS.get(p.type, p.type), p.niche) if t),
                "Relationship Stage": "Not Started", "Notes": note(p)}
