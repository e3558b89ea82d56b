"""Testing a TANGO client against tango-mock, with nothing but tango-mock and requests installed.

The `tango_mock` fixture comes from tango-mock's pytest plugin: no conftest.py, no import.
Each test gets the same running mock, reset to an empty state (two workspaces with a
token each), an empty request journal and no fault rules.

Run it: `pytest examples/test_with_tango_mock.py`.
"""

from __future__ import annotations

import requests

PAYLOAD = {
    "deployment_key": "mlflow-staging",
    "registry_connector_class": "tango_shared.connectors.mlflow.MlflowModelRegistryConnector",
    "registry_connector_init": {"model_registry_url": "http://mlflow:5000"},
    "server_proxy_class": "tango_shared.connectors.mlflow.MlflowModelServerProxy",
    "server_proxy_init": {"server_proxy_url": "http://mlflow-serving:8080", "api_token": "s3cr3t"},
}


def test_create_list_and_delete(tango_mock):
    api = f"{tango_mock.url}/api/deployment"
    auth = {"Authorization": f"Bearer {tango_mock.token}"}

    created = requests.post(api, json=PAYLOAD, headers=auth, timeout=5)
    assert created.status_code == 201
    assert created.json()[0]["workspace"] == "test-workspace"

    listed = requests.get(api, headers=auth, timeout=5).json()
    assert [d["deployment_key"] for d in listed] == ["mlflow-staging"]

    # Another workspace's token sees nothing of it.
    other = {"Authorization": f"Bearer {tango_mock.other_token}"}
    assert requests.get(api, headers=other, timeout=5).json() == []

    assert requests.delete(f"{api}/mlflow-staging", headers=auth, timeout=5).status_code == 204
    assert requests.get(api, headers=auth, timeout=5).json() == []


def test_every_test_starts_from_a_clean_mock(tango_mock):
    auth = {"Authorization": f"Bearer {tango_mock.token}"}
    assert requests.get(f"{tango_mock.url}/api/deployment", headers=auth, timeout=5).json() == []
    assert len(tango_mock.requests()) == 1  # the journal holds just the call above


def test_force_a_503(tango_mock):
    api = f"{tango_mock.url}/api/deployment"
    auth = {"Authorization": f"Bearer {tango_mock.token}"}

    # A one-shot fault rule: the next list call fails, the one after works again.
    tango_mock.fault("/api/deployment", method="GET", status=503, times=1)
    failed = requests.get(api, headers=auth, timeout=5)
    assert failed.status_code == 503
    assert "message_code" in failed.json()
    assert requests.get(api, headers=auth, timeout=5).status_code == 200

    # Or per request, without any admin call.
    asked = requests.get(api, headers={**auth, "Prefer": "code=503"}, timeout=5)
    assert asked.status_code == 503


def test_read_the_journal(tango_mock):
    auth = {"Authorization": f"Bearer {tango_mock.token}"}
    requests.post(f"{tango_mock.url}/api/deployment", json=PAYLOAD, headers=auth, timeout=5)

    (entry,) = tango_mock.requests(method="POST")
    assert entry["status"] == 201
    assert entry["workspace"] == "test-workspace"
    assert entry["body"]["server_proxy_init"]["api_token"] == "***"  # secrets are masked
    tango_mock.assert_requested("POST", "/api/deployment", count=1)


def test_load_a_scenario_then_reset(tango_mock):
    tango_mock.load(
        {
            "workspaces": [{"name": "test-workspace"}],
            "deployments": [{"workspace": "test-workspace", **PAYLOAD, "deleted": True}],
        }
    )
    api = f"{tango_mock.url}/api/deployment"
    auth = {"Authorization": f"Bearer {tango_mock.token}"}
    # The loaded key is retired (soft-deleted), so creating it again is a conflict.
    assert requests.post(api, json=PAYLOAD, headers=auth, timeout=5).status_code == 409

    tango_mock.reset()
    assert requests.post(api, json=PAYLOAD, headers=auth, timeout=5).status_code == 201
