"""The request sequence of every scenario, for the Python loader; `lua/tango.lua` mirrors it.

A scenario is a plan: request number i -> the i-th request. Both loaders walk it in order
from 0, so create makes keys PREFIX-0, PREFIX-1, ... and delete removes them in the same order.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from mock_server.contract.spec import spec_example

COLLECTION = "/api/deployment"
DEMO_TOKEN = "dev-token"  # fixtures/demo.yaml: my-workspace
DEMO_KEY = "mlflow-deployment-staging"  # a live deployment of my-workspace
WRITE_TOKEN = "bench-token"  # added with --token, so creates never grow the listed workspace
MIX_TOKEN = "bench-mix-token"
EXTRA_TOKENS = {WRITE_TOKEN: "bench", MIX_TOKEN: "bench-mix"}

# TANGO's MLflow example from openapi.yaml, without its key (every create uses a new one).
MLFLOW_PAYLOAD = {k: v for k, v in spec_example("MlflowPayload").items() if k != "deployment_key"}


class HttpRequest(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


Plan = Callable[[int], HttpRequest]


@dataclass(frozen=True)
class Scenario:
    """A named request sequence, with the same arguments for the wrk script."""

    name: str
    plan: Plan
    lua_args: tuple[str, ...]
    max_requests: int | None = None  # e.g. delete: no more than the keys that exist


def mlflow_body(key: str) -> bytes:
    """An MLflow-style create payload (TANGO's example) with the given key."""
    return json.dumps({"deployment_key": key, **MLFLOW_PAYLOAD}, separators=(",", ":")).encode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _item(key: str) -> str:
    return f"{COLLECTION}/{key}"


def list_scenario(token: str = DEMO_TOKEN) -> Scenario:
    request = HttpRequest("GET", COLLECTION, bearer(token))
    return Scenario("list", lambda i: request, ("list", token))


def get_scenario(token: str = DEMO_TOKEN, key: str = DEMO_KEY) -> Scenario:
    request = HttpRequest("GET", _item(key), bearer(token))
    return Scenario("get", lambda i: request, ("get", token, key))


def create_scenario(prefix: str, token: str = WRITE_TOKEN) -> Scenario:
    headers = {**bearer(token), "Content-Type": "application/json"}
    return Scenario(
        "create",
        lambda i: HttpRequest("POST", COLLECTION, headers, mlflow_body(f"{prefix}-{i}")),
        ("create", token, prefix),
    )


def delete_scenario(prefix: str, pool: int | None, token: str = WRITE_TOKEN) -> Scenario:
    """Delete the keys a create scenario with the same prefix made (at most `pool` of them)."""
    headers = bearer(token)
    return Scenario(
        "delete",
        lambda i: HttpRequest("DELETE", _item(f"{prefix}-{i}"), headers),
        ("delete", token, prefix),
        max_requests=pool,
    )


# Per cycle of 20 requests: 10 get, 4 list, 3 create, 3 delete of keys made 3 cycles before.
_CREATE_SLOTS = {0: 0, 7: 1, 14: 2}
_DELETE_SLOTS = {3: 0, 10: 1, 17: 2}
_LIST_SLOTS = {5, 9, 12, 19}


def mix_scenario(
    prefix: str, token: str = DEMO_TOKEN, key: str = DEMO_KEY, mix_token: str = MIX_TOKEN
) -> Scenario:
    """A client test suite's day: mostly reads, some lists, creates and deletes."""
    read, write = bearer(token), bearer(mix_token)
    json_headers = {**write, "Content-Type": "application/json"}

    def plan(i: int) -> HttpRequest:
        slot, cycle = i % 20, i // 20
        if slot in _CREATE_SLOTS:
            new_key = f"{prefix}-{cycle * 3 + _CREATE_SLOTS[slot]}"
            return HttpRequest("POST", COLLECTION, json_headers, mlflow_body(new_key))
        if slot in _DELETE_SLOTS and cycle >= 3:
            old_key = f"{prefix}-{(cycle - 3) * 3 + _DELETE_SLOTS[slot]}"
            return HttpRequest("DELETE", _item(old_key), write)
        if slot in _LIST_SLOTS:
            return HttpRequest("GET", COLLECTION, read)
        return HttpRequest("GET", _item(key), read)

    return Scenario("mix", plan, ("mix", token, key, mix_token, prefix))


def scale_key(index: int) -> str:
    return f"d-{index}"


def scale_token(workspace_number: int) -> str:
    return f"tok-{workspace_number}"


def scale_get_scenario(count: int) -> Scenario:
    """Random keys among the `count` deployments of scale workspace 0 (token tok-0)."""
    rng = random.Random(12345)
    headers = bearer(scale_token(0))

    def plan(i: int) -> HttpRequest:
        return HttpRequest("GET", _item(scale_key(rng.randrange(count))), headers)

    return Scenario("get", plan, ("scale-get", scale_token(0), str(count)))


def scale_list_scenario() -> Scenario:
    scenario = list_scenario(scale_token(0))
    return Scenario("list", scenario.plan, scenario.lua_args)


def scale_delete_scenario(workspaces: int, per_workspace: int) -> Scenario:
    """Deletes spread round-robin over workspaces tok-1..tok-W, each seeded with d-0.. keys."""
    headers = [bearer(scale_token(w)) for w in range(1, workspaces + 1)]

    def plan(i: int) -> HttpRequest:
        return HttpRequest("DELETE", _item(scale_key(i // workspaces)), headers[i % workspaces])

    return Scenario(
        "delete",
        plan,
        ("scale-delete", str(workspaces)),
        max_requests=workspaces * per_workspace,
    )
