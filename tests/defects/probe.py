"""A tiny synchronous client for symptom probes: each probe asks a served app a few questions."""

from __future__ import annotations

import copy
import itertools
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.defects.servers import OTHER_TOKEN, TOKEN

COLLECTION = "/api/deployment"
UNKNOWN_TOKEN = "token-nobody-issued"
TIMEOUT = 10.0

PAYLOAD: dict[str, Any] = {
    "deployment_key": "probe",
    "registry_connector_class": "tango.connectors.MlflowModelRegistryConnector",
    "registry_connector_init": {"model_registry_url": "http://mlflow:5000", "retries": 3},
    "server_proxy_class": "tango.proxies.MlflowModelServerProxy",
    "server_proxy_init": {"server_proxy_url": "http://serving:8080", "tls": None},
}

_serial = itertools.count(1)


class Api:
    """Calls one served app as `TOKEN` (or another token); every created key is new."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    @staticmethod
    def new_key() -> str:
        return f"probe-{next(_serial)}"

    @staticmethod
    def payload(key: str, **changes: Any) -> dict[str, Any]:
        return {**copy.deepcopy(PAYLOAD), "deployment_key": key, **changes}

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = TOKEN,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        authorization: str | None = None,
    ) -> requests.Response:
        """`authorization` replaces the whole `Bearer <token>` header when given."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        if authorization is not None:
            headers["Authorization"] = authorization
        if content_type is not None:
            headers["Content-Type"] = content_type
        return requests.request(
            method,
            self.base_url + path,
            headers=headers,
            json=json_body,
            data=data,
            timeout=TIMEOUT,
        )

    def create(self, key: str | None = None, *, token: str = TOKEN, **changes: Any) -> str:
        """Create a valid deployment (asserting 2xx) and return its key."""
        key = key or self.new_key()
        response = self.call(
            "POST", COLLECTION, token=token, json_body=self.payload(key, **changes)
        )
        assert response.ok, f"setup create failed: {response.status_code} {response.text}"
        return key

    def create_other(self) -> str:
        """A deployment of the other workspace."""
        return self.create(token=OTHER_TOKEN)

    def in_parallel(self, count: int, method: str, path: str, **options: Any) -> list[int]:
        """The statuses of `count` identical requests sent together, one connection each."""
        barrier = threading.Barrier(count, timeout=TIMEOUT)

        def one(_: int) -> int:
            barrier.wait()
            return self.call(method, path, **options).status_code

        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(one, range(count)))

    def item(self, key: str) -> str:
        return f"{COLLECTION}/{key}"

    def listed_keys(self, token: str = TOKEN) -> list[Any]:
        body = self.call("GET", COLLECTION, token=token).json()
        items = body if isinstance(body, list) else next(iter(body.values()), [])
        return [entry.get("deployment_key") for entry in items if isinstance(entry, dict)]

    def raw_delete(self, key: str) -> bytes:
        """DELETE over a bare socket: the only way to see bytes HTTP clients drop after a 204."""
        url = urlsplit(self.base_url)
        request = (
            f"DELETE {self.item(key)} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
        ).encode()
        chunks: list[bytes] = []
        with socket.create_connection((url.hostname, url.port or 80), timeout=TIMEOUT) as sock:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)
