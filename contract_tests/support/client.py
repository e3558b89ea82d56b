"""A small HTTP client for the scenario tests: sends exactly what a test asks for, records it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

import requests

from contract_tests.support.coverage import Coverage
from contract_tests.support.exchange import Exchange
from contract_tests.support.ledger import Ledger
from contract_tests.support.raw_http import send_raw

COLLECTION_PATH = "/api/deployment"
JSON = "application/json"
REQUEST_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Identity:
    """A bearer token, the name the suite reports it by and its shell placeholder."""

    name: str
    token: str = field(repr=False)  # secrets stay out of tracebacks and logs
    placeholder: str = ""

    @property
    def authorization(self) -> str:
        return f"Bearer {self.token}"


def item_path(key: str) -> str:
    return f"{COLLECTION_PATH}/{quote(key, safe='')}"


class TangoClient:
    """Sends requests as one identity; every create and delete lands in the ledger."""

    def __init__(
        self,
        base_url: str,
        identity: Identity,
        ledger: Ledger,
        *,
        session: requests.Session,
        secrets: Mapping[str, str],
        purpose: str = "test",
        coverage: Coverage | None = None,
    ) -> None:
        self.coverage = coverage  # counts what bypasses `requests` (the bare-socket delete)
        self.purpose = purpose  # how the ledger files this client's deletes: "test" or "cleanup"
        self.base_url = base_url
        self.identity = identity
        self.ledger = ledger
        self.session = session
        self.secrets = dict(secrets)

    def send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authorization: str | None = "default",
        chunked: bool = False,
    ) -> Exchange:
        """One request with exactly these headers (`authorization=None` sends none).

        `chunked` streams the body without a Content-Length (Transfer-Encoding: chunked).
        """
        sent: dict[str, str] = {}
        if authorization == "default":
            sent["Authorization"] = self.identity.authorization
        elif authorization is not None:
            sent["Authorization"] = authorization
        sent.update(headers or {})
        url = f"{self.base_url}{path}"
        data: Any = _chunks(body) if chunked and body is not None else body
        request = requests.Request(method, url, headers=sent, data=data).prepare()
        # requests adds Content-Length / Transfer-Encoding itself; drop anything else it added.
        for name in list(request.headers):
            if name not in sent and name.lower() not in ("content-length", "transfer-encoding"):
                del request.headers[name]
        pending = Exchange(
            operation=operation,
            method=method,
            url=url,
            request_headers=sent,
            request_body=body,
            secrets=self.secrets,
        )
        try:
            response = self.session.send(request, timeout=REQUEST_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            return replace(pending, transport_error=f"{type(exc).__name__}: {exc}")
        exchange = replace(
            pending,
            status=response.status_code,
            reason=response.reason or "",
            response_headers=dict(response.headers),
            response_body=response.content,
        )
        self._record(exchange, body)
        return exchange

    def _record(self, exchange: Exchange, body: bytes | None) -> None:
        succeeded = exchange.status is not None and 200 <= exchange.status < 300
        if exchange.operation == "createDeployment" and succeeded:
            key = _created_key(exchange, body)
            if key is not None:
                self.ledger.created(self.identity.name, key)
        elif exchange.operation == "deleteDeployment" and succeeded:
            key = exchange.url.rsplit("/", 1)[-1]
            self.ledger.deleted(self.identity.name, unquote(key), by=self.purpose)

    def create(
        self,
        payload: Any,
        *,
        content_type: str | None = JSON,
        authorization: str | None = "default",
    ) -> Exchange:
        """POST a payload as JSON text (any value: tests also send broken payloads)."""
        body = json.dumps(payload).encode("utf-8")
        return self.create_raw(body, content_type=content_type, authorization=authorization)

    def create_raw(
        self,
        body: bytes,
        *,
        content_type: str | None = JSON,
        authorization: str | None = "default",
        chunked: bool = False,
    ) -> Exchange:
        headers = {} if content_type is None else {"Content-Type": content_type}
        return self.send(
            "createDeployment",
            "POST",
            COLLECTION_PATH,
            body=body,
            headers=headers,
            authorization=authorization,
            chunked=chunked,
        )

    def list(self, *, authorization: str | None = "default") -> Exchange:
        return self.send("listDeployments", "GET", COLLECTION_PATH, authorization=authorization)

    def get(self, key: str, *, authorization: str | None = "default") -> Exchange:
        return self.send("getDeployment", "GET", item_path(key), authorization=authorization)

    def delete(self, key: str, *, authorization: str | None = "default") -> Exchange:
        return self.send("deleteDeployment", "DELETE", item_path(key), authorization=authorization)

    def delete_reading_every_byte(self, key: str) -> Exchange:
        """DELETE over a bare socket, so a body sent after a 204 shows up in the exchange."""
        url = f"{self.base_url}{item_path(key)}"
        headers = {"Authorization": self.identity.authorization}
        pending = Exchange(
            operation="deleteDeployment",
            method="DELETE",
            url=url,
            request_headers=headers,
            request_body=None,
            secrets=self.secrets,
        )
        self.ledger.count_request()
        try:
            raw = send_raw(url, "DELETE", headers)
        except (OSError, ConnectionError) as exc:
            if self.coverage is not None:
                self.coverage.saw("DELETE", url, None)
            return replace(pending, transport_error=f"{type(exc).__name__}: {exc}")
        if self.coverage is not None:
            self.coverage.saw("DELETE", url, raw.status)
        exchange = replace(
            pending,
            status=raw.status,
            reason=raw.reason,
            response_headers=raw.headers,
            response_body=raw.body,
        )
        self._record(exchange, None)
        return exchange


def _chunks(body: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _created_key(exchange: Exchange, body: bytes | None) -> str | None:
    """The key of a created deployment: from the answer, else from what was sent."""
    for source in (exchange.response_body, body or b""):
        try:
            data = json.loads(source)
        except ValueError:
            continue
        if isinstance(data, list) and data and isinstance(data[0], dict):
            data = data[0]
        if isinstance(data, dict) and isinstance(data.get("deployment_key"), str):
            return str(data["deployment_key"])
    return None
