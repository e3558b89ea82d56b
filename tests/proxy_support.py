"""Helpers of the proxy tests: a mock (correct or with a planted defect) behind a proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from aiohttp import web

from mock_server import MockSettings, create_app
from mock_server.contract.traffic import Violation
from mock_server.http.server import BackgroundServer
from mock_server.proxy.app import ProxyState, create_proxy_app
from mock_server.state.fixtures import parse_document
from tests.defects.servers import OTHER_TOKEN, TOKEN

TIMEOUT = 10
WALKTHROUGH_SEED = {
    "workspaces": [{"name": "ws1"}, {"name": "ws2"}],
    "tokens": [{"token": "t1", "workspace": "ws1"}, {"token": "t2", "workspace": "ws2"}],
}


def walkthrough_app() -> web.Application:
    """The mock as tests/test_tango_walkthrough.py starts it: t1=ws1, t2=ws2."""
    return create_app(MockSettings(seed=parse_document(WALKTHROUGH_SEED, source="test")))


@contextmanager
def proxied(upstream_app: web.Application) -> Iterator[tuple[str, ProxyState, list[Violation]]]:
    """(proxy URL, its state, the violations printed so far) in front of `upstream_app`."""
    printed: list[Violation] = []
    with BackgroundServer(upstream_app) as upstream:
        state = ProxyState(upstream.url, on_violation=printed.append)
        with BackgroundServer(create_proxy_app(state)) as proxy:
            yield proxy.url, state, printed


def call(
    base: str, method: str, path: str, token: str | None = TOKEN, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, base + path, headers=headers, timeout=TIMEOUT, **kwargs)


def payload(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "deployment_key": key,
        "registry_connector_class": "tango.connectors.Registry",
        "registry_connector_init": {"tracking_server_pat": "dapi0123456789abcdef0123456789"},
        "server_proxy_class": "tango.proxies.Server",
        "server_proxy_init": {},
        **extra,
    }


def create(base: str, key: str, token: str = TOKEN, **extra: Any) -> requests.Response:
    return call(
        base,
        "POST",
        "/api/deployment",
        token,
        data=json.dumps(payload(key, **extra)),
        headers={"Content-Type": "application/json"},
    )


def rules(violations: list[Violation]) -> set[tuple[str, str, str]]:
    return {(v.side, v.operation, v.rule) for v in violations}


__all__ = ["OTHER_TOKEN", "TOKEN"]
