"""Bearer auth over HTTP: every way a token can fail is a 401 with a challenge, or a 403."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.contract.fixture_format import BEARER_TOKEN_PATTERN
from mock_server.http.auth import authenticate
from mock_server.state.fixtures import build_store, parse_document
from tests.conftest import (
    DISABLED_TOKEN,
    EXPIRED_TOKEN,
    MLFLOW_PAYLOAD,
    OTHER_TOKEN,
    TOKEN,
    auth,
)
from tests.envelope import assert_error

ITEM = "/api/deployment/mlflow-deployment-staging"

# (method, path, json body) of each of the four operations.
OPERATIONS: list[tuple[str, str, Any]] = [
    ("POST", "/api/deployment", MLFLOW_PAYLOAD),
    ("GET", "/api/deployment", None),
    ("GET", ITEM, None),
    ("DELETE", ITEM, None),
]

BAD_AUTHORIZATION = {
    "empty": "",
    "blank": "   ",
    "scheme only": "Bearer",
    "scheme and spaces": "Bearer   ",
    "two tokens": "Bearer t1 t2",
    "token with a comma": "Bearer t1,t2",
    "no space": "Bearert1",
    "basic": "Basic dDE6cGFzcw==",
    "token scheme": "Token t1",
    "raw token": "t1",
    "unknown token": "Bearer no-such-token",
    "expired token": f"Bearer {EXPIRED_TOKEN}",
    "token of another case": "Bearer T1",
}


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_missing_header_is_401_with_bearer_challenge(
    client: TestClient[Any, Any], method: str, path: str, body: Any
) -> None:
    response = await client.request(method, path, json=body)
    await assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'realm="tango"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_bad_authorization_is_401_with_bearer_challenge(
    client: TestClient[Any, Any], method: str, path: str, body: Any, header: str
) -> None:
    response = await client.request(method, path, json=body, headers={"Authorization": header})
    await assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_invalid_and_expired_tokens_say_invalid_token(client: TestClient[Any, Any]) -> None:
    for token in ("no-such-token", EXPIRED_TOKEN):
        response = await client.get("/api/deployment", headers=auth(token))
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_malformed_header_says_invalid_request(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/deployment", headers={"Authorization": "Basic dDE6cA=="})
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


async def test_401_does_not_echo_the_token(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/deployment", headers=auth("secret-looking-token"))
    assert response.status == 401
    assert "secret-looking-token" not in await response.text()


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_disabled_workspace_is_403(
    client: TestClient[Any, Any], method: str, path: str, body: Any
) -> None:
    response = await client.request(method, path, json=body, headers=auth(DISABLED_TOKEN))
    await assert_error(response, 403, "forbidden")


async def test_disabled_workspace_cannot_create(client: TestClient[Any, Any]) -> None:
    await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth(DISABLED_TOKEN))
    # The refused create left nothing behind: ws1 can still take the key.
    created = await client.post("/api/deployment", json=MLFLOW_PAYLOAD, headers=auth())
    assert created.status == 201


@pytest.mark.parametrize(
    "tokens", [(TOKEN, OTHER_TOKEN), (TOKEN, TOKEN), ("no-such-token", TOKEN)], ids=repr
)
async def test_two_authorization_headers_are_malformed(
    client: TestClient[Any, Any], tokens: tuple[str, str]
) -> None:
    """Neither header silently wins: which workspace was meant is not knowable."""
    headers = [("Authorization", f"Bearer {token}") for token in tokens]
    response = await client.get("/api/deployment", headers=headers)
    await assert_error(response, 401, "unauthorized")
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_scheme_is_case_insensitive(client: TestClient[Any, Any], scheme: str) -> None:
    response = await client.get("/api/deployment", headers={"Authorization": f"{scheme} t1"})
    assert response.status == 200


async def test_auth_comes_before_body_checks(client: TestClient[Any, Any]) -> None:
    """A client without a token learns nothing about its body: 401, not 415/400/422."""
    response = await client.post("/api/deployment", data=b"not json")
    await assert_error(response, 401, "unauthorized")


@pytest.mark.slow  # many generated tokens
@settings(max_examples=100, deadline=None)
@given(token=st.from_regex(BEARER_TOKEN_PATTERN, fullmatch=True))
def test_every_token_a_fixture_accepts_can_authenticate(token: str) -> None:
    """Fixtures and the Authorization parser share one token syntax: no unusable tokens."""
    seed = parse_document(
        {"workspaces": [{"name": "ws"}], "tokens": [{"token": token, "workspace": "ws"}]},
        source="generated",
    )
    store = build_store(seed)
    workspace = authenticate(f"Bearer {token}", store, datetime.now(UTC))
    assert workspace.name == "ws"
