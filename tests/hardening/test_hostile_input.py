"""Hostile input over real sockets: each gets its exact 4xx envelope and leaves the state alone."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import MLFLOW_PAYLOAD
from tests.hardening.rawhttp import exchange, read_response, request_bytes
from tests.hardening.support import LIVE_KEY, RETIRED_KEY, LiveMock, assert_envelope

ONE_MIB = 1024 * 1024
JSON_HEADERS = {"Content-Type": "application/json"}
COLLECTION = "/api/deployment"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveMock]:
    with LiveMock() as mock:
        yield mock


def payload(**changes: Any) -> dict[str, Any]:
    return {**MLFLOW_PAYLOAD, "deployment_key": "fresh-key", **changes}


def encoded(data: Any) -> bytes:
    return json.dumps(data).encode()


def with_init_value(raw_value: bytes) -> bytes:
    """A valid payload whose `registry_connector_init.x` is `raw_value`, spliced in as is."""
    body = encoded(payload(registry_connector_init={"x": "HOLE"}))
    return body.replace(b'"HOLE"', raw_value)


def nested(depth: int, opener: bytes, closer: bytes) -> bytes:
    return opener * depth + closer * depth


async def expect_rejected(live: LiveMock, data: bytes, status: int, code: str) -> dict[str, Any]:
    """Send raw bytes; the answer is the envelope and the state is exactly as before."""
    before = live.state()
    envelope = assert_envelope(await exchange(live.port, data), status, code)
    assert live.state() == before
    return envelope


BAD_BODIES: dict[str, tuple[bytes, int, str]] = {
    "truncated JSON": (encoded(payload())[:-7], 400, "invalid_json"),
    "not JSON": (b"{deployment_key: 'x'}", 400, "invalid_json"),
    "trailing garbage": (encoded(payload()) + b" {}", 400, "invalid_json"),
    "empty body": (b"", 400, "invalid_json"),
    "whitespace body": (b" \r\n\t ", 400, "invalid_json"),
    "invalid UTF-8": (encoded(payload()).replace(b"fresh", b"fr\xffsh"), 400, "invalid_json"),
    "overlong UTF-8": (encoded(payload()).replace(b"fresh", b"fr\xc0\xafsh"), 400, "invalid_json"),
    "UTF-8 BOM": (b"\xef\xbb\xbf" + encoded(payload()), 400, "invalid_json"),
    "UTF-16 body": (json.dumps(payload()).encode("utf-16"), 400, "invalid_json"),
    "raw control char in a string": (
        encoded(payload()).replace(b"fresh", b"fr\x01sh"),
        400,
        "invalid_json",
    ),
    "arrays nested 100,000 deep": (nested(100_000, b"[", b"]"), 400, "invalid_json"),
    "objects nested 100,000 deep": (
        nested(100_000, b'{"a":', b"}")[:-1] + b"1}",
        400,
        "invalid_json",
    ),
    "init value nested 100,000 deep": (
        with_init_value(nested(100_000, b"[", b"]")),
        400,
        "invalid_json",
    ),
    "number 1e999999": (with_init_value(b"1e999999"), 400, "invalid_json"),
    "number -1e999999": (with_init_value(b"-1e999999"), 400, "invalid_json"),
    "integer of 5,000 digits": (with_init_value(b"9" * 5000), 400, "invalid_json"),
    "integer of 100,000 digits": (with_init_value(b"1" + b"0" * 99_999), 400, "invalid_json"),
    "NaN": (with_init_value(b"NaN"), 400, "invalid_json"),
    "Infinity": (with_init_value(b"-Infinity"), 400, "invalid_json"),
    "duplicate top-level key": (
        encoded(payload())[:-1] + b', "deployment_key": "other-key"}',
        400,
        "invalid_json",
    ),
    "duplicate key inside init": (with_init_value(b'{"a": 1, "a": 2}'), 400, "invalid_json"),
    "a JSON array": (b"[]", 422, "validation_error"),
    "a JSON string": (b'"fresh-key"', 422, "validation_error"),
    "JSON null": (b"null", 422, "validation_error"),
    "workspace field": (encoded(payload(workspace="ws2")), 422, "validation_error"),
    "key of 10,000 chars": (encoded(payload(deployment_key="k" * 10_000)), 422, "validation_error"),
    "live key": (encoded(payload(deployment_key=LIVE_KEY)), 409, "conflict"),
    "retired key": (encoded(payload(deployment_key=RETIRED_KEY)), 409, "conflict"),
}

# Every string field of the schema, with characters a key or class path must never hold.
HOSTILE_STRINGS = {
    "NUL": "a\x00b",
    "control": "a\x1b[31mb",
    "newline": "a\nb",
    "non-ASCII": "d\u00e9ploiement",
    "emoji": "a\U0001f600",
    "line separator": "a\u2028b",
    "dot-dot": "..",
    "slash": "a/b",
    "percent-encoded slash": "a%2Fb",
    "space": "a b",
    "empty": "",
}
STRING_FIELDS = ("deployment_key", "registry_connector_class", "server_proxy_class")


@pytest.mark.parametrize("case", list(BAD_BODIES), ids=list(BAD_BODIES))
async def test_bad_body_is_rejected_without_a_trace(live: LiveMock, case: str) -> None:
    body, status, code = BAD_BODIES[case]
    data = request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=body)
    await expect_rejected(live, data, status, code)


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("kind", list(HOSTILE_STRINGS), ids=list(HOSTILE_STRINGS))
async def test_hostile_characters_in_string_fields_are_422(
    live: LiveMock, field: str, kind: str
) -> None:
    value = HOSTILE_STRINGS[kind]
    if field != "deployment_key":
        value = f"pkg.mod.{value}"
    body = encoded(payload(**{field: value}))
    data = request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=body)
    envelope = await expect_rejected(live, data, 422, "validation_error")
    assert field in {error["field"] for error in envelope["errors"]}


async def test_hostile_characters_in_init_values_are_stored_exactly(live: LiveMock) -> None:
    """`*_init` holds any JSON: NUL, controls and non-ASCII come back byte for byte."""
    init: dict[str, Any] = {f"{kind}-key {text}": text for kind, text in HOSTILE_STRINGS.items()}
    init["nested"] = [HOSTILE_STRINGS["NUL"], {"\u00e9\x00": "\U0001f600"}]
    sent = payload(deployment_key="hostile-init", registry_connector_init=init)
    data = request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=encoded(sent))
    created = await exchange(live.port, data)
    assert created.status == 201, created.body
    fetched = await exchange(live.port, request_bytes("GET", f"{COLLECTION}/hostile-init"))
    assert fetched.json() == [{**sent, "workspace": "ws1"}]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json; charset=utf-16"])
async def test_wrong_media_type_is_415(live: LiveMock, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    data = request_bytes("POST", COLLECTION, headers=headers, body=encoded(payload()))
    await expect_rejected(live, data, 415, "unsupported_media_type")


def padded_payload(size: int) -> bytes:
    """A valid payload padded with JSON whitespace to exactly `size` bytes."""
    body = encoded(payload(deployment_key="padded-key"))
    return body + b" " * (size - len(body))


async def test_body_of_one_mib_plus_one_byte_is_413(live: LiveMock) -> None:
    data = request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=padded_payload(ONE_MIB + 1))
    await expect_rejected(live, data, 413, "payload_too_large")


async def test_body_of_exactly_one_mib_is_accepted(live: LiveMock) -> None:
    data = request_bytes("POST", COLLECTION, headers=JSON_HEADERS, body=padded_payload(ONE_MIB))
    assert (await exchange(live.port, data)).status == 201


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


CHUNKED = {**JSON_HEADERS, "Transfer-Encoding": "chunked"}


async def test_valid_chunked_body_creates(live: LiveMock) -> None:
    body = chunked(encoded(payload(deployment_key="chunked-key")), size=7)
    response = await exchange(
        live.port, request_bytes("POST", COLLECTION, headers=CHUNKED, body=body)
    )
    assert response.status == 201, response.body
    assert "chunked-key" in [d["deployment_key"] for d in live.state()["ws1"][0]]


async def test_chunked_body_over_one_mib_is_413(live: LiveMock) -> None:
    body = chunked(padded_payload(ONE_MIB + 1))
    await expect_rejected(
        live,
        request_bytes("POST", COLLECTION, headers=CHUNKED, body=body),
        413,
        "payload_too_large",
    )


async def test_chunked_body_broken_mid_stream_is_400(live: LiveMock) -> None:
    """The head is fine, the body's framing breaks after it: a 400 envelope, not a 500."""
    before = live.state()
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    try:
        writer.write(request_bytes("POST", COLLECTION, headers=CHUNKED) + b'5\r\n{"a":\r\n')
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"zz-not-a-size\r\n")
        await writer.drain()
        assert_envelope(await read_response(reader), 400, "bad_request")
    finally:
        writer.close()
    assert live.state() == before


@pytest.mark.slow  # compresses 64 MiB
async def test_gzip_bomb_is_413(live: LiveMock) -> None:
    bomb = gzip.compress(b" " * (64 * ONE_MIB))
    headers = {**JSON_HEADERS, "Content-Encoding": "gzip"}
    await expect_rejected(
        live,
        request_bytes("POST", COLLECTION, headers=headers, body=bomb),
        413,
        "payload_too_large",
    )


async def test_body_not_in_its_content_encoding_is_400(live: LiveMock) -> None:
    headers = {**JSON_HEADERS, "Content-Encoding": "gzip"}
    data = request_bytes("POST", COLLECTION, headers=headers, body=encoded(payload()))
    await expect_rejected(live, data, 400, "bad_request")


async def test_content_length_shorter_than_the_body(live: LiveMock) -> None:
    """The declared bytes are the body (truncated JSON: 400); the rest is a broken next request."""
    before = live.state()
    body = encoded(payload(deployment_key="short-cl"))
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    try:
        head = request_bytes("POST", COLLECTION, headers=JSON_HEADERS, content_length=20)
        writer.write(head + body[:20])
        await writer.drain()
        assert_envelope(await read_response(reader), 400, "invalid_json")
        writer.write(body[20:])
        await writer.drain()
        assert_envelope(await read_response(reader), 400, "bad_request")
        assert (await read_response(reader)).closed
    finally:
        writer.close()
    assert live.state() == before


KEY_TARGETS: dict[str, tuple[bytes, int, str]] = {
    "percent-encoded NUL after a live key": (b"keep-me%00", 404, "not_found"),
    "percent-encoded NUL": (b"%00", 404, "not_found"),
    "percent-encoded slash": (b"keep-me%2F..", 404, "not_found"),
    "dot-dot": (b"..", 404, "not_found"),
    "percent-encoded dot-dot": (b"%2E%2E", 404, "not_found"),
    "dot-dot climbing out": (b"../deployment/keep-me", 404, "not_found"),
    "trailing dot-dot": (b"keep-me/..", 404, "not_found"),
    "percent-encoded non-ASCII": (b"d%C3%A9ploiement", 404, "not_found"),
    "invalid percent escape": (b"keep%ZZme", 404, "not_found"),
    "percent-encoded invalid UTF-8": (b"keep%FFme", 404, "not_found"),
    "other case of a live key": (b"KEEP-ME", 404, "not_found"),
    "retired key": (RETIRED_KEY.encode(), 404, "not_found"),
    "key of 10,000 chars": (b"k" * 10_000, 404, "not_found"),
    "raw non-ASCII": ("d\u00e9ploiement".encode(), 400, "bad_request"),
    "raw NUL": (b"keep\x00me", 400, "bad_request"),
    "raw space": (b"keep me", 400, "bad_request"),
    "key of 40,000 chars": (b"k" * 40_000, 431, "header_too_large"),
}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("case", list(KEY_TARGETS), ids=list(KEY_TARGETS))
async def test_hostile_path_keys(live: LiveMock, method: str, case: str) -> None:
    key, status, code = KEY_TARGETS[case]
    await expect_rejected(live, request_bytes(method, b"/api/deployment/" + key), status, code)


MALFORMED_HTTP: dict[str, bytes] = {
    "not HTTP at all": b"GARBAGE\r\n\r\n",
    "lower-case method": b"get /api/deployment HTTP/1.1\r\nHost: x\r\n\r\n",
    "unknown method": b"FROB /api/deployment HTTP/1.1\r\nHost: x\r\n\r\n",
    "TLS client hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "HTTP/9.9": b"GET /api/deployment HTTP/9.9\r\nHost: x\r\n\r\n",
    "bare LF line ends": b"GET /api/deployment HTTP/1.1\nHost: x\n\n",
    "obsolete header folding": b"GET /api/deployment HTTP/1.1\r\nX-A: Bearer\r\n t1\r\n\r\n",
    "NUL in a header": b"GET /api/deployment HTTP/1.1\r\nAuthorization: Bearer t\x001\r\n\r\n",
    "control char in a header": b"GET /api/deployment HTTP/1.1\r\nX-A: a\x01b\r\n\r\n",
    "two Content-Lengths": request_bytes(
        "POST", COLLECTION, headers=[("Content-Length", "3")], body=b"{}"
    ),
    "negative Content-Length": request_bytes(
        "POST", COLLECTION, headers=JSON_HEADERS, content_length=-1
    ),
    "Content-Length and chunked": request_bytes(
        "POST", COLLECTION, headers={"Transfer-Encoding": "chunked", "Content-Length": "5"}
    )
    + b"0\r\n\r\n",
    "bad chunk size": request_bytes("POST", COLLECTION, headers=CHUNKED) + b"zz\r\n{}\r\n0\r\n\r\n",
    "unknown transfer coding": request_bytes(
        "POST", COLLECTION, headers={"Transfer-Encoding": "gzip"}
    ),
    "unsupported content coding": request_bytes(
        "POST", COLLECTION, headers={**JSON_HEADERS, "Content-Encoding": "br"}, body=b"{}"
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED_HTTP), ids=list(MALFORMED_HTTP))
async def test_malformed_http_gets_the_envelope(live: LiveMock, case: str) -> None:
    """aiohttp's parser rejects these below the app; the client still gets the JSON envelope."""
    before = live.state()
    response = await exchange(live.port, MALFORMED_HTTP[case], check_close=True)
    envelope = assert_envelope(response, 400, "bad_request")
    assert response.closed_after, "a connection with a broken request must be closed"
    assert "\\x" not in envelope["message"] and "b'" not in envelope["message"]
    assert live.state() == before


HEADER_FLOODS: dict[str, list[tuple[str, str]]] = {
    "one header of 100 KB": [("X-Big", "a" * 100_000)],
    "100 KB over 120 headers": [(f"X-H{i}", "a" * 850) for i in range(120)],
    "200 small headers": [(f"X-H{i}", "a") for i in range(200)],
}


@pytest.mark.parametrize("case", list(HEADER_FLOODS), ids=list(HEADER_FLOODS))
async def test_header_floods_are_431(live: LiveMock, case: str) -> None:
    data = request_bytes("GET", COLLECTION, headers=HEADER_FLOODS[case])
    await expect_rejected(live, data, 431, "header_too_large")


async def test_oversized_authorization_is_431_and_never_echoed(live: LiveMock) -> None:
    secret = "s3cr3t" + "x" * 100_000
    response = await exchange(live.port, request_bytes("GET", COLLECTION, token=secret))
    assert_envelope(response, 431, "header_too_large")
    assert b"s3cr3t" not in response.body


async def test_headers_under_the_limit_are_served(live: LiveMock) -> None:
    data = request_bytes("GET", COLLECTION, headers=[("X-Big", "a" * 20_000)])
    assert (await exchange(live.port, data)).status == 200


BAD_BEARERS = {
    "space inside": "t 1",
    "tab before": "\tt1",
    "non-ASCII UTF-8": "t\u00e91",
    "quoted": '"t1"',
    "comma": "t1,t2",
    "empty": "",
}


@pytest.mark.parametrize("case", list(BAD_BEARERS), ids=list(BAD_BEARERS))
async def test_malformed_bearer_tokens_are_401(live: LiveMock, case: str) -> None:
    response = await exchange(live.port, request_bytes("GET", COLLECTION, token=BAD_BEARERS[case]))
    assert_envelope(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_latin1_bytes_in_a_bearer_token_are_401(live: LiveMock) -> None:
    data = b"GET /api/deployment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\xff1\r\n\r\n"
    assert_envelope(await exchange(live.port, data), 401, "unauthorized")


ALLOWED = {COLLECTION: "GET,POST", f"{COLLECTION}/{LIVE_KEY}": "DELETE,GET"}


@pytest.mark.parametrize("path", list(ALLOWED))
@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE", "OPTIONS"])
async def test_methods_the_api_lacks_are_405_with_allow(
    live: LiveMock, path: str, method: str
) -> None:
    response = await exchange(live.port, request_bytes(method, path, body=encoded(payload())))
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"] == ALLOWED[path]


@pytest.mark.parametrize("path", list(ALLOWED))
async def test_head_is_405_with_allow(live: LiveMock, path: str) -> None:
    response = await exchange(live.port, request_bytes("HEAD", path))
    assert response.status == 405
    assert response.headers["allow"] == ALLOWED[path]


async def test_bodies_on_get_and_delete_are_ignored(live: LiveMock) -> None:
    """Documented: GET and DELETE never read a body, so one sent anyway changes nothing."""
    plain = await exchange(live.port, request_bytes("GET", COLLECTION))
    with_body = request_bytes("GET", COLLECTION, headers=JSON_HEADERS, body=encoded(payload()))
    assert (await exchange(live.port, with_body)).json() == plain.json()
    created = request_bytes(
        "POST",
        COLLECTION,
        headers=JSON_HEADERS,
        body=encoded(payload(deployment_key="body-on-delete")),
    )
    assert (await exchange(live.port, created)).status == 201
    delete = request_bytes(
        "DELETE", f"{COLLECTION}/body-on-delete", headers=JSON_HEADERS, body=b"{not json"
    )
    assert (await exchange(live.port, delete)).status == 204
    assert "body-on-delete" in live.state()["ws1"][1]
