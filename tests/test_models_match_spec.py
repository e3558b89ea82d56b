"""The pydantic models and openapi.yaml say the same thing: a change to either fails here.

Two layers: the schemas' constraints are compared keyword by keyword, and then the spec
(validated with ECMA-262 regex semantics, as JSON Schema requires) and the models must accept
and refuse exactly the same payloads.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from mock_server.contract.errors import ValidationFailed
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.contract.models import (
    DEPLOYMENT_KEY_PATTERN,
    PAYLOAD_FIELDS,
    PYTHON_CLASS_PATH_PATTERN,
    Deployment,
    DeploymentPayload,
    ErrorEnvelope,
)
from mock_server.contract.spec import admin_spec_path, spec_document, spec_path
from mock_server.contract.validation import validate_payload
from mock_server.state.store import StoredDeployment
from tests.conftest import DATABRICKS_PAYLOAD, MLFLOW_PAYLOAD

# Keywords that constrain a value; descriptions, titles and examples do not.
CONSTRAINTS = ("type", "pattern", "minLength", "maxLength", "additionalProperties", "enum")

SPEC: dict[str, Any] = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def resolve(node: Any) -> Any:
    """The node with every local `$ref` replaced by its target (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = SPEC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {key: resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item) for item in node]
    return node


def spec_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = resolve(SCHEMAS[name])
    return schema


def constraints(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: schema[key] for key in CONSTRAINTS if key in schema}


def model_schema(model: type[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(model).json_schema()
    return schema


def assert_same_object_schema(spec: dict[str, Any], model: dict[str, Any]) -> None:
    assert spec["type"] == model["type"] == "object"
    assert set(spec["properties"]) == set(model["properties"])
    assert set(spec["required"]) == set(model["required"])
    for name, spec_property in spec["properties"].items():
        assert constraints(spec_property) == constraints(model["properties"][name]), name


# -- schema against schema ----------------------------------------------------------------


def test_payload_schema_matches_the_model() -> None:
    spec, model = spec_schema("DeploymentPayload"), model_schema(DeploymentPayload)
    assert_same_object_schema(spec, model)
    assert spec["additionalProperties"] is False
    assert model["additionalProperties"] is False


def test_the_served_spec_is_read_as_the_pure_python_parser_reads_it() -> None:
    """The mock parses openapi.yaml with libyaml when it can: the same document."""
    assert spec_document() == SPEC


def test_payload_fields_are_all_required_and_in_spec_order() -> None:
    spec = SCHEMAS["DeploymentPayload"]
    assert list(PAYLOAD_FIELDS) == list(spec["properties"]) == spec["required"]


def test_deployment_schema_matches_the_model() -> None:
    spec, model = spec_schema("Deployment"), model_schema(Deployment)
    assert_same_object_schema(spec, model)
    assert set(spec["properties"]) == set(PAYLOAD_FIELDS) | {"workspace"}
    assert spec["properties"]["workspace"]["type"] == "string"


def test_init_fields_are_open_objects() -> None:
    for schema in (spec_schema("DeploymentPayload"), model_schema(DeploymentPayload)):
        for name in ("registry_connector_init", "server_proxy_init"):
            field = schema["properties"][name]
            assert field["type"] == "object"
            assert field.get("additionalProperties", True) is True


def test_patterns_and_lengths_are_the_models_constants() -> None:
    key, class_path = SCHEMAS["DeploymentKey"], SCHEMAS["PythonClassPath"]
    assert key["pattern"] == DEPLOYMENT_KEY_PATTERN
    assert (key["minLength"], key["maxLength"]) == (1, 128)
    assert class_path["pattern"] == PYTHON_CLASS_PATH_PATTERN
    path_parameter = resolve(SPEC["components"]["parameters"]["DeploymentKey"])
    assert constraints(path_parameter["schema"]) == constraints(resolve(key))


def test_error_envelope_matches_the_model() -> None:
    spec, model = spec_schema("Error"), model_schema(ErrorEnvelope)
    assert_same_object_schema(spec, model)


def test_store_serialises_exactly_the_deployment_properties_in_spec_order() -> None:
    record = StoredDeployment("ws", DeploymentPayload(**MLFLOW_PAYLOAD))
    assert list(record.to_api()) == list(SCHEMAS["Deployment"]["properties"])
    Deployment(**record.to_api())  # and it is a valid Deployment


def test_the_fixture_format_is_the_one_of_mock_admin_yaml() -> None:
    """The admin spec documents the fixture format: the same fields, the same required ones."""
    admin = yaml.safe_load(admin_spec_path().read_text(encoding="utf-8"))
    spec = admin["components"]["schemas"]["FixtureDocument"]
    model = model_schema(FixtureDocument)
    assert set(spec["properties"]) == set(model["properties"])
    for section in spec["properties"]:
        spec_entry = spec["properties"][section]["items"]
        model_entry = model["$defs"][model["properties"][section]["items"]["$ref"].split("/")[-1]]
        assert set(spec_entry["properties"]) == set(model_entry["properties"]), section
        assert set(spec_entry["required"]) == set(model_entry["required"]), section
        assert spec_entry["additionalProperties"] is model_entry["additionalProperties"] is False


def test_field_errors_match_the_spec_field_error() -> None:
    field_error = spec_schema("FieldError")
    with pytest.raises(ValidationFailed) as caught:
        validate_payload({"deployment_key": "bad key", "workspace": "x"})
    errors = caught.value.envelope()["errors"]
    assert errors
    for error in errors:
        assert set(field_error["required"]) <= set(error) <= set(field_error["properties"])
        assert all(isinstance(value, str) for value in error.values())


def test_spec_examples_are_valid_payloads() -> None:
    examples = SPEC["components"]["examples"]
    for name in ("MlflowPayload", "DatabricksPayload"):
        DeploymentPayload(**examples[name]["value"])
    for item in examples["MlflowDeploymentList"]["value"]:
        Deployment(**item)


# -- behaviour against behaviour ----------------------------------------------------------

PAYLOAD_VALIDATOR = jsonschema_rs.Draft4Validator(spec_schema("DeploymentPayload"))


PAYLOAD_MODEL = TypeAdapter(DeploymentPayload)


def model_accepts(payload: Any) -> bool:
    try:
        PAYLOAD_MODEL.validate_python(payload)
    except ValidationError:
        return False
    return True


def changed(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(MLFLOW_PAYLOAD)
    payload.update(changes)
    return payload


def removed(field: str) -> dict[str, Any]:
    return {name: value for name, value in MLFLOW_PAYLOAD.items() if name != field}


CASES: dict[str, tuple[Any, bool]] = {
    "mlflow": (MLFLOW_PAYLOAD, True),
    "databricks": (DATABRICKS_PAYLOAD, True),
    "empty inits": (changed(registry_connector_init={}, server_proxy_init={}), True),
    "key of 128": (changed(deployment_key="a" * 128), True),
    "key of 1": (changed(deployment_key="Z"), True),
    "key of 129": (changed(deployment_key="a" * 129), False),
    "empty key": (changed(deployment_key=""), False),
    "key with trailing newline": (changed(deployment_key="abc\n"), False),
    "key with space": (changed(deployment_key="a b"), False),
    "key with slash": (changed(deployment_key="a/b"), False),
    "key starting with underscore": (changed(deployment_key="_a"), False),
    "key with non-ascii digit": (changed(deployment_key="a\u0663"), False),
    "class not dotted": (changed(server_proxy_class="Proxy"), False),
    "class with trailing newline": (changed(server_proxy_class="a.B\n"), False),
    "class with underscores": (changed(server_proxy_class="_a._B9"), True),
    "workspace sent": (changed(workspace="ws"), False),
    "extra field": (changed(extra=1), False),
    "string for object": (changed(registry_connector_init="1"), False),
    "list for object": (changed(registry_connector_init=[]), False),
    "int for string": (changed(deployment_key=1), False),
    "null for string": (changed(server_proxy_class=None), False),
    "missing key": (removed("deployment_key"), False),
    "missing init": (removed("server_proxy_init"), False),
    "array": ([MLFLOW_PAYLOAD], False),
}


@pytest.mark.parametrize(("payload", "valid"), CASES.values(), ids=CASES.keys())
def test_spec_and_model_agree_on_known_cases(payload: Any, valid: bool) -> None:
    assert PAYLOAD_VALIDATOR.is_valid(payload) is valid
    assert model_accepts(payload) is valid


KEY_ALPHABET = st.sampled_from(list("aZ09._-/ \n\t\u00e9\u0663\u212a:%"))
KEYS = st.one_of(
    st.from_regex(DEPLOYMENT_KEY_PATTERN),
    st.text(KEY_ALPHABET, max_size=140),
    st.text(max_size=10),
)
CLASS_PATHS = st.one_of(
    st.from_regex(PYTHON_CLASS_PATH_PATTERN),
    st.text(st.sampled_from(list("aZ_09. -\n\u00e9")), max_size=20),
)


@pytest.mark.slow  # many generated strings
@settings(max_examples=150, deadline=None)
@given(key=KEYS, class_path=CLASS_PATHS)
def test_spec_and_model_agree_on_generated_strings(key: str, class_path: str) -> None:
    payload = changed(deployment_key=key, server_proxy_class=class_path)
    verdict = PAYLOAD_VALIDATOR.is_valid(payload)
    assert model_accepts(payload) is verdict, (key, class_path)


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(["a.B", "key", "_a._b9", "k" * 128, "k" * 129]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.mark.slow  # many generated payloads
@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(st.sampled_from([*PAYLOAD_FIELDS, "workspace", "extra"]), JSON_VALUES),
    dropped=st.sets(st.sampled_from(PAYLOAD_FIELDS), max_size=2),
)
def test_spec_and_model_agree_on_any_json_payload(
    changes: dict[str, Any], dropped: set[str]
) -> None:
    payload = {**MLFLOW_PAYLOAD, **changes}
    for name in dropped:
        payload.pop(name, None)
    assert model_accepts(payload) is PAYLOAD_VALIDATOR.is_valid(payload), payload
