"""`OffLoop`, state snapshots and two-step state changes: the pieces that keep the loop free."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
import yaml

from mock_server.admin.state_io import InvalidYaml, decode_yaml, state_json, state_text
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.contract.models import DeploymentPayload
from mock_server.http.offload import OffLoop
from mock_server.http.responses import dump_json
from mock_server.state.fixtures import (
    build_store,
    dump_yaml,
    export_document,
    parse_document,
    populate,
)
from mock_server.state.snapshot import StateSnapshot
from mock_server.state.state_ops import built_store, install_state, install_workspace
from mock_server.state.store import DeploymentStore, TokenGrant
from tests.conftest import MLFLOW_PAYLOAD, seed_document


def populated_store() -> DeploymentStore:
    document = export_document(build_store(seed_document()))
    document["tokens"].append(
        {"token": "t-late", "workspace": "ws2", "expires_at": "2031-01-02T03:04:05+00:00"}
    )
    document["deployments"] = [
        {**MLFLOW_PAYLOAD, "workspace": "ws1", "deployment_key": "live-1"},
        {**MLFLOW_PAYLOAD, "workspace": "ws1", "deployment_key": "gone-1", "deleted": True},
        {**MLFLOW_PAYLOAD, "workspace": "ws2", "deployment_key": "star"},
    ]
    document["deployments"][2]["server_proxy_init"] = {"note": "non-ASCII: \u00e9 \u6771"}
    return build_store(parse_document(document, source="test"))


# -- OffLoop --------------------------------------------------------------------------------


async def test_a_small_job_runs_inline_and_a_large_one_in_another_thread() -> None:
    jobs = OffLoop()
    here = threading.get_ident()
    assert await jobs.run(threading.get_ident, large=False) == here
    assert await jobs.run(threading.get_ident, large=True) != here


async def test_the_loop_keeps_running_while_a_large_job_works() -> None:
    jobs = OffLoop()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await jobs.run(lambda: time.sleep(0.3), large=True)
    ticker.cancel()
    assert ticks >= 10, "the loop was blocked while the job ran"


async def test_one_large_job_at_a_time_even_when_its_caller_leaves() -> None:
    jobs = OffLoop()
    release = threading.Event()
    running = 0
    most = 0
    guard = threading.Lock()

    def job() -> None:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        release.wait(5)
        with guard:
            running -= 1

    first = asyncio.create_task(jobs.run(job, large=True))
    await asyncio.sleep(0.05)
    first.cancel()  # the caller leaves; its thread goes on and keeps the slot
    second = asyncio.create_task(jobs.run(job, large=True))
    await asyncio.sleep(0.1)
    assert most == 1
    release.set()
    await asyncio.wait_for(second, 5)
    assert most == 1


async def test_a_job_error_reaches_the_caller() -> None:
    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await OffLoop().run(fails, large=True)


# -- snapshots --------------------------------------------------------------------------------


def test_a_snapshot_encodes_exactly_as_the_whole_document_does() -> None:
    store = populated_store()
    snapshot = StateSnapshot.of(store)
    document = export_document(store)
    assert state_json(snapshot) == dump_json(document)
    assert state_text(snapshot, as_yaml=True).decode("utf-8") == dump_yaml(document)
    empty = StateSnapshot.of(DeploymentStore())
    assert state_json(empty) == dump_json(export_document(DeploymentStore()))
    assert state_text(empty, as_yaml=True).decode() == dump_yaml(export_document(DeploymentStore()))


def test_a_snapshot_does_not_see_changes_made_after_it() -> None:
    store = populated_store()
    before = export_document(store)
    snapshot = StateSnapshot.of(store)
    store.delete("ws1", "live-1")
    store.create("ws1", DeploymentPayload(**{**MLFLOW_PAYLOAD, "deployment_key": "later"}))
    store.ensure_workspace("ws-new")
    store.tokens.clear()
    assert json.loads(state_json(snapshot)) == json.loads(dump_json(before))


# -- two-step state changes -------------------------------------------------------------------


def replace_in_one_step(store: DeploymentStore, document: FixtureDocument) -> None:
    """What replacing the state means: exactly the document."""
    store.clear()
    populate(store, document)


def reset_in_one_step(store: DeploymentStore, seed: FixtureDocument, name: str) -> None:
    """What resetting one workspace means: as the seed has it, in its place among the others."""
    order = list(store.workspaces)
    store.drop_workspace(name)
    populate(store, seed, only_workspace=name)
    kept = {key: store.workspaces[key] for key in order if key in store.workspaces}
    rest = {key: space for key, space in store.workspaces.items() if key not in kept}
    store.workspaces.clear()
    store.workspaces.update({**kept, **rest})


def test_install_state_equals_replacing_in_one_step_and_can_be_undone() -> None:
    document = parse_document(export_document(populated_store()), source="test")
    one_step, two_steps = build_store(seed_document()), build_store(seed_document())
    replace_in_one_step(one_step, document)
    replaced = install_state(two_steps, built_store(document))
    assert export_document(two_steps) == export_document(one_step)
    replaced.undo()
    assert export_document(two_steps) == export_document(build_store(seed_document()))


@pytest.mark.parametrize("name", ["ws1", "ws2", "ws-off", "not-in-seed"])
def test_install_workspace_equals_resetting_it_in_one_step(name: str) -> None:
    seed = parse_document(export_document(populated_store()), source="seed")
    one_step, two_steps = build_store(seed_document()), build_store(seed_document())
    for store in (one_step, two_steps):
        store.create("ws1", DeploymentPayload(**{**MLFLOW_PAYLOAD, "deployment_key": "extra"}))
        store.add_token(TokenGrant("t-late", "ws1"))  # the seed gives it to ws2
    reset_in_one_step(one_step, seed, name)
    install_workspace(two_steps, name, built_store(seed, only_workspace=name))
    assert export_document(two_steps) == export_document(one_step)


def test_release_frees_what_was_replaced_but_never_a_workspace_still_served() -> None:
    store = populated_store()
    served_before = export_document(store)
    ws2 = store.workspaces["ws2"]
    seed = parse_document(export_document(build_store(seed_document())), source="seed")
    replaced = install_workspace(store, "ws1", built_store(seed, only_workspace="ws1"))
    old_ws1 = replaced.workspaces["ws1"]
    replaced.release()
    assert not old_ws1.live and not old_ws1.retired, "the replaced workspace is freed"
    assert store.workspaces["ws2"] is ws2 and list(ws2.live) == ["star"], "the others are kept"
    assert [d["deployment_key"] for d in export_document(store)["deployments"]] == ["star"]
    tokens = [grant["token"] for grant in export_document(store)["tokens"]]
    assert sorted(tokens) == sorted(grant["token"] for grant in served_before["tokens"])


# -- YAML bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",
        "a: &x {k: [1]}\nb: [*x]\n",
        # the billion laughs: walked naively, a billion items; refused at the first repeat
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
            for i in range(8)
        ),
    ],
)
def test_yaml_aliases_of_mappings_or_lists_are_refused_in_one_pass(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidYaml, match="aliases"):
        decode_yaml(text.encode())
    assert time.perf_counter() - started < 1.0


def test_yaml_nesting_is_bounded_by_the_parser() -> None:
    with pytest.raises(InvalidYaml):
        decode_yaml(b"[" * 100_000 + b"]" * 100_000)


def test_a_yaml_state_decodes_to_the_same_data_as_before() -> None:
    text = dump_yaml(export_document(populated_store()))
    data: Any = decode_yaml(text.encode())
    assert data == yaml.safe_load(text)
