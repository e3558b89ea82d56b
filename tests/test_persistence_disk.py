"""The state file on a real full disk and a real read-only disk (a small tmpfs mount).

Tests run as root, so chmod cannot make a directory unwritable; a tmpfs can really be full
or read-only. Skipped, with the reason, where mounting is not permitted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server import MockSettings, create_app
from mock_server.http.keys import STORE
from mock_server.state.persistence import write_state_file
from tests.conftest import MLFLOW_PAYLOAD, AiohttpClient, auth, seed_document

DISK_BYTES = 256 * 1024


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for this test only."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = run("mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        run("umount", "-l", str(mount_point))


@pytest.fixture
async def disk_client(aiohttp_client: AiohttpClient, small_disk: Path) -> TestClient[Any, Any]:
    """A mock whose state file lives on the small disk, holding one deployment."""
    state = small_disk / "state.yaml"
    app = create_app(MockSettings(seed=seed_document(), state_file=state))
    write_state_file(state, app[STORE])
    client = await aiohttp_client(app)
    created = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    assert created.status == 201
    return client


def fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    with pytest.raises(OSError) as raised:
        (disk / "probe").write_bytes(b"x" * 4096)
    assert raised.value.errno == errno.ENOSPC
    return filler


def payload(key: str) -> dict[str, Any]:
    return {**MLFLOW_PAYLOAD, "deployment_key": key}


async def expect_507(response: Any, reason: str) -> None:
    assert response.status == 507
    body = await response.json()
    assert body["message_code"] == "state_write_failed"
    assert f"state file ({reason})" in body["message"]


async def test_a_full_disk_answers_507_and_keeps_memory_and_file_as_they_were(
    disk_client: TestClient[Any, Any], small_disk: Path
) -> None:
    state = small_disk / "state.yaml"
    before = state.read_bytes()
    filler = fill(small_disk)
    response = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    await expect_507(response, "No space left on device")
    deleted = await disk_client.delete("/api/deployment/mlflow-deployment-staging", headers=auth())
    await expect_507(deleted, "No space left on device")
    assert (await disk_client.get("/api/deployment/k-2", headers=auth())).status == 404
    still = await disk_client.get("/api/deployment/mlflow-deployment-staging", headers=auth())
    assert still.status == 200
    assert state.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "probe", "state.yaml"]
    filler.unlink()  # space again: the same key can be created now
    again = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    assert again.status == 201
    assert b"k-2" in state.read_bytes()


async def test_a_read_only_disk_answers_507_and_keeps_memory_and_file_as_they_were(
    disk_client: TestClient[Any, Any], small_disk: Path
) -> None:
    state = small_disk / "state.yaml"
    before = state.read_bytes()
    remounted = run("mount", "-o", "remount,ro", str(small_disk))
    assert remounted.returncode == 0, remounted.stderr
    response = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    await expect_507(response, "Read-only file system")
    listed = await disk_client.get("/api/deployment", headers=auth())
    assert [d["deployment_key"] for d in await listed.json()] == ["mlflow-deployment-staging"]
    assert state.read_bytes() == before
    assert run("mount", "-o", "remount,rw", str(small_disk)).returncode == 0
    again = await disk_client.post("/api/deployment", json=payload("k-2"), headers=auth())
    assert again.status == 201
