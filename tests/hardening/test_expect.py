"""`Expect`: 100 Continue only once auth, media type and length pass; anything else a 417.

Raw sockets, since what matters is what reaches the wire before the client sends its body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from mock_server.contract.fault_rule import FaultRuleInput
from mock_server.http.keys import FAULTS, JOURNAL
from tests.conftest import MLFLOW_PAYLOAD
from tests.hardening.rawhttp import exchange, read_response, request_bytes
from tests.hardening.support import LiveMock, assert_envelope, hardening_settings

COLLECTION = "/api/deployment"
JSON_TYPE = {"Content-Type": "application/json"}
ANSWER_TIMEOUT = 5.0
LINGER = 1.0


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    # A client that held its body back and then hung up leaves its connection lingering
    # (aiohttp drains a declared body for up to the client timeout): keep that short, and let
    # it end before the server stops.
    with LiveMock(hardening_settings(client_timeout=LINGER)) as live:
        yield live
        time.sleep(LINGER + 0.5)


@contextlib.asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def first_head(reader: asyncio.StreamReader) -> bytes:
    """The first response head the server sends (an interim 100 or the final answer)."""
    async with asyncio.timeout(ANSWER_TIMEOUT):
        return await reader.readuntil(b"\r\n\r\n")


def payload(key: str) -> bytes:
    return json.dumps({**MLFLOW_PAYLOAD, "deployment_key": key}).encode()


async def test_100_continue_comes_once_the_request_passed_and_the_body_is_wanted(
    mock: LiveMock,
) -> None:
    body = payload("expect-ok")
    head = request_bytes(
        "POST",
        COLLECTION,
        headers={**JSON_TYPE, "Expect": "100-continue"},
        content_length=len(body),
    )
    async with connection(mock.port) as (reader, writer):
        writer.write(head)
        await writer.drain()
        assert (await first_head(reader)) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        await writer.drain()
        answer = await read_response(reader)
    assert answer.status == 201, answer.body
    assert "expect-ok" in mock.state()["ws1"][0][-1]["deployment_key"]


@pytest.mark.parametrize(
    ("case", "headers", "length", "token", "status", "code"),
    [
        ("bad token", JSON_TYPE, 100, "nope", 401, "unauthorized"),
        ("no token", JSON_TYPE, 100, None, 401, "unauthorized"),
        ("wrong media type", {"Content-Type": "text/plain"}, 100, "t1", 415, None),
        ("declared too large", JSON_TYPE, 2 * 1024 * 1024, "t1", 413, "payload_too_large"),
    ],
)
async def test_a_request_that_fails_first_gets_its_final_answer_at_once_and_no_100(
    mock: LiveMock,
    case: str,
    headers: dict[str, str],
    length: int,
    token: str | None,
    status: int,
    code: str | None,
) -> None:
    before = mock.state()
    head = request_bytes(
        "POST",
        COLLECTION,
        headers={**headers, "Expect": "100-continue"},
        content_length=length,
        token=token,
    )
    async with connection(mock.port) as (reader, writer):
        writer.write(head)  # and never the body: the client waits for a 100
        await writer.drain()
        first = await first_head(reader)
        assert first.startswith(f"HTTP/1.1 {status} ".encode()), (case, first[:80])
        assert b"connection: close" in first.lower(), "the held-back body ends the connection"
    assert mock.state() == before
    if code is not None:
        answer = await exchange(mock.port, head + b"x" * min(length, 100))
        assert_envelope(answer, status, code)


async def test_a_fault_answers_without_asking_for_the_held_back_body(mock: LiveMock) -> None:
    rule = mock.server.call(
        lambda: mock.app[FAULTS].add(
            FaultRuleInput.model_validate({"method": "POST", "path": COLLECTION, "status": 503})
        )
    )
    try:
        head = request_bytes(
            "POST", COLLECTION, headers={**JSON_TYPE, "Expect": "100-continue"}, content_length=50
        )
        async with connection(mock.port) as (reader, writer):
            writer.write(head)
            await writer.drain()
            assert (await first_head(reader)).startswith(b"HTTP/1.1 503 ")
    finally:
        mock.server.call(lambda: mock.app[FAULTS].remove(rule.id))


UNMET = [
    "something-else",
    "100-continue, foo=bar",
    "100-continue-please",
    "Bearer secret-token-in-expect",
]


@pytest.mark.parametrize("value", UNMET)
@pytest.mark.parametrize("target", [COLLECTION, "/_mock/state", "/nowhere"])
async def test_any_other_expectation_is_a_417_envelope_that_never_quotes_the_header(
    mock: LiveMock, value: str, target: str
) -> None:
    answer = await exchange(
        mock.port, request_bytes("GET", target, headers={"Expect": value, "X-Request-Id": "e-417"})
    )
    assert_envelope(answer, 417, "expectation_failed")
    assert answer.headers["x-request-id"] == "e-417"
    quoted = [m.strip() for m in value.split(",") if m.strip() != "100-continue"]
    assert all(part.encode() not in answer.body for part in [value, *quoted]), answer.body


async def test_a_417_is_journaled_and_logged_like_any_other_answer(
    mock: LiveMock, caplog: pytest.LogCaptureFixture
) -> None:
    mock.server.call(mock.app[JOURNAL].clear)
    with caplog.at_level(logging.INFO, logger="mock_server.access"):
        answer = await exchange(
            mock.port,
            request_bytes("POST", COLLECTION, headers={**JSON_TYPE, "Expect": "x"}, body=b"{}"),
        )
    assert answer.status == 417
    entries = mock.server.call(lambda: [e.to_json() for e in mock.app[JOURNAL]])
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [("POST", COLLECTION, 417)]
    assert entries[0]["request_id"] == answer.headers["x-request-id"]
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.access"]
    assert any(f"POST {COLLECTION} 417" in line for line in lines), lines


async def test_an_http_1_0_client_never_waits_for_a_100(mock: LiveMock) -> None:
    body = payload("expect-http10")
    head = request_bytes(
        "POST", COLLECTION, headers={**JSON_TYPE, "Expect": "100-continue"}, body=body
    ).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    async with connection(mock.port) as (reader, writer):
        writer.write(head)
        await writer.drain()
        first = await first_head(reader)
    assert first.split(b" ", 2)[1] == b"201", first[:80]


async def test_an_expectation_on_a_bodyless_request_changes_nothing(mock: LiveMock) -> None:
    answer = await exchange(
        mock.port, request_bytes("GET", COLLECTION, headers={"Expect": "100-continue"})
    )
    assert answer.status == 200
    assert answer.headers.get("connection", "keep-alive").lower() != "close"
