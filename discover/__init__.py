"""discover — find backlink prospects.

Pipeline (each stage a module, dependencies flowing one way):

    plan → search/ → fetch → extract (+ contacts) → classify → linkcheck / quality
         → score (relevance, geo) → store → shortlist / export/ / push

`discover.pipeline` composes the stages; `discover.cli` only parses and prints.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
