"""Registry of search engines; each engine is a module with the same attributes.

    NAME                  canonical name ("duckduckgo")
    SPEC                  serp.SerpSpec: result-page selectors and markers, as data
    SUPPORTED_OPERATORS   frozenset of operator names the engine honours
    CONSENT_SELECTORS     buttons the browser runner clicks on consent dialogs
    search_url(query, page, region) -> str
    parse(html, query="", page=1, base_url="") -> serp.ParsedSerp

`guess_engine(html)` names the engine a saved page comes from, by which engine's result
markup it carries (None when none does).

Modules are imported on first use so that importing the package stays cheap and an engine
written elsewhere (`local`, the offline world) is only needed when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

from discover.errors import ConfigError

#: Every operator name an engine may declare in SUPPORTED_OPERATORS.
OPERATORS: frozenset[str] = frozenset({"phrase", "intitle", "inurl", "site", "exclude", "or", "filetype"})

_MODULES: dict[str, str] = {
    "google": "discover.search.engines.google",
    "bing": "discover.search.engines.bing",
    "duckduckgo": "discover.search.engines.duckduckgo",
    "duckduckgo-lite": "discover.search.engines.duckduckgo_lite",
    "brave": "discover.search.engines.brave",
    "yahoo": "discover.search.engines.yahoo",
    "searxng": "discover.search.engines.searxng",
    "local": "discover.search.engines.local",
}

ALIASES: dict[str, str] = {
    "ddg": "duckduckgo",
    "duck": "duckduckgo",
    "ddg-lite": "duckduckgo-lite",
    "ddg_lite": "duckduckgo-lite",
    "duckduckgo_lite": "duckduckgo-lite",
    "lite": "duckduckgo-lite",
    "searx": "searxng",
    "g": "google",
}


class _LazyEngines(Mapping[str, ModuleType]):
    """`ENGINES[name]` imports the engine module the first time it is looked up."""

    def __getitem__(self, name: str) -> ModuleType:
        if name not in _MODULES:
            raise KeyError(name)
        return importlib.import_module(_MODULES[name])

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


ENGINES: Mapping[str, ModuleType] = _LazyEngines()


def canonical_name(name: str) -> str:
    """The registry name for `name` or one of its aliases (case-insensitive)."""
    key = name.strip().lower()
    return ALIASES.get(key, key)


def get_engine(name: str) -> ModuleType:
    """The engine module for `name` ("ddg" → duckduckgo); ConfigError for unknown names."""
    key = canonical_name(name)
    if key not in _MODULES:
        known = ", ".join(sorted(_MODULES))
        raise ConfigError(f"unknown search engine {name!r}", hint=f"known engines: {known}")
    return ENGINES[key]


#: Order of the guess: engines whose result markup is most specific first. Markup alone is not
#: enough (Startpage's results are `a.result-link`, as on DuckDuckGo Lite): the page must also
#: name the engine's own host or software.
_GUESS_ORDER: tuple[tuple[str, str], ...] = (
    ("local", r"search\.discover\.test"),
    ("searxng", r"searx"),
    ("brave", r"search\.brave\.com|brave\.com/"),
    ("bing", r"bing\.com|bing\.net"),
    ("duckduckgo", r"duckduckgo\.com"),
    ("duckduckgo-lite", r"duckduckgo\.com"),
    ("yahoo", r"yahoo\.com|yimg\.com"),
    ("google", r"google\.[a-z.]+/|gstatic\.com"),
)


def guess_engine(html: "str | bytes | object") -> str | None:
    """The registry name of the engine whose organic-result markup this page carries and whose
    host it names, or None."""
    import re

    from lxml import etree

    from discover.search.serp import extract_results, load_html

    doc = html if not isinstance(html, (str, bytes)) else load_html(html)
    source = etree.tostring(doc, encoding="unicode")  # type: ignore[arg-type]
    for name, host in _GUESS_ORDER:
        try:
            spec = ENGINES[name].SPEC
        except ImportError:  # an engine written elsewhere that is not installed here
            continue
        if re.search(host, source, re.I) and extract_results(doc, spec):  # type: ignore[arg-type]
            return name
    return None
