"""One error tree for the whole tool.

    DiscoverError                  base: every expected failure; the CLI prints its message, exits non-zero
     ├── ConfigError               bad settings, config file or flag combination        (exit 2)
     ├── InputError                bad user input: empty keyword, unknown place, ...     (exit 2)
     │    └── AmbiguousPlace       a place name with several candidates (listed)
     ├── WebWorldError             a --web folder that is not a web directory            (exit 2)
     ├── BrowserError              no browser found / it failed to start                 (exit 3)
     ├── ServerError               the local server could not start (port in use, ...)   (exit 3)
     ├── SearchError               a search engine failed                                (exit 4)
     │    └── SearchBlocked        captcha / consent wall / rate limit: back off, try another engine
     ├── FetchError                a page could not be fetched (carries a typed outcome)  (exit 4)
     ├── ExtractionEmpty           a page yielded no usable text
     ├── ExecutorError             the distributed executor: broker, workers, a failed task (exit 3)
 ├── StoreError                the database could not be opened or migrated          (exit 5)
     ├── ExportError               an export or push failed                              (exit 6)
     ├── ModelError                a model artefact is missing, unsafe or unfitted       (exit 7)
     └── Interrupted               Ctrl-C; work done so far is saved                     (exit 130)

Exit codes: 0 ok, 1 "found problems" (audit errors), 2 bad input/config,
3 environment (browser, server), 4 network stage, 5 store, 6 export, 7 model,
70 internal error (anything that is not a DiscoverError: a bug), 130 interrupted.
"""

from __future__ import annotations


class DiscoverError(Exception):
    """Base class for expected failures; `str(err)` is a one-line message for the user."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(DiscoverError):
    exit_code = 2


class InputError(DiscoverError):
    exit_code = 2


class AmbiguousPlace(InputError):
    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message, hint="candidates: " + "; ".join(candidates[:10]))
        self.candidates = candidates


class WebWorldError(DiscoverError):
    exit_code = 2


class BrowserError(DiscoverError):
    exit_code = 3


class ServerError(DiscoverError):
    exit_code = 3


class SearchError(DiscoverError):
    exit_code = 4


class SearchBlocked(SearchError):
    """The engine answered with a captcha, consent wall or rate limit."""

    def __init__(self, message: str, *, engine: str = "", retry_after: float | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.engine = engine
        self.retry_after = retry_after


class FetchError(DiscoverError):
    exit_code = 4

    def __init__(self, message: str, *, outcome: str = "error", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.outcome = outcome


class ExtractionEmpty(DiscoverError):
    exit_code = 4


class ExecutorError(DiscoverError):
    """The broker is unreachable, no worker is alive, or a worker could not do a task."""

    exit_code = 3


class StoreError(DiscoverError):
    exit_code = 5


class ExportError(DiscoverError):
    exit_code = 6


class ModelError(DiscoverError):
    exit_code = 7


class Interrupted(DiscoverError):
    """Ctrl-C: what was done so far is kept."""

    exit_code = 130
