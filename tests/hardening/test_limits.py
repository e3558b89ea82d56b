"""Limits that protect the process: slow clients, connection cap, quota, header size, CLI."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from mock_server import create_app
from mock_server.cli import build_parser
from mock_server.cli import main as cli_main
from mock_server.http.limits import limit_settings
from mock_server.state.fixtures import FixtureError, build_store
from tests.conftest import MLFLOW_PAYLOAD
from tests.hardening.rawhttp import exchange, read_response, request_bytes
from tests.hardening.support import LiveMock, assert_envelope, hardening_settings

COLLECTION = "/api/deployment"
JSON_HEADERS = {"Content-Type": "application/json"}
CLIENT_TIMEOUT = 1.0
# Generous bound for "dropped eventually": the timeout plus aiohttp's lingering, plus noise.
DROP_BOUND = 10.0


@pytest.fixture(scope="module")
def impatient() -> Iterator[LiveMock]:
    """A mock whose clients get one second for their headers and one for their body."""
    with LiveMock(hardening_settings(client_timeout=CLIENT_TIMEOUT)) as mock:
        yield mock


@contextlib.asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def trickle(writer: asyncio.StreamWriter, data: bytes, pause: float) -> None:
    """Send `data` a byte at a time (a slowloris client); stops quietly once dropped."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True if the server closes the connection within `seconds` (everything sent is drained)."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


@pytest.mark.slow  # waits out a client timeout
async def test_slow_body_gets_408_and_is_dropped_while_others_are_served(
    impatient: LiveMock,
) -> None:
    before = impatient.state()
    body = json.dumps({**MLFLOW_PAYLOAD, "deployment_key": "slow-body"}).encode()
    async with connection(impatient.port) as (reader, writer):
        writer.write(
            request_bytes("POST", COLLECTION, headers=JSON_HEADERS, content_length=len(body))
        )
        sender = asyncio.create_task(trickle(writer, body, pause=0.25))
        # Another client meanwhile is served normally.
        other = await exchange(impatient.port, request_bytes("GET", COLLECTION))
        assert other.status == 200
        response = await read_response(reader, timeout=DROP_BOUND)
        assert_envelope(response, 408, "request_timeout")
        assert response.headers["connection"] == "close"
        assert await closed_within(reader, DROP_BOUND)
        sender.cancel()
    assert impatient.state() == before


@pytest.mark.slow  # waits out a client timeout
async def test_content_length_longer_than_sent_times_out_instead_of_hanging(
    impatient: LiveMock,
) -> None:
    before = impatient.state()
    async with connection(impatient.port) as (reader, writer):
        writer.write(
            request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=b"{}", content_length=50)
        )
        await writer.drain()
        assert_envelope(await read_response(reader, timeout=DROP_BOUND), 408, "request_timeout")
        assert await closed_within(reader, DROP_BOUND)
    assert impatient.state() == before


@pytest.mark.slow  # waits out a client timeout
async def test_slow_headers_are_dropped_while_others_are_served(impatient: LiveMock) -> None:
    head = request_bytes("GET", COLLECTION, headers={"X-Padding": "p" * 200})
    async with connection(impatient.port) as (reader, writer):
        sender = asyncio.create_task(trickle(writer, head, pause=0.25))
        other = await exchange(impatient.port, request_bytes("GET", COLLECTION))
        assert other.status == 200
        assert await closed_within(reader, DROP_BOUND)
        assert not sender.done(), "the server must drop the client before it finished its headers"
        sender.cancel()


@pytest.mark.slow  # waits out a client timeout
async def test_idle_keep_alive_connection_is_closed(impatient: LiveMock) -> None:
    async with connection(impatient.port) as (reader, writer):
        writer.write(request_bytes("GET", COLLECTION))
        await writer.drain()
        assert (await read_response(reader)).status == 200
        assert await closed_within(reader, DROP_BOUND)


async def test_connections_beyond_the_cap_get_503_and_room_comes_back() -> None:
    cap = 5
    with LiveMock(hardening_settings(max_connections=cap)) as mock:
        async with contextlib.AsyncExitStack() as stack:
            held = [await stack.enter_async_context(connection(mock.port)) for _ in range(cap)]
            for reader, writer in held:  # each is accepted and served: they hold the slots
                writer.write(request_bytes("GET", COLLECTION))
                assert (await read_response(reader)).status == 200
            refused = await exchange(mock.port, request_bytes("GET", COLLECTION), check_close=True)
            assert_envelope(refused, 503, "too_many_connections")
            assert refused.headers["retry-after"] == "1"
            assert refused.closed_after
            reader, writer = held[0]
            writer.write(request_bytes("GET", COLLECTION))  # the held ones still work
            assert (await read_response(reader)).status == 200
            writer.close()
            await closed_within(reader, DROP_BOUND)
            served = None
            for _ in range(50):  # the server notices the close asynchronously
                served = await exchange(mock.port, request_bytes("GET", COLLECTION))
                if served.status == 200:
                    break
                await asyncio.sleep(0.05)
            assert served is not None and served.status == 200


async def test_quota_per_workspace_is_403_and_delete_frees_room() -> None:
    with LiveMock(hardening_settings(max_deployments_per_workspace=3)) as mock:

        def create(key: str) -> bytes:
            body = json.dumps({**MLFLOW_PAYLOAD, "deployment_key": key}).encode()
            return request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=body)

        # ws1 already holds keep-me (live) and gone-key (retired: not counted).
        assert (await exchange(mock.port, create("q1"))).status == 201
        assert (await exchange(mock.port, create("q2"))).status == 201
        before = mock.state()
        assert_envelope(await exchange(mock.port, create("q3")), 403, "quota_exceeded")
        assert mock.state() == before
        other = await exchange(mock.port, create("q3").replace(b"Bearer t1", b"Bearer t2"))
        assert other.status == 201, "the quota is per workspace"
        assert (
            await exchange(mock.port, request_bytes("DELETE", f"{COLLECTION}/q1"))
        ).status == 204
        assert (await exchange(mock.port, create("q3"))).status == 201


async def test_configured_header_limit() -> None:
    with LiveMock(hardening_settings(max_header_bytes=2048)) as mock:
        small = request_bytes("GET", COLLECTION, headers={"X-A": "a" * 1000})
        assert (await exchange(mock.port, small)).status == 200
        total = request_bytes("GET", COLLECTION, headers={"X-A": "a" * 1000, "X-B": "b" * 1000})
        assert_envelope(await exchange(mock.port, total), 431, "header_too_large")
        line = request_bytes("GET", COLLECTION, headers={"X-A": "a" * 3000})
        assert_envelope(await exchange(mock.port, line), 431, "header_too_large")


def test_cli_limit_options_reach_the_settings() -> None:
    args = build_parser().parse_args(
        [
            "--max-deployments-per-workspace",
            "7",
            "--max-header-bytes",
            "4096",
            "--client-timeout",
            "2.5",
            "--max-connections",
            "9",
            "--max-state-bytes",
            "65536",
        ]
    )
    assert limit_settings(args) == {
        "max_deployments_per_workspace": 7,
        "max_state_bytes": 65536,
        "max_header_bytes": 4096,
        "client_timeout": 2.5,
        "max_connections": 9,
    }
    defaults = limit_settings(build_parser().parse_args([]))
    assert defaults["max_deployments_per_workspace"] == 100_000
    assert defaults["max_state_bytes"] == 256 * 1024 * 1024


@pytest.mark.parametrize(
    "option",
    ["--max-connections=0", "--client-timeout=0", "--client-timeout=nan", "--max-header-bytes=x"],
)
def test_cli_rejects_nonsense_limits(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([option])
    assert exit_info.value.code == 2


def _create_request(key: str, **init: str) -> bytes:
    body = json.dumps({**MLFLOW_PAYLOAD, "deployment_key": key, "server_proxy_init": init})
    return request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=body.encode())


async def test_state_byte_budget_refuses_creates_and_imports_beyond_it() -> None:
    seed_bytes = build_store(hardening_settings().seed).state_bytes
    budget = seed_bytes + 3000
    with LiveMock(hardening_settings(max_state_bytes=budget)) as mock:
        assert (await exchange(mock.port, _create_request("fits", blob="x" * 1500))).status == 201
        before = mock.state()
        refused = await exchange(mock.port, _create_request("too-big", blob="x" * 1500))
        assert_envelope(refused, 403, "quota_exceeded")
        assert b"--max-state-bytes" in refused.body
        assert mock.state() == before, "a refused create leaves no trace"
        small = await exchange(mock.port, _create_request("small"))
        assert small.status == 201, "what still fits is accepted"

        exported = await exchange(mock.port, request_bytes("GET", "/_mock/state"))
        document = json.loads(exported.body)
        document["deployments"].append(
            {
                **MLFLOW_PAYLOAD,
                "workspace": "ws2",
                "deployment_key": "x",
                "server_proxy_init": {"blob": "y" * 4000},
            }
        )
        put = request_bytes(
            "PUT", "/_mock/state", headers=JSON_HEADERS, body=json.dumps(document).encode()
        )
        before = mock.state()
        assert_envelope(await exchange(mock.port, put), 413, "payload_too_large")
        assert mock.state() == before, "a refused import changes nothing"
        reset = await exchange(mock.port, request_bytes("POST", "/_mock/reset"))
        assert reset.status == 200, "a reset always fits: the seed was checked at start"
        assert (await exchange(mock.port, _create_request("again", blob="x" * 1500))).status == 201


def test_a_seed_larger_than_the_budget_stops_the_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(FixtureError) as refused:
        create_app(hardening_settings(max_state_bytes=100))
    assert "--max-state-bytes" in str(refused.value) and "the seed" in str(refused.value)
    assert cli_main(["--max-state-bytes", "100", "--port", "0"]) == 2
    assert "--max-state-bytes" in capsys.readouterr().err
