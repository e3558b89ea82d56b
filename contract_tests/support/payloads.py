"""Valid payloads (TANGO's own MLflow and Databricks examples, and a tricky one) under new keys."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from mock_server.contract.spec import spec_example


def _payload_without_key(example: str) -> dict[str, Any]:
    """TANGO's example payload from openapi.yaml, minus its key (each run makes new keys)."""
    payload = spec_example(example)
    del payload["deployment_key"]
    return payload


_MLFLOW: dict[str, Any] = _payload_without_key("MlflowPayload")
_DATABRICKS: dict[str, Any] = _payload_without_key("DatabricksPayload")

# Init values are "any JSON": nesting, every JSON type and non-ASCII text must survive as sent,
# and true/false/1/0/1.0 must stay apart (compared type-exactly, see same_json.py).
_TRICKY: dict[str, Any] = {
    "registry_connector_class": "_private.Module_2.Connector",
    "registry_connector_init": {
        "nested": {"list": [1, 2.5, -3, True, False, None, "x"], "empty": {}, "none": None},
        "unicode": "Grüße, 東京, emoji \U0001f680",
        "big": 9007199254740991,  # the largest integer a double holds exactly
        "negative_big": -9007199254740991,
        "": "empty key",
        "flags": {"on": True, "off": False, "one": 1, "zero": 0, "one_point_zero": 1.0},
        "null": None,
        "empty_list": [],
        "empty_string": "",
        "escapes": 'tab\t newline\n quote" backslash\\ slash/ \u00e9',
        "deep": [[[{"a": [{}, []]}]]],
    },
    "server_proxy_class": "a.b",
    "server_proxy_init": {},
}

# The same values may be spelled many ways in JSON text: exponents, escapes, spacing.
_SPELLED_TEXT = (
    '{"deployment_key": %s, "registry_connector_class": "a.b", "server_proxy_class": "c.d",'
    ' "registry_connector_init": {"exponent": 1e2, "small_exponent": 1E-3, "fraction": 1.50,'
    ' "escaped": "caf\\u00e9 \\ud83d\\ude80 \\"q\\" \\/ \\\\ \\t",'
    ' "unescaped": "café 🚀", "spaced" :  [ 1 , true ,null , { } ] },'
    ' "server_proxy_init": {"nested": {"a": {"b": {"c": [[], {}, [0, -1, 0.5]]}}}}}'
)

MakeDeployment = Callable[..., dict[str, Any]]
"""The `created` fixture: create a valid deployment (label, kind, via=client), get its payload."""

KINDS = {"mlflow": _MLFLOW, "databricks": _DATABRICKS, "tricky": _TRICKY}


def payload(key: str, kind: str = "mlflow") -> dict[str, Any]:
    """A valid DeploymentPayload of `kind` with `key` (a deep copy: tests may change it)."""
    return {"deployment_key": key, **copy.deepcopy(KINDS[kind])}


def payload_text(key: str, kind: str = "mlflow") -> bytes:
    """Request text of a valid payload: a kind of KINDS, or "spelled" (exponents, escapes)."""
    if kind == "spelled":
        return (_SPELLED_TEXT % json.dumps(key)).encode("utf-8")
    return json.dumps(payload(key, kind)).encode("utf-8")
