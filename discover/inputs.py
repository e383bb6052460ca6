"""What a user types that every stage relies on, checked once: the niche keyword and prospect types.

`clean_keyword` is used by plan, run, eval and the journalist-query matcher; `parse_types` by
run, plan, shortlist and explain, each passing the set it accepts (run: the wanted types;
shortlist: every type, spam included; plan: the footprint families, which add "local").
"""

from __future__ import annotations

from typing import Iterable, Sequence

from discover.errors import InputError
from discover.records import WANTED_TYPES
from discover.search.query import plain_words

MAX_KEYWORD_CHARS = 200
#: Other spellings of a type name.
TYPE_ALIASES = {"guest": "guest_post", "guestpost": "guest_post"}

def clean_keyword(keyword: str, *, rankable: bool = False, example: str = '"maternity clothes"') -> str:
    """The keyword with whitespace collapsed; InputError when it cannot name a niche.

    `rankable` also asks for a word the topic model can match pages on (not only stop words):
    a discovery run checks that before any search, since ranking could not work without it."""
    text = " ".join((keyword or "").split())
    if not text:
        raise InputError("the keyword is empty", hint=f"give the niche, e.g. {example}")
    if len(text) > MAX_KEYWORD_CHARS:
        raise InputError(f"the keyword is {len(text)} characters long; keep it under {MAX_KEYWORD_CHARS}",
                         hint="use the niche's name, a few words")
    if not any(ch.isalpha() for ch in text):
        raise InputError(f"the keyword {text!r} has no letters", hint="use the niche's name in words")
    if not any(ch.isalpha() for w in plain_words(text) for ch in w):
        raise InputError(f"the keyword {text!r} is only search operators",
                         hint="give the niche in plain words; the footprints add the operators")
    if rankable:
        from discover.rank.relevance import has_topic_words

        if not has_topic_words(text):
            raise InputError(f"the keyword {text!r} has no words to match pages on",
                             hint='use the niche\'s own words, e.g. "maternity clothes"')
    return text


def parse_types(values: str | Iterable[str] | None, allowed: Sequence[str] = WANTED_TYPES) -> tuple[str, ...]:
    """Prospect types from a comma-separated string or a list, in the order given, without repeats.

    Nothing given means every type in `allowed`. Returns the members of `allowed` (so
    ProspectType members for prospect types)."""
    if values is None:
        return tuple(allowed)
    items = values.split(",") if isinstance(values, str) else list(values)
    keys = [str(v).strip().lower().replace("-", "_") for v in items]
    keys = [TYPE_ALIASES.get(k, k) for k in keys if k]
    if not keys:
        return tuple(allowed)
    by_name = {str(a): a for a in allowed}
    unknown = [k for k in dict.fromkeys(keys) if k not in by_name]
    if unknown:
        raise InputError(f"unknown prospect type(s): {', '.join(unknown)}",
                         hint="valid types: " + ", ".join(by_name))
    return tuple(by_name[k] for k in dict.fromkeys(keys))
