"""The schemathesis schema of openapi.yaml, configured for the current run, and its hooks.

Hooks keep generated requests safe on a real server: a valid generated key in a create body
becomes a new key under the run's prefix (no 409 noise, nothing collides), and every key in a
GET or DELETE path is moved under the prefix, so generated requests never touch a deployment
this run did not create. Creates and deletes are written to the run's ledger.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from contract_tests.support.client import REQUEST_TIMEOUT_SECONDS
from contract_tests.support.generated_rules import checks_config
from contract_tests.support.keys import is_valid_key
from contract_tests.support.run import OTHER, OWNER, ContractRun, current
from mock_server.contract.spec import spec_path

RUN_MARKER = "x-tango-contract-run"
UNSAFE_ON_COLLECTION = ("DELETE", "PUT", "PATCH")
COLLECTION = "/api/deployment"
ITEM = "/api/deployment/{deploymentKey}"

# schemathesis hides values of names containing "key" by default, which would mask every
# `deployment_key` in reports; tokens and Authorization headers stay hidden.
SENSITIVE_MARKERS = ["token", "secret", "password", "auth", "session", "passwd", "credential"]


def _config(run: ContractRun) -> SchemathesisConfig:
    settings = run.settings
    auth: dict[str, Any] = {"path": str(run.wfc_document()), "user": OWNER}
    if run.other is not None:
        auth["peers"] = [OWNER, OTHER]
    return SchemathesisConfig.from_dict(
        {
            "seed": settings.seed,
            "base-url": run.base_url,
            "request-timeout": REQUEST_TIMEOUT_SECONDS,
            "output": {"sanitization": {"sensitive-markers": SENSITIVE_MARKERS}},
            "generation": {
                "max-examples": settings.max_examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "stateful": {
                    "max-steps": settings.profile.stateful_max_steps,
                    # Links are written in the spec; inferred ones make pytest runs flaky.
                    "inference": {"algorithms": []},
                },
            },
            "auth": {"wfc": auth},
            "checks": checks_config(settings.rules),
        }
    )


def load_schema() -> Any:
    """openapi.yaml as a schemathesis schema aimed at the run's server with the run's tokens."""
    return _schema_for_run(current().settings.run_id)


@cache
def _schema_for_run(run_id: str) -> Any:
    run = current()
    raw = json.loads(json.dumps(_load_spec()))
    raw[RUN_MARKER] = run.settings.run_id
    schema = schemathesis.openapi.from_dict(raw, config=_config(run))
    # The coverage phase also tries methods the spec lacks. On the collection, a DELETE, PUT
    # or PATCH could touch every deployment of the workspace on a lax server: never send them.
    return schema.exclude(path=COLLECTION, method=list(UNSAFE_ON_COLLECTION))


def _load_spec() -> dict[str, Any]:
    import yaml

    document = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _ours(case: Any) -> ContractRun | None:
    """The run, if `case` comes from this run's schema (hooks are process-wide)."""
    return _run_of(case.operation)


def _run_of(operation: Any) -> ContractRun | None:
    try:
        run = current()
    except RuntimeError:
        return None
    marker = operation.schema.raw_schema.get(RUN_MARKER)
    return run if marker == run.settings.run_id else None


@schemathesis.hook("map_path_parameters")
def confine_generated_path_keys(context: Any, path_parameters: Any) -> Any:
    """Generated path keys go under the prefix as they are generated.

    Doing it here rather than only in `before_call` keeps schemathesis' record of what it
    generated equal to what is sent, so its stateful checks do not mistake a generated key
    for one taken from a link (a false "created resource not found").
    """
    run = _run_of(context.operation)
    if (
        run is None
        or not isinstance(path_parameters, dict)
        or "deploymentKey" not in path_parameters
    ):
        return path_parameters
    return {**path_parameters, "deploymentKey": run.keys.confine(path_parameters["deploymentKey"])}


@schemathesis.hook("before_call")
def confine_deployment_keys(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Give generated creates new prefixed keys; confine any path key generation missed."""
    run = _ours(case)
    if run is None:
        return
    if case.operation.path == COLLECTION and case.method.upper() == "POST":
        body = case.body
        if isinstance(body, dict) and is_valid_key(body.get("deployment_key")):
            body["deployment_key"] = run.keys.fresh_from(body["deployment_key"])
    elif case.operation.path == ITEM and isinstance(case.path_parameters, dict):
        key = case.path_parameters.get("deploymentKey")
        case.path_parameters["deploymentKey"] = run.keys.confine(key)


@schemathesis.hook("after_call")
def record_creates_and_deletes(context: Any, case: Any, response: Any) -> None:
    """Write what generated requests created or deleted to the ledger, for cleanup."""
    run = _ours(case)
    if run is None:
        return
    identity = run.identity_of(response.request.headers.get("Authorization"))
    name = identity.name if identity is not None else OWNER
    if case.operation.path == COLLECTION and case.method.upper() == "POST":
        if 200 <= response.status_code < 300:  # 201 is right; a wrong 2xx still created one
            key = _created_key(response, case.body)
            if key is not None:
                run.ledger.created(name, key)
    elif (
        case.operation.path == ITEM
        and case.method.upper() == "DELETE"
        and 200 <= response.status_code < 300
        and isinstance(case.path_parameters, dict)
    ):
        run.ledger.deleted(name, str(case.path_parameters.get("deploymentKey")))


def _created_key(response: Any, sent: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        body = None
    for candidate in (body[0] if isinstance(body, list) and body else body, sent):
        if isinstance(candidate, dict) and isinstance(candidate.get("deployment_key"), str):
            return str(candidate["deployment_key"])
    return None
