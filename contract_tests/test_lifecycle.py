"""Keys are permanent: a live key again is 409, and a soft-deleted key stays retired for good."""

from __future__ import annotations

from collections.abc import Callable

from contract_tests.client import TangoClient
from contract_tests.expect import (
    expect_deployment,
    expect_no_body,
    expect_not_listed,
    expect_single,
    expect_status,
)
from contract_tests.payloads import MakeDeployment, payload


def test_a_live_key_sent_again_is_409_and_the_original_stays(
    client: TangoClient, created: MakeDeployment
) -> None:
    original = created("dup")
    key = str(original["deployment_key"])
    expect_status(client.create(original), 409, "the same payload again (a live key)")
    other_payload = payload(key, "databricks")
    expect_status(client.create(other_payload), 409, "another payload under a live key")
    fetched = client.get(key)
    expect_status(fetched, 200, "getting the deployment after refused duplicates")
    expect_deployment(fetched, expect_single(fetched, "the get answer"), original, None)


def test_soft_delete_answers_204_and_retires_the_key_for_good(
    client: TangoClient, created: MakeDeployment
) -> None:
    original = created("delete")
    key = str(original["deployment_key"])
    deleted = client.delete_reading_every_byte(key)
    expect_status(deleted, 204, "deleting a live deployment")
    expect_no_body(deleted, "deleting a live deployment")

    expect_status(client.get(key), 404, "getting a deleted deployment")
    listed = client.list()
    expect_status(listed, 200, "listing the workspace")
    expect_not_listed(listed, key, "the list after its delete")
    expect_status(client.create(original), 409, "creating again under a deleted (retired) key")
    expect_status(client.delete(key), 404, "deleting an already deleted deployment")
    expect_status(client.get(key), 404, "getting a deleted key after a refused re-create")


def test_unknown_keys_answer_404(client: TangoClient, new_key: Callable[[str], str]) -> None:
    key = new_key("never-created")
    expect_status(client.get(key), 404, "getting a key that was never created")
    expect_status(client.delete(key), 404, "deleting a key that was never created")
