"""The planted defects: each is the real mock with one rule of the contract broken.

Every `Defect` says which kind of rule it breaks (`Kind`: every kind must be caught), how
to plant it in a fresh `create_app()`, and a `symptom` probe: a few HTTP calls that are
True on the broken variant and False on the correct mock, so the defect is proven real.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server.contract.errors import Conflict, InvalidJson, NotFound, ValidationFailed
from mock_server.contract.models import DeploymentPayload
from mock_server.contract.validation import validate_payload
from mock_server.http.auth import authenticate
from mock_server.http.keys import SETTINGS, STORE, WORKSPACE
from mock_server.http.operations import COLLECTION_PATH
from mock_server.http.request_body import read_json
from mock_server.http.responses import dump_json, json_response
from mock_server.state.store import DeploymentStore, StoredDeployment
from tests.defects.planting import (
    Depth,
    NoContentWithBody,
    body_of,
    operation,
    plant,
    rebuilt,
)
from tests.defects.probe import COLLECTION, UNKNOWN_TOKEN, Api
from tests.defects.servers import OTHER_WORKSPACE, TOKEN
from tests.defects.servers import WORKSPACE as MAIN_WORKSPACE

Planter = Callable[[web.Application], object]
Change = Callable[[web.StreamResponse], web.StreamResponse]
Replacement = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
INIT_FIELDS = ("registry_connector_init", "server_proxy_init")
RACE_WINDOW_SECONDS = 0.05  # a database round trip between looking a key up and writing it
PARALLEL = 6


class Kind(Enum):
    """The kinds of contract rule the suite must catch a break of, one variant each at least."""

    SHAPE = "shape"
    STATUS = "status code"
    AUTH = "auth"
    ISOLATION = "isolation"
    SOFT_DELETE = "soft delete"
    DUPLICATES = "duplicates"
    VALIDATION = "validation"
    ROUND_TRIP = "round trip"
    ERROR_ENVELOPE = "error envelope"
    CONTENT_TYPE = "content type"
    CRASH = "crash on bad input"
    CONCURRENCY = "concurrency"


@dataclass(frozen=True)
class Defect:
    """One planted break of the contract, and how to see it over HTTP."""

    name: str
    kind: Kind
    summary: str
    plant: Planter
    symptom: Callable[[Api], bool]

    def build(self) -> web.Application:
        """A fresh correct mock with this one defect planted."""
        from tests.defects.servers import correct_app

        app = correct_app()
        self.plant(app)
        return app


# -- ways to plant ---------------------------------------------------------------------------


def answers(op: str | None, status: int, change: Change) -> Planter:
    """Rewrite the final answer of operation `op` (any route when None) that has `status`."""

    @web.middleware
    async def rewrite(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if (op is None or operation(request) == op) and response.status == status:
            return change(response)
        return response

    return lambda app: plant(app, rewrite, Depth.OUTSIDE)


def handles(op: str, replacement: Replacement, depth: Depth = Depth.INSIDE) -> Planter:
    """Let `replacement(request, real_handler)` answer operation `op`."""

    @web.middleware
    async def take_over(request: web.Request, handler: Handler) -> web.StreamResponse:
        if operation(request) == op:
            return await replacement(request, handler)
        return await handler(request)

    return lambda app: plant(app, take_over, depth)


def with_store(change: Callable[[DeploymentStore], None]) -> Planter:
    """Change the state layer of this one app (never the class: other apps stay correct)."""
    return lambda app: change(app[STORE])


async def create_with(
    request: web.Request, validate: Callable[[Any], DeploymentPayload]
) -> web.Response:
    """The mock's create handler with another validation step (same reading, storing, answer)."""
    data = await read_json(request, limit=request.config_dict[SETTINGS].max_body_bytes)
    record = request.config_dict[STORE].create(request[WORKSPACE].name, validate(data))
    location = f"{COLLECTION_PATH}/{quote(record.deployment_key, safe='')}"
    return json_response([record.to_api()], status=201, headers={"Location": location})


def _as_token(request: web.Request, token: str) -> web.Request:
    headers = {**request.headers, "Authorization": f"Bearer {token}"}
    return request.clone(headers=headers)


def _first_token(request: web.Request) -> str:
    return next(iter(request.config_dict[STORE].tokens))


def _own_records(request: web.Request) -> tuple[dict[str, StoredDeployment], str]:
    store = request.config_dict[STORE]
    return store.workspaces[request[WORKSPACE].name].retired, request.match_info["deploymentKey"]


# -- the defects' behaviour ------------------------------------------------------------------


async def _anonymous_as_first_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if "Authorization" not in request.headers:
        request = _as_token(request, _first_token(request))
    return await handler(request)


async def _unknown_token_as_first(request: web.Request, handler: Handler) -> web.StreamResponse:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token and token not in request.config_dict[STORE].tokens:
        request = _as_token(request, _first_token(request))
    return await handler(request)


async def _get_from_any_workspace(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound:
        key = request.match_info["deploymentKey"]
        for space in request.config_dict[STORE].workspaces.values():
            if key in space.live:
                return json_response([space.live[key].to_api()])
        raise


async def _list_every_workspace(request: web.Request, handler: Handler) -> web.StreamResponse:
    spaces = request.config_dict[STORE].workspaces.values()
    return json_response([record.to_api() for space in spaces for record in space.live.values()])


async def _get_retired_too(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound:
        retired, key = _own_records(request)
        if key in retired:
            return json_response([retired[key].to_api()])
        raise


async def _hard_delete(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    retired, key = _own_records(request)
    retired.pop(key, None)
    return response


async def _delete_retired_again(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound:
        retired, key = _own_records(request)
        if key in retired:
            return web.Response(status=204)
        raise


def _upsert_live_keys(store: DeploymentStore) -> None:
    create = store.create

    def upsert(workspace: str, payload: DeploymentPayload) -> StoredDeployment:
        store.ensure_workspace(workspace).live.pop(payload.deployment_key, None)
        return create(workspace, payload)

    setattr(store, "create", upsert)  # noqa: B010 (an instance attribute, not the class's method)


def _drop_workspace_field(data: Any) -> DeploymentPayload:
    if isinstance(data, dict):
        data = {name: value for name, value in data.items() if name != "workspace"}
    return validate_payload(data)


def _lenient_key(data: Any) -> DeploymentPayload:
    try:
        return validate_payload(data)
    except ValidationFailed as exc:
        errors = exc.extra["errors"]
        if all(e["field"] == "deployment_key" and "pattern" in e["type"] for e in errors):
            payload = validate_payload({**data, "deployment_key": "placeholder"})
            # The model is frozen: only a planted defect writes a key it would refuse.
            object.__setattr__(payload, "deployment_key", data["deployment_key"])
            return payload
        raise


def _init_items_before_validation(data: Any) -> DeploymentPayload:
    if isinstance(data, dict):
        for name in INIT_FIELDS:
            if data.get(name) is not None:
                data[name] = dict(data[name].items())  # AttributeError when not an object
    return validate_payload(data)


async def _invalid_json_crashes(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InvalidJson as exc:
        raise ValueError(f"cannot decode body: {exc.message}") from exc


def _with_deployments(response: web.StreamResponse, **changes: Any) -> web.StreamResponse:
    return rebuilt(response, data=[{**d, **changes} for d in body_of(response)])


def _with_init_defaults(response: web.StreamResponse) -> web.StreamResponse:
    deployments = body_of(response)
    for deployment in deployments:
        deployment["registry_connector_init"] = {
            "timeout_seconds": 30,
            **deployment["registry_connector_init"],
        }
    return rebuilt(response, data=deployments)


async def _validate_then_authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    data = await read_json(request, limit=request.config_dict[SETTINGS].max_body_bytes)
    payload = validate_payload(data)
    store = request.config_dict[STORE]
    workspace = authenticate(
        request.headers.get("Authorization"),
        store,
    )
    record = store.create(workspace.name, payload)
    location = f"{COLLECTION_PATH}/{quote(record.deployment_key, safe='')}"
    return json_response([record.to_api()], status=201, headers={"Location": location})


async def _delete_in_any_workspace(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound:
        key = request.match_info["deploymentKey"]
        store = request.config_dict[STORE]
        for name, space in store.workspaces.items():
            if key in space.live:
                store.delete(name, key)
                return web.Response(status=204)
        raise


async def _list_retired_too(request: web.Request, handler: Handler) -> web.StreamResponse:
    space = request.config_dict[STORE].workspaces[request[WORKSPACE].name]
    records = [*space.live.values(), *space.retired.values()]
    return json_response([record.to_api() for record in records])


def _refuse_keys(store: DeploymentStore, taken: Callable[[str, str], bool]) -> None:
    create = store.create

    def guarded(workspace: str, payload: DeploymentPayload) -> StoredDeployment:
        if taken(workspace, payload.deployment_key):
            raise Conflict(f"The deployment key '{payload.deployment_key}' is taken.")
        return create(workspace, payload)

    setattr(store, "create", guarded)  # noqa: B010 (an instance attribute, not the class's method)


def _case_insensitive_keys(store: DeploymentStore) -> None:
    def taken(workspace: str, key: str) -> bool:
        space = store.ensure_workspace(workspace)
        return key.lower() in {k.lower() for k in [*space.live, *space.retired]}

    _refuse_keys(store, taken)


def _keys_unique_across_workspaces(store: DeploymentStore) -> None:
    def taken(workspace: str, key: str) -> bool:
        others = [s for name, s in store.workspaces.items() if name != workspace]
        return any(key in space.live or key in space.retired for space in others)

    _refuse_keys(store, taken)


def _bools_as_ints(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return {name: _bools_as_ints(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_bools_as_ints(item) for item in value]
    return value


def _with_bools_as_ints(response: web.StreamResponse) -> web.StreamResponse:
    deployments = body_of(response)
    for deployment in deployments:
        for name in INIT_FIELDS:
            deployment[name] = _bools_as_ints(deployment[name])
    return rebuilt(response, data=deployments)


async def _create_check_then_write(request: web.Request, handler: Handler) -> web.StreamResponse:
    data = await read_json(request, limit=request.config_dict[SETTINGS].max_body_bytes)
    payload = validate_payload(data)
    store = request.config_dict[STORE]
    workspace = request[WORKSPACE].name
    space = store.ensure_workspace(workspace)
    key = payload.deployment_key
    if key in space.live or key in space.retired:
        raise Conflict(f"The deployment key '{key}' is taken.")
    await asyncio.sleep(RACE_WINDOW_SECONDS)
    space.live.pop(key, None)  # whoever writes last wins
    record = store.create(workspace, payload)
    location = f"{COLLECTION_PATH}/{quote(key, safe='')}"
    return json_response([record.to_api()], status=201, headers={"Location": location})


async def _delete_check_then_write(request: web.Request, handler: Handler) -> web.StreamResponse:
    store = request.config_dict[STORE]
    workspace, key = request[WORKSPACE].name, request.match_info["deploymentKey"]
    store.get(workspace, key)  # 404 when not live
    await asyncio.sleep(RACE_WINDOW_SECONDS)
    if key in store.workspaces[workspace].live:
        store.delete(workspace, key)
    return web.Response(status=204)


def _rewrite_authorization(change: Callable[[str], str | None]) -> Planter:
    """Before auth, replace the Authorization header with `change(header)` unless None."""

    @web.middleware
    async def rewrite(request: web.Request, handler: Handler) -> web.StreamResponse:
        sent = request.headers.get("Authorization")
        changed = None if sent is None else change(sent)
        if changed is not None:
            request = request.clone(headers={**request.headers, "Authorization": changed})
        return await handler(request)

    return lambda app: plant(app, rewrite, Depth.BEFORE_AUTH)


def _scheme_spelled_exactly(header: str) -> str | None:
    scheme, space, rest = header.partition(" ")
    return f"Token {rest}" if space and scheme.lower() == "bearer" and scheme != "Bearer" else None


def _one_space_only(header: str) -> str | None:
    return "Bearer" if re.fullmatch(r"Bearer {2,}\S+", header) else None


async def _media_type_exact(request: web.Request, handler: Handler) -> web.StreamResponse:
    sent = request.headers.get("Content-Type", "")
    if sent != sent.lower():
        request = request.clone(headers={**request.headers, "Content-Type": "text/plain"})
    return await handler(request)


# -- symptoms (True = the defect shows) ------------------------------------------------------


def _deleted(api: Api) -> str:
    key = api.create()
    assert api.call("DELETE", api.item(key)).ok
    return key


def _bool_comes_back_as_int(api: Api) -> bool:
    key = api.create(registry_connector_init={"enabled": True})
    fetched = api.call("GET", api.item(key)).json()[0]["registry_connector_init"]["enabled"]
    return not isinstance(fetched, bool)


def _body_after_no_content(api: Api) -> bool:
    raw = api.raw_delete(api.create())
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.startswith(b"HTTP/1.1 204") and body != b""


def _parallel_creates_all_win(api: Api) -> bool:
    """More than one 201 for one key in parallel, while a plain duplicate is still a 409."""
    body = api.payload(api.new_key())
    statuses = api.in_parallel(PARALLEL, "POST", COLLECTION, json_body=body)
    again = api.call("POST", COLLECTION, json_body=body).status_code
    return statuses.count(201) > 1 and again == 409


def _parallel_deletes_all_win(api: Api) -> bool:
    """More than one 204 for one key in parallel, while a plain second delete is still a 404."""
    key = api.create()
    statuses = api.in_parallel(PARALLEL, "DELETE", api.item(key))
    again = api.call("DELETE", api.item(key)).status_code
    return statuses.count(204) > 1 and again == 404


DEFECTS: tuple[Defect, ...] = (
    Defect(
        "create-answers-object",
        Kind.SHAPE,
        "create answers the bare Deployment object instead of an array of one",
        answers("createDeployment", 201, lambda r: rebuilt(r, data=body_of(r)[0])),
        lambda api: isinstance(
            api.call("POST", COLLECTION, json_body=api.payload(api.new_key())).json(), dict
        ),
    ),
    Defect(
        "list-answers-object",
        Kind.SHAPE,
        "list wraps the array in an object: {'deployments': [...]}",
        answers("listDeployments", 200, lambda r: rebuilt(r, data={"deployments": body_of(r)})),
        lambda api: isinstance(api.call("GET", COLLECTION).json(), dict),
    ),
    Defect(
        "create-answers-200",
        Kind.STATUS,
        "create answers 200 instead of 201",
        answers("createDeployment", 201, lambda r: rebuilt(r, data=body_of(r), status=200)),
        lambda api: (
            api.call("POST", COLLECTION, json_body=api.payload(api.new_key())).status_code == 200
        ),
    ),
    Defect(
        "delete-answers-200",
        Kind.STATUS,
        "delete answers 200 (empty body) instead of 204",
        answers("deleteDeployment", 204, lambda r: web.Response(status=200)),
        lambda api: api.call("DELETE", api.item(api.create())).status_code == 200,
    ),
    Defect(
        "list-accepts-missing-token",
        Kind.AUTH,
        "list without an Authorization header answers 200 (as the first token's workspace)",
        handles("listDeployments", _anonymous_as_first_token, Depth.BEFORE_AUTH),
        lambda api: api.call("GET", COLLECTION, token=None).status_code == 200,
    ),
    Defect(
        "delete-accepts-unknown-token",
        Kind.AUTH,
        "delete with an unknown bearer token acts as the first token's workspace",
        handles("deleteDeployment", _unknown_token_as_first, Depth.BEFORE_AUTH),
        lambda api: (
            api.call("DELETE", api.item(api.create()), token=UNKNOWN_TOKEN).status_code == 204
        ),
    ),
    Defect(
        "401-without-challenge",
        Kind.AUTH,
        "every 401 lacks the WWW-Authenticate header",
        answers(
            None, 401, lambda r: rebuilt(r, data=body_of(r), drop_headers=("WWW-Authenticate",))
        ),
        lambda api: "WWW-Authenticate" not in api.call("GET", api.item("x"), token=None).headers,
    ),
    Defect(
        "create-checks-body-before-token",
        Kind.AUTH,
        "create validates the body before the token: no token and a bad body get 400/422, not 401",
        handles("createDeployment", _validate_then_authenticate, Depth.BEFORE_AUTH),
        lambda api: (
            api.call(
                "POST", COLLECTION, token=None, data=b"{", content_type="application/json"
            ).status_code
            == 400
        ),
    ),
    Defect(
        "get-reads-other-workspace",
        Kind.ISOLATION,
        "get finds a key of another workspace when the token's own has none",
        handles("getDeployment", _get_from_any_workspace),
        lambda api: api.call("GET", api.item(api.create_other())).status_code == 200,
    ),
    Defect(
        "list-shows-every-workspace",
        Kind.ISOLATION,
        "list shows the live deployments of every workspace",
        handles("listDeployments", _list_every_workspace),
        lambda api: api.create_other() in api.listed_keys(),
    ),
    Defect(
        "delete-in-other-workspace",
        Kind.ISOLATION,
        "delete finds and deletes another workspace's deployment when the token's own has none",
        handles("deleteDeployment", _delete_in_any_workspace),
        lambda api: api.call("DELETE", api.item(api.create_other())).status_code == 204,
    ),
    Defect(
        "key-unique-across-workspaces",
        Kind.ISOLATION,
        "a key used in another workspace is refused with 409 (keys must be per workspace)",
        with_store(_keys_unique_across_workspaces),
        lambda api: (
            api.call("POST", COLLECTION, json_body=api.payload(api.create_other())).status_code
            == 409
        ),
    ),
    Defect(
        "get-after-delete-200",
        Kind.SOFT_DELETE,
        "get still answers 200 with a soft-deleted deployment",
        handles("getDeployment", _get_retired_too),
        lambda api: api.call("GET", api.item(_deleted(api))).status_code == 200,
    ),
    Defect(
        "deleted-key-reusable",
        Kind.SOFT_DELETE,
        "delete is a hard delete: the key can be created again (201, not 409)",
        handles("deleteDeployment", _hard_delete),
        lambda api: (
            api.call("POST", COLLECTION, json_body=api.payload(_deleted(api))).status_code == 201
        ),
    ),
    Defect(
        "delete-again-204",
        Kind.SOFT_DELETE,
        "deleting an already deleted key answers 204 again instead of 404",
        handles("deleteDeployment", _delete_retired_again),
        lambda api: api.call("DELETE", api.item(_deleted(api))).status_code == 204,
    ),
    Defect(
        "delete-204-with-body",
        Kind.SOFT_DELETE,
        "delete answers 204 with a JSON message body (as TANGO's page shows; HTTP forbids it)",
        answers(
            "deleteDeployment",
            204,
            lambda r: NoContentWithBody(
                status=204,
                body=dump_json({"message": "Deployment deleted", "message_code": "deleted"}),
                content_type="application/json",
            ),
        ),
        _body_after_no_content,
    ),
    Defect(
        "list-includes-deleted",
        Kind.SOFT_DELETE,
        "list still shows soft-deleted deployments",
        handles("listDeployments", _list_retired_too),
        lambda api: _deleted(api) in api.listed_keys(),
    ),
    Defect(
        "duplicate-key-overwrites",
        Kind.DUPLICATES,
        "create with a live key replaces the deployment and answers 201 instead of 409",
        with_store(_upsert_live_keys),
        lambda api: (
            api.call("POST", COLLECTION, json_body=api.payload(api.create())).status_code == 201
        ),
    ),
    Defect(
        "keys-case-insensitive",
        Kind.DUPLICATES,
        "keys differing only in case collide: 'Abc' after 'abc' is 409 (a case-insensitive index)",
        with_store(_case_insensitive_keys),
        lambda api: (
            api.call("POST", COLLECTION, json_body=api.payload(api.create().upper())).status_code
            == 409
        ),
    ),
    Defect(
        "workspace-field-accepted",
        Kind.VALIDATION,
        "create silently drops a `workspace` field instead of answering 422",
        handles("createDeployment", lambda rq, _: create_with(rq, _drop_workspace_field)),
        lambda api: (
            api.call(
                "POST", COLLECTION, json_body=api.payload(api.new_key(), workspace=OTHER_WORKSPACE)
            ).ok
        ),
    ),
    Defect(
        "bad-key-pattern-accepted",
        Kind.VALIDATION,
        "create accepts a deployment_key that breaks the key pattern (e.g. with spaces)",
        handles("createDeployment", lambda rq, _: create_with(rq, _lenient_key)),
        lambda api: api.call("POST", COLLECTION, json_body=api.payload("bad key!")).ok,
    ),
    Defect(
        "get-adds-init-defaults",
        Kind.ROUND_TRIP,
        "get merges a default into registry_connector_init (not returned exactly as sent)",
        answers("getDeployment", 200, _with_init_defaults),
        lambda api: (
            "timeout_seconds"
            in api.call("GET", api.item(api.create())).json()[0]["registry_connector_init"]
        ),
    ),
    Defect(
        "get-wrong-workspace",
        Kind.ROUND_TRIP,
        "get reports the workspace as 'default' instead of the token's",
        answers("getDeployment", 200, lambda r: _with_deployments(r, workspace="default")),
        lambda api: (
            api.call("GET", api.item(api.create())).json()[0]["workspace"] != MAIN_WORKSPACE
        ),
    ),
    Defect(
        "init-bools-become-ints",
        Kind.ROUND_TRIP,
        "get returns true/false inside *_init as 1/0 (equal in Python, not in JSON)",
        answers("getDeployment", 200, _with_bools_as_ints),
        _bool_comes_back_as_int,
    ),
    Defect(
        "404-without-message-code",
        Kind.ERROR_ENVELOPE,
        "every 404 body is {'message': ...} without message_code",
        answers(None, 404, lambda r: rebuilt(r, data={"message": body_of(r)["message"]})),
        lambda api: "message_code" not in api.call("GET", api.item("nothing-here")).json(),
    ),
    Defect(
        "409-plain-text",
        Kind.ERROR_ENVELOPE,
        "a 409 is a text/plain sentence, not the JSON envelope",
        answers(
            "createDeployment",
            409,
            lambda r: rebuilt(r, text="Conflict: this key is taken.", content_type="text/plain"),
        ),
        lambda api: (
            api.call("POST", COLLECTION, json_body=api.payload(api.create()))
            .headers["Content-Type"]
            .startswith("text/plain")
        ),
    ),
    Defect(
        "422-without-errors",
        Kind.ERROR_ENVELOPE,
        "a 422 lacks the `errors` list the spec requires",
        answers(
            None,
            422,
            lambda r: rebuilt(r, data={k: v for k, v in body_of(r).items() if k != "errors"}),
        ),
        lambda api: "errors" not in api.call("POST", COLLECTION, json_body={}).json(),
    ),
    Defect(
        "ignores-request-content-type",
        Kind.CONTENT_TYPE,
        "create parses any Content-Type as JSON instead of answering 415",
        handles(
            "createDeployment",
            lambda rq, handler: handler(
                rq.clone(headers={**rq.headers, "Content-Type": "application/json"})
            ),
            Depth.BEFORE_AUTH,
        ),
        lambda api: (
            api.call(
                "POST",
                COLLECTION,
                data=dump_json(api.payload(api.new_key())),
                content_type="text/plain",
            ).ok
        ),
    ),
    Defect(
        "list-answers-text-plain",
        Kind.CONTENT_TYPE,
        "list sends its JSON as Content-Type text/plain",
        answers(
            "listDeployments",
            200,
            lambda r: rebuilt(r, data=body_of(r), content_type="text/plain"),
        ),
        lambda api: api.call("GET", COLLECTION).headers["Content-Type"].startswith("text/plain"),
    ),
    Defect(
        "invalid-json-500",
        Kind.CRASH,
        "a body that is not JSON crashes create: 500 instead of 400",
        handles("createDeployment", _invalid_json_crashes),
        lambda api: (
            (
                api.call("POST", COLLECTION, data=b"{not json", content_type="application/json")
            ).status_code
            == 500
        ),
    ),
    Defect(
        "non-object-init-500",
        Kind.CRASH,
        "an *_init that is not an object crashes create: 500 instead of 422",
        handles("createDeployment", lambda rq, _: create_with(rq, _init_items_before_validation)),
        lambda api: (
            api.call(
                "POST", COLLECTION, json_body=api.payload(api.new_key(), server_proxy_init=[1])
            ).status_code
            == 500
        ),
    ),
    Defect(
        "parallel-creates-all-win",
        Kind.CONCURRENCY,
        "parallel creates of one new key all answer 201 (looked up, then written: the last wins)",
        handles("createDeployment", _create_check_then_write),
        _parallel_creates_all_win,
    ),
    Defect(
        "parallel-deletes-all-win",
        Kind.CONCURRENCY,
        "parallel deletes of one deployment all answer 204 (looked up, then deleted)",
        handles("deleteDeployment", _delete_check_then_write),
        _parallel_deletes_all_win,
    ),
    Defect(
        "auth-scheme-case-sensitive",
        Kind.AUTH,
        "only `Bearer` spelled exactly is read as the scheme: `bearer <token>` gets 401",
        _rewrite_authorization(_scheme_spelled_exactly),
        lambda api: api.call("GET", COLLECTION, authorization=f"bearer {TOKEN}").status_code == 401,
    ),
    Defect(
        "auth-scheme-one-space-only",
        Kind.AUTH,
        "two spaces between `Bearer` and the token make the header malformed (401)",
        _rewrite_authorization(_one_space_only),
        lambda api: (
            api.call("GET", COLLECTION, authorization=f"Bearer  {TOKEN}").status_code == 401
        ),
    ),
    Defect(
        "media-type-case-sensitive",
        Kind.CONTENT_TYPE,
        "create compares the Content-Type exactly: `Application/JSON` gets 415",
        handles("createDeployment", _media_type_exact, Depth.BEFORE_AUTH),
        lambda api: (
            api.call(
                "POST",
                COLLECTION,
                data=dump_json(api.payload(api.new_key())),
                content_type="Application/JSON",
            ).status_code
            == 415
        ),
    ),
)

BY_NAME = {defect.name: defect for defect in DEFECTS}
