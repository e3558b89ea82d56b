"""Shapes and round trip: a deployment comes back exactly as created, in the token's workspace."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from contract_tests.support.client import TangoClient
from contract_tests.support.expect import (
    expect_all_in_workspace,
    expect_array,
    expect_deployment,
    expect_listed,
    expect_single,
    expect_status,
    held,
    listed_keys,
    violation,
)
from contract_tests.support.keys import MAX_KEY_LENGTH
from contract_tests.support.payloads import MakeDeployment, payload, payload_text


@pytest.mark.parametrize("kind", ["mlflow", "databricks", "tricky", "spelled"])
def test_created_deployment_comes_back_exactly_from_create_get_and_list(
    client: TangoClient, new_key: Callable[[str], str], kind: str
) -> None:
    """The same JSON as sent, types exact: `true` is not `1`, `3` is not `3.0` (same_json.py)."""
    body = payload_text(new_key(kind), kind)
    sent = json.loads(body)
    created = client.create_raw(body)
    expect_status(created, 201, "a valid new deployment", rule="create.answers-201")
    item = expect_single(created, "the create answer", rule="create.array-of-one")
    expect_deployment(created, item, sent, workspace=None)
    workspace = item["workspace"]

    fetched = client.get(sent["deployment_key"])
    expect_status(fetched, 200, "getting a live deployment", rule="get.live-200")
    expect_deployment(
        fetched, expect_single(fetched, "the get answer", rule="get.array-of-one"), sent, workspace
    )

    listed = client.list()
    expect_status(listed, 200, "listing the workspace", rule="list.array")
    entry = expect_listed(
        listed, sent["deployment_key"], "the list after its create", rule="list.holds-live"
    )
    expect_deployment(listed, entry, sent, workspace)
    expect_all_in_workspace(listed, workspace)


def test_keys_of_every_allowed_shape_are_accepted(
    client: TangoClient, new_key: Callable[[str], str]
) -> None:
    """Dots, underscores, dashes and the maximum length of 128 characters are all valid."""
    base = new_key("Dots.under_score-Dash")
    rule = "create.key-shapes-accepted"
    for key in (base, (base + "-" + "x" * MAX_KEY_LENGTH)[:MAX_KEY_LENGTH]):
        sent = payload(key)
        created = client.create(sent)
        expect_status(created, 201, f"a valid key of {len(key)} characters", rule=rule)
        fetched = client.get(key)
        expect_status(
            fetched, 200, f"getting a deployment whose key has {len(key)} characters", rule=rule
        )
        expect_deployment(
            fetched, expect_single(fetched, "the get answer", rule="get.array-of-one"), sent, None
        )


@pytest.mark.read_only
def test_the_list_is_an_array_of_one_workspace(client: TangoClient) -> None:
    """Read-only: whatever the workspace holds, one JSON array, every entry naming one workspace."""
    listed = client.list()
    expect_status(listed, 200, "listing the workspace", rule="list.array")
    items = expect_array(listed, "the list answer", rule="list.array")
    workspaces = {item.get("workspace") for item in items}
    if len(workspaces) > 1:
        violation(
            listed,
            f"the list must hold one workspace's deployments, got {sorted(map(str, workspaces))}",
            "list.only-own-workspace",
        )
    held("list.only-own-workspace")


def test_list_answers_an_array_oldest_first(client: TangoClient, created: MakeDeployment) -> None:
    first, second = created("older"), created("newer")
    listed = client.list()
    expect_status(listed, 200, "listing the workspace", rule="list.array")
    keys = listed_keys(listed, "the list answer")
    for sent in (first, second):
        expect_listed(
            listed, str(sent["deployment_key"]), "the list after its create", rule="list.holds-live"
        )
    if keys.index(str(first["deployment_key"])) > keys.index(str(second["deployment_key"])):
        violation(
            listed,
            "the list must be oldest first, but the newer deployment comes first",
            "list.oldest-first",
        )
    held("list.oldest-first")


@pytest.mark.parametrize(
    ("content_type", "rule"),
    [
        ("application/json; charset=utf-8", "create.charset-accepted"),
        ("Application/JSON; Charset=UTF-8", "create.media-type-case-insensitive"),
    ],
    ids=["charset", "any-case"],
)
def test_a_charset_and_any_case_on_the_json_content_type_are_accepted(
    client: TangoClient, new_key: Callable[[str], str], content_type: str, rule: str
) -> None:
    sent = payload(new_key("charset"))
    created = client.create(sent, content_type=content_type)
    expect_status(created, 201, f"a create sent as {content_type}", rule=rule)
    expect_deployment(
        created, expect_single(created, "the create answer", rule="create.array-of-one"), sent, None
    )
