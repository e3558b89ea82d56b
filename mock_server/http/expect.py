"""`Expect` (RFC 9110 10.1.1), answered by the mock rather than by aiohttp.

aiohttp handles `Expect` in its router, before any middleware: it sends `100 Continue` at once
(before auth and the size check, so a client uploads a body that is then refused) and answers
any other expectation with a `417 text/plain` that echoes the header, with no request id, no
journal entry and no access line. Instead:

- `hiding_expectations` wraps the server's request factory: it takes `Expect` out of the
  headers the app sees (so aiohttp's own handling never runs) and records what was expected
  in `request[EXPECTATION]`;
- the edge middleware answers an expectation other than `100-continue` with a 417 envelope,
  journaled and logged like any other answer, never quoting the header;
- `send_continue`, called just before a body is read, sends `100 Continue`: only requests that
  passed auth, the media type and the declared length get one, and only if they read a body.
  A final answer sent while the client still waits for the 100 closes the connection, since
  the client may or may not send the body it held back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http import HttpVersion11
from multidict import CIMultiDict, CIMultiDictProxy

from mock_server.contract.errors import ApiError
from mock_server.http.keys import EXPECTATION

_CONTINUE_LINE = b"HTTP/1.1 100 Continue\r\n\r\n"

# What a request expects, set on every request by `hiding_expectations`'s factory.
NOTHING = ""  # no Expect header (or an HTTP/1.0 client's 100-continue, which it never awaits)
AWAITS_CONTINUE = "awaits 100"  # the client holds its body back until it gets a 100
CONTINUED = "continued"  # the 100 was sent
UNMET = "unmet"  # something other than 100-continue: answered 417

RequestFactory = Callable[..., web.BaseRequest]


class ExpectationFailed(ApiError):
    """An expectation other than 100-continue (the header is never quoted back)."""

    status = 417
    message_code = "expectation_failed"

    def __init__(self) -> None:
        super().__init__(
            "The request expects what this server cannot do: Expect takes only 100-continue."
        )


def expectation_of(values: list[str], version: Any) -> str:
    """What `Expect` field values ask for: 100-continue (any case) is the only one known."""
    members = [member.strip().lower() for value in values for member in value.split(",")]
    members = [member for member in members if member]
    if any(member != "100-continue" for member in members):
        return UNMET
    return AWAITS_CONTINUE if members and version >= HttpVersion11 else NOTHING


def hiding_expectations(make_request: RequestFactory) -> RequestFactory:
    """A request factory like `make_request` whose requests carry no `Expect` header, and
    say in `request[EXPECTATION]` what it asked for."""

    def make(message: Any, *args: Any, **kwargs: Any) -> web.BaseRequest:
        if hdrs.EXPECT not in message.headers:  # nearly every request; also aiohttp's ERROR
            request = make_request(message, *args, **kwargs)
            request[EXPECTATION] = NOTHING
            return request
        values: list[str] = message.headers.getall(hdrs.EXPECT)
        headers = CIMultiDict(message.headers)
        headers.popall(hdrs.EXPECT)
        # Only `headers` changes: `raw_headers` still counts every byte the client sent.
        request = make_request(message._replace(headers=CIMultiDictProxy(headers)), *args, **kwargs)
        request[EXPECTATION] = expectation_of(values, message.version)
        return request

    return make


def expectation(request: web.Request) -> str:
    """`request[EXPECTATION]`; NOTHING for a request made by aiohttp's own factory (its test
    server), where aiohttp handles `Expect` itself."""
    try:
        return request[EXPECTATION]
    except KeyError:
        return NOTHING


async def send_continue(request: web.Request) -> None:
    """`100 Continue`, once, if the client holds its body back until it gets one."""
    if expectation(request) == AWAITS_CONTINUE:
        request[EXPECTATION] = CONTINUED
        writer = request.writer
        await writer.write(_CONTINUE_LINE)
        writer.output_size = 0  # the final answer has not started yet
        await writer.drain()


def close_if_body_held_back(request: web.Request, response: web.StreamResponse) -> None:
    """After an answer given without asking for the body (no 100, or a 417), the connection
    ends: whether the client then sends the body or not, what follows on it cannot be read
    as the next request."""
    if (
        request[EXPECTATION] in (AWAITS_CONTINUE, UNMET)
        and not request.content.is_eof()
        and not response.prepared
    ):
        response.force_close()
