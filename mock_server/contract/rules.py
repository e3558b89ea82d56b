"""The contract's value rules as plain Python: patterns and bounds every module shares.

Kept apart from the pydantic models (`models.py`) so that start-up, auth and the body reader
need no pydantic: importing it and building models is a third of the mock's cold start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
PAYLOAD_FIELDS: tuple[str, ...] = (
    "deployment_key",
    "registry_connector_class",
    "registry_connector_init",
    "server_proxy_class",
    "server_proxy_init",
)
"""DeploymentPayload's fields in the spec's order (a test keeps this equal to the model)."""

_deployment_key_match = re.compile(DEPLOYMENT_KEY_PATTERN).fullmatch
_class_path_match = re.compile(PYTHON_CLASS_PATH_PATTERN).fullmatch


def payload_values_plainly_valid(values: Mapping[str, Any]) -> bool:
    """The five payload fields in `values` have the spec's types and patterns (the plain check
    of a create body and of a seed's deployment; pydantic judges whatever fails it)."""
    key = values["deployment_key"]
    registry_class, server_class = values["registry_connector_class"], values["server_proxy_class"]
    return (
        type(key) is str
        and _deployment_key_match(key) is not None
        and type(registry_class) is str
        and _class_path_match(registry_class) is not None
        and type(server_class) is str
        and _class_path_match(server_class) is not None
        and type(values["registry_connector_init"]) is dict
        and type(values["server_proxy_init"]) is dict
    )
