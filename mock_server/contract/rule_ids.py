"""Every rule the contract suite checks: a stable id, where the rule comes from, one sentence.

An id names a rule in failures, in `--rules` selections and in conformance reports, so it
never changes meaning; a retired rule's id is not reused. Sources:

- `tango-docs`: TANGO's own API page says so;
- `http`: an HTTP standard says so (the RFC and section are in `where`);
- `decision`: the page is silent or contradicts HTTP and this project pinned the answer
  (the README's "Contract decisions" table).

Plain data, no pytest and no aiohttp: a checker outside the suite (a recording proxy, a
dashboard) reports against the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["tango-docs", "http", "decision"]
SOURCES: tuple[Source, ...] = ("tango-docs", "http", "decision")
SOURCE_TITLES: dict[Source, str] = {
    "tango-docs": "TANGO's API page",
    "http": "HTTP standards",
    "decision": "Contract decisions of this project",
}

_PAGE = "TANGO page"
_DECISIONS = "README, Contract decisions"


@dataclass(frozen=True)
class Rule:
    """One checked rule: `id` is stable, `statement` says what a server must do."""

    id: str
    source: Source
    statement: str
    where: str
    needs_other_token: bool = False  # only checkable with a second workspace's token


RULES: tuple[Rule, ...] = (
    # -- authentication
    Rule(
        "auth.missing-token-401",
        "tango-docs",
        "A request without an Authorization header is refused with 401.",
        f'{_PAGE}: every operation "Requires bearer token authentication"',
    ),
    Rule(
        "auth.malformed-header-401",
        "http",
        "A malformed Authorization header (the scheme without a token) is refused with 401.",
        "RFC 6750 §3.1 (invalid_request)",
    ),
    Rule(
        "auth.non-bearer-scheme-401",
        "http",
        "Another scheme carrying the valid token (e.g. `Token <token>`) is refused with 401.",
        "RFC 6750 §2.1, RFC 9110 §11.6.2",
    ),
    Rule(
        "auth.unknown-token-401",
        "http",
        "A bearer token the server never issued is refused with 401.",
        "RFC 6750 §3.1 (invalid_token)",
    ),
    Rule(
        "auth.challenge-bearer",
        "http",
        "Every 401 carries a WWW-Authenticate challenge naming the Bearer scheme.",
        "RFC 9110 §11.6.1, RFC 6750 §3",
    ),
    Rule(
        "auth.scheme-case-insensitive",
        "http",
        "The scheme name is case-insensitive: `bearer` and `BEARER` work like `Bearer`.",
        "RFC 9110 §11.1",
    ),
    Rule(
        "auth.scheme-spaces",
        "http",
        "One or more spaces may separate the scheme from the token.",
        'RFC 6750 §2.1 (`"Bearer" 1*SP b64token`)',
    ),
    Rule(
        "auth.token-exact",
        "decision",
        "Tokens are compared exactly: the valid token with its case swapped, one character "
        "more or one less is refused with 401.",
        f"{_DECISIONS}, Authentication",
    ),
    Rule(
        "auth.before-body",
        "decision",
        "A create with bad credentials gets 401 whatever its body (not JSON, schema-breaking, "
        "not sent as JSON, a live key).",
        f"{_DECISIONS}, Authentication",
    ),
    Rule(
        "auth.before-key-lookup",
        "decision",
        "A get or delete with bad credentials gets 401 for keys never created or deleted: "
        "strangers learn nothing about which keys exist.",
        f"{_DECISIONS}, Authentication and Get",
    ),
    # -- create
    Rule(
        "create.valid-accepted",
        "tango-docs",
        "A valid DeploymentPayload under a new key is accepted (2xx).",
        f"{_PAGE}: Add a New Deployment",
    ),
    Rule(
        "create.answers-201",
        "decision",
        "A created deployment is answered with 201 (not 200).",
        f"{_DECISIONS}, Create answer",
    ),
    Rule(
        "create.array-of-one",
        "tango-docs",
        "Create answers a JSON array holding exactly the created deployment.",
        f'{_PAGE}: "returns the created Deployment object in an array"',
    ),
    Rule(
        "create.key-shapes-accepted",
        "decision",
        "Keys with dots, underscores, dashes and up to 128 characters are accepted.",
        f"{_DECISIONS}, Key format",
    ),
    Rule(
        "create.charset-accepted",
        "decision",
        "`application/json; charset=utf-8` is accepted as the request's media type.",
        f"{_DECISIONS}, Bad bodies",
    ),
    Rule(
        "create.media-type-case-insensitive",
        "http",
        "Media type and charset names are case-insensitive: `Application/JSON; "
        "Charset=UTF-8` is application/json.",
        "RFC 9110 §8.3.1, §8.3.2",
    ),
    # -- what comes back
    Rule(
        "roundtrip.fields-as-sent",
        "decision",
        "Create, get and list return the five payload fields as the same JSON that was sent "
        "(types exact: `true` is not `1`; nothing added or removed in `*_init`).",
        f"{_DECISIONS}, `*_init` fields",
    ),
    Rule(
        "roundtrip.workspace-of-token",
        "tango-docs",
        "Every deployment names the workspace of the token that created it.",
        f'{_PAGE}: "The workspace is automatically set to the workspace associated with the '
        "authenticated user's token\"",
    ),
    Rule(
        "get.live-200",
        "tango-docs",
        "Getting a live deployment answers 200.",
        f"{_PAGE}: Get a Specific Deployment",
    ),
    Rule(
        "get.array-of-one",
        "tango-docs",
        "Get answers a JSON array holding exactly the requested deployment.",
        f'{_PAGE}: "returns the requested Deployment object in an array"',
    ),
    Rule(
        "list.array",
        "tango-docs",
        "List answers 200 with a JSON array of deployment objects.",
        f'{_PAGE}: List, "returns an array of Deployment objects"',
    ),
    Rule(
        "list.holds-live",
        "tango-docs",
        "Every live deployment of the workspace is in its list.",
        f'{_PAGE}: "all TANGO Deployments available in the workspace"',
    ),
    Rule(
        "list.only-own-workspace",
        "tango-docs",
        "A list holds deployments of the token's workspace only.",
        f'{_PAGE}: "in the workspace associated with the authenticated user\'s token"',
    ),
    Rule(
        "list.oldest-first",
        "decision",
        "The list is ordered oldest first.",
        f"{_DECISIONS}, List",
    ),
    Rule(
        "content.json-answers",
        "decision",
        "Answers with a body are sent as application/json (any parameters) and parse as JSON.",
        f"{_DECISIONS}, Errors; openapi.yaml",
    ),
    Rule(
        "errors.envelope",
        "decision",
        "Every error answer is a JSON object with a string `message` and a string "
        "`message_code`, sent as application/json.",
        f"{_DECISIONS}, Errors",
    ),
    # -- keys and the delete lifecycle
    Rule(
        "lifecycle.live-key-409",
        "tango-docs",
        "Creating under a live key again is refused (409).",
        f'{_PAGE}: "The deployment_key serves as a unique, permanent identifier"',
    ),
    Rule(
        "lifecycle.refused-duplicate-keeps-original",
        "tango-docs",
        "A refused duplicate leaves the original deployment exactly as it was.",
        f'{_PAGE}: "it cannot be modified later"',
    ),
    Rule(
        "lifecycle.delete-204",
        "tango-docs",
        "Deleting a live deployment answers 204.",
        f'{_PAGE}: Delete a Deployment, "A successful 204 No Content response"',
    ),
    Rule(
        "lifecycle.no-content-no-body",
        "http",
        "A 204 carries no body (TANGO's page shows one; HTTP forbids it).",
        "RFC 9110 §15.3.5",
    ),
    Rule(
        "lifecycle.deleted-get-404",
        "decision",
        "A deleted deployment answers 404 to get.",
        f"{_DECISIONS}, Get",
    ),
    Rule(
        "lifecycle.deleted-not-listed",
        "decision",
        "A deleted deployment is no longer listed.",
        f"{_DECISIONS}, List",
    ),
    Rule(
        "lifecycle.deleted-key-retired",
        "tango-docs",
        "A deleted key can never be created again in its workspace (409).",
        f'{_PAGE}: "Because deletions are soft deletes, the key cannot be reused"',
    ),
    Rule(
        "lifecycle.delete-again-404",
        "decision",
        "Deleting an already deleted deployment answers 404.",
        f"{_DECISIONS}, Delete",
    ),
    Rule(
        "lifecycle.unknown-key-404",
        "http",
        "Getting or deleting a key that was never created answers 404.",
        "RFC 9110 §15.5.5",
    ),
    Rule(
        "keys.case-sensitive",
        "decision",
        "Keys are case-sensitive: keys differing only in case are separate deployments.",
        f"{_DECISIONS}, Permanent keys",
    ),
    Rule(
        "concurrency.one-create-wins",
        "tango-docs",
        "Parallel creates of one new key: exactly one 201, the others 409, one deployment "
        "afterwards.",
        f'{_PAGE}: "A unique key for the deployment"',
    ),
    Rule(
        "concurrency.one-delete-wins",
        "decision",
        "Parallel deletes of one deployment: exactly one 204, the others 404.",
        f"{_DECISIONS}, Delete",
    ),
    # -- workspaces
    Rule(
        "isolation.invisible-to-others",
        "tango-docs",
        "Another workspace's token gets 404 for the deployment, does not list it, and its "
        "delete attempt (404) changes nothing.",
        f"{_PAGE}: the workspace is the token's",
        needs_other_token=True,
    ),
    Rule(
        "isolation.same-key-separate",
        "decision",
        "The same key in two workspaces names two separate deployments.",
        f"{_DECISIONS}, Permanent keys",
        needs_other_token=True,
    ),
    # -- bad requests
    Rule(
        "input.not-json-400",
        "decision",
        "A body that is not strict JSON (empty, truncated, not UTF-8, NaN, duplicate keys, "
        "deep nesting) answers 400.",
        f"{_DECISIONS}, Bad bodies",
    ),
    Rule(
        "input.schema-422",
        "decision",
        "JSON that breaks the DeploymentPayload schema answers 422.",
        f"{_DECISIONS}, Bad bodies",
    ),
    Rule(
        "input.refused-stores-nothing",
        "decision",
        "A refused create stores nothing: its key answers 404 afterwards.",
        f"{_DECISIONS}, Bad bodies",
    ),
    Rule(
        "input.media-type-415",
        "http",
        "A body not sent as application/json answers 415.",
        "RFC 9110 §15.5.16",
    ),
    Rule(
        "input.too-large-413",
        "decision",
        "A body over 1 MiB, with or without a Content-Length, answers 413.",
        f"{_DECISIONS}, Bad bodies; RFC 9110 §15.5.14",
    ),
    Rule(
        "http.method-405-allow",
        "http",
        "A method the path does not have answers 405 with an Allow header listing its methods.",
        "RFC 9110 §15.5.6",
    ),
    Rule(
        "http.unknown-path-404",
        "http",
        "A path the API does not have answers 404.",
        "RFC 9110 §15.5.5",
    ),
    # -- generated requests (schemathesis' checks against openapi.yaml)
    Rule(
        "schema.no-server-error",
        "http",
        "No request, valid or not, makes the server answer 5xx.",
        "RFC 9110 §15.6 (5xx: the server failed, not the request)",
    ),
    Rule(
        "schema.status-code-documented",
        "decision",
        "Every status code answered is documented for its operation in openapi.yaml.",
        f"{_DECISIONS}; openapi.yaml",
    ),
    Rule(
        "schema.content-type-documented",
        "decision",
        "Every answer's Content-Type is the one openapi.yaml documents.",
        f"{_DECISIONS}, Errors; openapi.yaml",
    ),
    Rule(
        "schema.headers-documented",
        "decision",
        "Headers openapi.yaml requires on an answer are present and valid.",
        "openapi.yaml",
    ),
    Rule(
        "schema.body-documented",
        "tango-docs",
        "Every answer's body matches the schema openapi.yaml gives its status.",
        f"{_PAGE}: Response Format sections; openapi.yaml",
    ),
    Rule(
        "schema.invalid-data-rejected",
        "decision",
        "Requests that break the schema are refused with a 4xx.",
        f"{_DECISIONS}, Bad bodies and Key format",
    ),
    Rule(
        "schema.valid-data-accepted",
        "tango-docs",
        "Requests that keep the schema are accepted.",
        f"{_PAGE}: Add a New Deployment, Attributes",
    ),
    Rule(
        "schema.missing-header-rejected",
        "tango-docs",
        "A request missing a required header (Authorization) is refused.",
        f'{_PAGE}: "Requires bearer token authentication"',
    ),
    Rule(
        "schema.auth-enforced",
        "tango-docs",
        "Requests without valid credentials are never served.",
        f'{_PAGE}: "Requires bearer token authentication"',
    ),
    Rule(
        "schema.unsupported-method-405",
        "http",
        "Methods openapi.yaml does not list for a path answer 405.",
        "RFC 9110 §15.5.6",
    ),
    Rule(
        "schema.allow-header",
        "http",
        "A 405's Allow header lists the path's methods.",
        "RFC 9110 §10.2.1",
    ),
    Rule(
        "schema.created-is-readable",
        "tango-docs",
        "A created deployment can be read back along the spec's links.",
        f"{_PAGE}: Get a Specific Deployment",
    ),
    Rule(
        "schema.deleted-stays-gone",
        "tango-docs",
        "A deleted deployment is not served again along the spec's links.",
        f'{_PAGE}: "This is a soft delete"',
    ),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

# Rules a *client* must keep: judged on what a client sends (the recording proxy, the mock's
# journal), never by the suite, which judges servers; `client.` names the side.
CLIENT_RULES: tuple[Rule, ...] = (
    Rule(
        "client.known-operation",
        "tango-docs",
        "A request names one of the four operations (method and path of openapi.yaml).",
        f"{_PAGE}; openapi.yaml paths",
    ),
    Rule(
        "client.bearer-token",
        "tango-docs",
        "Every request carries `Authorization: Bearer <token>`.",
        f'{_PAGE}: every operation "Requires bearer token authentication"',
    ),
    Rule(
        "client.json-content-type",
        "tango-docs",
        "A create body is sent as application/json.",
        "openapi.yaml requestBody",
    ),
    Rule(
        "client.body-json",
        "http",
        "A create body is one JSON object.",
        "openapi.yaml requestBody; RFC 8259",
    ),
    Rule(
        "client.no-workspace-field",
        "decision",
        "A create body never carries `workspace`: the token decides the workspace.",
        f"{_DECISIONS}, Workspace",
    ),
    Rule(
        "client.valid-payload",
        "tango-docs",
        "A create body is a valid DeploymentPayload: the five fields, no others, the key and "
        "class patterns.",
        f"{_PAGE}: Add a New Deployment; openapi.yaml DeploymentPayload",
    ),
    Rule(
        "client.key-pattern",
        "tango-docs",
        "The key in a get or delete path matches the deployment key pattern.",
        "openapi.yaml deploymentKey parameter",
    ),
)
CLIENT_BY_ID: dict[str, Rule] = {rule.id: rule for rule in CLIENT_RULES}

# Judged only between a client and a live server (the proxy): no server broke a rule of the
# contract, but the client did not get an answer from it.
PROXY_RULES: tuple[Rule, ...] = (
    Rule(
        "proxy.upstream-unreachable",
        "decision",
        "The upstream server answers (the proxy reached it and got a whole answer).",
        "README, tango-mock proxy",
    ),
)
PROXY_BY_ID: dict[str, Rule] = {rule.id: rule for rule in PROXY_RULES}

# schemathesis' built-in check (by function name) -> the rule it checks.
SCHEMATHESIS_CHECKS: dict[str, str] = {
    "not_a_server_error": "schema.no-server-error",
    "status_code_conformance": "schema.status-code-documented",
    "content_type_conformance": "schema.content-type-documented",
    "response_headers_conformance": "schema.headers-documented",
    "response_schema_conformance": "schema.body-documented",
    "negative_data_rejection": "schema.invalid-data-rejected",
    "positive_data_acceptance": "schema.valid-data-accepted",
    "missing_required_header": "schema.missing-header-rejected",
    "ignored_auth": "schema.auth-enforced",
    "unsupported_method": "schema.unsupported-method-405",
    "allow_header_conformance": "schema.allow-header",
    "ensure_resource_availability": "schema.created-is-readable",
    "use_after_free": "schema.deleted-stays-gone",
    # Its ownership inference never sees that a create's key names what it made, so it does
    # not fire on this API; the suite's own stateful check judges the same rule.
    "object_level_authorization": "isolation.invisible-to-others",
}


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError names an id nobody declared (a typo in a check)."""
    try:
        return BY_ID.get(rule_id) or CLIENT_BY_ID.get(rule_id) or PROXY_BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"no rule {rule_id!r} in mock_server.contract.rule_ids") from None


def parse_sources(text: str) -> tuple[Source, ...]:
    """`tango-docs,http` -> those sources, in the order of SOURCES; ValueError names the bad one."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in SOURCES]
    if unknown or not wanted:
        raise ValueError(
            f"--rules takes a comma-separated list of {', '.join(SOURCES)}; got {text!r}"
        )
    return tuple(source for source in SOURCES if source in wanted)
