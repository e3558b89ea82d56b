"""The quick fixture check accepts only what the pydantic schema accepts, and builds the same.

Start-up validates seeds with `fixture_check.quick_document` (plain Python) and leaves the
rest to `fixture_schema.validate_document` (pydantic, which words the problems). If the
quick check ever said yes where the schema says no, a bad seed would be served; so every
generated document, good or broken in one or more places, is given to both.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.contract.spec import demo_fixture_path
from mock_server.state.fixture_check import quick_document
from mock_server.state.fixture_schema import validate_document
from mock_server.state.fixture_types import FixtureDocument, FixtureError
from mock_server.state.fixtures import build_store, dump_yaml, export_document, parse_yaml
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"n": value}
    return value


# Values that sit on either side of some rule: types, patterns, printable text, JSON-ness.
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.5,
    "",
    " ",
    "ws",
    "ws2",
    "a\tb",
    "ws\n",
    "\ud800",
    "x",
    "a.b",
    "pkg.Class",
    "pkg.",
    "1pkg.Class",
    "bad key",
    "k" * 128,
    "k" * 129,
    "key\n",
    "tok",
    "tok==",
    "tok en",
    "t!k",
    [],
    ["a"],
    ("a",),
    {},
    {"k": "v"},
    {"k": float("nan")},
    {"k": float("inf")},
    {"k": date(2020, 1, 1)},
    {"k": {1, 2}},
    {1: "int key"},
    {"\ud800": "surrogate key"},
    {"k": "\udfff"},
    nested(63),
    nested(64),
    nested(65),
    datetime(2030, 1, 1, tzinfo=UTC),
    datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=2))),
    datetime(2030, 1, 1),
    date(2030, 1, 1),
    "2030-01-01T00:00:00+00:00",
    "2030-01-01T00:00:00.123456+00:00",
    "2030-01-01T00:00:00Z",
    "2030-01-01T00:00:00+02:00",
    "2030-01-01T00:00:00",
    "2030-01-01",
    "2030-13-01T00:00:00+00:00",
    "2030-02-30T00:00:00+00:00",
]


def good_document() -> dict[str, Any]:
    return {
        "workspaces": [{"name": "ws"}, {"name": "ws2", "disabled": True}],
        "tokens": [
            {"token": "tok", "workspace": "ws"},
            {"token": "tok2=", "workspace": "ws2", "expires_at": None},
            {"token": "tok3", "workspace": "ws", "expires_at": "2030-01-01T00:00:00+00:00"},
        ],
        "deployments": [
            {"workspace": "ws", **MLFLOW_PAYLOAD},
            {"workspace": "ws2", **DATABRICKS_PAYLOAD, "deleted": True},
            {"workspace": "ws", **MLFLOW_PAYLOAD, "deployment_key": "other", "deleted": False},
        ],
    }


FIELDS = {
    "workspaces": ["name", "disabled"],
    "tokens": ["token", "workspace", "expires_at"],
    "deployments": [
        "workspace",
        "deployment_key",
        "registry_connector_class",
        "registry_connector_init",
        "server_proxy_class",
        "server_proxy_init",
        "deleted",
    ],
}


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """A good document with up to four things changed: a value, a field, an entry or a list."""
    document: Any = good_document()
    for _ in range(draw(st.integers(0, 4))):
        section = draw(st.sampled_from(sorted(FIELDS)))
        entries = document.get(section)
        how = draw(st.sampled_from(["value", "value", "value", "drop", "extra", "entry", "list"]))
        if how == "list":
            document[section] = draw(st.sampled_from([None, (), "x", {}, [None]]))
        elif how == "extra" and draw(st.booleans()):
            document[draw(st.sampled_from(["other", 1]))] = []
        elif isinstance(entries, list) and entries:
            index = draw(st.integers(0, len(entries) - 1))
            if how == "entry":
                entries[index] = draw(st.sampled_from(ODD_VALUES))
                continue
            entry = entries[index]
            if not isinstance(entry, dict):
                continue
            entry = entries[index] = dict(entry)
            name = draw(st.sampled_from(FIELDS[section]))
            if how == "value":
                entry[name] = draw(st.sampled_from(ODD_VALUES))
            elif how == "drop":
                entry.pop(name, None)
            else:
                entry["unexpected"] = 1
    return document


def schema_verdict(data: Any) -> FixtureDocument | None:
    try:
        return validate_document(data, source="generated")
    except FixtureError:
        return None


@pytest.mark.slow  # many generated documents
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_the_quick_check_accepts_nothing_the_schema_refuses(data: Any) -> None:
    quick = quick_document(data)
    if quick is not None:
        assert schema_verdict(data) == quick


def test_ordinary_documents_take_the_quick_path() -> None:
    document = good_document()
    quick = quick_document(document)
    assert quick is not None
    assert quick == schema_verdict(document)
    assert quick.tokens[2].expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    demo = parse_yaml(demo_fixture_path().read_text(encoding="utf-8"), source="demo")
    assert quick_document(demo) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"tokens": [{"token": "t", "workspace": "ws", "expires_at": "2030-01-01T00:00:00Z"}]},
        {"tokens": ({"token": "t", "workspace": "ws"},)},
    ],
    ids=["expiry in another format", "a tuple"],
)
def test_unusual_but_valid_documents_are_left_to_the_schema(change: dict[str, Any]) -> None:
    document = {**good_document(), **change}
    assert quick_document(document) is None
    assert schema_verdict(document) is not None


def test_yaml_anchors_are_read_and_shared_not_copied() -> None:
    text = textwrap.dedent(
        """
        workspaces: [{name: ws}]
        deployments:
          - workspace: ws
            deployment_key: a
            registry_connector_class: pkg.Registry
            registry_connector_init: &init {uri: "http://x"}
            server_proxy_class: pkg.Server
            server_proxy_init: *init
        """
    )
    document = quick_document(parse_yaml(text, source="anchors.yaml"))
    assert document is not None
    (deployment,) = document.deployments
    assert deployment.registry_connector_init is deployment.server_proxy_init
    # Shared in memory, but written out in full: PUT /_mock/state and state files refuse aliases.
    text = dump_yaml(export_document(build_store(document)))
    assert "&id" not in text and "*id" not in text
    assert text.count("uri: http://x") == 2


def test_repeated_init_texts_are_stored_once() -> None:
    """A parser gives every deployment its own copy of each URL: the seed keeps one."""
    text = json.dumps(good_document())
    document = quick_document(json.loads(text))
    assert document is not None
    first, _, third = document.deployments
    assert first.registry_connector_init == third.registry_connector_init
    for name, value in first.registry_connector_init.items():
        assert third.registry_connector_init[name] is value
