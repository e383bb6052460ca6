"""discover — find backlink prospects.

Pipeline (one folder per stage, imports flowing one way; see docs/architecture.md):

    plan → search/ → pages/ (fetch, extract, contacts, classify) → links/ (linkcheck, quality)
         → rank/ (relevance, geo, score) → store/ → outreach/ (shortlist, export/, push, report)

`discover.pipeline` composes the stages; `discover.cli` only parses and prints.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
