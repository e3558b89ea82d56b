"""`GET /_mock/events`: the dashboard's live feed as Server-Sent Events (`text/event-stream`).

The first event is a `snapshot` of everything a page shows, taken in the same step as the
subscription, so the events after it are exactly the changes since; a client that reconnects
starts from a fresh snapshot (there is no replay). The hub bounds what is buffered per client
(`state/events.py`); here a client that stops reading for `WRITE_TIMEOUT_SECONDS` loses its
connection, so a stuck browser holds no memory and no slot for long.

The stream is written by `EventStream.prepare`, after the handler returned (the way aiohttp's
`FileResponse` sends its file): the request middleware has added its headers (request id,
CORS) and written the access line by then, as for every other answer.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from mock_server.contract.errors import ApiError
from mock_server.http.keys import EVENTS, FAULTS, JOURNAL, STORE
from mock_server.state.events import EventHub, Subscription, TooManySubscribers, sse_frame
from mock_server.state.overview import snapshot

WRITE_TIMEOUT_SECONDS = 10.0
# How long an EventSource client waits before reconnecting after the stream ends.
RETRY = b"retry: 2000\n\n"
RETRY_AFTER_SECONDS = "5"


class TooManyEventClients(ApiError):
    status = 503
    message_code = "too_many_event_clients"


def _connected(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


class EventStream(web.StreamResponse):
    """The event stream of one subscriber, written when aiohttp prepares the answer."""

    def __init__(self, hub: EventHub, subscription: Subscription, first: bytes) -> None:
        super().__init__(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # proxies such as nginx: pass each event on at once
                "X-Content-Type-Options": "nosniff",
            }
        )
        self._hub = hub
        self._subscription = subscription
        self._first = first

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.prepared:
            return await super().prepare(request)
        try:
            writer = await super().prepare(request)
            chunk: bytes | None = RETRY + self._first
            while chunk is not None:
                await self._send(request, chunk)
                chunk = await self._subscription.next_chunk(alive=lambda: _connected(request))
        finally:
            self._hub.unsubscribe(self._subscription)
        return writer

    async def _send(self, request: web.BaseRequest, chunk: bytes) -> None:
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
                await self.write(chunk)
        except TimeoutError:
            if request.transport is not None:
                request.transport.abort()  # nothing more is buffered for a client not reading
            raise ConnectionResetError("the event client stopped reading") from None


async def stream_events(request: web.Request) -> web.StreamResponse:
    """Subscribe, take the snapshot in the same step, and let `EventStream` send the rest."""
    config = request.config_dict
    hub = config[EVENTS]
    try:
        subscription = hub.subscribe()
    except TooManySubscribers as exc:
        raise TooManyEventClients(str(exc), headers={"Retry-After": RETRY_AFTER_SECONDS}) from None
    try:
        first = sse_frame("snapshot", snapshot(config[STORE], config[JOURNAL], config[FAULTS]))
    except BaseException:
        hub.unsubscribe(subscription)
        raise
    return EventStream(hub, subscription, first)
