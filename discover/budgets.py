"""Deadlines for calls that have none of their own.

Playwright's timeouts cover navigation and waiting, not the calls that need a page's main
thread (`content()`, `evaluate`) nor closing a tab whose scripts never yield; a stuck driver
answers nothing at all. Every such call goes through `bounded`, and pages, contexts and browsers
are closed with `close_quietly`, which gives up instead of waiting for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class Stalled(Exception):
    """A call that did not return in time: a page whose scripts never yield, a hung renderer,
    a driver that stopped answering."""


async def bounded(awaitable: Awaitable[T], seconds: float, what: str) -> T:
    """`awaitable` with a deadline; Stalled("`what` did not finish within N s") past it."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        raise Stalled(f"{what} did not finish within {seconds:g}s") from None


async def close_quietly(closable: Any, seconds: float = 5.0) -> bool:
    """Close a page, context or browser; False when it would not close in time (or failed)."""
    if closable is None:
        return True
    try:
        await asyncio.wait_for(closable.close(), seconds)
        return True
    except Exception:  # noqa: BLE001 - a dead or hung target: the caller escalates
        return False
