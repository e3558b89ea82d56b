"""A client follows TANGO's Deployment page step by step against
`tango-mock --port P --token t1=ws1 --token t2=ws2` (a real process, real HTTP) and gets
exactly the answers the README's contract decisions pin.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cli_process import MockProcess, console_script_command
from tests.envelope import check_envelope

# Each test drives a tango-mock process.
pytestmark = pytest.mark.slow

TIMEOUT = 10

# The two payloads exactly as TANGO's page shows them (placeholders included).
PAGE_MLFLOW_PAYLOAD = """{
"deployment_key": "mlflow-deployment-staging",
"registry_connector_class": "tango_shared.connectors.deployment.mlflow_registry_connector.MlflowModelRegistryConnector",
"registry_connector_init": {
"model_registry_url": "{{model_registry_url}}",
"tracking_server_url": "{{tracking_server_url}}"
},
"server_proxy_class": "tango_shared.connectors.deployment.mlflow_server_proxy.MlflowModelServerProxy",
"server_proxy_init": {
"server_proxy_url": "{{server_proxy_url}}"
}
}"""  # noqa: E501

PAGE_DATABRICKS_PAYLOAD = """{
"deployment_key": "databricks-deployment-staging",
"registry_connector_class": "tango_shared.connectors.databricks_registry_connector.DatabricksModelRegistryConnector",
"registry_connector_init": {
"model_registry_url": "{{model_registry_url}}",
"tracking_server_url": "{{tracking_server_url}}",
"tracking_server_pat": "{{tracking_server_pat}}"
},
"server_proxy_class": "tango_shared.connectors.databricks_server_proxy.DatabricksModelServerProxy",
"server_proxy_init": {
"server_proxy_url": "{{server_proxy_url}}",
"server_proxy_pat": "{{server_proxy_pat}}"
}
}"""  # noqa: E501

MLFLOW: dict[str, Any] = json.loads(PAGE_MLFLOW_PAYLOAD)
DATABRICKS: dict[str, Any] = json.loads(PAGE_DATABRICKS_PAYLOAD)
MLFLOW_KEY = MLFLOW["deployment_key"]
DATABRICKS_KEY = DATABRICKS["deployment_key"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_mock(*extra: str) -> MockProcess:
    """`tango-mock --port P --token t1=ws1 --token t2=ws2 ...`, retrying if P got taken."""
    for _ in range(3):
        port = free_port()
        command = [*console_script_command(), "--port", str(port)]
        process = MockProcess([*command, "--token", "t1=ws1", "--token", "t2=ws2", *extra])
        try:
            process.start()
        except AssertionError:
            process.kill()
            if "cannot listen" in process.stderr:
                continue
            raise
        assert process.url == f"http://127.0.0.1:{port}"
        return process
    raise AssertionError("no free port after three tries")


class Client:
    """A TANGO client as the page describes it: a base URL and a bearer token."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)

    def create(
        self, body: str | bytes, content_type: str = "application/json"
    ) -> requests.Response:
        data = body.encode() if isinstance(body, str) else body
        return self.call(
            "POST", "/api/deployment", data=data, headers={"Content-Type": content_type}
        )


def expect_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the JSON error envelope with this status and `message_code`."""
    assert response.status_code == status, (
        f"expected {status} {code}, got {response.status_code}: {response.text[:300]}"
    )
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return check_envelope(status, content_type, response.text, code)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    process = start_mock()
    try:
        yield process
    finally:
        process.kill()


def test_page_walkthrough(mock: MockProcess) -> None:
    """Add, list, get, delete in the page's order, then the soft-delete consequences."""
    t1 = Client(mock.url, "t1")

    # Add a New Deployment: MLflow, then Databricks. "returns the created Deployment in an array"
    for page_body, payload in (
        (PAGE_MLFLOW_PAYLOAD, MLFLOW),
        (PAGE_DATABRICKS_PAYLOAD, DATABRICKS),
    ):
        created = t1.create(page_body)
        assert created.status_code == 201, created.text
        assert created.headers["Content-Type"].startswith("application/json")
        assert created.json() == [{**payload, "workspace": "ws1"}]

    # List Available Deployments: both, oldest first, workspace from the token.
    listed = t1.call("GET", "/api/deployment")
    assert listed.status_code == 200
    assert listed.json() == [{**MLFLOW, "workspace": "ws1"}, {**DATABRICKS, "workspace": "ws1"}]

    # Get a Specific Deployment: an array of exactly one.
    fetched = t1.call("GET", f"/api/deployment/{MLFLOW_KEY}")
    assert fetched.status_code == 200
    assert fetched.json() == [{**MLFLOW, "workspace": "ws1"}]

    # Delete a Deployment: 204, and (unlike the page's example) no body.
    deleted = t1.call("DELETE", f"/api/deployment/{MLFLOW_KEY}")
    assert deleted.status_code == 204
    assert deleted.content == b""

    # "This is a soft delete, meaning the deploymentKey cannot be reused."
    expect_error(t1.call("GET", f"/api/deployment/{MLFLOW_KEY}"), 404, "not_found")
    expect_error(t1.call("DELETE", f"/api/deployment/{MLFLOW_KEY}"), 404, "not_found")
    expect_error(t1.create(PAGE_MLFLOW_PAYLOAD), 409, "conflict")
    assert [d["deployment_key"] for d in t1.call("GET", "/api/deployment").json()] == [
        DATABRICKS_KEY
    ]
    expect_error(t1.create(PAGE_DATABRICKS_PAYLOAD), 409, "conflict")


def test_workspaces_are_walled_off(mock: MockProcess) -> None:
    t1, t2 = Client(mock.url, "t1"), Client(mock.url, "t2")
    key = "walled-off"
    body = json.dumps({**DATABRICKS, "deployment_key": key})
    assert t1.create(body).status_code == 201
    expect_error(t2.call("GET", f"/api/deployment/{key}"), 404, "not_found")
    expect_error(t2.call("DELETE", f"/api/deployment/{key}"), 404, "not_found")
    assert key not in [d["deployment_key"] for d in t2.call("GET", "/api/deployment").json()]
    # The same key is free in ws2, and each workspace keeps its own.
    created = t2.create(body)
    assert created.status_code == 201
    assert created.json()[0]["workspace"] == "ws2"
    assert t1.call("GET", f"/api/deployment/{key}").json()[0]["workspace"] == "ws1"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dDE6cGFzc3dvcmQ=", "Bearer not-a-token", "t1"],
    ids=["missing", "empty", "scheme only", "basic", "unknown", "no scheme"],
)
def test_bad_tokens_get_401_with_a_bearer_challenge(
    mock: MockProcess, authorization: str | None
) -> None:
    client = Client(mock.url, None)
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in [
        ("GET", "/api/deployment"),
        ("POST", "/api/deployment"),
        ("GET", f"/api/deployment/{DATABRICKS_KEY}"),
        ("DELETE", f"/api/deployment/{DATABRICKS_KEY}"),
    ]:
        response = client.call(method, path, headers=headers, json=MLFLOW)
        expect_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_bodies_get_their_own_status(mock: MockProcess) -> None:
    t1 = Client(mock.url, "t1")
    body = json.dumps({**MLFLOW, "deployment_key": "body-checks"})
    expect_error(t1.create("{not json"), 400, "invalid_json")
    expect_error(t1.create(b'{"a": "\xff"}'), 400, "invalid_json")
    expect_error(t1.create('{"a": NaN}'), 400, "invalid_json")
    expect_error(t1.create('{"a": 1, "a": 2}'), 400, "invalid_json")
    expect_error(t1.create("[" * 50_000 + "]" * 50_000), 400, "invalid_json")
    expect_error(t1.create(""), 400, "invalid_json")
    for broken, field in [
        ({**MLFLOW, "deployment_key": "body-checks", "workspace": "ws2"}, "workspace"),
        ({**MLFLOW, "deployment_key": "abc\n"}, "deployment_key"),
        ({**MLFLOW, "deployment_key": "a" * 129}, "deployment_key"),
        (
            {**MLFLOW, "deployment_key": "body-checks", "server_proxy_init": "1"},
            "server_proxy_init",
        ),
        ({**MLFLOW, "deployment_key": 1}, "deployment_key"),
        (
            {**MLFLOW, "deployment_key": "body-checks", "server_proxy_class": "Proxy"},
            "server_proxy_class",
        ),
        (
            {k: v for k, v in MLFLOW.items() if k != "registry_connector_init"},
            "registry_connector_init",
        ),
    ]:
        error = expect_error(t1.create(json.dumps(broken)), 422, "validation_error")
        assert field in [entry["field"] for entry in error["errors"]], error
    expect_error(t1.create(body, "text/plain"), 415, "unsupported_media_type")
    expect_error(
        t1.create(body, "application/json; charset=latin-1"), 415, "unsupported_media_type"
    )
    no_type = t1.call("POST", "/api/deployment", data=body.encode())
    expect_error(no_type, 415, "unsupported_media_type")
    padding = "x" * (1024 * 1024)
    too_big = json.dumps(
        {**MLFLOW, "deployment_key": "body-checks", "server_proxy_init": {"p": padding}}
    )
    expect_error(t1.create(too_big), 413, "payload_too_large")
    # None of the refused bodies created anything; the clean one still can.
    assert t1.call("GET", "/api/deployment/body-checks").status_code == 404
    assert t1.create(body).status_code == 201


def test_wrong_methods_and_paths(mock: MockProcess) -> None:
    t1 = Client(mock.url, "t1")
    for method, path, allowed in [
        ("PATCH", f"/api/deployment/{DATABRICKS_KEY}", {"GET", "DELETE"}),
        ("PUT", f"/api/deployment/{DATABRICKS_KEY}", {"GET", "DELETE"}),
        ("PUT", "/api/deployment", {"GET", "POST"}),
    ]:
        response = t1.call(method, path, json=MLFLOW)
        expect_error(response, 405, "method_not_allowed")
        assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    head = t1.call("HEAD", "/api/deployment")
    assert head.status_code == 405
    assert "HEAD" not in head.headers["Allow"]
    for path in ("/api/deployments", "/api/deployment/a/b", "/api"):
        expect_error(t1.call("GET", path), 404, "not_found")


def test_contract_is_served_without_a_token(mock: MockProcess) -> None:
    anonymous = Client(mock.url, None)
    spec = anonymous.call("GET", "/openapi.json")
    assert spec.status_code == 200
    assert set(spec.json()["paths"]) == {"/api/deployment", "/api/deployment/{deploymentKey}"}
    assert anonymous.call("GET", "/openapi.yaml").text.startswith("openapi: 3.0.3")


def test_expired_token_and_disabled_workspace(tmp_path: Path) -> None:
    """The same command plus a fixture holding an expired token and a disabled workspace."""
    fixture = tmp_path / "auth.yaml"
    fixture.write_text(
        "workspaces: [{name: old}, {name: frozen, disabled: true}]\n"
        "tokens:\n"
        "  - {token: t-old, workspace: old, expires_at: '2020-01-01T00:00:00Z'}\n"
        "  - {token: t-frozen, workspace: frozen}\n",
        encoding="utf-8",
    )
    process = start_mock("--fixtures", str(fixture))
    try:
        assert "DISABLED" in process.banner
        expired = Client(process.url, "t-old").call("GET", "/api/deployment")
        expect_error(expired, 401, "unauthorized")
        assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
        frozen = Client(process.url, "t-frozen")
        expect_error(frozen.call("GET", "/api/deployment"), 403, "forbidden")
        expect_error(frozen.create(PAGE_MLFLOW_PAYLOAD), 403, "forbidden")
        assert Client(process.url, "t1").call("GET", "/api/deployment").json() == []
        assert process.stop() == 0
    finally:
        process.kill()
