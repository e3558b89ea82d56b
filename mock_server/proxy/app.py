"""The recording reverse proxy: forward to the upstream, stream back unchanged, judge both sides.

Each exchange is forwarded as sent (the request target unchanged, no header dropped but
hop-by-hop ones, none added but `Host` and, when the client named none, `Accept-Encoding:
identity`; bodies not decompressed, redirects not followed), its answer streamed back as it
arrives, and a copy of each body of up to `BODY_CHECK_LIMIT` bytes kept to judge it
afterwards. The upstream hop is `mock_server.proxy.upstream`. Tokens pass through and are never
kept: the tracker knows them by a keyed hash, everything shown is masked.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from mock_server.contract.errors import ApiError, MethodNotAllowed, NotFound
from mock_server.contract.traffic import (
    BODY_CHECK_LIMIT,
    SHOWN_BODY_BYTES,
    Exchange,
    Headers,
    Violation,
)
from mock_server.http.responses import error_response, json_response
from mock_server.masking import MASK, is_secret_key
from mock_server.proxy.report import Findings
from mock_server.proxy.tracker import Tracker
from mock_server.proxy.upstream import UPSTREAM_ERRORS, Answer, Upstream

JOURNAL_SIZE = 1000
UPSTREAM_TIMEOUT_SECONDS = 30.0
CHUNK = 64 * 1024
# RFC 9110 §7.6.1: these describe one connection, not the message, so never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class BadGateway(ApiError):
    status = 502
    message_code = "bad_gateway"


class BodyTooLarge(ApiError):
    status = 413
    message_code = "payload_too_large"


@dataclass
class ProxyState:
    """What one proxy run has seen: findings, the newest exchanges, the tracker."""

    upstream: str
    on_violation: Callable[[Violation], None] = lambda violation: None
    on_exchange: list[Callable[[Exchange, float], None]] = field(default_factory=list)
    tracker: Tracker = field(default_factory=Tracker)
    findings: Findings = field(default_factory=Findings)
    journal: deque[tuple[float, Exchange, list[Violation]]] = field(
        default_factory=lambda: deque(maxlen=JOURNAL_SIZE)
    )

    def record(
        self, started: float, exchange: Exchange, *, no_answer: str | None = None
    ) -> list[Violation]:
        violations = self.tracker.judge(exchange, no_answer=no_answer)
        self.findings.add(exchange, violations)
        # Kept for `/_mock/requests` without its credentials: the proxy never stores a token.
        self.journal.append((started, _without_credentials(exchange), violations))
        for violation in violations:
            self.on_violation(violation)
        for listener in self.on_exchange:
            listener(exchange, started)
        return violations


def _without_credentials(exchange: Exchange) -> Exchange:
    pairs = [
        (name, MASK if is_secret_key(name) else value)
        for name, value in exchange.request_headers.pairs
    ]
    # Built field by field: `dataclasses.replace` costs four times as much, on every exchange.
    return Exchange(
        exchange.method,
        exchange.path,
        Headers(pairs),
        exchange.request_body[:SHOWN_BODY_BYTES],  # all it shows: 1,000 entries stay ~8 MB
        exchange.status,
        exchange.response_headers,
        exchange.response_body[:SHOWN_BODY_BYTES],
        exchange.body_complete,
    )


PROXY_STATE = web.AppKey("proxy_state", ProxyState)
UPSTREAM = web.AppKey("proxy_upstream", Upstream)


def journal_entry(started: float, exchange: Exchange, violations: list[Violation]) -> Any:
    """An exchange as `GET /_mock/requests` shows it: masked, with its violations."""
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "operation": exchange.operation,
        **exchange.masked(),
        "violations": [{"side": v.side, "rule": v.rule, "message": v.message} for v in violations],
    }


_ADMIN_PATHS = ("/_mock/violations", "/_mock/requests")


async def _admin(request: web.Request) -> web.StreamResponse:
    """The proxy's own `/_mock/*` (never forwarded): what it has seen, masked."""
    state = request.app[PROXY_STATE]
    if request.path not in _ADMIN_PATHS:
        return error_response(NotFound(f"The proxy serves only {', '.join(_ADMIN_PATHS)}."))
    if request.method != "GET":
        return error_response(
            MethodNotAllowed(f"{request.path} is read with GET.", headers={"Allow": "GET"})
        )
    if request.path == "/_mock/violations":
        return json_response(state.findings.to_json())
    entries = [journal_entry(*item) for item in state.journal]
    return json_response({"count": len(entries), "requests": entries})


async def _read_body(request: web.Request) -> bytes:
    if not request.body_exists:  # most requests: no read to wait on
        return b""
    parts: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > BODY_CHECK_LIMIT:
            raise BodyTooLarge(f"The proxy forwards bodies of up to {BODY_CHECK_LIMIT} bytes.")
        parts.append(chunk)
    return b"".join(parts)


def _forwarded(pairs: Any) -> list[tuple[str, str]]:
    return [(name, value) for name, value in pairs if name.lower() not in HOP_BY_HOP]


async def _forward(request: web.Request) -> web.StreamResponse:
    if request.path.startswith("/_mock/"):
        return await _admin(request)
    state, started = request.app[PROXY_STATE], time.time()
    request_headers = Headers(request.headers.items())
    try:
        body = await _read_body(request)
    except BodyTooLarge as exc:
        return error_response(exc)
    try:
        upstream = await request.app[UPSTREAM].request(
            request.method, request.raw_path, _forwarded(request_headers.pairs), body
        )
    except UPSTREAM_ERRORS as exc:
        return _unreachable(request, state, started, request_headers, body, exc)
    async with upstream:
        # The raw pairs keep each name's case as the upstream wrote it.
        raw = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in upstream.raw_headers]
        headers = CIMultiDict(_forwarded(raw))
        length = upstream.content_length

        def exchange(kept: bytes, complete: bool = True) -> Exchange:
            return Exchange(
                request.method,
                request.path,
                request_headers,
                body,
                upstream.status,
                Headers(raw),
                kept,
                complete,
            )

        # Judged before the last byte leaves, so whoever saw the answer finds it recorded.
        if length is not None and length <= CHUNK:
            # Most answers: read whole and sent with the headers in one write.
            try:
                whole = await upstream.read()
            except UPSTREAM_ERRORS as exc:
                return _unreachable(request, state, started, request_headers, body, exc)
            state.record(started, exchange(whole))
            answer = web.Response(status=upstream.status, reason=upstream.reason, headers=headers)
            answer.body = whole
            return answer
        return await _stream(request, upstream, headers, state, started, exchange)
    raise AssertionError("unreachable")  # pragma: no cover (mypy: the with always returns)


async def _stream(
    request: web.Request,
    upstream: Answer,
    headers: CIMultiDict[str],
    state: ProxyState,
    started: float,
    exchange: Callable[[bytes, bool], Exchange],
) -> web.StreamResponse:
    """A large or unsized answer, chunk by chunk; at most BODY_CHECK_LIMIT bytes kept.

    Judged before its last byte leaves too: before the piece that completes its declared
    length, else before the end of the chunked answer (`write_eof`).
    """
    length = upstream.content_length
    answer = web.StreamResponse(status=upstream.status, reason=upstream.reason, headers=headers)
    if length is not None:
        answer.content_length = length
    await answer.prepare(request)
    kept: list[bytes] = []
    size, complete, recorded = 0, True, False
    pieces = upstream.chunks(CHUNK)
    while True:
        try:
            chunk = await anext(pieces, b"")
        except UPSTREAM_ERRORS as exc:
            broken = f"{type(exc).__name__} while streaming the answer"
            state.record(started, exchange(b"".join(kept), False), no_answer=broken)
            raise ConnectionResetError(broken) from None  # a cut body must not look whole
        if not chunk:
            break
        if size + len(chunk) <= BODY_CHECK_LIMIT:
            kept.append(chunk)
        else:
            complete = False
        size += len(chunk)
        if size == length:
            state.record(started, exchange(b"".join(kept), complete))
            recorded = True
        try:
            await answer.write(chunk)
        except ConnectionError:  # the client hung up: no fault of the upstream's
            if not recorded:
                state.record(started, exchange(b"".join(kept), False))
            raise
    if not recorded:
        state.record(started, exchange(b"".join(kept), complete))
    await answer.write_eof()
    return answer


def _unreachable(
    request: web.Request,
    state: ProxyState,
    started: float,
    headers: Headers,
    body: bytes,
    exc: BaseException,
) -> web.Response:
    """A 502 envelope for the client, recorded as the server side's break."""
    reason = type(exc).__name__
    response = error_response(
        BadGateway(f"The upstream {state.upstream} gave no answer ({reason}).")
    )
    assert isinstance(response.body, bytes)
    exchange = Exchange(
        request.method,
        request.path,
        headers,
        body,
        502,
        Headers(response.headers.items()),
        response.body,
    )
    state.record(started, exchange, no_answer=reason)
    return response


def create_proxy_app(state: ProxyState) -> web.Application:
    """The proxy: every path forwarded, `/_mock/violations` and `/_mock/requests` served."""
    app = web.Application()
    app[PROXY_STATE] = state

    async def upstream_context(app: web.Application) -> Any:
        upstream = Upstream(state.upstream, timeout=UPSTREAM_TIMEOUT_SECONDS)
        app[UPSTREAM] = upstream
        yield
        await upstream.close()

    app.cleanup_ctx.append(upstream_context)
    app.router.add_route("*", "/{tail:.*}", _forward)
    return app
