"""The dashboard's event hub without HTTP: its bounds (slow subscribers dropped, at most N
subscribers, heartbeats, dead clients), the journal watched only while someone listens, and
the Server-Sent Events framing."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from mock_server.masking import mask_token
from mock_server.state.events import (
    HEARTBEAT,
    RELOAD,
    EventHub,
    Subscription,
    TooManySubscribers,
    sse_frame,
)
from mock_server.state.journal import RawEntry, RequestJournal


def parse(chunk: bytes) -> list[tuple[str, Any]]:
    """`(kind, data)` of each event in a chunk (comments skipped)."""
    events = []
    for block in chunk.decode("ascii").split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def raw_entry(number: int, status: int = 200) -> RawEntry:
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))
    body = b'{"tracking_server_pat": "dapi-secret"}'
    return (
        1_700_000_000.0 + number,
        "POST",
        URL.build(path="/api/deployment"),
        headers,
        status,
        1.0,
        f"id-{number}",
        "ws1",
        body,
        None,
    )


async def test_nothing_is_built_while_nobody_subscribes() -> None:
    hub = EventHub()

    def build() -> Any:
        raise AssertionError("an event was built with no subscriber")

    hub.publish("deployment_created", build)
    subscription = hub.subscribe()
    hub.unsubscribe(subscription)
    hub.publish("deployment_created", build)


async def test_a_subscriber_gets_the_events_in_order_in_one_chunk() -> None:
    hub = EventHub()
    subscription = hub.subscribe()
    for number in range(3):
        hub.publish("fault_removed", functools.partial(dict, id=f"fault-{number}"))
    chunk = await asyncio.wait_for(subscription.next_chunk(), 1)
    assert chunk is not None
    assert parse(chunk) == [("fault_removed", {"id": f"fault-{n}"}) for n in range(3)]


async def test_a_subscriber_that_falls_behind_is_dropped_and_told_to_reload() -> None:
    hub = EventHub(queue_events=3)
    slow, fast = hub.subscribe(), hub.subscribe()
    for number in range(3):
        hub.publish("request", functools.partial(dict, n=number))
    assert len(parse(await fast.next_chunk() or b"")) == 3  # `fast` reads, `slow` does not
    hub.publish("request", lambda: {"n": 3})
    assert slow.dropped and not fast.dropped
    assert await slow.next_chunk() == RELOAD  # what it missed is forgotten, not buffered
    assert parse(RELOAD)[0][0] == "reload"
    assert await slow.next_chunk() is None  # then its stream ends
    assert parse(await fast.next_chunk() or b"") == [("request", {"n": 3})]


async def test_the_queue_is_bounded_in_bytes_too() -> None:
    subscription = Subscription(max_events=1000, max_bytes=1000)
    subscription.offer(sse_frame("request", {"body": "x" * 600}))
    assert not subscription.dropped
    subscription.offer(sse_frame("request", {"body": "y" * 600}))
    assert subscription.dropped
    assert await subscription.next_chunk() == RELOAD


async def test_an_event_that_cannot_be_built_reloads_the_pages_instead_of_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    subscription = hub.subscribe()

    def broken() -> Any:
        raise ValueError("a bug")

    hub.publish("deployment_created", broken)  # the caller (a request) carries on
    assert await subscription.next_chunk() == RELOAD
    assert "deployment_created event could not be built" in caplog.text


async def test_at_most_max_subscribers_at_once() -> None:
    hub = EventHub(max_subscribers=2)
    first, _ = hub.subscribe(), hub.subscribe()
    with pytest.raises(TooManySubscribers, match="At most 2 event clients"):
        hub.subscribe()
    hub.unsubscribe(first)
    hub.subscribe()  # a freed slot is usable again
    assert len(hub.subscribers) == 2


async def test_a_quiet_stream_gets_heartbeat_comments() -> None:
    subscription = EventHub(heartbeat_seconds=0.05).subscribe()
    started = time.monotonic()
    chunk = await asyncio.wait_for(subscription.next_chunk(), 2)
    waited = time.monotonic() - started
    assert chunk == HEARTBEAT and chunk.startswith(b":")  # a comment: clients ignore it
    assert 0.04 <= waited < 1.0
    assert parse(chunk) == []


async def test_a_client_that_went_away_ends_its_stream_between_heartbeats() -> None:
    subscription = EventHub(heartbeat_seconds=30, liveness_seconds=0.02).subscribe()
    started = time.monotonic()
    assert await asyncio.wait_for(subscription.next_chunk(alive=lambda: False), 2) is None
    assert time.monotonic() - started < 1.0


async def test_closing_the_hub_ends_every_stream_at_once_and_refuses_new_ones() -> None:
    hub = EventHub(heartbeat_seconds=30)
    subscription = hub.subscribe()
    waiting = asyncio.create_task(subscription.next_chunk())
    await asyncio.sleep(0.01)
    hub.close()
    assert await asyncio.wait_for(waiting, 1) is None
    assert hub.subscribers == []
    with pytest.raises(TooManySubscribers, match="shutting down"):
        hub.subscribe()


async def test_the_journal_is_watched_only_while_someone_subscribes() -> None:
    journal = RequestJournal(10)
    unwatched_record = journal.record
    hub = EventHub(journal)
    subscription = hub.subscribe()
    journal.record(raw_entry(1, status=201))
    chunk = await asyncio.wait_for(subscription.next_chunk(), 1)
    [(kind, entry)] = parse(chunk or b"")
    assert kind == "request"
    assert entry["status"] == 201 and entry["request_id"] == "id-1"
    assert entry["body"] == {"tracking_server_pat": "***"}  # the journal's masking
    assert b"dapi-secret" not in (chunk or b"")
    hub.unsubscribe(subscription)
    assert journal.record == unwatched_record  # the deque's own append again
    journal.record(raw_entry(2))
    assert len(journal) == 2


def test_a_frame_is_one_event_with_one_ascii_data_line() -> None:
    frame = sse_frame("request", {"body": "two\nlines", "odd": "\udc80", "name": "café"})
    text = frame.decode("ascii")
    assert text.startswith("event: request\ndata: {") and text.endswith("}\n\n")
    assert text.count("\n") == 3
    assert parse(frame) == [("request", {"body": "two\nlines", "odd": "\udc80", "name": "café"})]


@pytest.mark.parametrize(
    ("token", "shown"),
    [("dev-token", "dev***"), ("other-token", "oth***"), ("t1", "t***"), ("abcd", "ab***")],
)
def test_a_token_shows_at_most_its_first_three_characters(token: str, shown: str) -> None:
    assert mask_token(token) == shown
