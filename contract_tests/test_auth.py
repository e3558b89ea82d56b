"""Every operation refuses requests without valid bearer credentials: 401 with a challenge.

GET and DELETE aim at a live deployment of this run, so a server that ignores auth answers
200 or 204 and is caught, instead of hiding behind a 404.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.client import TangoClient
from contract_tests.exchange import Exchange
from contract_tests.expect import expect_status, expect_success, violation
from contract_tests.payloads import payload
from contract_tests.run import ContractRun

CREDENTIALS: dict[str, Callable[[ContractRun], str | None]] = {
    "no Authorization header": lambda run: None,
    "a malformed header (the scheme without a token)": lambda run: "Bearer",
    "a non-Bearer scheme carrying the valid token": lambda run: f"Token {run.owner.token}",
    "an unknown token": lambda run: f"Bearer {run.settings.key_prefix}unknown-token",
}
IDS = ["none", "malformed", "non-bearer", "unknown"]


@pytest.fixture(scope="module")
def live_key(run: ContractRun) -> str:
    """One live deployment the refused GET and DELETE requests point at."""
    key = run.keys.new("auth")
    expect_success(run.client().create(payload(key)), "creating a valid new deployment (setup)")
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


@pytest.mark.parametrize(
    "operation", ["createDeployment", "listDeployments", "getDeployment", "deleteDeployment"]
)
@pytest.mark.parametrize("credentials", list(CREDENTIALS), ids=IDS)
def test_bad_credentials_answer_401_with_a_bearer_challenge(
    run: ContractRun, client: TangoClient, live_key: str, operation: str, credentials: str
) -> None:
    exchange = send(operation, client, run, live_key, CREDENTIALS[credentials](run))
    expect_status(exchange, 401, f"a request with {credentials}")
    challenge = exchange.header("WWW-Authenticate")
    if challenge is None:
        violation(exchange, f"a 401 must carry a WWW-Authenticate header ({credentials}), got none")
    if not challenge.strip().lower().startswith("bearer"):
        violation(exchange, f"the WWW-Authenticate challenge must name Bearer, got {challenge!r}")
