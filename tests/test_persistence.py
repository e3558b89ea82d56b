"""The state file: atomic writes, rollback on a failed write, loading and refusing at start."""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server import MockSettings, create_app
from mock_server.cli import main
from mock_server.contract.models import DeploymentPayload
from mock_server.http.keys import STATE_FILE, STORE
from mock_server.state.fixtures import (
    export_document,
    load_fixture_file,
    parse_document,
    parse_yaml,
    populate,
)
from mock_server.state.persistence import (
    StateEncoder,
    StateFile,
    StateFileError,
    encode_state,
    load_state_file,
    write_atomically,
)
from mock_server.state.snapshot import StateSnapshot
from mock_server.state.store import DeploymentStore, StoredDeployment, TokenGrant
from tests.conftest import MLFLOW_PAYLOAD, AiohttpClient, auth, seed_document

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
EROFS = OSError(errno.EROFS, os.strerror(errno.EROFS))


def temp_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.tmp"))


# -- write_atomically --------------------------------------------------------------------------


def test_write_replaces_the_whole_file_keeps_its_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.yaml"
    target.write_bytes(b"old content that is longer than the new one\n")
    target.chmod(0o640)
    write_atomically(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert temp_files(tmp_path) == []


def test_a_new_state_file_is_private_to_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "state.yaml"
    write_atomically(target, b"tokens: []\n")
    assert target.stat().st_mode & 0o777 == 0o600  # it holds tokens and PATs


@pytest.mark.parametrize(
    ("function", "error"), [("fsync", ENOSPC), ("replace", EROFS), ("write", ENOSPC)]
)
def test_a_failed_write_keeps_the_old_file_and_removes_the_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str, error: OSError
) -> None:
    target = tmp_path / "state.yaml"
    target.write_bytes(b"the old state\n")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    if function == "write":
        real_fdopen = os.fdopen

        class FullDisk:
            def __init__(self, fd: int, mode: str) -> None:
                self.file = real_fdopen(fd, mode)

            def __enter__(self) -> FullDisk:
                return self

            def __exit__(self, *exc: object) -> None:
                self.file.close()

            def fileno(self) -> int:
                return self.file.fileno()

            def write(self, data: bytes) -> int:
                self.file.write(data[: len(data) // 2])
                raise error

        monkeypatch.setattr(os, "fdopen", FullDisk)
    else:
        monkeypatch.setattr(os, function, fail)
    with pytest.raises(OSError) as raised:
        write_atomically(target, b"the new state\n")
    assert raised.value.errno == error.errno
    assert target.read_bytes() == b"the old state\n"
    assert temp_files(tmp_path) == []


# -- the YAML format round-trips every JSON value -----------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"]), max_size=8), inner)
    ),
    max_leaves=12,
)
workspace_names = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)


@pytest.mark.slow  # many generated states
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    workspace=workspace_names.filter(lambda name: bool(name.strip()) and name.isprintable()),
    registry_init=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    proxy_init=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    deleted=st.booleans(),
)
def test_the_state_file_round_trips_any_state(
    workspace: str,
    registry_init: dict[str, Any],
    proxy_init: dict[str, Any],
    deleted: bool,
) -> None:
    store = DeploymentStore()
    store.add_token(TokenGrant("tok", workspace))
    record = DeploymentPayload(
        deployment_key="k-1",
        registry_connector_class="a.B",
        registry_connector_init=registry_init,
        server_proxy_class="c.D",
        server_proxy_init=proxy_init,
    )
    store.add_record(StoredDeployment(workspace, record, deleted=deleted))
    encoder = StateEncoder()
    encoded = encoder.encode(StateSnapshot.of(store))
    assert encoded == encode_state(export_document(store))  # the fast path, byte for byte
    loaded = parse_document(parse_yaml(encoded.decode("utf-8"), source="state"), source="state")
    again = DeploymentStore()
    populate(again, loaded)
    assert export_document(again) == export_document(store)
    if deleted:  # the kept text of a record must not survive a change of its `deleted` flag
        store.undelete(store.workspaces[workspace].retired["k-1"])
    else:
        store.delete(workspace, "k-1")
    store.create(workspace, stored_payload("k-2"))
    assert encoder.encode(StateSnapshot.of(store)) == encode_state(export_document(store))


# -- the HTTP API with a state file --------------------------------------------------------------


class ScriptedWriter:
    """A writer that really writes, unless told to fail; can hold a write until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail_with: BaseException | None = None
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, path: Path, data: bytes) -> None:
        self.calls += 1
        self.entered.set()
        self.release.wait(10)
        if self.fail_with is not None:
            raise self.fail_with
        write_atomically(path, data)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state.yaml"


@pytest.fixture
def writer() -> ScriptedWriter:
    return ScriptedWriter()


@pytest.fixture
async def disk_client(
    aiohttp_client: AiohttpClient, state_path: Path, writer: ScriptedWriter
) -> TestClient[Any, Any]:
    """A client on an app whose state file is written through `writer`, seeded with one key."""
    app = create_app(MockSettings(seed=seed_document(), state_file=state_path))
    app[STATE_FILE] = StateFile(state_path, writer=writer)
    client = await aiohttp_client(app)
    created = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    assert created.status == 201
    writer.calls = 0
    return client


def payload(key: str) -> dict[str, Any]:
    return {**MLFLOW_PAYLOAD, "deployment_key": key}


def stored_payload(key: str) -> DeploymentPayload:
    return DeploymentPayload(**payload(key))


def on_disk(path: Path) -> dict[str, Any]:
    """What a restart would load, in the export format."""
    store = DeploymentStore()
    populate(store, load_fixture_file(path))
    return export_document(store)


def in_memory(client: TestClient[Any, Any]) -> dict[str, Any]:
    return export_document(client.app[STORE])


async def assert_state_write_failed(response: Any) -> None:
    assert response.status == 507
    body = await response.json()
    assert body["message_code"] == "state_write_failed"
    assert "state file" in body["message"]
    assert "No space left" in body["message"] or "Read-only" in body["message"]


async def test_an_acknowledged_create_is_on_disk(
    disk_client: TestClient[Any, Any], state_path: Path
) -> None:
    created = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    assert created.status == 201
    keys = [d["deployment_key"] for d in on_disk(state_path)["deployments"]]
    assert keys == ["mlflow-deployment-staging", "k-2"]
    assert on_disk(state_path) == in_memory(disk_client)


async def test_a_create_on_a_full_disk_is_a_507_and_is_undone(
    disk_client: TestClient[Any, Any], state_path: Path, writer: ScriptedWriter
) -> None:
    before = state_path.read_bytes()
    writer.fail_with = ENOSPC
    response = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    await assert_state_write_failed(response)
    assert (await disk_client.get("/api/deployment/k-2", headers=auth())).status == 404
    assert state_path.read_bytes() == before
    assert in_memory(disk_client) == on_disk(state_path)
    writer.fail_with = None  # space freed: the key was never taken, so it can be created now
    again = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    assert again.status == 201


async def test_a_delete_on_a_read_only_disk_is_a_507_and_is_undone(
    disk_client: TestClient[Any, Any], state_path: Path, writer: ScriptedWriter
) -> None:
    before = state_path.read_bytes()
    writer.fail_with = EROFS
    path = "/api/deployment/mlflow-deployment-staging"
    await assert_state_write_failed(await disk_client.delete(path, headers=auth()))
    assert (await disk_client.get(path, headers=auth())).status == 200
    assert state_path.read_bytes() == before
    writer.fail_with = None
    assert (await disk_client.delete(path, headers=auth())).status == 204
    assert on_disk(state_path)["deployments"][0]["deleted"] is True


async def test_an_unexpected_writer_error_is_a_500_and_is_undone(
    disk_client: TestClient[Any, Any], state_path: Path, writer: ScriptedWriter
) -> None:
    before = state_path.read_bytes()
    writer.fail_with = RuntimeError("bug")
    response = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    assert response.status == 500
    assert (await response.json())["message_code"] == "internal_error"
    assert state_path.read_bytes() == before
    assert in_memory(disk_client) == on_disk(state_path)


async def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in 5 s")


async def test_a_failed_write_undoes_every_change_not_on_disk_newest_first(
    disk_client: TestClient[Any, Any], state_path: Path, writer: ScriptedWriter
) -> None:
    """A create, a delete of that (unsaved) key and a create queued behind a failing write."""
    before = state_path.read_bytes()
    memory_before = in_memory(disk_client)
    writer.release.clear()
    writer.entered.clear()
    writer.fail_with = ENOSPC
    store = disk_client.app[STORE]

    first = asyncio.ensure_future(
        disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    )
    await wait_until(writer.entered.is_set)
    delete_it = asyncio.ensure_future(disk_client.delete("/api/deployment/k-2", headers=auth()))
    await wait_until(lambda: "k-2" in store.workspaces["ws1"].retired)
    third = asyncio.ensure_future(
        disk_client.post("/api/deployment", json=payload("k-3"), headers=auth())
    )
    await wait_until(lambda: "k-3" in store.workspaces["ws1"].live)
    writer.release.set()
    for response in await asyncio.gather(first, delete_it, third):
        await assert_state_write_failed(response)
    assert in_memory(disk_client) == memory_before
    assert state_path.read_bytes() == before
    assert writer.calls == 1  # the queued changes were undone, not written


async def test_concurrent_changes_share_writes_and_all_reach_the_disk(
    disk_client: TestClient[Any, Any], state_path: Path, writer: ScriptedWriter
) -> None:
    writer.release.clear()
    writer.entered.clear()
    store = disk_client.app[STORE]
    keys = [f"burst-{n}" for n in range(20)]
    posts = [
        asyncio.ensure_future(disk_client.post("/api/deployment", json=payload(k), headers=auth()))
        for k in keys
    ]
    await wait_until(writer.entered.is_set)
    await wait_until(lambda: len(store.workspaces["ws1"].live) == 21)
    writer.release.set()
    assert [r.status for r in await asyncio.gather(*posts)] == [201] * 20
    assert writer.calls == 2  # the write under way, then one write for the 19 that queued
    on_file = {d["deployment_key"] for d in on_disk(state_path)["deployments"]}
    assert set(keys) <= on_file


async def test_a_request_cancelled_while_queued_still_gets_its_change_written(
    state_path: Path, writer: ScriptedWriter
) -> None:
    store = DeploymentStore()
    populate(store, seed_document())
    state = StateFile(state_path, writer=writer)
    writer.release.clear()
    store.create("ws1", stored_payload("k-1"))
    first = asyncio.ensure_future(state.save(store, undo=lambda: store.discard("ws1", "k-1")))
    await wait_until(writer.entered.is_set)
    store.create("ws1", stored_payload("k-9"))
    queued = asyncio.ensure_future(state.save(store, undo=lambda: store.discard("ws1", "k-9")))
    await asyncio.sleep(0.05)
    queued.cancel()  # e.g. the server's shutdown timeout cancelled the handler
    writer.release.set()
    await first
    await state.flush()
    assert writer.calls == 2
    keys = {d["deployment_key"] for d in on_disk(state_path)["deployments"]}
    assert {"k-1", "k-9"} <= keys


# -- loading at start ------------------------------------------------------------------------------


def test_a_missing_state_file_loads_as_none_and_stale_temp_files_go(tmp_path: Path) -> None:
    leftover = tmp_path / ".state.yaml.abc123.tmp"
    leftover.write_bytes(b"half a wri")
    unrelated = tmp_path / ".other.yaml.abc123.tmp"
    unrelated.write_bytes(b"not ours")
    assert load_state_file(tmp_path / "state.yaml") is None
    assert not leftover.exists()
    assert unrelated.exists()


def test_a_saved_state_loads_with_extra_tokens(tmp_path: Path) -> None:
    store = DeploymentStore()
    populate(store, seed_document())
    store.create("ws1", stored_payload("k-1"))
    target = tmp_path / "state.yaml"
    write_atomically(target, encode_state(export_document(store)))
    loaded = load_state_file(target, extra_tokens=[("ci-token", "ci")])
    assert loaded is not None
    assert [d.deployment_key for d in loaded.deployments] == ["k-1"]
    assert ("ci-token", "ci") in {(t.token, t.workspace) for t in loaded.tokens}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"workspaces: [\n", "not valid YAML (line 2"),
        (b"", "empty"),
        (b"\n  \n", "empty"),
        (b"\xff\xfe", "not UTF-8"),
        (b"- a list\n", "must be a mapping"),
        (
            b"workspaces: [{name: w}]\ndeployments:\n- {workspace: w, deployment_key: 'a b'}\n",
            "deployment_key 'a b'",
        ),
    ],
)
def test_an_unusable_state_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    target = tmp_path / "state.yaml"
    target.write_bytes(content)
    with pytest.raises(StateFileError) as raised:
        load_state_file(target)
    assert str(target) in str(raised.value)
    assert problem in str(raised.value)
    assert target.read_bytes() == content


def test_a_state_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="does not exist"):
        load_state_file(tmp_path / "nowhere" / "state.yaml")


def test_a_directory_is_not_a_state_file(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="not a regular file"):
        load_state_file(tmp_path)


def test_the_cli_stops_on_a_corrupt_state_file_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "state.yaml"
    target.write_bytes(b"workspaces: {{{\n")
    assert main(["--port", "0", "--state-file", str(target)]) == 2
    error = capsys.readouterr().err
    assert str(target) in error
    assert "not valid YAML" in error
    assert target.read_bytes() == b"workspaces: {{{\n"


def test_the_cli_stops_when_the_state_file_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(path: Path, data: bytes) -> None:
        raise EROFS

    monkeypatch.setattr("mock_server.state.persistence.write_atomically", read_only)
    target = tmp_path / "state.yaml"
    assert main(["--port", "0", "--state-file", str(target)]) == 2
    error = capsys.readouterr().err
    assert f"{target}: cannot write the state file: Read-only file system" in error


def test_an_empty_state_encodes_like_the_full_dump() -> None:
    store = DeploymentStore()
    assert StateEncoder().encode(StateSnapshot.of(store)) == encode_state(export_document(store))


def test_the_written_file_is_a_fixture_document(tmp_path: Path) -> None:
    store = DeploymentStore()
    populate(store, seed_document())
    text = encode_state(export_document(store)).decode("utf-8")
    assert text.startswith("# tango-mock state file")
    assert set(yaml.safe_load(text)) == {"workspaces", "tokens", "deployments"}
