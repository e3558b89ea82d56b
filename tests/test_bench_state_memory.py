"""bench/state_memory.py measures real create bodies: each kind must be one the API accepts."""

from __future__ import annotations

import pytest

from bench.state_memory import BODY_LIMIT, KINDS, _body, _init_of, table
from mock_server.contract.strict_json import decode_json
from mock_server.contract.validation import validate_payload


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_body_is_a_valid_create_within_the_body_limit(kind: str) -> None:
    body = _body(_init_of(kind), "k0")
    assert len(body) <= BODY_LIMIT
    assert validate_payload(decode_json(body)).deployment_key == "k0"


def test_the_table_divides_by_the_body_and_the_counted_bytes() -> None:
    row = {
        "kind": "x",
        "bodies": 2,
        "body_bytes": 1000,
        "kept_bytes": 1500,
        "tree_bytes": 9000,
        "counted_bytes": 3000,
    }
    assert "| x | 2 | 500 | 1.50 | 9.00 | 0.50 |" in table([row])
