"""Every operation refuses requests without valid bearer credentials: 401 with a challenge.

Auth comes first, so the 401 depends on nothing else in the request. GET and DELETE aim at a
live deployment of this run, so a server that ignores auth answers 200 or 204 and is caught
instead of hiding behind a 404; they also aim at never created and deleted keys, where a
server that looks the key up before the token answers 404 (telling strangers which keys
exist). Creates also carry bodies that are not JSON, break the schema, are not sent as JSON
or reuse a live key: a server that reads the body before the token answers 400, 422, 415 or
409 instead of 401. Tokens are compared exactly: the valid token with its letters' case
swapped, one character more or one less is an unknown token (a case-insensitive collation, a
prefix match or a hash that truncates would accept it), while the scheme is read as HTTP
defines it: `bearer`, `BEARER` and several spaces before the token all work.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from contract_tests.support.client import JSON, TangoClient
from contract_tests.support.exchange import Exchange
from contract_tests.support.expect import expect_status, expect_success, held, violation
from contract_tests.support.payloads import payload, payload_text
from contract_tests.support.run import ContractRun

CREDENTIALS: dict[str, Callable[[ContractRun], str | None]] = {
    "no Authorization header": lambda run: None,
    "a malformed header (the scheme without a token)": lambda run: "Bearer",
    "a non-Bearer scheme carrying the valid token": lambda run: f"Token {run.owner.token}",
    "an unknown token": lambda run: f"Bearer {run.settings.key_prefix}unknown-token",
}
IDS = ["none", "malformed", "non-bearer", "unknown"]
CREDENTIAL_RULES = dict(
    zip(
        CREDENTIALS,
        [
            "auth.missing-token-401",
            "auth.malformed-header-401",
            "auth.non-bearer-scheme-401",
            "auth.unknown-token-401",
        ],
        strict=True,
    )
)
OPERATIONS = ["createDeployment", "listDeployments", "getDeployment", "deleteDeployment"]

# Create bodies a valid token would get a 4xx other than 401 for: (body, Content-Type).
BAD_BODIES: dict[str, Callable[[ContractRun, str], tuple[bytes, str]]] = {
    "a body that is not JSON": lambda run, live: (b'{"deployment_key": ', JSON),
    "JSON that breaks the schema": lambda run, live: (
        json.dumps({"deployment_key": run.keys.new("auth-invalid"), "workspace": "x"}).encode(),
        JSON,
    ),
    "a valid payload sent as text/plain": lambda run, live: (
        payload_text(run.keys.new("auth-text")),
        "text/plain",
    ),
    "the key of a live deployment": lambda run, live: (payload_text(live), JSON),
}
BODY_IDS = ["not-json", "schema", "text-plain", "live-key"]

# Tokens one step from the valid one, and how a curl line spells each from the token variable.
NEAR_MISSES: dict[str, tuple[Callable[[str], str], str]] = {
    "the token with its letters' case swapped": (
        str.swapcase,
        "$(printf %s ${VAR} | tr a-zA-Z A-Za-z)",
    ),
    "the token with one character more": (lambda token: f"{token}x", "${VAR}x"),
    "the token without its last character": (lambda token: token[:-1], "${VAR%?}"),
}
NEAR_MISS_IDS = ["swapped-case", "longer", "shorter"]


@pytest.fixture(scope="module")
def live_key(run: ContractRun) -> str:
    """One live deployment the refused GET and DELETE requests point at."""
    key = run.keys.new("auth")
    expect_success(
        run.client().create(payload(key)),
        "creating a valid new deployment (setup)",
        rule="create.valid-accepted",
    )
    return key


@pytest.fixture(scope="module")
def deleted_key(run: ContractRun) -> str:
    """One soft-deleted deployment: refused requests must not reveal that it existed."""
    key = run.keys.new("auth-deleted")
    client = run.client()
    expect_success(
        client.create(payload(key)),
        "creating a valid new deployment (setup)",
        rule="create.valid-accepted",
    )
    expect_success(
        client.delete(key), "deleting a live deployment (setup)", rule="lifecycle.delete-204"
    )
    return key


def send(
    operation: str, client: TangoClient, run: ContractRun, key: str, authorization: str | None
) -> Exchange:
    if operation == "createDeployment":
        return client.create(payload(run.keys.new("auth-post")), authorization=authorization)
    if operation == "listDeployments":
        return client.list(authorization=authorization)
    if operation == "getDeployment":
        return client.get(key, authorization=authorization)
    return client.delete(key, authorization=authorization)


def near_miss_client(run: ContractRun, near_miss: str) -> tuple[TangoClient, str]:
    """A client and the near-miss header; curl lines derive that token, never show it."""
    change, shell = NEAR_MISSES[near_miss]
    token = change(run.owner.token)
    if token == run.owner.token:
        pytest.skip(f"{near_miss} is the token itself (it has no letters)")
    client = run.client()
    if client.secrets:  # a real server's tokens: mask the near miss too, and before the token
        variable = run.owner.placeholder.lstrip("$")
        client.secrets = {token: shell.replace("VAR", variable), **client.secrets}
    return client, f"Bearer {token}"


def expect_refused(exchange: Exchange, when: str, *, rule: str) -> None:
    """401 (the status judged by `rule`) with a `WWW-Authenticate` challenge naming Bearer."""
    __tracebackhide__ = True
    expect_status(exchange, 401, when, rule=rule)
    challenge = exchange.header("WWW-Authenticate")
    challenged = "auth.challenge-bearer"
    if challenge is None:
        violation(
            exchange, f"a 401 must carry a WWW-Authenticate header ({when}), got none", challenged
        )
    if not challenge.strip().lower().startswith("bearer"):
        violation(
            exchange,
            f"the WWW-Authenticate challenge must name Bearer, got {challenge!r}",
            challenged,
        )
    held(challenged)


def aimed_at(request: pytest.FixtureRequest, run: ContractRun, operation: str) -> str:
    """The key a refused GET or DELETE names: a live one, so a server ignoring auth is seen
    answering 200 or 204; in the read-only smoke profile, one never created (nothing to lose).
    """
    if operation in ("getDeployment", "deleteDeployment") and not run.settings.profile.read_only:
        return str(request.getfixturevalue("live_key"))
    return run.keys.new("auth-absent")


@pytest.mark.read_only
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("credentials", list(CREDENTIALS), ids=IDS)
def test_bad_credentials_answer_401_with_a_bearer_challenge(
    request: pytest.FixtureRequest,
    run: ContractRun,
    client: TangoClient,
    operation: str,
    credentials: str,
) -> None:
    key = aimed_at(request, run, operation)
    exchange = send(operation, client, run, key, CREDENTIALS[credentials](run))
    expect_refused(exchange, f"a request with {credentials}", rule=CREDENTIAL_RULES[credentials])


@pytest.mark.parametrize("problem", list(BAD_BODIES), ids=BODY_IDS)
@pytest.mark.parametrize("credentials", list(CREDENTIALS), ids=IDS)
def test_bad_credentials_answer_401_before_the_body_is_looked_at(
    run: ContractRun, client: TangoClient, live_key: str, problem: str, credentials: str
) -> None:
    body, content_type = BAD_BODIES[problem](run, live_key)
    authorization = CREDENTIALS[credentials](run)
    exchange = client.create_raw(body, content_type=content_type, authorization=authorization)
    expect_refused(exchange, f"a create with {credentials} and {problem}", rule="auth.before-body")


@pytest.mark.parametrize("operation", ["getDeployment", "deleteDeployment"])
@pytest.mark.parametrize(
    "state",
    [
        pytest.param("never created", id="never-created", marks=pytest.mark.read_only),
        pytest.param("deleted", id="deleted"),
    ],
)
@pytest.mark.parametrize("credentials", list(CREDENTIALS), ids=IDS)
def test_bad_credentials_answer_401_before_the_key_is_looked_up(
    request: pytest.FixtureRequest,
    run: ContractRun,
    client: TangoClient,
    operation: str,
    state: str,
    credentials: str,
) -> None:
    key = str(request.getfixturevalue("deleted_key")) if state == "deleted" else ""
    exchange = send(
        operation, client, run, key or run.keys.new("auth-unknown"), CREDENTIALS[credentials](run)
    )
    expect_refused(
        exchange,
        f"a request with {credentials} for a key that was {state}",
        rule="auth.before-key-lookup",
    )


@pytest.mark.read_only
@pytest.mark.parametrize("operation", ["listDeployments", "getDeployment"])
@pytest.mark.parametrize("near_miss", list(NEAR_MISSES), ids=NEAR_MISS_IDS)
def test_a_token_one_step_from_the_valid_one_answers_401(
    request: pytest.FixtureRequest, run: ContractRun, operation: str, near_miss: str
) -> None:
    client, authorization = near_miss_client(run, near_miss)
    exchange = send(operation, client, run, aimed_at(request, run, operation), authorization)
    expect_refused(exchange, f"a request with {near_miss}", rule="auth.token-exact")


# The same valid token under other spellings of the scheme HTTP allows: (header, rule).
SCHEME_SPELLINGS: dict[str, tuple[Callable[[str], str], str]] = {
    "the scheme in lower case": (lambda token: f"bearer {token}", "auth.scheme-case-insensitive"),
    "the scheme in upper case": (lambda token: f"BEARER {token}", "auth.scheme-case-insensitive"),
    "the scheme in mixed case": (lambda token: f"bEaReR {token}", "auth.scheme-case-insensitive"),
    "two spaces after the scheme": (lambda token: f"Bearer  {token}", "auth.scheme-spaces"),
}


@pytest.mark.read_only
@pytest.mark.parametrize(
    "spelling", list(SCHEME_SPELLINGS), ids=["lower", "upper", "mixed", "spaces"]
)
def test_the_scheme_is_read_as_http_allows_it_spelled(
    run: ContractRun, client: TangoClient, spelling: str
) -> None:
    header, rule = SCHEME_SPELLINGS[spelling]
    exchange = client.list(authorization=header(run.owner.token))
    expect_status(exchange, 200, f"listing with the valid token and {spelling}", rule=rule)
