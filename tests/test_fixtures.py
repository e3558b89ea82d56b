"""The fixture format: the demo loads, every bad file is named precisely, state round-trips."""

from __future__ import annotations

import json
import textwrap
from dataclasses import FrozenInstanceError, asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.contract.fixture_format import FixtureDocument
from mock_server.contract.models import DeploymentPayload
from mock_server.contract.spec import demo_fixture_path
from mock_server.contract.strict_json import MAX_JSON_DEPTH
from mock_server.state import fixtures
from mock_server.state.fixtures import (
    FixtureError,
    build_store,
    dump_yaml,
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
    staging = mine.live["mlflow-deployment-staging"].to_api()
    assert staging["registry_connector_class"] == MLFLOW_PAYLOAD["registry_connector_class"]
    assert staging["server_proxy_class"] == MLFLOW_PAYLOAD["server_proxy_class"]
    databricks = mine.live["databricks-deployment-staging"].to_api()
    assert set(databricks["registry_connector_init"]) == set(
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
        ["deployments[0]", "'k'", "colour", "is not a field of FixtureDeployment"],
    ),
    "init not an object": (
        document(deployments=[deployment("k", registry_connector_init="1")]),
        ["deployments[0]", "registry_connector_init", "must be an object"],
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
        ["deployments[0]", "server_proxy_init", "key 1 is not a JSON string"],
    ),
    "init holds infinity": (
        document(deployments=[deployment("k", registry_connector_init={"x": float("-inf")})]),
        ["deployments[0]", "registry_connector_init", "x: NaN and infinity"],
    ),
    "init holds a set": (
        document(deployments=[deployment("k", server_proxy_init={"tags": {"a", "b"}})]),
        ["deployments[0]", "server_proxy_init", "tags: set values are not JSON"],
    ),
    "init holds a date deep inside": (
        document(deployments=[deployment("k", server_proxy_init={"a": [{"b": date(2020, 1, 1)}]})]),
        ["server_proxy_init", "a[0].b: date values are not JSON"],
    ),
    "init holds a key with a lone surrogate": (
        document(deployments=[deployment("k", server_proxy_init={"\udfff": 1})]),
        ["deployments[0]", "server_proxy_init", "is not a JSON string"],
    ),
    "init holds a lone surrogate": (
        document(deployments=[deployment("k", server_proxy_init={"x": "\ud800"})]),
        ["deployments[0]", "server_proxy_init", "surrogate"],
    ),
    "init nested too deep": (
        document(deployments=[deployment("k", server_proxy_init=deep_value(MAX_JSON_DEPTH))]),
        ["deployments[0]", "server_proxy_init", f"more than {MAX_JSON_DEPTH} levels"],
    ),
    "workspace of a deployment not a string": (
        document(deployments=[deployment("k", workspace=1)]),
        ["deployments[0] (deployment_key 'k').workspace", "must be a string"],
    ),
    "deployment not a mapping": (
        document(deployments=["k"]),
        ["deployments[0]", "must be an object"],
    ),
    "deployments not a list": (document(deployments="k"), ["deployments", "must be a list"]),
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
    "workspace name not a string": (
        document(workspaces=[{"name": "ws"}, {"name": 7}]),
        ["workspaces[1].name", "must be a string"],
    ),
    "unknown field of a workspace": (
        document(workspaces=[{"name": "ws", "colour": "red"}]),
        ["workspaces[0] (name 'ws').colour", "is not a field of FixtureWorkspace"],
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
    "unknown field of a token": (
        document(tokens=[{"token": "tok", "workspace": "ws", "scope": "all"}]),
        ["tokens[0] (workspace 'ws').scope", "is not a field of FixtureToken"],
    ),
    "token not a string": (
        document(tokens=[{"token": 12345, "workspace": "ws"}]),
        ["tokens[0] (workspace 'ws').token", "must be a string"],
    ),
    "naive expiry": (
        document(tokens=[{"token": "tok", "workspace": "ws", "expires_at": "2030-01-01T00:00:00"}]),
        ["tokens[0]", "expires_at", "timezone"],
    ),
    "expiry not a date": (
        document(tokens=[{"token": "tok", "workspace": "ws", "expires_at": "soon"}]),
        ["tokens[0]", "expires_at", "must be a date and time"],
    ),
    "expiry on a day that does not exist": (
        document(tokens=[{"token": "tok", "workspace": "ws", "expires_at": "2030-02-30T00:00Z"}]),
        ["tokens[0]", "expires_at", "must be a date and time"],
    ),
}


@pytest.mark.parametrize(("data", "fragments"), BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_bad_document_names_file_entry_and_problem(data: Any, fragments: list[str]) -> None:
    message = fixture_error(data)
    assert message.startswith(f"{SOURCE}: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert "Traceback" not in message
    for pydantic_wording in ("Value error", "Input should", "Extra inputs", "Field required"):
        assert pydantic_wording not in message


def test_every_problem_is_listed_one_per_line() -> None:
    message = fixture_error(
        document(deployments=[deployment("bad key"), deployment("k", server_proxy_class="X")])
    )
    lines = message.splitlines()
    assert len(lines) == 2, message
    assert all(line.startswith(f"{SOURCE}: deployments[") for line in lines)


def test_field_errors_and_cross_references_are_reported_in_one_run() -> None:
    """Fixing a file takes one round: nothing waits until the field errors are gone."""
    with pytest.raises(FixtureError) as caught:
        parse_document(
            {
                "workspaces": [{"name": "ws"}, {"name": "ws"}],
                "tokens": [{"token": "bad token", "workspace": "ghost"}],
                "deployments": [
                    deployment("k", registry_connector_class="NoDots"),
                    deployment("k", workspace="elsewhere", deleted="no"),
                    deployment("k"),
                ],
            },
            source=SOURCE,
        )
    assert [(p.field, p.type) for p in caught.value.problems] == [
        ("workspaces[1] (name 'ws')", "duplicate_workspace"),
        ("tokens[0] (workspace 'ghost').token", "bearer_token"),
        ("tokens[0] (workspace 'ghost')", "undeclared_workspace"),
        ("deployments[0] (deployment_key 'k').registry_connector_class", "string_pattern_mismatch"),
        ("deployments[1] (deployment_key 'k').deleted", "bool_type"),
        ("deployments[1] (deployment_key 'k')", "undeclared_workspace"),
        ("deployments[2] (deployment_key 'k')", "duplicate_key"),
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == 7
    assert lines[0] == f"{SOURCE}: workspaces[1] (name 'ws'): declared twice"
    assert "bad token" not in str(caught.value)  # a token is a secret, even a broken one


def test_a_tuple_where_a_list_belongs_is_accepted() -> None:
    """Python callers (the pytest plugin's mappings) may build sections as tuples."""
    seed = parse_document(
        {"workspaces": ({"name": "ws"},), "tokens": ({"token": "t", "workspace": "ws"},)},
        source=SOURCE,
    )
    assert [grant.token for grant in seed.tokens] == ["t"]


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n"], ids=["0 bytes", "newline", "blanks"])
def test_an_empty_fixture_file_is_refused(tmp_path: Path, text: str) -> None:
    """As an empty state file is: an empty file is a mistake (a truncated copy, a wrong
    path), not a seed of nothing; a document that says so (`workspaces: []`) is one."""
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError, match=r"team\.yaml: the fixture file is empty"):
        load_fixture_file(path)
    path.write_text("# no workspaces yet\nworkspaces: []\n", encoding="utf-8")
    assert load_fixture_file(path) == FixtureDocument()


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


def test_fixture_deployments_are_frozen() -> None:
    """Stored records share them with the seed, so nothing may change them."""
    first, _ = parsed(document()).deployments
    with pytest.raises(FrozenInstanceError):
        setattr(first, "deployment_key", "changed")  # noqa: B010 (frozen: must raise)


def test_extra_tokens_leave_the_original_document_alone() -> None:
    original = parsed(document())
    before = asdict(original)
    result = with_extra_tokens(original, [("new", "other"), ("tok", "other")])
    assert asdict(original) == before
    assert [t.token for t in result.tokens] == ["new", "tok"]
    assert [w.name for w in result.workspaces] == ["ws", "other"]
    assert result.deployments == original.deployments


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
    store.create("ws", DeploymentPayload(**DATABRICKS_PAYLOAD))
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


# -- memory: what a seed shares instead of copying ----------------------------------------


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
    (deployment,) = parse_document(parse_yaml(text, source="a.yaml"), source="a.yaml").deployments
    assert deployment.registry_connector_init is deployment.server_proxy_init
    # Shared in memory, but written out in full: PUT /_mock/state and state files refuse aliases.
    store = build_store(parse_document(parse_yaml(text, source="a.yaml"), source="a.yaml"))
    text = dump_yaml(export_document(store))
    assert "&id" not in text and "*id" not in text
    assert text.count("uri: http://x") == 2


def test_repeated_texts_are_kept_once() -> None:
    """A parser gives every deployment its own copy of each URL and class path: one is kept."""
    data = json.loads(json.dumps(document(deployments=[deployment("a"), deployment("b")])))
    first, second = parse_document(data, source=SOURCE).deployments
    assert first.registry_connector_class is second.registry_connector_class
    assert first.workspace is second.workspace
    for name, value in first.registry_connector_init.items():
        assert second.registry_connector_init[name] is value


def test_stored_records_answer_the_seed_deployment_as_canonical_json() -> None:
    store = build_store(parse_document(document(), source=SOURCE))
    live = store.get("ws", "dep-1")
    sent = {key: value for key, value in deployment("dep-1").items() if key != "deleted"}
    assert live.to_api() == sent
    assert list(live.to_api())[:2] == ["deployment_key", "workspace"]
    assert live.api_json() == json.dumps(
        live.to_api(), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    assert store.workspaces["ws"].retired["dep-2"].deleted
