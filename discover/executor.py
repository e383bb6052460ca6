"""Where a run's fan-out work runs, chosen by configuration (`executor` setting, `--broker`).

    executor = make_executor(settings)        "local" (default) or "celery"
    await executor.start(ctx)                 check what the work needs before any of it is done
    results = await executor.map(kind, items, ctx)   one result per item, in item order
    await executor.aclose()

The pipeline's stages call `map` with a task kind of `discover.tasks` and do not know which
executor runs it. `LocalExecutor` runs the kind's in-process batch (today's asyncio code);
`discover.scale.executor.CeleryExecutor` sends one Celery task per item to the workers and
reads their results from the shared PostgreSQL store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from discover.pipeline import RunContext
    from discover.settings import Settings
    from discover.tasks import TaskKind

I = TypeVar("I")
O = TypeVar("O")


class Executor(Protocol):
    name: str

    async def start(self, ctx: "RunContext") -> None: ...

    async def map(self, kind: "TaskKind[I, O]", items: Sequence[I], ctx: "RunContext") -> list[O]: ...

    async def aclose(self) -> None: ...


class LocalExecutor:
    """Everything in this process, on its event loop."""

    name = "local"

    async def start(self, ctx: "RunContext") -> None:
        await ctx.runtime.browser()  # no browser is an environment error, not 50 failed queries

    async def map(self, kind: "TaskKind[I, O]", items: Sequence[I], ctx: "RunContext") -> list[O]:
        if not items:
            return []
        return await kind.run_batch(ctx.env, list(items), lambda done, total: ctx.progress(kind.name, done, total))

    async def aclose(self) -> None:
        return None


def make_executor(settings: "Settings", **kwargs: Any) -> Executor:
    """The executor the settings name; the Celery one needs the `scale` extra."""
    if settings.executor == "celery":
        from discover.scale import require_celery

        require_celery()
        from discover.scale.executor import CeleryExecutor

        return CeleryExecutor(settings, **kwargs)
    return LocalExecutor()
