"""Shared pieces of the hardening tests: a live mock on loopback, state snapshots, the envelope."""

from __future__ import annotations

import copy
import json
import os
from dataclasses import replace
from typing import Any

from mock_server import MockSettings, create_app
from mock_server.http.keys import STORE
from mock_server.http.server import BackgroundServer
from mock_server.state.fixtures import build_store, export_document, parse_document
from mock_server.state.store import DeploymentStore
from tests.conftest import MLFLOW_PAYLOAD, seed_document
from tests.hardening.rawhttp import RawResponse

# Opt-in for the long forms (nightly fuzz profile, 2-minute soak): TANGO_MOCK_LONG=1.
LONG = os.environ.get("TANGO_MOCK_LONG", "") not in ("", "0")

LIVE_KEY = "keep-me"
RETIRED_KEY = "gone-key"

Snapshot = dict[str, tuple[list[dict[str, Any]], list[str]]]


def hardening_settings(**overrides: Any) -> MockSettings:
    """The test seed (ws1/t1, ws2/t2...) plus one live and one retired deployment in ws1."""
    base = export_document(build_store(seed_document()))
    base["deployments"] = [
        {**MLFLOW_PAYLOAD, "workspace": "ws1", "deployment_key": LIVE_KEY},
        {**MLFLOW_PAYLOAD, "workspace": "ws1", "deployment_key": RETIRED_KEY, "deleted": True},
    ]
    settings = MockSettings(seed=parse_document(base, source="tests/hardening"))
    return replace(settings, **overrides)


def snapshot_store(store: DeploymentStore) -> Snapshot:
    """Every workspace's live deployments (in order, as served) and its retired keys."""
    return {
        name: ([record.to_api() for record in space.live.values()], sorted(space.retired))
        for name, space in store.workspaces.items()
    }


class LiveMock:
    """A real mock on 127.0.0.1 in a background thread, with a thread-safe view of its state."""

    def __init__(self, settings: MockSettings | None = None) -> None:
        self.app = create_app(settings or hardening_settings())
        self.server = BackgroundServer(self.app)

    def __enter__(self) -> LiveMock:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return self.server.url

    def state(self) -> Snapshot:
        """A deep copy of the state, taken on the server's own loop."""
        return self.server.call(lambda: copy.deepcopy(snapshot_store(self.app[STORE])))


def check_envelope_parts(status: int, content_type: str, body: bytes, code: str | None) -> None:
    """`body` is the error envelope (`errors` only on 422); `code` None accepts any code."""
    assert status >= 400, f"{status}: {body[:300]!r}"
    assert content_type.split(";")[0].strip() == "application/json", (status, content_type, body)
    envelope = json.loads(body)
    assert isinstance(envelope, dict), body
    expected = {"message", "message_code"} | ({"errors"} if status == 422 else set())
    assert set(envelope) == expected, envelope
    assert isinstance(envelope["message"], str) and envelope["message"].strip(), envelope
    assert isinstance(envelope["message_code"], str), envelope
    if code is not None:
        assert envelope["message_code"] == code, envelope
    assert b"Traceback" not in body


def assert_envelope(response: RawResponse, status: int, code: str) -> dict[str, Any]:
    """The raw response is exactly this status with the JSON error envelope of this code."""
    assert not response.closed, f"expected {status} {code}, the server closed the connection"
    assert response.status == status, (response.status, response.body[:300])
    check_envelope_parts(
        response.status, response.headers.get("content-type", ""), response.body, code
    )
    envelope: dict[str, Any] = response.json()
    return envelope
