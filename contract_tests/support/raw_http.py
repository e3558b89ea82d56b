"""One request over a bare socket, reading every byte the server sends until it closes.

HTTP clients (requests, http.client) never read a body after a 204: the bytes stay on the
connection and break the next response. Reading the raw stream is the only way to see, and
report plainly, a server that sends a body with its 204.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

READ_TIMEOUT_SECONDS = 15.0
MAX_READ_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes  # everything after the header block, whatever the headers claim


def send_raw(url: str, method: str, headers: dict[str, str]) -> RawResponse:
    """Send a bodiless request with `Connection: close` and read until the server closes."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection((host, port), timeout=READ_TIMEOUT_SECONDS) as plain:
        sock = plain
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(plain, server_hostname=host)
        sock.sendall(request)
        data = _read_until_closed(sock)
    return parse_response(data)


def _read_until_closed(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + READ_TIMEOUT_SECONDS
    while size < MAX_READ_BYTES and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def parse_response(data: bytes) -> RawResponse:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise ConnectionError(f"incomplete HTTP response ({len(data)} bytes)")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version_status_reason = status_line.split(" ", 2)
    if len(version_status_reason) < 2 or not version_status_reason[1].isdigit():
        raise ConnectionError(f"not an HTTP status line: {status_line[:80]!r}")
    reason = version_status_reason[2] if len(version_status_reason) > 2 else ""
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers.items()):
        body = _dechunk(body)
    return RawResponse(int(version_status_reason[1]), reason, headers, body)


def _dechunk(data: bytes) -> bytes:
    """Decode a chunked body; bytes that do not parse as chunks are returned as they came."""
    decoded: list[bytes] = []
    rest = data
    while rest:
        size_line, separator, rest = rest.partition(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
        except ValueError:
            return data
        if not separator or size == 0:
            break
        decoded.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(decoded)
