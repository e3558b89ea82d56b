"""One check of the error envelope, shared by the HTTP tests so every error is held to it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientResponse

ENVELOPE_KEYS = {"message", "message_code"}


def check_envelope(status: int, content_type: str, text: str, expected_code: str) -> dict[str, Any]:
    """The body is the JSON envelope with `expected_code` (and `errors` exactly on 422)."""
    assert content_type == "application/json", f"{status} sent {content_type!r}: {text[:200]}"
    body = json.loads(text)
    assert isinstance(body, dict), text
    expected_keys = ENVELOPE_KEYS | ({"errors"} if status == 422 else set())
    assert set(body) == expected_keys, body
    assert body["message_code"] == expected_code, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert "Traceback" not in text
    return body


async def assert_error(response: ClientResponse, status: int, expected_code: str) -> dict[str, Any]:
    """Assert an aiohttp response is the error envelope with this status and code."""
    text = await response.text()
    assert response.status == status, f"expected {status}, got {response.status}: {text[:300]}"
    return check_envelope(status, response.content_type, text, expected_code)
