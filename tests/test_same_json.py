"""The contract suite's round-trip comparison: JSON types exact where Python's == is not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support.same_json import json_difference

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.slow  # many generated values
@given(JSON_VALUES)
def test_a_value_is_the_same_json_after_any_reencoding(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=True, indent=1)
    assert json_difference(value, json.loads(text), "init") is None


@pytest.mark.parametrize(
    ("sent", "got", "difference"),
    [
        (True, 1, "at init: sent true, got 1"),
        (False, 0, "at init: sent false, got 0"),
        (1, True, "at init: sent 1, got true"),
        (1.0, True, "at init: sent 1.0, got true"),
        (3, 3.0, "at init: sent 3, got 3.0"),
        (
            9007199254740993,
            9007199254740992,
            "at init: sent 9007199254740993, got 9007199254740992",
        ),
        (2.5, 2, "at init: sent 2.5, got 2"),
        ("1", 1, 'at init: sent "1", got 1'),
        (None, {}, "at init: sent null, got {}"),
        ({}, [], "at init: sent {}, got []"),
        ({"a": None}, {}, 'at init: the member "a" is missing'),
        ({}, {"timeout": 30}, 'at init: the member "timeout" was added'),
        ([1, 2], [2, 1], "at init[0]: sent 1, got 2"),
        ([[]], [[], []], "at init: sent 1 items, got 2"),
        ({"x": {"": [True]}}, {"x": {"": [1]}}, 'at init.x[""][0]: sent true, got 1'),
        ("Grüße", "Gru\u0308ße", 'at init: sent "Grüße", got "Gru\u0308ße"'),  # NFD
    ],
)
def test_differences_are_found_and_located(sent: Any, got: Any, difference: str) -> None:
    assert json_difference(sent, got, "init") == difference


@pytest.mark.parametrize(
    ("sent", "got"),
    [
        (1.0, 1),  # Go and JavaScript write 1.0 as 1
        (100.0, 100),  # PostgreSQL's jsonb writes 1e2 as 100
        (-0.0, 0),
        ({"a": 1, "b": [True, None]}, {"b": [True, None], "a": 1}),  # member order is free
    ],
)
def test_respelled_numbers_and_member_order_are_the_same_json(sent: Any, got: Any) -> None:
    assert json_difference(sent, got, "init") is None
