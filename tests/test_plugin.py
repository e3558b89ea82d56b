"""The `tango_mock` pytest plugin: registered by the pytest11 entry point, every helper backed
by the admin API, state reset between tests, and the README's example runs from outside the
repository with no setup but the installed package."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mock_server import MockSettings, create_app
from mock_server import pytest_plugin as plugin_module
from mock_server.http.server import BackgroundServer
from mock_server.pytest_plugin import (
    OTHER_WORKSPACE,
    TEST_WORKSPACE,
    TangoMock,
    TangoMockError,
    with_test_tokens,
)
from mock_server.state.fixtures import parse_document
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "test_with_tango_mock.py"
SUBPROCESS_TIMEOUT_SECONDS = 120
KEY = MLFLOW_PAYLOAD["deployment_key"]
# Inner pytest sessions (pytester) have no ini file of their own.
INNER_OPTIONS = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")


def api(mock: TangoMock, suffix: str = "") -> str:
    return f"{mock.url}/api/deployment{suffix}"


def create(mock: TangoMock, payload: dict[str, Any], token: str | None = None) -> int:
    response = requests.post(api(mock), json=payload, headers=mock.headers(token), timeout=5)
    return response.status_code


def list_status(mock: TangoMock, token: str) -> int:
    return requests.get(api(mock), headers=mock.headers(token), timeout=5).status_code


def keys(mock: TangoMock, token: str | None = None) -> list[str]:
    response = requests.get(api(mock), headers=mock.headers(token), timeout=5)
    assert response.status_code == 200, response.text
    return [deployment["deployment_key"] for deployment in response.json()]


def clean_env() -> dict[str, str]:
    """The environment for a child pytest: nothing pointing back into this repository."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    env.pop("PYTHONPATH", None)
    return env


# -- registration and the example, as a user gets them ---------------------------------------


def test_the_plugin_comes_from_the_pytest11_entry_point(pytestconfig: pytest.Config) -> None:
    entry_points = importlib.metadata.entry_points(group="pytest11")
    assert {(ep.name, ep.value) for ep in entry_points} >= {
        ("tango_mock", "mock_server.pytest_plugin")
    }
    assert pytestconfig.pluginmanager.get_plugin("tango_mock") is plugin_module


@pytest.mark.slow  # pytest subprocesses
def test_the_example_runs_from_a_directory_outside_the_repo(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    # Heavy plugins of this venv that a user's project would not have are left out.
    unrelated = ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *unrelated, "-q"]
    command.append(EXAMPLE.name)
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout, done.stdout
    assert not (tmp_path / "conftest.py").exists()

    # Control: without plugin auto-loading, the same file has no `tango_mock` fixture.
    control = subprocess.run(
        command,
        cwd=tmp_path,
        env={**clean_env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    assert control.returncode != 0
    assert "fixture 'tango_mock' not found" in control.stdout


def test_loading_the_plugin_does_not_import_the_server() -> None:
    """pytest imports the plugin in every session of every project: it must stay light."""
    code = (
        "import sys, mock_server.pytest_plugin\n"
        "print(sorted({'aiohttp', 'pydantic', 'yaml'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=True,
    )
    assert done.stdout.strip() == "[]"


# -- the fixture's lifecycle, seen from inner pytest sessions ---------------------------------

LIFECYCLE_TESTS = """
import requests

PAYLOAD = {payload!r}
SEEN_URLS = []


def test_dirty_everything(tango_mock):
    SEEN_URLS.append(tango_mock.url)
    url, auth = tango_mock.url + "/api/deployment", tango_mock.headers()
    assert requests.post(url, json=PAYLOAD, headers=auth).status_code == 201
    tango_mock.fault("/api/deployment", status=500)
    assert len(tango_mock.requests()) == 1


def test_starts_clean(tango_mock):
    SEEN_URLS.append(tango_mock.url)
    assert tango_mock.faults() == []
    assert tango_mock.requests() == []
    response = requests.get(tango_mock.url + "/api/deployment", headers=tango_mock.headers())
    assert response.status_code == 200
    assert response.json() == []


def test_one_server_per_session():
    assert len(SEEN_URLS) == 2 and SEEN_URLS[0] == SEEN_URLS[1]
"""


def test_state_journal_and_faults_are_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_lifecycle=LIFECYCLE_TESTS.format(payload=MLFLOW_PAYLOAD))
    result = pytester.runpytest_inprocess(*INNER_OPTIONS)
    result.assert_outcomes(passed=3)


SCENARIO_YAML = """
workspaces: [{{name: test-workspace}}, {{name: team}}]
tokens: [{{token: team-token, workspace: team}}]
deployments:
  - {{workspace: test-workspace, {payload}}}
"""


def readme_python_block(first_line: str) -> str:
    """The README's ```python block that starts with `first_line` (its examples are tested)."""
    readme = (REPO / "README.md").read_text()
    blocks: list[str] = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    found = [block for block in blocks if block.startswith(first_line)]
    assert len(found) == 1, f"README has {len(found)} python blocks starting {first_line!r}"
    return found[0]


OVERRIDE_TESTS = """
import requests


def listed(mock, token):
    response = requests.get(mock.url + "/api/deployment", headers=mock.headers(token))
    return [d["deployment_key"] for d in response.json()]


def test_seed_and_limits_come_from_the_overridden_settings(tango_mock):
    assert listed(tango_mock, tango_mock.token) == [{key!r}]
    assert listed(tango_mock, "team-token") == []
    assert listed(tango_mock, tango_mock.other_token) == []
    big = {{"deployment_key": "x" * 10, "padding": "y" * 4096}}
    url, auth = tango_mock.url + "/api/deployment", tango_mock.headers()
    response = requests.post(url, json=big, headers=auth)
    assert response.status_code == 413


def test_reset_goes_back_to_that_seed(tango_mock):
    requests.delete(tango_mock.url + "/api/deployment/{key}", headers=tango_mock.headers())
    tango_mock.reset()
    assert listed(tango_mock, tango_mock.token) == [{key!r}]
"""


def test_settings_come_from_an_overridable_fixture(pytester: pytest.Pytester) -> None:
    """The README's conftest.py, verbatim, seeding from a YAML file with a small body limit."""
    payload = json.dumps(MLFLOW_PAYLOAD)[1:-1]  # flow-style YAML is JSON's superset
    pytester.mkdir("tests")
    (pytester.path / "tests" / "tango.yaml").write_text(SCENARIO_YAML.format(payload=payload))
    pytester.makeconftest(readme_python_block("from pathlib import Path\n\nimport pytest\n"))
    pytester.makepyfile(test_override=OVERRIDE_TESTS.format(key=KEY))
    result = pytester.runpytest_inprocess(*INNER_OPTIONS)
    result.assert_outcomes(passed=2)


def test_a_mock_without_admin_api_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\nfrom mock_server import MockSettings\n\n"
        "@pytest.fixture(scope='session')\ndef tango_mock_settings():\n"
        "    return MockSettings(admin_enabled=False)\n"
    )
    pytester.makepyfile(test_no_admin="def test_it(tango_mock):\n    pass\n")
    result = pytester.runpytest_inprocess(*INNER_OPTIONS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*tango_mock needs the admin API*"])


# -- each helper, on this session's mock -------------------------------------------------------


def test_url_and_the_two_tokens(tango_mock: TangoMock) -> None:
    assert tango_mock.url.startswith("http://127.0.0.1:")
    assert create(tango_mock, MLFLOW_PAYLOAD) == 201
    assert create(tango_mock, DATABRICKS_PAYLOAD, tango_mock.other_token) == 201
    assert keys(tango_mock) == [KEY]
    assert keys(tango_mock, tango_mock.other_token) == [DATABRICKS_PAYLOAD["deployment_key"]]
    workspaces = {d["workspace"] for d in tango_mock.state()["deployments"]}
    assert workspaces == {TEST_WORKSPACE, OTHER_WORKSPACE}


def test_state_is_a_fixture_document_with_the_test_tokens(tango_mock: TangoMock) -> None:
    state = tango_mock.state()
    parse_document(state, source="state")  # loadable as a fixture again
    grants = {(grant["token"], grant["workspace"]) for grant in state["tokens"]}
    assert grants == {(tango_mock.token, TEST_WORKSPACE), (tango_mock.other_token, OTHER_WORKSPACE)}
    assert state["deployments"] == []


def test_reset_all_or_one_workspace(tango_mock: TangoMock) -> None:
    create(tango_mock, MLFLOW_PAYLOAD)
    create(tango_mock, MLFLOW_PAYLOAD, tango_mock.other_token)
    tango_mock.reset(workspace=OTHER_WORKSPACE)
    assert keys(tango_mock) == [KEY]
    assert keys(tango_mock, tango_mock.other_token) == []
    tango_mock.reset()
    assert keys(tango_mock) == []
    with pytest.raises(TangoMockError) as refused:
        tango_mock.reset(workspace="no-such-workspace")
    assert refused.value.status == 404


def scenario(deleted: bool = False) -> dict[str, Any]:
    return {
        "workspaces": [{"name": "team"}],
        "tokens": [{"token": "team-token", "workspace": "team"}],
        "deployments": [{"workspace": "team", **MLFLOW_PAYLOAD, "deleted": deleted}],
    }


def test_load_a_mapping_keeps_the_test_tokens(tango_mock: TangoMock) -> None:
    answer = tango_mock.load(scenario())
    assert answer["message_code"] == "ok"
    assert keys(tango_mock, "team-token") == [KEY]
    assert keys(tango_mock) == []  # test-workspace was added, empty
    assert keys(tango_mock, tango_mock.other_token) == []
    names = [space["name"] for space in tango_mock.state()["workspaces"]]
    assert names == ["team", TEST_WORKSPACE, OTHER_WORKSPACE]
    tango_mock.reset()
    assert list_status(tango_mock, "team-token") == 401  # back to the seed: the token is gone


def test_load_a_path_or_yaml_text(tango_mock: TangoMock, tmp_path: Path) -> None:
    fixture_file = tmp_path / "scenario.yaml"
    yaml_text = (
        "workspaces: [{name: team}]\n"
        "tokens: [{token: team-token, workspace: team, expires_at: 2099-01-01T00:00:00Z}]\n"
    )
    fixture_file.write_text(yaml_text)
    for fixture in (fixture_file, str(fixture_file), yaml_text):
        tango_mock.reset()
        tango_mock.load(fixture)
        assert keys(tango_mock, "team-token") == [], fixture
        (team_grant,) = [g for g in tango_mock.state()["tokens"] if g["workspace"] == "team"]
        assert team_grant["expires_at"].startswith("2099-01-01T00:00:00")


def test_load_takes_back_a_test_token_given_to_another_workspace(tango_mock: TangoMock) -> None:
    document = scenario()
    document["tokens"].append({"token": tango_mock.token, "workspace": "team"})
    tango_mock.load(document)
    assert keys(tango_mock) == []  # still test-workspace's token, not team's
    assert with_test_tokens(["not", "a", "mapping"]) == ["not", "a", "mapping"]


def test_an_invalid_fixture_is_refused_and_changes_nothing(tango_mock: TangoMock) -> None:
    create(tango_mock, MLFLOW_PAYLOAD)
    bad = scenario()
    bad["deployments"][0]["deployment_key"] = "bad key"
    with pytest.raises(TangoMockError, match="deployment_key") as refused:
        tango_mock.load(bad)
    assert refused.value.status == 422
    assert refused.value.body["message_code"] == "validation_error"
    assert keys(tango_mock) == [KEY]
    with pytest.raises(ValueError, match="not valid YAML"):
        tango_mock.load("workspaces: [unclosed\nmore: text")


def test_requests_is_the_filtered_journal(tango_mock: TangoMock) -> None:
    create(tango_mock, DATABRICKS_PAYLOAD)
    keys(tango_mock)
    keys(tango_mock, tango_mock.other_token)
    requests.get(api(tango_mock, "/missing"), headers=tango_mock.headers(), timeout=5)

    everything = tango_mock.requests()
    assert [(e["method"], e["path"], e["status"]) for e in everything] == [
        ("POST", "/api/deployment", 201),
        ("GET", "/api/deployment", 200),
        ("GET", "/api/deployment", 200),
        ("GET", "/api/deployment/missing", 404),
    ]
    assert [e["status"] for e in tango_mock.requests(method="POST")] == [201]
    assert len(tango_mock.requests(path="/api/deployment/*")) == 1
    assert len(tango_mock.requests(workspace=OTHER_WORKSPACE)) == 1
    posted = tango_mock.requests(method="POST")[0]["body"]
    assert posted["server_proxy_init"]["server_proxy_pat"] == "***"
    tango_mock.clear_requests()
    assert tango_mock.requests() == []


def test_assert_requested_lists_what_was_seen(tango_mock: TangoMock) -> None:
    keys(tango_mock)
    assert len(tango_mock.assert_requested("GET", "/api/deployment", count=1)) == 1
    with pytest.raises(AssertionError) as failure:
        tango_mock.assert_requested("POST", "/api/deployment")
    message = str(failure.value)
    assert "expected POST /api/deployment at least once, saw it 0 time(s)" in message
    assert "GET /api/deployment -> 200" in message


def test_fault_rules(tango_mock: TangoMock) -> None:
    rule = tango_mock.fault(
        "/api/deployment", method="GET", status=503, body={"message": "down"}, times=2
    )
    assert rule["id"]
    assert [r["id"] for r in tango_mock.faults()] == [rule["id"]]
    for _ in range(2):
        response = requests.get(api(tango_mock), headers=tango_mock.headers(), timeout=5)
        assert response.status_code == 503
        assert response.json() == {"message": "down"}
    assert keys(tango_mock) == []  # two shots, then gone
    assert tango_mock.faults() == []

    tango_mock.fault(status=500, workspace=OTHER_WORKSPACE)  # every TANGO path, one workspace
    assert keys(tango_mock) == []
    other = requests.get(api(tango_mock), headers=tango_mock.headers(tango_mock.other_token))
    assert other.status_code == 500
    tango_mock.clear_faults()
    assert keys(tango_mock, tango_mock.other_token) == []


def test_a_bad_fault_rule_is_a_422(tango_mock: TangoMock) -> None:
    with pytest.raises(TangoMockError) as refused:
        tango_mock.fault("/api/*")  # neither a status nor a delay
    assert refused.value.status == 422
    assert tango_mock.faults() == []


# -- transport details -------------------------------------------------------------------------


@pytest.fixture
def guarded_mock() -> Iterator[BackgroundServer]:
    settings = MockSettings(seed=parse_document(scenario(), source="test"), admin_token="s3cret")
    with BackgroundServer(create_app(settings)) as server:
        yield server


def test_the_admin_token_is_sent_when_the_settings_have_one(
    guarded_mock: BackgroundServer,
) -> None:
    assert TangoMock(guarded_mock.url, admin_token="s3cret").state()["workspaces"]
    with pytest.raises(TangoMockError) as refused:
        TangoMock(guarded_mock.url).state()
    assert refused.value.status == 401


def test_proxy_settings_are_ignored(tango_mock: TangoMock, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: nothing answers
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert TangoMock(tango_mock.url).requests() == []


def test_the_readme_example_is_the_tested_example() -> None:
    snippet = readme_python_block("import requests\n\nPAYLOAD = {")
    example_lines = EXAMPLE.read_text().splitlines()
    missing = [line for line in snippet.splitlines() if line and line not in example_lines]
    assert missing == []
