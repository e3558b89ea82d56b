"""The state layer on its own (no HTTP): keys are unique, permanent and per workspace."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mock_server.contract.errors import Conflict, NotFound, QuotaExceeded
from mock_server.contract.models import DeploymentPayload
from mock_server.state.store import (
    LISTING_CACHE_MAX_BYTES,
    RECORD_OVERHEAD_BYTES,
    DeploymentStore,
    StoredDeployment,
    TokenGrant,
)
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD


def payload_dict(key: str, **changes: Any) -> dict[str, Any]:
    return {**MLFLOW_PAYLOAD, "deployment_key": key, **changes}


def payload(key: str, **changes: Any) -> DeploymentPayload:
    return DeploymentPayload(**payload_dict(key, **changes))


def keys(records: list[StoredDeployment]) -> list[str]:
    return [record.deployment_key for record in records]


@pytest.fixture
def store() -> DeploymentStore:
    return DeploymentStore()


def test_create_stores_the_payload_with_the_workspace(store: DeploymentStore) -> None:
    record = store.create("ws1", DeploymentPayload(**DATABRICKS_PAYLOAD))
    assert record.to_api() == {**DATABRICKS_PAYLOAD, "workspace": "ws1"}
    assert list(record.to_api()) == [
        "deployment_key",
        "workspace",
        "registry_connector_class",
        "registry_connector_init",
        "server_proxy_class",
        "server_proxy_init",
    ]
    assert store.get("ws1", DATABRICKS_PAYLOAD["deployment_key"]) is record
    assert not record.deleted


def test_create_makes_the_workspace_when_missing(store: DeploymentStore) -> None:
    store.create("new-space", payload("a"))
    assert "new-space" in store.workspaces
    assert keys(store.list("new-space")) == ["a"]


def test_live_key_conflicts(store: DeploymentStore) -> None:
    store.create("ws1", payload("a"))
    with pytest.raises(Conflict, match="already exists"):
        store.create("ws1", payload("a", server_proxy_init={"other": 1}))
    assert (
        store.get("ws1", "a").to_api()["server_proxy_init"] == MLFLOW_PAYLOAD["server_proxy_init"]
    )


def test_deleted_key_is_retired_for_good(store: DeploymentStore) -> None:
    store.create("ws1", payload("a"))
    deleted = store.delete("ws1", "a")
    assert deleted.deleted
    with pytest.raises(NotFound):
        store.get("ws1", "a")
    with pytest.raises(NotFound):
        store.delete("ws1", "a")
    with pytest.raises(Conflict, match="never be reused"):
        store.create("ws1", payload("a"))
    assert store.list("ws1") == []
    assert store.workspaces["ws1"].retired == {"a": deleted}


def test_keys_are_per_workspace(store: DeploymentStore) -> None:
    store.create("ws1", payload("a"))
    store.delete("ws1", "a")
    other = store.create("ws2", payload("a"))
    assert other.workspace == "ws2"
    assert store.get("ws2", "a") is other
    with pytest.raises(NotFound):
        store.get("ws1", "a")


@pytest.mark.parametrize("workspace", ["ws2", "nowhere"])
def test_other_or_unknown_workspace_sees_nothing(store: DeploymentStore, workspace: str) -> None:
    store.create("ws1", payload("a"))
    with pytest.raises(NotFound):
        store.get(workspace, "a")
    with pytest.raises(NotFound):
        store.delete(workspace, "a")
    assert store.list(workspace) == []
    assert keys(store.list("ws1")) == ["a"]


def test_list_is_creation_order_of_live_records(store: DeploymentStore) -> None:
    for key in ("c", "a", "b", "d"):
        store.create("ws1", payload(key))
    store.delete("ws1", "a")
    assert keys(store.list("ws1")) == ["c", "b", "d"]
    # The list is a copy: changing it does not change the store.
    store.list("ws1").clear()
    assert len(store.list("ws1")) == 3


def test_undelete_rolls_a_delete_back(store: DeploymentStore) -> None:
    store.create("ws1", payload("a"))
    record = store.delete("ws1", "a")
    store.undelete(record)
    assert not record.deleted
    assert store.get("ws1", "a") is record
    assert store.workspaces["ws1"].retired == {}


def test_discard_rolls_a_create_back(store: DeploymentStore) -> None:
    store.create("ws1", payload("a"))
    store.discard("ws1", "a")
    assert store.list("ws1") == []
    store.create("ws1", payload("a"))  # no trace left: the key is free again
    store.discard("nowhere", "a")  # unknown workspace: nothing to do, no error


def test_add_record_puts_live_or_deleted_records_back(store: DeploymentStore) -> None:
    live = StoredDeployment("ws1", payload("live"))
    gone = StoredDeployment("ws1", payload("gone"), deleted=True)
    store.add_record(live)
    store.add_record(gone)
    assert keys(store.list("ws1")) == ["live"]
    with pytest.raises(Conflict):
        store.create("ws1", payload("gone"))
    # Adding a record again replaces the earlier one with that key.
    store.add_record(StoredDeployment("ws1", payload("gone")))
    assert keys(store.list("ws1")) == ["live", "gone"]
    assert store.workspaces["ws1"].retired == {}


def test_all_records_and_count(store: DeploymentStore) -> None:
    store.create("ws1", payload("a"))
    store.create("ws1", payload("b"))
    store.create("ws2", payload("c"))
    store.delete("ws1", "a")
    assert [(r.workspace, r.deployment_key) for r in store.all_records()] == [
        ("ws1", "b"),
        ("ws1", "a"),
        ("ws2", "c"),
    ]
    assert store.deployment_count() == 2


def test_quota_limits_live_deployments_per_workspace() -> None:
    store = DeploymentStore(max_deployments_per_workspace=2)
    store.create("ws1", payload("a"))
    store.create("ws1", payload("b"))
    with pytest.raises(QuotaExceeded):
        store.create("ws1", payload("c"))
    store.create("ws2", payload("c"))  # other workspaces have their own quota
    store.delete("ws1", "a")
    store.create("ws1", payload("c"))  # deleting frees room (but not the key)


def test_conflict_is_reported_before_quota() -> None:
    store = DeploymentStore(max_deployments_per_workspace=1)
    store.create("ws1", payload("a"))
    with pytest.raises(Conflict):
        store.create("ws1", payload("a"))


# -- workspaces and tokens ----------------------------------------------------------------


def test_tokens_map_to_workspaces(store: DeploymentStore) -> None:
    store.add_token(TokenGrant("t1", "ws1"))
    assert store.grant_for("t1") == TokenGrant("t1", "ws1")
    assert store.grant_for("t2") is None
    assert "ws1" in store.workspaces  # created for the token
    store.add_token(TokenGrant("t1", "ws2"))  # re-adding a token moves it
    grant = store.grant_for("t1")
    assert grant is not None and grant.workspace == "ws2"


def test_token_expiry_is_inclusive() -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    grant = TokenGrant("t", "ws", expires_at=moment)
    assert not grant.is_expired(moment - timedelta(microseconds=1))
    assert grant.is_expired(moment)
    assert not TokenGrant("t", "ws").is_expired(datetime.max.replace(tzinfo=UTC))


def test_ensure_workspace_updates_disabled_only_when_given(store: DeploymentStore) -> None:
    space = store.ensure_workspace("ws1", disabled=True)
    assert store.ensure_workspace("ws1") is space
    assert space.disabled
    store.ensure_workspace("ws1", disabled=False)
    assert not space.disabled


def test_drop_workspace_forgets_its_records_and_tokens(store: DeploymentStore) -> None:
    store.add_token(TokenGrant("t1", "ws1"))
    store.add_token(TokenGrant("t2", "ws2"))
    store.create("ws1", payload("a"))
    store.drop_workspace("ws1")
    assert "ws1" not in store.workspaces
    assert store.grant_for("t1") is None
    assert store.grant_for("t2") is not None
    store.create("ws1", payload("a"))  # a new ws1 starts empty
    store.drop_workspace("never-there")


def test_clear_forgets_everything(store: DeploymentStore) -> None:
    store.add_token(TokenGrant("t1", "ws1"))
    store.create("ws1", payload("a"))
    store.clear()
    assert store.workspaces == {} and store.tokens == {}
    assert store.deployment_count() == 0


def test_two_stores_share_nothing() -> None:
    first, second = DeploymentStore(), DeploymentStore()
    first.create("ws1", payload("a"))
    assert second.list("ws1") == []


def listed_keys(store: DeploymentStore, workspace: str) -> list[str]:
    return [item["deployment_key"] for item in json.loads(store.list_json(workspace))]


def test_the_list_answer_follows_every_change_of_the_live_set(store: DeploymentStore) -> None:
    assert store.list_json("ws1") == b"[]"
    store.create("ws1", payload("a"))
    assert listed_keys(store, "ws1") == ["a"]  # now cached
    store.create("ws1", payload("b"))
    assert listed_keys(store, "ws1") == ["a", "b"]
    deleted = store.delete("ws1", "a")
    assert listed_keys(store, "ws1") == ["b"]
    store.undelete(deleted)
    assert listed_keys(store, "ws1") == ["b", "a"]
    store.discard("ws1", "b")
    assert listed_keys(store, "ws1") == ["a"]
    store.add_record(StoredDeployment("ws1", payload("c")))
    assert listed_keys(store, "ws1") == ["a", "c"]
    assert listed_keys(store, "ws2") == []


def test_a_large_list_answer_is_rebuilt_rather_than_kept(store: DeploymentStore) -> None:
    big = {"blob": "x" * LISTING_CACHE_MAX_BYTES}
    store.create("ws1", payload("small"))
    store.list_json("ws1")
    assert store.workspaces["ws1"].listing is not None
    store.create("ws1", payload("big", registry_connector_init=big))
    assert listed_keys(store, "ws1") == ["small", "big"]
    assert store.workspaces["ws1"].listing is None


def test_a_record_keeps_the_api_json_bytes_and_nothing_of_the_parsed_tree() -> None:
    """A body of 340,000 empty objects parses into ~25 MB of dicts; the record keeps its JSON."""
    tree: dict[str, Any] = {f"k{i}": {} for i in range(1000)}
    record = StoredDeployment("ws1", payload("a", server_proxy_init=tree))
    assert not hasattr(record, "__dict__")
    held = [getattr(record, name) for name in StoredDeployment.__slots__]
    assert not any(isinstance(value, dict | DeploymentPayload) for value in held)
    assert record.to_api()["server_proxy_init"] == tree
    assert record.size == len(record.api_json()) + RECORD_OVERHEAD_BYTES


def test_the_byte_budget_refuses_the_create_that_would_exceed_it() -> None:
    probe = StoredDeployment("ws1", payload("a"))  # every key has one character: same size
    store = DeploymentStore(max_state_bytes=3 * probe.size)
    for key in "abc":
        store.create("ws1", payload(key))
    assert store.state_bytes == 3 * probe.size == store.max_state_bytes  # exactly full is fine
    with pytest.raises(QuotaExceeded) as refused:
        store.create("ws2", payload("d"))
    assert "--max-state-bytes" in refused.value.message
    assert "ws2" not in store.workspaces or not store.workspaces["ws2"].live
    store.delete("ws1", "a")  # a deleted deployment keeps its bytes: its key stays taken
    with pytest.raises(QuotaExceeded):
        store.create("ws1", payload("d"))
    store.drop_workspace("ws1")
    assert store.state_bytes == 0
    store.create("ws2", payload("d"))


def test_state_bytes_follow_every_change_of_the_records() -> None:
    store = DeploymentStore()
    small, large = payload("s"), payload("l", registry_connector_init={"x": "y" * 5000})
    store.create("ws1", small)
    store.create("ws2", large)
    expected = StoredDeployment("ws1", small).size + StoredDeployment("ws2", large).size
    assert store.state_bytes == expected
    deleted = store.delete("ws2", "l")
    assert store.state_bytes == expected
    store.undelete(deleted)
    store.add_record(StoredDeployment("ws2", large))  # replaces the record of the same key
    assert store.state_bytes == expected
    store.discard("ws2", "l")
    assert store.state_bytes == StoredDeployment("ws1", small).size
    assert store.workspaces["ws2"].stored_bytes == 0
    store.replace_content({}, {})
    assert store.state_bytes == 0


def test_over_budget_names_the_sizes_for_seeds_and_imports() -> None:
    store = DeploymentStore(max_state_bytes=10)
    assert store.over_budget(10**9) is None
    store.add_record(StoredDeployment("ws1", payload("a")))  # seeds are checked as a whole
    problem = store.over_budget()
    assert problem is not None
    assert str(store.state_bytes) in problem and "10" in problem
