"""Property-based fuzzing of the HTTP layer: hostile requests never get a 5xx, a broken
envelope, or a state change unless the answer says the request succeeded.

Short form in the normal suite (600 requests); `TANGO_MOCK_LONG=1` runs the nightly profile
(12,000 requests, fresh random seed). Counts are printed at the end of each run.
"""

from __future__ import annotations

import asyncio
import copy
import json
import string
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MLFLOW_PAYLOAD
from tests.hardening.rawhttp import RawResponse, exchange
from tests.hardening.support import (
    LIVE_KEY,
    LONG,
    RETIRED_KEY,
    LiveMock,
    Snapshot,
    check_envelope_parts,
    hardening_settings,
)

EXAMPLES = 12_000 if LONG else 600
WORKSPACE_OF = {"t1": "ws1", "t2": "ws2"}
KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
PAYLOAD_FIELDS = list(MLFLOW_PAYLOAD)

any_header_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=80)
printable_header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.one_of(
    st.sampled_from([LIVE_KEY, RETIRED_KEY, "fuzz-key", "..", ".", "a/b", ""]),
    st.from_regex(KEY_PATTERN, fullmatch=True),
    st.text(max_size=140),
)
nasty_numbers = st.sampled_from(
    [b"1e999999", b"-1e999999", b"9" * 5000, b"NaN", b"Infinity", b"1" + b"0" * 400]
)


def often(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` about four times in five, so most requests get past the first check."""
    return st.integers(0, 4).flatmap(lambda roll: rare if roll == 0 else usual)


# CR/LF are left out: they would start another header, and the request must stay one request.
header_text = often(printable_header_text, any_header_text)


@st.composite
def payload_bodies(draw: st.DrawFn) -> bytes:
    """Bodies near a valid payload: fields dropped, added, retyped, hostile, or spliced."""
    body: dict[str, Any] = {**MLFLOW_PAYLOAD, "deployment_key": draw(keys)}
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        field = draw(st.sampled_from([*PAYLOAD_FIELDS, "workspace", "extra"]))
        mutation = draw(st.sampled_from(["drop", "set"]))
        if mutation == "drop":
            body.pop(field, None)
        else:
            body[field] = draw(json_values)
    encoded = json.dumps(body).encode()
    splice = draw(
        often(
            st.just("none"),
            st.sampled_from(["number", "duplicate", "truncate", "nest", "bytes"]),
        )
    )
    if splice == "number":
        return encoded.replace(b"{", b'{"n": ' + draw(nasty_numbers) + b", ", 1)
    if splice == "duplicate":
        return encoded[:-1] + b', "deployment_key": "dup"}'
    if splice == "truncate":
        return encoded[: draw(st.integers(0, max(0, len(encoded) - 1)))]
    if splice == "nest":
        depth = draw(st.integers(900, 50_000))
        return encoded[:-1] + b', "x": ' + b"[" * depth + b"]" * depth + b"}"
    if splice == "bytes":
        at = draw(st.integers(0, len(encoded)))
        return encoded[:at] + draw(st.binary(min_size=1, max_size=8)) + encoded[at:]
    return encoded


bodies = often(
    payload_bodies(),
    st.binary(max_size=300)
    | json_values.map(lambda value: json.dumps(value).encode())
    | st.just(b""),
)


def encode_key(key: str, how: str) -> bytes:
    if how == "raw":
        return key.encode("utf-8", "surrogatepass")
    if how == "quoted":
        return quote(key, safe="").encode()
    return quote(key, safe="/.%").encode()


@st.composite
def hostile_requests(draw: st.DrawFn) -> tuple[bytes, dict[str, Any]]:
    """One raw HTTP/1.1 request and what it means (method, target, token) for the oracle."""
    method = draw(
        often(
            st.sampled_from(["POST", "POST", "POST", "GET", "GET", "DELETE", "DELETE"]),
            st.sampled_from(["PUT", "PATCH", "HEAD", "OPTIONS", "TRACE"])
            | st.text(string.ascii_letters, min_size=1, max_size=8),
        )
    )
    key = draw(keys)
    how = draw(st.sampled_from(["quoted", "quoted", "half", "raw"]))
    item = b"/api/deployment/" + encode_key(key, how)
    usual_target = b"/api/deployment" if method in ("POST", "PUT", "PATCH") else item
    odd_targets = [
        b"/api/deployment",
        item,
        item + b"/x",
        b"/" + encode_key(key, how),
        b"/api/deployment?" + encode_key(key, "quoted"),
    ]
    target = draw(often(st.just(usual_target), st.sampled_from(odd_targets)))
    token = draw(
        often(
            st.sampled_from(["t1", "t1", "t1", "t2"]),
            st.sampled_from(["t-disabled", "t-expired", None]) | header_text,
        )
    )
    lines = [b"%s %s HTTP/1.1" % (method.encode(), target), b"Host: 127.0.0.1"]
    if token is not None:
        scheme = draw(
            often(st.just("Bearer "), st.sampled_from(["bearer ", "Basic ", "", "Bearer  "]))
        )
        lines.append(("Authorization: " + scheme + token).encode("utf-8", "surrogatepass"))
    content_type = draw(
        often(
            st.sampled_from(["application/json", "application/json; charset=utf-8"]),
            st.sampled_from(["text/plain", "application/json; charset=latin-1", None])
            | header_text,
        )
    )
    if content_type is not None:
        lines.append(("Content-Type: " + content_type).encode("utf-8", "surrogatepass"))
    for name, value in draw(
        st.lists(
            st.tuples(st.from_regex(r"X-[A-Za-z]{1,8}", fullmatch=True), header_text), max_size=3
        )
    ):
        lines.append(f"{name}: {value}".encode("utf-8", "surrogatepass"))
    body = draw(bodies) if method not in ("GET", "HEAD") or draw(st.booleans()) else b""
    framing = draw(st.sampled_from(["length", "length", "length", "chunked", "none"]))
    if framing == "chunked" and body:
        lines.append(b"Transfer-Encoding: chunked")
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    elif framing != "none" or method == "POST":
        lines.append(b"Content-Length: %d" % len(body))
    meaning = {"method": method, "target": target, "token": token}
    return b"\r\n".join(lines) + b"\r\n\r\n" + body, meaning


def expected_after(before: Snapshot, meaning: dict[str, Any], response: RawResponse) -> Snapshot:
    """The state a successful answer implies; rejected requests imply no change at all."""
    expected = copy.deepcopy(before)
    workspace = WORKSPACE_OF.get(meaning["token"] or "")
    if response.status == 201 and meaning["method"] == "POST" and workspace:
        expected[workspace][0].append(response.json()[0])
    elif response.status == 204 and meaning["method"] == "DELETE" and workspace:
        key = unquote(meaning["target"].decode().rsplit("/", 1)[1])
        live, retired = expected[workspace]
        expected[workspace] = (
            [r for r in live if r["deployment_key"] != key],
            sorted([*retired, key]),
        )
    return expected


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[LiveMock]:
    with LiveMock(hardening_settings()) as mock:
        yield mock


@pytest.mark.slow  # 600 fuzzed requests
def test_hostile_requests_never_break_the_mock(
    fuzz_target: LiveMock, capsys: pytest.CaptureFixture[str]
) -> None:
    statuses: Counter[int] = Counter()
    violations: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_requests())
    def one_request(request: tuple[bytes, dict[str, Any]]) -> None:
        data, meaning = request
        before = fuzz_target.state()
        response = asyncio.run(exchange(fuzz_target.port, data, timeout=20))
        after = fuzz_target.state()
        statuses[response.status] += 1
        problem = None
        if response.closed:
            problem = "closed without an answer"
        elif response.status >= 500:
            problem = f"{response.status}"
        elif response.status >= 400 and meaning["method"] != "HEAD":
            try:
                content_type = response.headers.get("content-type", "")
                check_envelope_parts(response.status, content_type, response.body, None)
            except (AssertionError, ValueError) as exc:
                problem = f"bad envelope: {exc}"
        if problem is None and after != expected_after(before, meaning, response):
            problem = f"state changed by a {response.status}"
        if problem is not None:
            violations.append(f"{problem}: {data[:300]!r}")
        assert problem is None, violations[-1]

    one_request()
    total = sum(statuses.values())
    with capsys.disabled():
        print(
            f"\nfuzz: {total} hostile requests, {sum(c for s, c in statuses.items() if s >= 500)}"
            f" 5xx, {len(violations)} violations; statuses {dict(sorted(statuses.items()))}"
        )
    assert total >= EXAMPLES * 0.9, "hypothesis ran fewer requests than the profile asks"
    assert not violations
