"""Registry of search engines; each engine is a module with the same attributes (`SearchEngine`).

    NAME                  canonical name ("duckduckgo")
    SPEC                  serp.SerpSpec: result-page selectors and markers, as data
    SUPPORTED_OPERATORS   frozenset of operator names the engine honours
    CONSENT_SELECTORS     buttons the browser runner clicks on consent dialogs
    search_url(query, page, region) -> str
    parse(html, query="", page=1, base_url="") -> serp.ParsedSerp

`translate(query, engine)` rewrites a footprint query for the operators an engine honours.

Modules are imported on first use so that importing the package stays cheap and an engine
written elsewhere (`local`, the offline world) is only needed when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from discover.errors import ConfigError
from discover.search.query import rewrite

if TYPE_CHECKING:
    from discover.search.serp import ParsedSerp, SerpSpec

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


@runtime_checkable
class SearchEngine(Protocol):
    """What every engine module provides (modules satisfy it structurally)."""

    NAME: str
    SPEC: "SerpSpec"
    SUPPORTED_OPERATORS: frozenset[str]     # names from OPERATORS
    CONSENT_SELECTORS: tuple[str, ...]      # buttons the browser runner clicks on consent dialogs

    def search_url(self, query: str, page: int = 1, region: Mapping[str, str] | None = None) -> str: ...

    def parse(self, html: str | bytes, query: str = "", page: int = 1, base_url: str = "") -> "ParsedSerp": ...


class _LazyEngines(Mapping[str, SearchEngine]):
    """`ENGINES[name]` imports the engine module the first time it is looked up."""

    def __getitem__(self, name: str) -> SearchEngine:
        if name not in _MODULES:
            raise KeyError(name)
        return cast(SearchEngine, importlib.import_module(_MODULES[name]))

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


ENGINES: Mapping[str, SearchEngine] = _LazyEngines()


def canonical_name(name: str) -> str:
    """The registry name for `name` or one of its aliases (case-insensitive)."""
    key = name.strip().lower()
    return ALIASES.get(key, key)


def get_engine(name: str) -> SearchEngine:
    """The engine module for `name` ("ddg" → duckduckgo); ConfigError for unknown names."""
    key = canonical_name(name)
    if key not in _MODULES:
        known = ", ".join(sorted(_MODULES))
        raise ConfigError(f"unknown search engine {name!r}", hint=f"known engines: {known}")
    return ENGINES[key]


def translate(query_text: str, engine_name: str) -> tuple[str, tuple[str, ...]]:
    """The query as `engine_name` should receive it, and notes on what was changed
    (`search.query.rewrite` with the engine's SUPPORTED_OPERATORS)."""
    return rewrite(query_text, get_engine(engine_name).SUPPORTED_OPERATORS, canonical_name(engine_name))
