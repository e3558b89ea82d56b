"""Pydantic v2 models mirroring openapi.yaml's schemas; a test keeps the two equal."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

DEPLOYMENT_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
PYTHON_CLASS_PATH_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
BEARER_TOKEN_PATTERN = r"[A-Za-z0-9\-._~+/]+=*"
"""RFC 6750's b64token: what `Authorization: Bearer <token>` can carry, so a token must match."""
MAX_JSON_DEPTH = 64
"""Objects and arrays may nest this deep in a payload (the payload is level 1); deeper is a
400 (body) or a fixture error: a fixed bound far from Python's recursion limit, so storing,
serving, journalling and saving state (YAML) never hit it."""
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone UTF-16 surrogate (from a `\\uD8xx` escape): not UTF-8 text, so never stored or served."""


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


class Deployment(DeploymentPayload):
    """A stored deployment as the API returns it: the payload plus the token's workspace."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    workspace: str


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    message: str
    message_code: str


PAYLOAD_FIELDS: tuple[str, ...] = tuple(DeploymentPayload.model_fields)
