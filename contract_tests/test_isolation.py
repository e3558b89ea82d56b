"""Workspace isolation (needs --other-token): another workspace's deployments are invisible.

Skipped, with the reason shown in the summary, when no second token is given.
"""

from __future__ import annotations

from contract_tests.support.client import TangoClient
from contract_tests.support.expect import (
    expect_deployment,
    expect_listed,
    expect_not_listed,
    expect_single,
    expect_status,
    violation,
)
from contract_tests.support.payloads import MakeDeployment, payload

GET_SHAPE = "get.array-of-one"


def test_another_workspace_cannot_get_list_or_delete_it(
    client: TangoClient, other_client: TangoClient, created: MakeDeployment
) -> None:
    mine = created("isolated")
    key = str(mine["deployment_key"])
    rule = "isolation.invisible-to-others"
    expect_status(
        other_client.get(key), 404, "another workspace getting this deployment", rule=rule
    )
    listed = other_client.list()
    expect_status(listed, 200, "another workspace listing its deployments", rule="list.array")
    expect_not_listed(listed, key, "another workspace's list", rule=rule)
    expect_status(
        other_client.delete(key), 404, "another workspace deleting this deployment", rule=rule
    )

    fetched = client.get(key)
    expect_status(
        fetched, 200, "the owner getting it after another workspace tried to delete it", rule=rule
    )
    expect_deployment(fetched, expect_single(fetched, "the get answer", rule=GET_SHAPE), mine, None)
    expect_listed(
        client.list(), key, "the owner's list after another workspace's delete", rule=rule
    )


def test_the_same_key_in_two_workspaces_names_two_deployments(
    client: TangoClient, other_client: TangoClient, created: MakeDeployment
) -> None:
    mine = created("shared-key")
    key = str(mine["deployment_key"])
    rule = "isolation.same-key-separate"
    theirs = payload(key, "databricks")
    answer = other_client.create(theirs)
    expect_status(
        answer, 201, "another workspace creating a key that is only used elsewhere", rule=rule
    )
    their_item = expect_single(answer, "the create answer", rule="create.array-of-one")
    expect_deployment(answer, their_item, theirs, None)

    fetched = client.get(key)
    expect_status(fetched, 200, "the owner getting its deployment", rule="get.live-200")
    my_item = expect_single(fetched, "the get answer", rule=GET_SHAPE)
    expect_deployment(fetched, my_item, mine, None)
    if my_item["workspace"] == their_item["workspace"]:
        violation(
            fetched,
            f"two tokens' workspaces must differ, both are {my_item['workspace']!r}",
            rule,
        )

    expect_status(
        other_client.delete(key), 204, "another workspace deleting its own deployment", rule=rule
    )
    after = client.get(key)
    expect_status(
        after,
        200,
        "the owner getting its deployment after the other one was deleted",
        rule=rule,
    )
    expect_deployment(after, expect_single(after, "the get answer", rule=GET_SHAPE), mine, None)
    expect_status(
        other_client.create(theirs),
        409,
        "the other workspace reusing its retired key",
        rule="lifecycle.deleted-key-retired",
    )
