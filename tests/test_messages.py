"""Every problem is worded by us: no input lets pydantic's own sentences through.

Broken create bodies, fixture documents and fault rules are generated; each problem they
produce must come from our table (`messages.SENTENCES`) or from one of our validators, never
from the fallback for a type the table lacks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import ErrorDetails

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.fault_rule import parse_fault_rule
from mock_server.contract.fixture_format import check_document
from mock_server.contract.messages import UNLISTED, FieldProblem, our_words
from mock_server.contract.models import PAYLOAD_FIELDS, DeploymentPayload
from mock_server.contract.validation import validate_payload
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD

PYDANTIC_WORDING = ("Input should", "Value error", "Field required", "Extra inputs", "String ")


def assert_our_words(problems: list[FieldProblem]) -> None:
    assert problems
    for problem in problems:
        assert not problem.message.startswith(UNLISTED.split("{")[0]), problem
        assert not any(words in problem.message for words in PYDANTIC_WORDING), problem
        assert problem.type and problem.message, problem


# Values that sit on either side of some rule: types, patterns, printable text, JSON-ness.
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    1.5,
    float("nan"),
    "",
    " ",
    "ws",
    "ws\n",
    "\ud800",
    "pkg.Class",
    "bad key",
    "k" * 129,
    "tok en",
    [],
    ("a",),
    {},
    {"k": float("inf")},
    {"k": date(2020, 1, 1)},
    {"k": {1, 2}},
    {1: "int key"},
    {"k": "\udfff"},
    datetime(2030, 1, 1, tzinfo=UTC),
    datetime(2030, 1, 1),
    date(2030, 1, 1),
    "2030-01-01T00:00:00",
    "2030-02-30T00:00:00+00:00",
    "soon",
]
FIELDS = {
    "workspaces": ["name", "disabled"],
    "tokens": ["token", "workspace", "expires_at"],
    "deployments": ["workspace", *PAYLOAD_FIELDS, "deleted"],
}


def good_document() -> dict[str, Any]:
    return {
        "workspaces": [{"name": "ws"}, {"name": "ws2", "disabled": True}],
        "tokens": [
            {"token": "tok", "workspace": "ws"},
            {"token": "tok2=", "workspace": "ws2", "expires_at": "2030-01-01T00:00:00Z"},
        ],
        "deployments": [
            {"workspace": "ws", **MLFLOW_PAYLOAD},
            {"workspace": "ws2", **DATABRICKS_PAYLOAD, "deleted": True},
        ],
    }


@st.composite
def broken_documents(draw: st.DrawFn) -> Any:
    """A good document with one to four things changed: a value, a field, an entry or a list."""
    document: Any = good_document()
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from(sorted(FIELDS)))
        entries = document.get(section)
        how = draw(st.sampled_from(["value", "value", "drop", "extra", "entry", "list"]))
        if how == "list":
            document[section] = draw(st.sampled_from([None, "x", {}, [None]]))
        elif how == "extra" and draw(st.booleans()):
            document["other"] = []
        elif isinstance(entries, list) and entries:
            index = draw(st.integers(0, len(entries) - 1))
            if how == "entry":
                entries[index] = draw(st.sampled_from(ODD_VALUES))
                continue
            if not isinstance(entries[index], dict):
                continue
            entry = entries[index] = dict(entries[index])
            name = draw(st.sampled_from(FIELDS[section]))
            if how == "value":
                entry[name] = draw(st.sampled_from(ODD_VALUES))
            elif how == "drop":
                entry.pop(name, None)
            else:
                entry["unexpected"] = 1
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_documents())
def test_every_problem_of_a_fixture_document_is_in_our_words(data: Any) -> None:
    document, problems = check_document(data)
    if document is None:
        assert_our_words(problems)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from([*PAYLOAD_FIELDS, "workspace", "extra"]), st.sampled_from(ODD_VALUES)
    ),
    dropped=st.sets(st.sampled_from(PAYLOAD_FIELDS), max_size=2),
)
def test_every_problem_of_a_create_body_is_in_our_words(
    changes: dict[str, Any], dropped: set[str]
) -> None:
    payload = {**MLFLOW_PAYLOAD, **changes}
    for name in dropped:
        payload.pop(name, None)
    try:
        validate_payload(payload)
    except ValidationFailed as exc:
        assert_our_words([FieldProblem(**error) for error in exc.extra["errors"]])


FAULT_FIELDS = ["method", "path", "status", "body", "delay_ms", "times", "probability", "seed"]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*FAULT_FIELDS, "workspace", "colour"]),
        st.one_of(st.sampled_from(ODD_VALUES), st.integers(-5, 700), st.floats(-1, 2)),
    )
)
def test_every_problem_of_a_fault_rule_is_in_our_words(rule: dict[str, Any]) -> None:
    try:
        parse_fault_rule(rule)
    except ValidationFailed as exc:
        assert_our_words([FieldProblem(**error) for error in exc.extra["errors"]])


@pytest.mark.parametrize("data", [[MLFLOW_PAYLOAD], "text", None])
def test_a_body_that_is_not_an_object_is_named_as_such(data: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_payload(data)
    assert caught.value.message == "The request body must be a JSON object (a DeploymentPayload)."
    assert caught.value.extra["errors"] == [
        {"field": "", "message": "must be an object (a mapping)", "type": "object_type"}
    ]


def test_an_extra_field_names_the_model_it_is_not_a_field_of() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_payload({**MLFLOW_PAYLOAD, "workspace": "ws"})
    assert caught.value.extra["errors"] == [
        {
            "field": "workspace",
            "message": "is not a field of DeploymentPayload",
            "type": "extra_forbidden",
        }
    ]


def test_a_type_the_table_lacks_is_still_reported_in_general_words() -> None:
    """The fallback the generated inputs above must never reach (so the check can fail)."""
    item: ErrorDetails = {
        "type": "multiple_of",
        "loc": ("x",),
        "msg": "Input should be",
        "input": 3,
    }
    message, kind = our_words(item, DeploymentPayload)
    assert (message, kind) == ("is not valid here (multiple_of)", "multiple_of")
