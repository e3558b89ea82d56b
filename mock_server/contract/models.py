"""Pydantic v2 models mirroring openapi.yaml's schemas; a test keeps the two equal."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mock_server.contract.rules import DEPLOYMENT_KEY_PATTERN, PYTHON_CLASS_PATH_PATTERN

DeploymentKey = Annotated[str, Field(pattern=DEPLOYMENT_KEY_PATTERN, min_length=1, max_length=128)]
PythonClassPath = Annotated[str, Field(pattern=PYTHON_CLASS_PATH_PATTERN)]
InitParameters = dict[str, Any]


class DeploymentPayload(BaseModel):
    """What a client sends to create a deployment; strict, so `"1"` is never taken for a number."""

    # Built on first use, not at import: no create is needed to answer the first request.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    deployment_key: DeploymentKey
    registry_connector_class: PythonClassPath
    registry_connector_init: InitParameters
    server_proxy_class: PythonClassPath
    server_proxy_init: InitParameters


def payload_problems(data: dict[str, Any]) -> list[Any]:
    """pydantic's errors for a create body (empty when it is a valid DeploymentPayload)."""
    try:
        DeploymentPayload.model_validate(data)
    except ValidationError as exc:
        return list(exc.errors(include_url=False, include_input=False))
    return []


class Deployment(DeploymentPayload):
    """A stored deployment as the API returns it: the payload plus the token's workspace."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    workspace: str


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    message: str
    message_code: str
