"""GET /_mock/events over HTTP: a masked snapshot first, an event for every journal entry and
state change, the client cap, who may connect, and a prompt shutdown."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.admin.access import decide_admin
from mock_server.http.server import BackgroundServer
from mock_server.state.events import MAX_SUBSCRIBERS
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD, AiohttpClient, auth, seed_document
from tests.envelope import assert_error

SECRETS = ("dapi-secret-tracking", "dapi-secret-serving")
PROMPT_SECONDS = 0.25  # the page must show a change within this


class EventReader:
    """Reads `(kind, data)` events off an open stream, each within a time limit."""

    def __init__(self, response: ClientResponse) -> None:
        self.response = response
        self.raw: list[bytes] = []

    async def next(self, timeout: float = 2.0) -> tuple[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                block = await self.response.content.readuntil(b"\n\n")
                self.raw.append(block)
                fields = dict(
                    line.split(": ", 1)
                    for line in block.decode("ascii").strip().split("\n")
                    if line and not line.startswith(":")
                )
                if "event" in fields:
                    return fields["event"], json.loads(fields["data"])

    async def expect(self, *kinds: str) -> list[Any]:
        """The next events, which must be of these kinds in this order."""
        events = [await self.next() for _ in kinds]
        assert [kind for kind, _ in events] == list(kinds), events
        return [data for _, data in events]


async def open_stream(client: TestClient[Any, Any], **headers: str) -> EventReader:
    response = await client.get("/_mock/events", headers=headers)
    assert response.status == 200, await response.text()
    return EventReader(response)


async def test_the_stream_starts_with_a_masked_snapshot(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/api/deployment", json=DATABRICKS_PAYLOAD, headers=auth())).ok
    stream = await open_stream(client)
    assert stream.response.headers["Content-Type"] == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-cache"
    assert "X-Request-Id" in stream.response.headers
    kind, snapshot = await stream.next()
    assert kind == "snapshot"
    spaces = {space["name"]: space for space in snapshot["state"]["workspaces"]}
    assert list(spaces) == ["ws1", "ws2", "ws-off"]
    [deployment] = spaces["ws1"]["deployments"]
    assert deployment["deployment_key"] == DATABRICKS_PAYLOAD["deployment_key"]
    assert deployment["registry_connector_init"]["tracking_server_pat"] == "***"
    assert deployment["server_proxy_init"]["server_proxy_url"].startswith("https://dbc")
    assert [token["token"] for token in spaces["ws1"]["tokens"]] == ["t***", "t-e***"]
    assert spaces["ws1"]["tokens"][1]["expired"] is True
    assert spaces["ws-off"]["disabled"] is True
    assert snapshot["state"]["counts"]["deployments"] == 1
    [entry] = snapshot["journal"]["entries"]
    assert entry["status"] == 201 and snapshot["journal"]["size"] == 1000
    assert snapshot["faults"] == []
    raw = b"".join(stream.raw).decode("ascii")
    assert not [secret for secret in SECRETS if secret in raw]
    assert not re.search(r'"token":"t1"', raw)


async def test_a_create_is_on_the_stream_at_once_with_its_request(
    client: TestClient[Any, Any],
) -> None:
    stream = await open_stream(client)
    await stream.expect("snapshot")
    created = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    answered = time.monotonic()
    assert created.status == 201
    change, entry = await stream.expect("deployment_created", "request")
    assert time.monotonic() - answered < PROMPT_SECONDS
    assert change["workspace"] == "ws1"
    assert change["deployment"]["deployment_key"] == MLFLOW_PAYLOAD["deployment_key"]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/api/deployment", 201)
    assert entry["body"]["deployment_key"] == MLFLOW_PAYLOAD["deployment_key"]
    assert entry["message_code"] is None


async def test_every_state_change_is_an_event(client: TestClient[Any, Any]) -> None:
    stream = await open_stream(client)
    await stream.expect("snapshot")
    key = DATABRICKS_PAYLOAD["deployment_key"]
    await client.post("/api/deployment", json=DATABRICKS_PAYLOAD, headers=auth())
    await stream.expect("deployment_created", "request")

    await client.delete(f"/api/deployment/{key}", headers=auth())
    [deleted, _] = await stream.expect("deployment_deleted", "request")
    assert deleted == {"workspace": "ws1", "deployment_key": key}

    rule = {"method": "GET", "path": "/api/deployment", "status": 503, "times": 1}
    await client.post("/_mock/faults", json=rule)
    [added] = await stream.expect("fault_added")
    assert (added["rule"]["id"], added["rule"]["times"]) == ("fault-1", 1)
    faulted = await client.get("/api/deployment", headers=auth())
    assert faulted.status == 503
    hit, entry = await stream.expect("fault_hit", "request")
    assert (hit["rule"]["hits"], hit["rule"]["times"]) == (1, 0)  # expired with this hit
    answered_code = (await faulted.json())["message_code"]  # the spec's 503 example
    assert (entry["status"], entry["message_code"]) == (503, answered_code)

    await client.post("/_mock/faults", json={"path": "/x", "status": 500})
    await stream.expect("fault_added")
    await client.delete("/_mock/faults/fault-2")
    assert await stream.expect("fault_removed") == [{"id": "fault-2"}]
    await client.delete("/_mock/faults")
    await stream.expect("faults_cleared")
    await client.delete("/_mock/requests")
    await stream.expect("journal_cleared")

    assert (await client.put("/_mock/state", json={"workspaces": [{"name": "fresh"}]})).ok
    [replaced] = await stream.expect("state_replaced")
    assert [s["name"] for s in replaced["snapshot"]["state"]["workspaces"]] == ["fresh"]

    assert (await client.post("/_mock/reset?workspace=ws1")).status == 200
    [one] = await stream.expect("state_reset")
    assert one["workspace"] == "ws1"
    assert (await client.post("/_mock/reset")).status == 200
    [every] = await stream.expect("state_reset")
    assert every["workspace"] is None
    assert [s["name"] for s in every["snapshot"]["state"]["workspaces"]] == ["ws1", "ws2", "ws-off"]
    assert every["snapshot"]["journal"]["entries"] == []


async def test_admin_calls_and_refused_changes_publish_no_change(
    client: TestClient[Any, Any],
) -> None:
    stream = await open_stream(client)
    await stream.expect("snapshot")
    bad = {**MLFLOW_PAYLOAD, "workspace": "ws2"}
    assert (await client.post("/api/deployment", json=bad, headers=auth())).status == 422
    assert (await client.get("/_mock/state")).status == 200
    [entry] = await stream.expect("request")  # the refused create: no deployment_created
    assert (entry["status"], entry["message_code"]) == (422, "validation_error")
    with pytest.raises(TimeoutError):
        await stream.next(timeout=0.2)


async def test_beyond_the_cap_a_client_gets_a_503_envelope_until_one_leaves(
    client: TestClient[Any, Any],
) -> None:
    streams = [await open_stream(client) for _ in range(MAX_SUBSCRIBERS)]
    for stream in streams:
        await stream.expect("snapshot")
    refused = await client.get("/_mock/events")
    await assert_error(refused, 503, "too_many_event_clients")
    assert refused.headers["Retry-After"] == "5"
    streams.pop().response.close()  # a tab closed: its slot is freed within a second or so
    deadline = time.monotonic() + 5
    while (again := await client.get("/_mock/events")).status == 503:
        assert time.monotonic() < deadline, "the closed client's slot was never freed"
        again.close()
        await asyncio.sleep(0.1)
    assert again.status == 200


async def test_with_an_admin_token_the_stream_needs_it(aiohttp_client: AiohttpClient) -> None:
    settings = MockSettings(seed=seed_document(), admin_token="s3cret")
    client = await aiohttp_client(create_app(settings))
    await assert_error(await client.get("/_mock/events"), 401, "unauthorized")
    wrong = {"X-Mock-Admin-Token": "wrong"}
    await assert_error(await client.get("/_mock/events", headers=wrong), 401, "unauthorized")
    stream = await open_stream(client, **{"X-Mock-Admin-Token": "s3cret"})
    await stream.expect("snapshot")


async def test_on_a_public_host_without_a_token_there_is_no_stream(
    aiohttp_client: AiohttpClient,
) -> None:
    decision = decide_admin("0.0.0.0", admin_token=None, disabled=False)  # what the CLI does
    settings = MockSettings(seed=seed_document(), admin_enabled=decision.enabled)
    client = await aiohttp_client(create_app(settings))
    await assert_error(await client.get("/_mock/events"), 404, "not_found")


def test_shutdown_ends_open_streams_at_once() -> None:
    """An open dashboard must not hold the shutdown for its grace period (60 s here)."""
    server = BackgroundServer(create_app(MockSettings(seed=seed_document()))).start()
    connection = socket.create_connection((server.host, server.port), timeout=10)
    connection.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while b"event: snapshot" not in received:
        chunk = connection.recv(65536)
        assert chunk, received
        received += chunk
    stopping = threading.Thread(target=server.stop)
    started = time.monotonic()
    stopping.start()
    stopping.join(10)
    assert not stopping.is_alive() and time.monotonic() - started < 3.0
    rest = b""
    while chunk := connection.recv(65536):  # the stream ended: the chunked body's last chunk
        rest += chunk
    assert rest.endswith(b"0\r\n\r\n")
    connection.close()
