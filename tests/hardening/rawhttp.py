"""A tiny raw HTTP/1.1 client on asyncio streams, for requests no well-behaved client sends."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

READ_TIMEOUT = 10.0


@dataclass
class RawResponse:
    """One parsed response, or `closed` when the server hung up before answering."""

    status: int = 0
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False
    # Set by `exchange(..., check_close=True)`: the server closed the connection after answering.
    closed_after: bool | None = None

    def json(self) -> Any:
        return json.loads(self.body)


async def read_response(
    reader: asyncio.StreamReader, *, timeout: float = READ_TIMEOUT, head_only: bool = False
) -> RawResponse:
    """Read one response (Content-Length or close-delimited), bounded in time."""
    async with asyncio.timeout(timeout):
        head = b"HTTP/1.1 100 Continue"
        while head.startswith(b"HTTP/1.1 1"):  # skip interim answers (100 Continue)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionResetError):
                return RawResponse(closed=True)
        lines = head.decode("latin-1").split("\r\n")
        _version, status, *reason = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length")
        if head_only:
            body = b""
        elif length is not None:
            body = await reader.readexactly(int(length))
        elif int(status) in (204, 304):
            body = b""
        else:
            body = await reader.read()
        return RawResponse(int(status), reason[0] if reason else "", headers, body)


async def exchange(
    port: int,
    data: bytes,
    *,
    timeout: float = READ_TIMEOUT,
    host: str = "127.0.0.1",
    check_close: bool = False,
) -> RawResponse:
    """Send `data` on a new connection and read the first response (and whether it then closes)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        head_only = data.startswith(b"HEAD ")
        response = await read_response(reader, timeout=timeout, head_only=head_only)
        if check_close and not response.closed:
            try:
                async with asyncio.timeout(timeout):
                    response.closed_after = await reader.read(1) == b""
            except ConnectionResetError:
                response.closed_after = True
        return response
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def request_bytes(
    method: str,
    target: str | bytes,
    *,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes = b"",
    token: str | None = "t1",
    content_length: int | None = None,
) -> bytes:
    """One HTTP/1.1 request; `content_length` may lie about the body."""
    target_bytes = target.encode("utf-8") if isinstance(target, str) else target
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    lines = [b"%s %s HTTP/1.1" % (method.encode(), target_bytes), b"Host: 127.0.0.1"]
    if token is not None:
        lines.append(b"Authorization: Bearer " + token.encode("utf-8"))
    lines += [f"{name}: {value}".encode() for name, value in pairs]
    names = {name.lower() for name, _ in pairs}
    framed = body or content_length is not None or method in ("POST", "PUT", "PATCH")
    if framed and "transfer-encoding" not in names:
        size = len(body) if content_length is None else content_length
        lines.append(b"Content-Length: %d" % size)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
