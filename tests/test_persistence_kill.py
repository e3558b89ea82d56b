"""SIGKILL during a burst of writes, then a restart on the same `--state-file`: nothing lost.

Every round starts the mock on the state file the previous round's kill left, checks that
every acknowledged (2xx) create is there and every acknowledged delete stayed retired, then
fires concurrent creates and deletes and kills the process at a random instant.
Default run: 3 kills. `TANGO_MOCK_LONG=1`: 20 kills. `TANGO_MOCK_KILL_SEED=N`
replays a run (the seed is printed).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from mock_server.state.fixtures import load_fixture_file
from tests.cli_process import MockProcess, python_module_command
from tests.conftest import MLFLOW_PAYLOAD

# Kills and restarts the mock during bursts of writes, three rounds at least.
pytestmark = pytest.mark.slow

LONG = os.environ.get("TANGO_MOCK_LONG", "") not in ("", "0")
KILLS = 20 if LONG else 3
TOKENS = {"kill-a": "ws-a", "kill-b": "ws-b"}
CLIENTS = 12
MAX_REQUESTS_PER_ROUND = 600
BURST_SECONDS = 1.5  # the kill comes well before: 0.05 to 0.8 s into the burst

Key = tuple[str, str]  # (token, deployment_key)


@dataclass
class Ledger:
    """What the clients were told; the truth a restart must honour."""

    live: list[Key] = field(default_factory=list)  # acknowledged creates, not deleted
    retired: set[Key] = field(default_factory=set)  # acknowledged deletes
    unsure_creates: set[Key] = field(default_factory=set)  # no answer: the kill came first
    unsure_deletes: set[Key] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    sent: int = 0
    sent_this_round: int = 0
    acknowledged: int = 0
    unanswered: int = 0  # requests cut by a kill (their outcome is settled from the restart)


def start(state: Path) -> MockProcess:
    tokens = [option for token, ws in TOKENS.items() for option in ("--token", f"{token}={ws}")]
    command = [*python_module_command(), "--port", "0", "--log-level", "warning"]
    return MockProcess([*command, "--state-file", str(state), *tokens]).start()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def client(
    session: aiohttp.ClientSession,
    url: str,
    ledger: Ledger,
    rng: random.Random,
    name: str,
    deadline: float,
) -> None:
    """Create new keys and delete acknowledged ones until the server dies or the bound hits."""
    number = 0
    while time.monotonic() < deadline and ledger.sent_this_round < MAX_REQUESTS_PER_ROUND:
        ledger.sent += 1
        ledger.sent_this_round += 1
        if ledger.live and rng.random() < 0.35:
            token, key = ledger.live.pop(rng.randrange(len(ledger.live)))
            try:
                async with session.delete(
                    f"{url}/api/deployment/{key}", headers=auth(token)
                ) as answer:
                    status = answer.status
            except (TimeoutError, aiohttp.ClientError):
                ledger.unsure_deletes.add((token, key))
                return
            if status == 204:
                ledger.retired.add((token, key))
                ledger.acknowledged += 1
            else:
                ledger.unexpected.append(f"DELETE {key}: {status}")
        else:
            number += 1
            token, key = rng.choice(list(TOKENS)), f"{name}-{number}"
            try:
                async with session.post(
                    f"{url}/api/deployment",
                    json={**MLFLOW_PAYLOAD, "deployment_key": key},
                    headers=auth(token),
                ) as answer:
                    status = answer.status
            except (TimeoutError, aiohttp.ClientError):
                ledger.unsure_creates.add((token, key))
                return
            if status == 201:
                ledger.live.append((token, key))
                ledger.acknowledged += 1
            else:
                ledger.unexpected.append(f"POST {key}: {status}")


async def burst_then_kill(
    mock: MockProcess, ledger: Ledger, rng: random.Random, round_name: str
) -> float:
    """Run the clients; SIGKILL the server at a random instant. Returns the kill delay."""
    assert mock.process is not None
    ledger.sent_this_round = 0
    kill_after = rng.uniform(0.05, 0.8)
    loop = asyncio.get_running_loop()
    loop.call_later(kill_after, mock.process.send_signal, signal.SIGKILL)
    deadline = time.monotonic() + BURST_SECONDS
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(
            *(
                client(session, mock.url, ledger, rng, f"{round_name}-c{n}", deadline)
                for n in range(CLIENTS)
            )
        )
    return kill_after


def check_and_settle(mock: MockProcess, state: Path, ledger: Ledger) -> None:
    """Assert the restarted mock honours every acknowledgement; settle the unsure outcomes."""
    saved = load_fixture_file(state)  # never corrupt
    on_file = {(d.workspace, d.deployment_key): d.deleted for d in saved.deployments}
    live: set[Key] = set()
    for token in TOKENS:
        listed = requests.get(f"{mock.url}/api/deployment", headers=auth(token), timeout=10)
        assert listed.status_code == 200
        live |= {(token, d["deployment_key"]) for d in listed.json()}
    lost = [key for key in ledger.live if key not in live]
    assert not lost, f"acknowledged creates lost after SIGKILL: {lost[:10]}"
    resurrected = ledger.retired & live
    assert not resurrected, f"acknowledged deletes undone after SIGKILL: {sorted(resurrected)}"
    not_retired = [k for k in ledger.retired if on_file.get((TOKENS[k[0]], k[1])) is not True]
    assert not not_retired, f"acknowledged deletes not retired on file: {not_retired[:10]}"
    known = set(ledger.live) | ledger.unsure_creates | ledger.unsure_deletes
    phantoms = live - known
    assert not phantoms, f"keys live that no client created: {sorted(phantoms)[:10]}"
    for token, key in sorted(ledger.retired)[:5]:  # the server itself refuses retired keys
        again = requests.post(
            f"{mock.url}/api/deployment",
            json={**MLFLOW_PAYLOAD, "deployment_key": key},
            headers=auth(token),
            timeout=10,
        )
        assert again.status_code == 409, (key, again.status_code)
    # Unanswered requests may or may not have happened; from now on, what is on disk counts.
    ledger.unanswered += len(ledger.unsure_creates) + len(ledger.unsure_deletes)
    for unsure in ledger.unsure_creates:
        if unsure in live:
            ledger.live.append(unsure)
    for unsure in ledger.unsure_deletes:
        if unsure in live:
            ledger.live.append(unsure)
        else:
            ledger.retired.add(unsure)
    ledger.unsure_creates.clear()
    ledger.unsure_deletes.clear()


def run_kill_rounds(state: Path, kills: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    ledger = Ledger()
    figures: dict[str, Any] = {"seed": seed, "kills": 0, "kill_delays": []}
    for round_number in range(kills):
        mock = start(state)
        try:
            check_and_settle(mock, state, ledger)
            delay = asyncio.run(burst_then_kill(mock, ledger, rng, f"r{round_number}"))
        finally:
            mock.kill()
        assert mock.process is not None
        assert mock.process.returncode == -signal.SIGKILL, "the burst outlived the kill"
        assert not ledger.unexpected, ledger.unexpected[:10]
        figures["kills"] += 1
        figures["kill_delays"].append(round(delay, 3))
    final = start(state)  # the last kill's file must start cleanly too
    try:
        check_and_settle(final, state, ledger)
    finally:
        assert final.stop(signal.SIGTERM) == 0, final.output()
    figures.update(
        sent=ledger.sent,
        acknowledged=ledger.acknowledged,
        unanswered=ledger.unanswered,
        live=len(ledger.live),
        retired=len(ledger.retired),
    )
    return figures


def test_sigkill_during_a_burst_of_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    seed = int(os.environ.get("TANGO_MOCK_KILL_SEED") or random.randrange(2**32))
    print(f"\nSIGKILL test: {KILLS} kills, seed {seed} (TANGO_MOCK_KILL_SEED={seed} replays)")
    figures = run_kill_rounds(tmp_path / "state.yaml", KILLS, seed)
    print(f"SIGKILL test figures: {figures}")
    assert figures["kills"] == KILLS
    assert figures["acknowledged"] > 0  # the kills did land among acknowledged writes
