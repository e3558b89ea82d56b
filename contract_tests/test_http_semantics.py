"""HTTP around the four operations: a wrong method is 405 with Allow, an unknown path 404."""

from __future__ import annotations

import pytest

from contract_tests.support.client import COLLECTION_PATH, TangoClient, item_path
from contract_tests.support.expect import expect_status, violation
from contract_tests.support.run import ContractRun


@pytest.mark.read_only
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", COLLECTION_PATH, {"GET", "POST"}),
        ("PATCH", "item", {"GET", "DELETE"}),
        ("POST", "item", {"GET", "DELETE"}),
    ],
    ids=["PUT-collection", "PATCH-item", "POST-item"],
)
def test_a_method_the_path_lacks_answers_405_with_allow(
    run: ContractRun, client: TangoClient, method: str, path: str, allowed: set[str]
) -> None:
    target = item_path(run.keys.new("method")) if path == "item" else path
    exchange = client.send(f"{method} {target}", method, target)
    rule = "http.method-405-allow"
    expect_status(exchange, 405, f"{method} on a path without {method}", rule=rule)
    allow = exchange.header("Allow")
    if allow is None:
        violation(exchange, "a 405 must carry an Allow header, got none", rule)
    listed = {part.strip().upper() for part in allow.split(",")}
    if not allowed <= listed:
        violation(exchange, f"Allow must list {sorted(allowed)}, got {allow!r}", rule)


@pytest.mark.read_only
def test_an_unknown_path_answers_404(run: ContractRun, client: TangoClient) -> None:
    path = f"/api/{run.keys.new('no-such-path')}"
    expect_status(
        client.send(f"GET {path}", "GET", path),
        404,
        "a path the API does not have",
        rule="http.unknown-path-404",
    )
