"""Live events for the dashboard: a bounded fan-out of small JSON messages to a few clients.

Plain Python and asyncio, no HTTP (`admin/events.py` streams them as Server-Sent Events).
A publisher hands `publish` a function that builds the message, called only when someone
subscribes: with no page open an event costs one truth test, and the journal is not even
watched. Each subscriber has a small queue; one that falls behind (a slow or stuck browser)
is dropped and told to reload its snapshot, so the mock never buffers without limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from mock_server.state.journal import JournalEntry, RawEntry, RequestJournal

logger = logging.getLogger("mock_server")

MAX_SUBSCRIBERS = 32
# A subscriber whose unsent events exceed either bound is dropped: a browser on loopback
# keeps up with thousands of events a second, so only a stuck one gets there.
QUEUE_EVENTS = 256
QUEUE_BYTES = 1024 * 1024
HEARTBEAT_SECONDS = 15.0
# How often a quiet stream checks that its client is still connected (a closed tab frees
# its slot within this time, not at the next heartbeat).
LIVENESS_SECONDS = 1.0

HEARTBEAT = b": heartbeat\n\n"
"""A comment line: proxies and browsers see traffic on a quiet stream; clients ignore it."""


def sse_frame(kind: str, data: Any) -> bytes:
    """One Server-Sent Event: `event: KIND` and a single `data:` line of ASCII JSON.

    JSON text has no raw line break, so one `data:` line always holds the whole message;
    ASCII escapes keep text UTF-8 cannot encode (a lone surrogate in a body) sendable.
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return f"event: {kind}\ndata: {text}\n\n".encode("ascii")


RELOAD = sse_frame(
    "reload",
    {
        "reason": "reconnect for a fresh snapshot: this client fell more than "
        f"{QUEUE_EVENTS} events or {QUEUE_BYTES} bytes behind, or an event could not be built"
    },
)
"""The last frame of a dropped subscriber's stream."""


class TooManySubscribers(Exception):
    """The hub already serves its maximum of subscribers."""


class Subscription:
    """One client's queue of frames not yet sent, bounded in count and bytes."""

    def __init__(
        self,
        *,
        max_events: int = QUEUE_EVENTS,
        max_bytes: int = QUEUE_BYTES,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        liveness_seconds: float = LIVENESS_SECONDS,
    ) -> None:
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.heartbeat_seconds = heartbeat_seconds
        self.liveness_seconds = min(liveness_seconds, heartbeat_seconds)
        self.dropped = False  # fell behind: the stream ends with a `reload` event
        self.closed = False  # the hub shut down: the stream ends
        self._pending: deque[bytes] = deque()
        self._pending_bytes = 0
        self._ready = asyncio.Event()
        self._finished = False

    def offer(self, frame: bytes) -> None:
        """Queue a frame; past either bound, forget the queue and mark the client dropped."""
        if self.dropped or self.closed:
            return
        if len(self._pending) >= self.max_events or (
            self._pending_bytes + len(frame) > self.max_bytes
        ):
            self.drop()
            return
        self._pending.append(frame)
        self._pending_bytes += len(frame)
        self._ready.set()

    def drop(self) -> None:
        """End this stream with a `reload`: the client starts again from a fresh snapshot."""
        if not self.closed:
            self.dropped = True
            self._pending.clear()
            self._pending_bytes = 0
            self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next_chunk(self, alive: Callable[[], bool] = lambda: True) -> bytes | None:
        """What to send next: the queued frames in one chunk, a heartbeat after a quiet
        `heartbeat_seconds`, `RELOAD` once dropped; None when the stream is over (the hub
        closed, the client fell behind and was told, or `alive()` turned false)."""
        if self._finished:
            return None
        loop = asyncio.get_running_loop()
        heartbeat_at = loop.time() + self.heartbeat_seconds
        while not self._ready.is_set():
            remaining = heartbeat_at - loop.time()
            if remaining <= 0:
                return HEARTBEAT
            try:
                async with asyncio.timeout(min(remaining, self.liveness_seconds)):
                    await self._ready.wait()
            except TimeoutError:
                if not alive():
                    self._finished = True
                    return None
        if self.closed:
            self._finished = True
            return None
        if self.dropped:
            self._finished = True
            return RELOAD
        chunk = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        self._ready.clear()
        return chunk


class EventHub:
    """Subscribers and the events published to them; the journal is watched only while
    someone subscribes, and each entry becomes a `request` event."""

    def __init__(
        self,
        journal: RequestJournal | None = None,
        *,
        max_subscribers: int = MAX_SUBSCRIBERS,
        queue_events: int = QUEUE_EVENTS,
        queue_bytes: int = QUEUE_BYTES,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        liveness_seconds: float = LIVENESS_SECONDS,
    ) -> None:
        self.journal = journal
        self.max_subscribers = max_subscribers
        self._subscription_options: dict[str, Any] = {
            "max_events": queue_events,
            "max_bytes": queue_bytes,
            "heartbeat_seconds": heartbeat_seconds,
            "liveness_seconds": liveness_seconds,
        }
        self.subscribers: list[Subscription] = []
        self.closed = False

    def subscribe(self) -> Subscription:
        """A new subscriber, or `TooManySubscribers` (also once the hub is closed)."""
        if self.closed:
            raise TooManySubscribers("The mock is shutting down.")
        if len(self.subscribers) >= self.max_subscribers:
            raise TooManySubscribers(
                f"At most {self.max_subscribers} event clients are served at once; "
                "close a dashboard tab, or retry later."
            )
        subscription = Subscription(**self._subscription_options)
        self.subscribers.append(subscription)
        if len(self.subscribers) == 1 and self.journal is not None:
            self.journal.watch(self._publish_entry)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self.subscribers:
            self.subscribers.remove(subscription)
        if not self.subscribers and self.journal is not None:
            self.journal.watch(None)

    def publish(self, kind: str, build: Callable[[], Any]) -> None:
        """Send `build()` to every subscriber as a `kind` event; nobody subscribed: no call.

        An event that cannot be built must not fail the request that caused it: the
        subscribers are told to reload instead, so no page misses the change.
        """
        if not self.subscribers:
            return
        try:
            frame = sse_frame(kind, build())
        except Exception:
            logger.exception("The dashboard's %s event could not be built", kind)
            for subscription in self.subscribers:
                subscription.drop()
            return
        for subscription in self.subscribers:
            subscription.offer(frame)

    def _publish_entry(self, raw: RawEntry) -> None:
        journal = self.journal
        assert journal is not None
        self.publish("request", lambda: JournalEntry._make(raw).to_json(journal.masking))

    def close(self) -> None:
        """End every stream (at shutdown) and refuse new subscribers."""
        self.closed = True
        for subscription in list(self.subscribers):
            subscription.close()
            self.unsubscribe(subscription)
