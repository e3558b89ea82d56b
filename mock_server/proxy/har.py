"""HAR 1.2 in and out: the proxy records one (masked), `check-traffic` judges any.

Written HAR files never hold a token: `Authorization: Bearer <token>` becomes
`Bearer masked-<hash>` (one stable pseudonym per token within a file, so the stateful rules
still tell tokens apart when the file is checked), every other credential is masked as in
the journal. Recording is bounded in entries and body size.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yarl import URL

from mock_server.contract.traffic import Exchange, Headers, bearer_token
from mock_server.masking import mask_body, mask_headers
from mock_server.proxy import tool_version

MAX_ENTRIES = 10_000
MAX_BODY_TEXT = 64 * 1024
# The body texts all entries may hold together: beyond, the oldest entries are dropped.
MAX_TOTAL_TEXT = 64 * 1024 * 1024
TRUNCATED = "body cut short by tango-mock"


class HarError(ValueError):
    """The file is not HAR 1.2 that can be checked; the message says where."""


class HarRecorder:
    """The newest exchanges, masked as they arrive: at most `MAX_ENTRIES` of them, holding at
    most `MAX_TOTAL_TEXT` characters of body text together."""

    def __init__(self, pseudonym: Callable[[str], str], base_url: str = "http://tango") -> None:
        self.pseudonym = pseudonym
        self.base_url = base_url
        self.entries: deque[dict[str, Any]] = deque()
        self._text_sizes: deque[int] = deque()
        self.text_size = 0

    def add(self, exchange: Exchange, started: float) -> None:
        entry = self._entry(exchange, started)
        size = len(entry["request"].get("postData", {}).get("text", "")) + len(
            entry["response"]["content"].get("text", "")
        )
        self.entries.append(entry)
        self._text_sizes.append(size)
        self.text_size += size
        while len(self.entries) > MAX_ENTRIES or self.text_size > MAX_TOTAL_TEXT:
            self.entries.popleft()
            self.text_size -= self._text_sizes.popleft()

    def _headers(self, headers: Headers) -> list[dict[str, str]]:
        token = bearer_token(headers)
        shown = []
        for name, masked in mask_headers(headers.pairs):
            if name.lower() == "authorization":
                masked = f"Bearer masked-{self.pseudonym(token)}" if token else "***"
            shown.append({"name": name, "value": masked})
        return shown

    def _entry(self, exchange: Exchange, started: float) -> dict[str, Any]:
        request: dict[str, Any] = {
            "method": exchange.method,
            "url": self.base_url + exchange.path,
            "httpVersion": "HTTP/1.1",
            "headers": self._headers(exchange.request_headers),
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": len(exchange.request_body),
        }
        if exchange.request_body:
            request["postData"] = {
                "mimeType": exchange.request_headers.get("Content-Type"),
                "text": mask_body(exchange.request_body[:MAX_BODY_TEXT]),
            }
        content: dict[str, Any] = {
            "size": len(exchange.response_body),
            "mimeType": exchange.response_headers.get("Content-Type"),
        }
        if exchange.response_body:
            content["text"] = mask_body(exchange.response_body[:MAX_BODY_TEXT])
        if not exchange.body_complete or len(exchange.response_body) > MAX_BODY_TEXT:
            content["comment"] = TRUNCATED
        return {
            "startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started))
            + f".{int(started * 1000) % 1000:03d}Z",
            "time": 0,
            "request": request,
            "response": {
                "status": exchange.status,
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "headers": self._headers(exchange.response_headers),
                "cookies": [],
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(exchange.response_body),
            },
            "cache": {},
            "timings": {"send": 0, "wait": 0, "receive": 0},
        }

    def document(self) -> dict[str, Any]:
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "tango-mock proxy", "version": tool_version()},
                "entries": list(self.entries),
            }
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.document(), indent=1, ensure_ascii=False), "utf-8")


def _text(container: dict[str, Any], where: str) -> bytes:
    text = container.get("text")
    if text is None:
        return b""
    if not isinstance(text, str):
        raise HarError(f"{where}.text is not a string")
    if container.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise HarError(f"{where}.text is not base64") from None
    return text.encode("utf-8", "surrogatepass")


def _headers(message: dict[str, Any], where: str) -> Headers:
    headers = message.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str)
        for h in headers
    ):
        raise HarError(f"{where}.headers is not a list of {{name, value}} strings")
    return Headers((h["name"], h["value"]) for h in headers)


def _exchange(entry: Any, index: int) -> Exchange:
    where = f"log.entries[{index}]"
    if not isinstance(entry, dict):
        raise HarError(f"{where} is not an object")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise HarError(f"{where} lacks a request or a response object")
    method, url, status = request.get("method"), request.get("url"), response.get("status")
    if not isinstance(method, str) or not isinstance(url, str) or type(status) is not int:
        raise HarError(f"{where} lacks request.method, request.url or response.status")
    content = response.get("content", {})
    post = request.get("postData", {})
    if not isinstance(content, dict) or not isinstance(post, dict):
        raise HarError(f"{where}: postData and content must be objects")
    try:
        path = URL(url).path
    except ValueError:
        raise HarError(f"{where}.request.url is not a URL") from None
    return Exchange(
        method.upper(),
        path,
        _headers(request, f"{where}.request"),
        _text(post, f"{where}.request.postData"),
        status,
        _headers(response, f"{where}.response"),
        _text(content, f"{where}.response.content"),
        content.get("comment") != TRUNCATED,
    )


def read_har(path: Path, *, max_bytes: int = 256 * 1024 * 1024) -> list[Exchange]:
    """The exchanges of a HAR file, in its order; HarError says what is wrong with it."""
    try:
        if path.stat().st_size > max_bytes:
            raise HarError(f"{path} is larger than {max_bytes} bytes")
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):
        raise HarError(f"{path} is not JSON (UTF-8)") from None
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise HarError(f"{path} is not HAR: no log.entries list")
    return [_exchange(entry, index) for index, entry in enumerate(entries)]
