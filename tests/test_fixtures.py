"""The fixture format: the demo loads, every bad file is named precisely, state round-trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.contract.rules import MAX_JSON_DEPTH
from mock_server.contract.spec import demo_fixture_path
from mock_server.state import fixtures
from mock_server.state.fixture_types import FixtureDocument, FixtureError
from mock_server.state.fixtures import (
    build_store,
    export_document,
    load_fixture_file,
    merge_documents,
    parse_document,
    parse_yaml,
    with_extra_tokens,
)
from mock_server.state.store import TokenGrant
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD

SOURCE = "team.yaml"


def deployment(key: str = "dep-1", **changes: Any) -> dict[str, Any]:
    return {"workspace": "ws", **MLFLOW_PAYLOAD, "deployment_key": key, **changes}


def document(**changes: Any) -> dict[str, Any]:
    """A valid fixture document with one workspace, one token, two deployments."""
    base: dict[str, Any] = {
        "workspaces": [{"name": "ws"}],
        "tokens": [{"token": "tok", "workspace": "ws"}],
        "deployments": [deployment("dep-1"), deployment("dep-2", deleted=True)],
    }
    return {**base, **changes}


def deep_value(levels: int) -> dict[str, Any]:
    """An init value that nests `levels` containers below the deployment (as in a body)."""
    value: Any = []
    for _ in range(levels - 2):
        value = [value]
    return {"deep": value}


def test_init_may_nest_as_deep_as_a_request_body() -> None:
    seed = parse_document(
        document(deployments=[deployment("k", server_proxy_init=deep_value(MAX_JSON_DEPTH - 1))]),
        source=SOURCE,
    )
    assert seed.deployments[0].server_proxy_init == deep_value(MAX_JSON_DEPTH - 1)


def fixture_error(data: Any) -> str:
    with pytest.raises(FixtureError) as caught:
        parse_document(data, source=SOURCE)
    return str(caught.value)


# -- valid documents ----------------------------------------------------------------------


def test_demo_fixture_loads_as_documented() -> None:
    seed = load_fixture_file(demo_fixture_path())
    store = build_store(seed)
    assert list(store.workspaces) == ["my-workspace", "other-workspace"]
    assert {t: g.workspace for t, g in store.tokens.items()} == {
        "dev-token": "my-workspace",
        "other-token": "other-workspace",
    }
    mine = store.workspaces["my-workspace"]
    assert list(mine.live) == ["mlflow-deployment-staging", "databricks-deployment-staging"]
    assert list(mine.retired) == ["mlflow-deployment-legacy"]
    assert list(store.workspaces["other-workspace"].live) == ["mlflow-deployment-production"]
    staging = mine.live["mlflow-deployment-staging"]
    assert staging.registry_connector_class == MLFLOW_PAYLOAD["registry_connector_class"]
    assert staging.server_proxy_class == MLFLOW_PAYLOAD["server_proxy_class"]
    databricks = mine.live["databricks-deployment-staging"]
    assert set(databricks.registry_connector_init) == set(
        DATABRICKS_PAYLOAD["registry_connector_init"]
    )


def test_empty_document_is_an_empty_seed() -> None:
    assert parse_document(None, source=SOURCE) == FixtureDocument()
    assert parse_document({}, source=SOURCE) == FixtureDocument()


def test_json_fixture_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(document()), encoding="utf-8")
    seed = load_fixture_file(path)
    assert [d.deployment_key for d in seed.deployments] == ["dep-1", "dep-2"]


def test_expiry_and_disabled_reach_the_store() -> None:
    seed = parse_document(
        document(
            workspaces=[{"name": "ws", "disabled": True}],
            tokens=[{"token": "tok", "workspace": "ws", "expires_at": "2030-01-01T01:00:00+01:00"}],
        ),
        source=SOURCE,
    )
    store = build_store(seed)
    assert store.workspaces["ws"].disabled
    grant = store.grant_for("tok")
    assert grant == TokenGrant("tok", "ws", datetime(2030, 1, 1, tzinfo=UTC))


# -- bad documents: each names file, entry and problem ------------------------------------

BAD_DOCUMENTS: dict[str, tuple[Any, list[str]]] = {
    # name: (document, fragments the message must hold besides the file name)
    "not a mapping": (["a"], ["must be a mapping"]),
    "unknown top-level key": (document(extra=[]), ["extra"]),
    "bad key pattern": (
        document(deployments=[deployment("bad key")]),
        ["deployments[0]", "'bad key'", "deployment_key", "pattern"],
    ),
    "key too long": (
        document(deployments=[deployment("a" * 129)]),
        ["deployments[0]", "deployment_key"],
    ),
    "class not dotted": (
        document(deployments=[deployment("k", server_proxy_class="Proxy")]),
        ["deployments[0]", "'k'", "server_proxy_class", "pattern"],
    ),
    "missing field": (
        document(
            deployments=[{k: v for k, v in deployment("k").items() if k != "server_proxy_init"}]
        ),
        ["deployments[0]", "'k'", "server_proxy_init", "required"],
    ),
    "extra field": (
        document(deployments=[deployment("k", colour="red")]),
        ["deployments[0]", "'k'", "colour", "not permitted"],
    ),
    "init not an object": (
        document(deployments=[deployment("k", registry_connector_init="1")]),
        ["deployments[0]", "registry_connector_init", "dictionary"],
    ),
    "init holds a date": (
        document(deployments=[deployment("k", server_proxy_init={"since": datetime(2020, 1, 1)})]),
        ["deployments[0]", "server_proxy_init", "since", "quote"],
    ),
    "init holds nan": (
        document(deployments=[deployment("k", server_proxy_init={"x": [float("nan")]})]),
        ["deployments[0]", "server_proxy_init", "x[0]", "NaN"],
    ),
    "init holds a non-string key": (
        document(deployments=[deployment("k", server_proxy_init={1: "a"})]),
        ["deployments[0]", "server_proxy_init", "valid string"],
    ),
    "init holds a lone surrogate": (
        document(deployments=[deployment("k", server_proxy_init={"x": "\ud800"})]),
        ["deployments[0]", "server_proxy_init", "surrogate"],
    ),
    "init nested too deep": (
        document(deployments=[deployment("k", server_proxy_init=deep_value(MAX_JSON_DEPTH))]),
        ["deployments[0]", "server_proxy_init", f"more than {MAX_JSON_DEPTH} levels"],
    ),
    "deleted not a bool": (
        document(deployments=[deployment("k", deleted="yes")]),
        ["deployments[0]", "deleted", "boolean"],
    ),
    "undeclared workspace of a deployment": (
        document(deployments=[deployment("k", workspace="ghost")]),
        ["deployments[0]", "'k'", "'ghost'", "not declared"],
    ),
    "key used twice": (
        document(deployments=[deployment("k"), deployment("k", deleted=True)]),
        ["deployments[1]", "'k'", "used twice"],
    ),
    "workspace declared twice": (
        document(workspaces=[{"name": "ws"}, {"name": "ws", "disabled": True}]),
        ["workspaces[1]", "'ws'", "declared twice"],
    ),
    "blank workspace name": (
        document(workspaces=[{"name": "ws"}, {"name": "  "}]),
        ["workspaces[1]", "name", "empty"],
    ),
    "workspace name with a lone surrogate": (
        document(workspaces=[{"name": "ws"}, {"name": "w\ud800"}]),
        ["workspaces[1]", "name", "printable"],
    ),
    "workspace name with a control character": (
        document(workspaces=[{"name": "ws"}, {"name": "w\x1b[31m"}]),
        ["workspaces[1]", "name", "printable"],
    ),
    "disabled not a bool": (
        document(workspaces=[{"name": "ws", "disabled": "no"}]),
        ["workspaces[0]", "disabled", "boolean"],
    ),
    "token declared twice": (
        document(tokens=[{"token": "tok", "workspace": "ws"}, {"token": "tok", "workspace": "ws"}]),
        ["tokens[1]", "declared twice"],
    ),
    "token with a space": (
        document(tokens=[{"token": "my tok", "workspace": "ws"}]),
        ["tokens[0]", "token", "bearer token", "RFC 6750"],
    ),
    "token a bearer header cannot carry": (
        document(tokens=[{"token": "abc!123", "workspace": "ws"}]),
        ["tokens[0]", "token", "bearer token"],
    ),
    "token with padding in the middle": (
        document(tokens=[{"token": "ab=cd", "workspace": "ws"}]),
        ["tokens[0]", "token", "bearer token"],
    ),
    "empty token": (
        document(tokens=[{"token": "", "workspace": "ws"}]),
        ["tokens[0]", "token"],
    ),
    "token of an undeclared workspace": (
        document(tokens=[{"token": "tok", "workspace": "ghost"}]),
        ["tokens[0]", "'ghost'", "not declared"],
    ),
    "naive expiry": (
        document(tokens=[{"token": "tok", "workspace": "ws", "expires_at": "2030-01-01T00:00:00"}]),
        ["tokens[0]", "expires_at", "timezone"],
    ),
    "expiry not a date": (
        document(tokens=[{"token": "tok", "workspace": "ws", "expires_at": "soon"}]),
        ["tokens[0]", "expires_at"],
    ),
}


@pytest.mark.parametrize(("data", "fragments"), BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_bad_document_names_file_entry_and_problem(data: Any, fragments: list[str]) -> None:
    message = fixture_error(data)
    assert message.startswith(f"{SOURCE}: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert "Traceback" not in message


def test_every_problem_is_listed_one_per_line() -> None:
    message = fixture_error(
        document(deployments=[deployment("bad key"), deployment("k", server_proxy_class="X")])
    )
    lines = message.splitlines()
    assert len(lines) == 2, message
    assert all(line.startswith(f"{SOURCE}: deployments[") for line in lines)


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("workspaces:\n  - name: ws\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(
        FixtureError, match=r"broken\.yaml: not valid YAML \(line \d+, column \d+\)"
    ):
        load_fixture_file(path)


@pytest.mark.slow  # parses a very deep document
def test_yaml_too_deep_to_read_is_a_fixture_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("workspaces: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"deep\.yaml: the YAML is nested too deeply"):
        load_fixture_file(path)


def test_missing_file_is_a_fixture_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"nope\.yaml: cannot read the file"):
        load_fixture_file(tmp_path / "nope.yaml")


def test_directory_is_a_fixture_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read the file"):
        load_fixture_file(tmp_path)


def test_non_utf8_file_is_a_fixture_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("workspaces: [{name: caf\u00e9}]".encode("latin-1"))
    with pytest.raises(FixtureError, match=r"latin\.yaml: the file is not UTF-8"):
        load_fixture_file(path)


def test_yaml_tags_are_refused(tmp_path: Path) -> None:
    """safe_load only: a fixture can never run code."""
    path = tmp_path / "evil.yaml"
    path.write_text("workspaces: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"evil\.yaml: not valid YAML"):
        load_fixture_file(path)


def test_yaml_dates_in_init_must_be_quoted(tmp_path: Path) -> None:
    data = document(deployments=[deployment("k", server_proxy_init={"since": "DATE"})])
    path = tmp_path / "dated.yaml"
    path.write_text(yaml.safe_dump(data).replace("DATE", "2024-01-01"), encoding="utf-8")
    with pytest.raises(FixtureError, match="quote it in YAML"):
        load_fixture_file(path)
    path.write_text(yaml.safe_dump(data).replace("DATE", "'2024-01-01'"), encoding="utf-8")
    assert load_fixture_file(path).deployments[0].server_proxy_init == {"since": "2024-01-01"}


# -- merging and --token ------------------------------------------------------------------


def parsed(data: dict[str, Any], source: str = SOURCE) -> FixtureDocument:
    return parse_document(data, source=source)


def test_merge_keeps_file_order_and_shared_workspaces() -> None:
    first = parsed(document(deployments=[deployment("a")]), "one.yaml")
    second = parsed(
        {
            "workspaces": [{"name": "ws"}, {"name": "ws2"}],
            "tokens": [{"token": "tok2", "workspace": "ws2"}],
            "deployments": [deployment("b"), deployment("c", workspace="ws2")],
        },
        "two.yaml",
    )
    merged = merge_documents([("one.yaml", first), ("two.yaml", second)])
    assert [w.name for w in merged.workspaces] == ["ws", "ws2"]
    assert [t.token for t in merged.tokens] == ["tok", "tok2"]
    assert [d.deployment_key for d in merged.deployments] == ["a", "b", "c"]
    assert list(build_store(merged).workspaces["ws"].live) == ["a", "b"]


@pytest.mark.parametrize(
    ("second", "fragments"),
    [
        (
            {"workspaces": [{"name": "ws", "disabled": True}]},
            ["two.yaml", "'ws'", "declared differently", "one.yaml"],
        ),
        (
            {"workspaces": [{"name": "ws"}], "tokens": [{"token": "tok", "workspace": "ws"}]},
            ["two.yaml", "clashes", "declared twice"],
        ),
        (
            {"workspaces": [{"name": "ws"}], "deployments": [deployment("dep-1")]},
            ["two.yaml", "clashes", "'dep-1'", "used twice"],
        ),
    ],
    ids=["workspace declared differently", "token in both", "key in both"],
)
def test_merge_clash_names_the_files(second: dict[str, Any], fragments: list[str]) -> None:
    first = parsed(document(), "one.yaml")
    with pytest.raises(FixtureError) as caught:
        merge_documents([("one.yaml", first), ("two.yaml", parsed(second, "two.yaml"))])
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)


def test_with_extra_tokens_adds_grants_and_workspaces() -> None:
    original = parsed(document())
    result = with_extra_tokens(original, [("t1", "ws1"), ("t2", "ws"), ("tok", "ws1")])
    assert [w.name for w in result.workspaces] == ["ws", "ws1"]
    assert {t.token: t.workspace for t in result.tokens} == {"t1": "ws1", "t2": "ws", "tok": "ws1"}
    # The input document is untouched.
    assert [t.token for t in original.tokens] == ["tok"]
    assert [w.name for w in original.workspaces] == ["ws"]
    store = build_store(result)
    grant = store.grant_for("tok")
    assert grant is not None and grant.workspace == "ws1"


def test_with_extra_tokens_later_wins() -> None:
    result = with_extra_tokens(FixtureDocument(), [("t", "a"), ("t", "b")])
    assert [(t.token, t.workspace) for t in result.tokens] == [("t", "b")]
    assert [w.name for w in result.workspaces] == ["a", "b"]


# -- export round trip --------------------------------------------------------------------


def test_export_then_parse_round_trips_the_state_exactly() -> None:
    seed = parsed(
        {
            "workspaces": [{"name": "ws"}, {"name": "off", "disabled": True}],
            "tokens": [
                {"token": "tok", "workspace": "ws"},
                {"token": "old", "workspace": "ws", "expires_at": "2020-06-01T12:00:00+02:00"},
                {"token": "offtok", "workspace": "off"},
            ],
            "deployments": [
                deployment("dep-1"),
                deployment("dep-2", deleted=True),
                deployment("dep-3", registry_connector_init={"n": [1, 2.5, None, {"x": "é"}]}),
                deployment("dep-1", workspace="off"),
            ],
        }
    )
    store = build_store(seed)
    store.create("ws", {**DATABRICKS_PAYLOAD})
    store.delete("ws", "dep-1")
    exported = export_document(store)
    # Plain data: survives JSON and YAML unchanged.
    assert json.loads(json.dumps(exported)) == exported
    assert yaml.safe_load(yaml.safe_dump(exported)) == exported
    again = build_store(parse_document(json.loads(json.dumps(exported)), source="export"))
    assert export_document(again) == exported
    assert [r.to_api() for r in again.list("ws")] == [r.to_api() for r in store.list("ws")]
    assert list(again.workspaces["ws"].retired) == ["dep-2", "dep-1"]
    assert again.workspaces["off"].disabled
    old = again.grant_for("old")
    assert old is not None and old.expires_at == datetime(2020, 6, 1, 10, tzinfo=UTC)
    assert exported["tokens"][1]["expires_at"] == "2020-06-01T10:00:00+00:00"


def test_demo_round_trips_through_export() -> None:
    store = build_store(load_fixture_file(demo_fixture_path()))
    exported = export_document(store)
    assert export_document(build_store(parse_document(exported, source="x"))) == exported
    assert sum(1 for d in exported["deployments"] if d["deleted"]) == 1


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
def test_yaml_is_read_by_libyaml_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[bool] = []

    class CountingLoader(yaml.CSafeLoader):
        def __init__(self, stream: str) -> None:
            used.append(True)
            super().__init__(stream)

    monkeypatch.setattr(fixtures, "_FastLoader", CountingLoader)
    text = demo_fixture_path().read_text(encoding="utf-8")
    assert parse_yaml(text, source="demo.yaml") == yaml.safe_load(text)
    assert used
    with pytest.raises(FixtureError, match=r"bad\.yaml: not valid YAML \(line 2, column \d+\)"):
        parse_yaml("a: 1\n  b: [\n", source="bad.yaml")  # worded by the pure-Python parser
