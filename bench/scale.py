"""Scale: list, get and delete with N stored deployments per workspace (10, 10,000, 100,000).

The seed of size N has workspace `scale-0` (token tok-0) with N MLflow-style deployments for
get and list, and W more workspaces `scale-1..W` (tokens tok-1..W) with N each, so that
delete always removes from a workspace that started with N deployments and the pool of
deletable keys (W * N) outlasts the measurement. Memory per deployment is the slope of idle
RSS over the number stored, between the smallest and the largest seed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import Loader, LoadResult
from bench.scenarios import (
    MLFLOW_PAYLOAD,
    WRITE_TOKEN,
    scale_delete_scenario,
    scale_get_scenario,
    scale_key,
    scale_list_scenario,
    scale_token,
)
from bench.servers import CACHE_DIR, launch, list_status, mock_spec


def delete_workspaces(size: int, pool: int) -> int:
    """How many extra workspaces of `size` deployments give at least `pool` deletable keys."""
    return max(1, math.ceil(pool / size))


def scale_document(size: int, workspaces: int) -> dict[str, Any]:
    """Fixture document: workspace scale-0 plus `workspaces` more, each with `size` deployments."""
    names = [f"scale-{w}" for w in range(workspaces + 1)]
    return {
        "workspaces": [{"name": name} for name in names],
        "tokens": [{"token": scale_token(w), "workspace": name} for w, name in enumerate(names)],
        "deployments": [
            {"workspace": name, "deployment_key": scale_key(i), **MLFLOW_PAYLOAD}
            for name in names
            for i in range(size)
        ],
    }


def scale_fixture(size: int, workspaces: int, directory: Path = CACHE_DIR / "fixtures") -> Path:
    """The seed as a JSON fixture file (JSON is YAML too), generated once and cached."""
    path = directory / f"scale-{size}x{workspaces + 1}.json"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(scale_document(size, workspaces)), encoding="utf-8")
        tmp.replace(path)
    return path


@dataclass(frozen=True)
class ScalePoint:
    """One seed size: how long it took to load, its memory, and the three operations."""

    size: int
    stored: int  # all deployments in the process (scale-0 plus the delete workspaces)
    start_s: float
    idle_rss_bytes: int
    get: LoadResult
    list: LoadResult
    delete: LoadResult
    delete_sizes: tuple[int, int]  # deployments in a delete workspace at the start and the end

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "stored": self.stored,
            "start_s": round(self.start_s, 3),
            "idle_rss_mb": round(self.idle_rss_bytes / 2**20, 1),
            "get": self.get.to_json(),
            "list": {
                **self.list.to_json(),
                "us_per_item": round(self.list.p50_ms * 1000 / self.size, 3),
            },
            "delete": self.delete.to_json(),
            "delete_workspace_size": list(self.delete_sizes),
        }


def measure_size(
    size: int,
    *,
    pool: int,
    loader: Loader,
    seconds: float,
    log_dir: Path,
    fixture_dir: Path = CACHE_DIR / "fixtures",
) -> ScalePoint:
    """Start the mock seeded with `size` per workspace and measure get, list and delete."""
    workspaces = delete_workspaces(size, pool)
    fixture = scale_fixture(size, workspaces, fixture_dir)
    # Ready when the (empty) workspace of the write token lists: listing scale-0 first would
    # encode and cache N answers before the idle RSS is read, so the memory per stored
    # deployment would include a cache of the answers for part of them.
    spec = mock_spec(
        ["--fixtures", str(fixture), "--log-level", "warning"],
        name=f"mock-{size}",
        ready_token=WRITE_TOKEN,
    )
    server = launch(spec, log_dir)
    try:
        idle_rss = server.rss_bytes()
        # A deployment's first read encodes its answer, once; one list does it for the get
        # workspace, so get measures the lookup at this size, not a first read of most keys.
        list_status(server.port, scale_token(0), timeout=60.0)
        get = loader.run(server.url, scale_get_scenario(size), seconds)
        # No more deletes planned than keys exist: at the get rate, most of the pool.
        pool_seconds = 0.8 * workspaces * size / max(get.rps, 1.0)
        delete = loader.run(
            server.url, scale_delete_scenario(workspaces, size), min(seconds, pool_seconds)
        )
        # Last, as a large answer may still be on its way when the load stops. List answers
        # grow with N: one connection, so the time per answer is its own cost.
        list_loader = Loader(loader.use_wrk, connections=1, max_requests=loader.max_requests)
        listed = list_loader.run(server.url, scale_list_scenario(), seconds)
    finally:
        server.stop()
    left = size - math.ceil(delete.requests / workspaces)
    return ScalePoint(
        size=size,
        stored=size * (workspaces + 1),
        start_s=server.cold_start_s,
        idle_rss_bytes=idle_rss,
        get=get,
        list=listed,
        delete=delete,
        delete_sizes=(size, max(0, left)),
    )


def memory_per_deployment(points: list[ScalePoint]) -> float | None:
    """Bytes per stored deployment: idle RSS slope between the smallest and largest seed."""
    if len(points) < 2:
        return None
    small, large = min(points, key=lambda p: p.stored), max(points, key=lambda p: p.stored)
    if large.stored == small.stored:
        return None
    return (large.idle_rss_bytes - small.idle_rss_bytes) / (large.stored - small.stored)
