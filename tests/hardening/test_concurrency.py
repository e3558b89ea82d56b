"""Many simultaneous clients on loopback: the state stays consistent and nothing is lost."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mock_server.state.persistence import load_state_file
from tests.conftest import MLFLOW_PAYLOAD
from tests.hardening.support import (
    LIVE_KEY,
    RETIRED_KEY,
    LiveMock,
    check_envelope_parts,
    hardening_settings,
)

COLLECTION = "/api/deployment"
TOKENS = {"ws1": "t1", "ws2": "t2"}


def auth(workspace: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[workspace]}"}


def session(clients: int) -> aiohttp.ClientSession:
    """One pooled session with room for `clients` simultaneous connections."""
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))


async def create(http: aiohttp.ClientSession, url: str, workspace: str, key: str) -> int:
    body = {**MLFLOW_PAYLOAD, "deployment_key": key}
    async with http.post(f"{url}{COLLECTION}", json=body, headers=auth(workspace)) as response:
        if response.status >= 400:
            check_envelope_parts(
                response.status, response.content_type, await response.read(), None
            )
        return response.status


@pytest.mark.parametrize("clients", [100])
async def test_parallel_creates_of_one_key_give_one_201(clients: int) -> None:
    with LiveMock() as mock:
        async with session(clients) as http:
            statuses = await asyncio.gather(
                *(create(http, mock.url, "ws1", "contested") for _ in range(clients))
            )
            other = await asyncio.gather(
                *(create(http, mock.url, "ws2", "contested") for _ in range(clients))
            )
        assert Counter(statuses) == {201: 1, 409: clients - 1}
        assert Counter(other) == {201: 1, 409: clients - 1}, "keys are per workspace"
        live = [d["deployment_key"] for d in mock.state()["ws1"][0]]
        assert live.count("contested") == 1


@dataclass
class Ledger:
    """What the clients were told: every acknowledged create and delete, per workspace."""

    created: Counter[tuple[str, str]] = field(default_factory=Counter)
    deleted: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    requests: int = 0


async def storm_client(
    http: aiohttp.ClientSession, url: str, ledger: Ledger, rng: random.Random, ops: int
) -> None:
    """A client doing random creates, deletes, gets and lists on a small shared key pool."""
    for _ in range(ops):
        workspace = rng.choice(list(TOKENS))
        key = f"storm-{rng.randrange(40)}"
        action = rng.choices(["create", "delete", "get", "list"], weights=[4, 3, 2, 1])[0]
        item = f"{url}{COLLECTION}/{key}"
        if action == "create":
            status = await create(http, url, workspace, key)
            if status == 201:
                ledger.created[workspace, key] += 1
        else:
            method = {"delete": "DELETE", "get": "GET", "list": "GET"}[action]
            target = f"{url}{COLLECTION}" if action == "list" else item
            async with http.request(method, target, headers=auth(workspace)) as response:
                status = response.status
                body = await response.read()
                if status >= 400:
                    check_envelope_parts(status, response.content_type, body, None)
            if action == "delete" and status == 204:
                ledger.deleted[workspace, key] += 1
        ledger.statuses[status] += 1
        ledger.requests += 1


def snapshot_from_state_file(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    document = load_state_file(path)
    assert document is not None
    result: dict[str, tuple[list[str], list[str]]] = {}
    for record in document.deployments:
        live, retired = result.setdefault(record.workspace, ([], []))
        (retired if record.deleted else live).append(record.deployment_key)
    return {name: (live, sorted(retired)) for name, (live, retired) in result.items()}


@pytest.mark.slow  # 60 clients
@pytest.mark.parametrize("persisted", [False, True], ids=["in-memory", "state-file"])
async def test_create_delete_get_storm_leaves_a_consistent_state(
    persisted: bool, tmp_path: Path
) -> None:
    clients, ops = 60, 25
    state_file = tmp_path / "state.yaml" if persisted else None
    ledger = Ledger()
    with LiveMock(hardening_settings(state_file=state_file)) as mock:
        async with session(clients) as http:
            await asyncio.gather(
                *(
                    storm_client(http, mock.url, ledger, random.Random(seed), ops)
                    for seed in range(clients)
                )
            )
            # Retired keys stay retired: every acknowledged delete now answers 409 to a create.
            for workspace, key in ledger.deleted:
                assert await create(http, mock.url, workspace, key) == 409
        state = mock.state()
    assert ledger.requests == clients * ops
    assert not [s for s in ledger.statuses if s >= 500], ledger.statuses
    assert set(ledger.statuses) <= {200, 201, 204, 404, 409}, ledger.statuses
    assert max(ledger.created.values()) == 1, "a key was acknowledged as created twice"
    assert not ledger.deleted or max(ledger.deleted.values()) == 1, "deleted twice"
    assert set(ledger.deleted) <= set(ledger.created)
    for workspace in TOKENS:
        live = [record["deployment_key"] for record in state[workspace][0]]
        retired = state[workspace][1]
        assert len(live) == len(set(live)), "a key is live twice"
        assert not set(live) & set(retired), "a key is both live and retired"
        created = {key for ws, key in ledger.created if ws == workspace}
        deleted = {key for ws, key in ledger.deleted if ws == workspace}
        seeded_live = {LIVE_KEY} if workspace == "ws1" else set()
        seeded_retired = {RETIRED_KEY} if workspace == "ws1" else set()
        assert set(live) == (created - deleted) | seeded_live
        assert set(retired) == deleted | seeded_retired
    if state_file is not None:  # the file holds exactly what the clients were told
        on_disk = snapshot_from_state_file(state_file)
        for workspace in TOKENS:
            live = [record["deployment_key"] for record in state[workspace][0]]
            assert on_disk[workspace] == (live, state[workspace][1])


async def test_many_connections_are_held_at_once() -> None:
    """150 connections open together, each doing a request: all are answered."""
    clients = 150
    with LiveMock() as mock:
        streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        try:
            for _ in range(clients):
                streams.append(await asyncio.open_connection("127.0.0.1", mock.port))
            request = b"GET /api/deployment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t1\r\n\r\n"
            for _, writer in streams:
                writer.write(request)

            async def answered(reader: asyncio.StreamReader) -> Any:
                return (await asyncio.wait_for(reader.readuntil(b"\r\n"), 30)).split()[1]

            codes = await asyncio.gather(*(answered(reader) for reader, _ in streams))
        finally:
            for _, writer in streams:
                writer.close()
        assert Counter(codes) == {b"200": clients}
