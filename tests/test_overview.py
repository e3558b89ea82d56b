"""What the dashboard shows of a deployment: masked, and a large one without parsing it."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.contract.models import DeploymentPayload
from mock_server.masking import MaskingPolicy
from mock_server.state.overview import SHOWN_DEPLOYMENT_BYTES, deployment_view
from mock_server.state.store import StoredDeployment
from tests.conftest import MLFLOW_PAYLOAD


def record(**init: Any) -> StoredDeployment:
    payload = {**MLFLOW_PAYLOAD, "deployment_key": "k", "server_proxy_init": init}
    return StoredDeployment("ws", DeploymentPayload(**payload))


def test_a_deployment_is_shown_masked() -> None:
    view = deployment_view(record(api_key="s3cret", region="eu"), MaskingPolicy())
    assert view["server_proxy_init"] == {"api_key": "***", "region": "eu"}
    assert view["workspace"] == "ws" and view["deployment_key"] == "k"


def test_a_large_deployment_is_summarised_without_being_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    large = record(blob="x" * SHOWN_DEPLOYMENT_BYTES, api_key="s3cret")

    def no_parsing(self: StoredDeployment) -> Any:
        raise AssertionError("a large deployment was parsed for the dashboard")

    monkeypatch.setattr(StoredDeployment, "to_api", no_parsing)
    view = deployment_view(large, MaskingPolicy())
    assert view["registry_connector_class"] == MLFLOW_PAYLOAD["registry_connector_class"]
    assert view["server_proxy_class"] == MLFLOW_PAYLOAD["server_proxy_class"]
    [line] = view["server_proxy_init"].values()
    assert "too large to show" in line and str(len(large.api_json())) in line
    assert "s3cret" not in str(view)
