"""One request and its answer, written out so a failure can be reproduced from the log.

Tokens are never printed: they appear as `$TANGO_TOKEN` / `$TANGO_OTHER_TOKEN` in the curl
line, so the line works as-is in a shell where those variables are set.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.masking import mask_body, mask_headers

BODY_EXCERPT_CHARS = 600
CURL_BODY_CHARS = 1500


@dataclass(frozen=True, repr=False)
class Exchange:
    """A sent request and what came back (or the transport error when nothing did)."""

    operation: str
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int | None = None
    reason: str = ""
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    transport_error: str | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)  # secret value -> shell placeholder

    def __repr__(self) -> str:
        # Headers and `secrets` hold tokens: a repr in a traceback must not show them.
        return f"<Exchange {self.operation}: {self.method} {self.url} -> {self.answer}>"

    @property
    def answer(self) -> str:
        """`201 Created`, or what went wrong when there was no answer."""
        if self.status is None:
            return f"no response ({self.transport_error})"
        return f"{self.status} {self.reason}".rstrip()

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.response_body)

    def media_type(self) -> str | None:
        """The response Content-Type without parameters, lower case (None when absent)."""
        value = _header(self.response_headers, "Content-Type")
        return None if value is None else value.split(";", 1)[0].strip().lower()

    def header(self, name: str) -> str | None:
        return _header(self.response_headers, name)

    def curl(self) -> str:
        """A curl command that sends the same request."""
        parts = ["curl", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            parts += ["-H", self._quote_header(name, value)]
        if self.request_body is not None:
            parts += ["--data-binary", _quote_body(self.request_body)]
        return " ".join(parts)

    def _quote_header(self, name: str, value: str) -> str:
        text = f"{name}: {value}"
        present = sorted((secret for secret in self.secrets if secret and secret in text), key=len)
        if not present:
            return shlex.quote(text)
        # Double quotes so the shell expands each placeholder (the secret is never printed);
        # everything else is escaped so the shell takes it literally.
        pattern = re.compile("|".join(re.escape(secret) for secret in reversed(present)))
        parts, last = [], 0
        for match in pattern.finditer(text):
            parts.append(_escape_double_quoted(text[last : match.start()]))
            parts.append(_placeholder_before(self.secrets[match.group()], text[match.end() :]))
            last = match.end()
        parts.append(_escape_double_quoted(text[last:]))
        return '"' + "".join(parts) + '"'

    def describe(self) -> str:
        """The curl line and the response (status, headers, body excerpt), indented for a log;
        the response's secrets masked by the mock's one policy (a server may echo them)."""
        lines = [f"  {self.curl()}", f"  response: {self.answer}"]
        for name, value in mask_headers(self.response_headers):
            lines.append(f"    {name}: {value}")
        if self.status is not None:
            lines.append(f"    body: {_excerpt(self.response_body)}")
        return "\n".join(lines)


def _escape_double_quoted(text: str) -> str:
    """`text` as the shell reads it literally inside double quotes."""
    for special in ("\\", '"', "`", "$"):
        text = text.replace(special, "\\" + special)
    return text


def _placeholder_before(placeholder: str, rest: str) -> str:
    """`$NAME` as `${NAME}` when the next character would extend the variable's name."""
    extends_name = rest[:1].isalnum() or rest[:1] == "_"
    if extends_name and placeholder.startswith("$") and not placeholder.startswith("${"):
        return "${" + placeholder[1:] + "}"
    return placeholder


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _excerpt(body: bytes) -> str:
    if not body:
        return "(empty)"
    text = mask_body(body)  # before cutting: a cut secret would no longer look like one
    if len(text) > BODY_EXCERPT_CHARS:
        return f"{text[:BODY_EXCERPT_CHARS]}... ({len(body)} bytes)"
    return text


def _quote_body(body: bytes) -> str:
    if len(body) > CURL_BODY_CHARS:
        head = body[:80].decode("utf-8", errors="replace")
        return shlex.quote(f"<{len(body)} bytes, starting {head}...>")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable():
        return shlex.quote(text)
    # Bash ANSI-C quoting keeps bytes that are not printable UTF-8 exact.
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in "'\\" else f"\\x{byte:02x}"
        for byte in body
    )
    return f"$'{escaped}'"
