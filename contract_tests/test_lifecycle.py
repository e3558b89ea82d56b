"""Keys are permanent and case-sensitive.

A live key again is 409, a soft-deleted key stays retired for good, and keys that differ only
in case (`abc`, `ABC`) name separate deployments.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.support.client import TangoClient
from contract_tests.support.expect import (
    expect_deployment,
    expect_listed,
    expect_no_body,
    expect_not_listed,
    expect_single,
    expect_status,
)
from contract_tests.support.payloads import MakeDeployment, payload
from contract_tests.support.run import ContractRun

GET_SHAPE = "get.array-of-one"


def test_a_live_key_sent_again_is_409_and_the_original_stays(
    client: TangoClient, created: MakeDeployment
) -> None:
    original = created("dup")
    key = str(original["deployment_key"])
    rule = "lifecycle.live-key-409"
    expect_status(client.create(original), 409, "the same payload again (a live key)", rule=rule)
    other_payload = payload(key, "databricks")
    expect_status(client.create(other_payload), 409, "another payload under a live key", rule=rule)
    fetched = client.get(key)
    kept = "lifecycle.refused-duplicate-keeps-original"
    expect_status(fetched, 200, "getting the deployment after refused duplicates", rule=kept)
    expect_deployment(
        fetched, expect_single(fetched, "the get answer", rule=GET_SHAPE), original, None
    )


def test_soft_delete_answers_204_and_retires_the_key_for_good(
    client: TangoClient, created: MakeDeployment
) -> None:
    original = created("delete")
    key = str(original["deployment_key"])
    deleted = client.delete_reading_every_byte(key)
    expect_status(deleted, 204, "deleting a live deployment", rule="lifecycle.delete-204")
    expect_no_body(deleted, "deleting a live deployment")

    expect_status(
        client.get(key), 404, "getting a deleted deployment", rule="lifecycle.deleted-get-404"
    )
    listed = client.list()
    expect_status(listed, 200, "listing the workspace", rule="list.array")
    expect_not_listed(listed, key, "the list after its delete", rule="lifecycle.deleted-not-listed")
    expect_status(
        client.create(original),
        409,
        "creating again under a deleted (retired) key",
        rule="lifecycle.deleted-key-retired",
    )
    expect_status(
        client.delete(key),
        404,
        "deleting an already deleted deployment",
        rule="lifecycle.delete-again-404",
    )
    expect_status(
        client.get(key),
        404,
        "getting a deleted key after a refused re-create",
        rule="lifecycle.deleted-get-404",
    )


@pytest.mark.read_only
def test_unknown_keys_answer_404(client: TangoClient, new_key: Callable[[str], str]) -> None:
    key = new_key("never-created")
    rule = "lifecycle.unknown-key-404"
    expect_status(client.get(key), 404, "getting a key that was never created", rule=rule)
    expect_status(client.delete(key), 404, "deleting a key that was never created", rule=rule)


def test_keys_differing_only_in_case_are_separate_deployments(
    run: ContractRun, client: TangoClient, created: MakeDeployment
) -> None:
    """Keys are case-sensitive strings: `abc` and `ABC` are two deployments, each its own."""
    rule = "keys.case-sensitive"
    lower = created("case-key")
    prefix = run.keys.prefix  # lower case hex: the variants stay under it
    rest = str(lower["deployment_key"])[len(prefix) :]
    upper = payload(prefix + rest.upper(), "databricks")
    mixed_key = prefix + rest.title()
    expect_status(
        client.create(upper), 201, "a key that differs from a live key only in case", rule=rule
    )

    for sent, other in ((lower, upper), (upper, lower)):
        key = str(sent["deployment_key"])
        fetched = client.get(key)
        expect_status(
            fetched, 200, f"getting {key!r} next to {other['deployment_key']!r}", rule=rule
        )
        expect_deployment(
            fetched, expect_single(fetched, "the get answer", rule=GET_SHAPE), sent, None
        )
    listed = client.list()
    expect_status(listed, 200, "listing the workspace", rule="list.array")
    for sent in (lower, upper):
        expect_listed(
            listed, str(sent["deployment_key"]), "the list (keys differing in case)", rule=rule
        )
    expect_status(
        client.get(mixed_key),
        404,
        "getting a key that differs from live keys only in case",
        rule=rule,
    )
    expect_status(
        client.delete(mixed_key),
        404,
        "deleting a key that differs from live keys only in case",
        rule=rule,
    )

    expect_status(
        client.delete(str(upper["deployment_key"])), 204, "deleting the upper-case key", rule=rule
    )
    still = client.get(str(lower["deployment_key"]))
    expect_status(
        still, 200, "getting a key after deleting one that differs only in case", rule=rule
    )
    expect_deployment(still, expect_single(still, "the get answer", rule=GET_SHAPE), lower, None)
    expect_status(
        client.create(payload(mixed_key)),
        201,
        "a key that differs from a deleted key only in case",
        rule=rule,
    )
