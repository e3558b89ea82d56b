"""Large jobs off the event loop, one at a time, so no request freezes every other client.

Exporting, importing or resetting a big state and rendering a big journal or fault list take
seconds of CPU; on the loop, every client would wait that long. Such a job runs in a worker
thread while the loop goes on serving; a small one runs inline, where a thread hop would cost
more than the work. One large job runs at a time: each competes with the loop for the GIL and
holds its own copy of the data, so several at once would slow everyone and multiply memory.

A job may only read what was copied on the loop for it (a snapshot) or build objects nobody
else sees yet; whatever it decides is applied to the store afterwards, on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class OffLoop:
    """Runs jobs for one app: small ones inline, large ones in one worker thread at a time."""

    def __init__(self) -> None:
        self._slot = asyncio.Semaphore(1)

    async def run(self, job: Callable[[], T], *, large: bool) -> T:
        """`job()`, in a worker thread when `large`; the slot is held until the thread ends,
        even if the request that started it is cancelled meanwhile."""
        if not large:
            return job()
        await self._slot.acquire()
        try:
            task = asyncio.ensure_future(asyncio.to_thread(job))
        except BaseException:
            self._slot.release()
            raise
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._slot.release()
        if not task.cancelled():
            task.exception()  # retrieved here, so a job whose caller left is not reported
