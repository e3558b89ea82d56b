"""The contract suite's own safety rails and reporting, without a server.

The key rules are what makes the suite safe against a real TANGO: every key it sends in a
path or creates must sit under the run's prefix, whatever schemathesis generated.
"""

from __future__ import annotations

import subprocess

from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support.exchange import Exchange
from contract_tests.support.keys import MAX_KEY_LENGTH, KeyFactory, is_valid_key
from contract_tests.support.raw_http import parse_response

PREFIX = "ct-0a1b2c3d-"
VALID_KEYS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


@given(st.text())
def test_confined_path_keys_never_leave_the_prefix(generated: str) -> None:
    keys = KeyFactory(PREFIX)
    confined = keys.confine(generated)
    assert confined.startswith(PREFIX)
    if not generated.startswith(PREFIX):
        # A namespace no created key uses: a generated key never names a real deployment.
        assert confined.startswith(f"{PREFIX}g-")


@given(VALID_KEYS)
def test_keys_for_generated_creates_are_new_valid_and_prefixed(generated: str) -> None:
    keys = KeyFactory(PREFIX)
    first, second = keys.fresh_from(generated), keys.fresh_from(generated)
    for key in (first, second):
        assert is_valid_key(key) and key.startswith(PREFIX) and len(key) <= MAX_KEY_LENGTH
        assert not key.startswith(f"{PREFIX}g-")
    assert first != second
    # Renumbered, not prefixed twice, when schemathesis sends the same case again.
    assert keys.fresh_from(first).count(PREFIX) == 1


def test_trailing_newline_is_not_a_valid_key() -> None:
    assert not is_valid_key("abc\n")
    assert is_valid_key("a" * MAX_KEY_LENGTH) and not is_valid_key("a" * (MAX_KEY_LENGTH + 1))


def test_curl_lines_show_token_placeholders_never_tokens() -> None:
    exchange = Exchange(
        operation="getDeployment",
        method="GET",
        url="https://tango.example.com/api/deployment/k",
        request_headers={"Authorization": "Bearer s3cret-token"},
        request_body=b'{"a": "it\'s"}',
        secrets={"s3cret-token": "$TANGO_TOKEN"},
    )
    curl = exchange.curl()
    for shown in (curl, exchange.describe(), repr(exchange)):
        assert "s3cret-token" not in shown
    assert '-H "Authorization: Bearer $TANGO_TOKEN"' in curl
    assert '--data-binary \'{"a": "it\'"\'"\'s"}\'' in curl


def test_curl_placeholders_stay_whole_and_other_shell_characters_stay_literal() -> None:
    exchange = Exchange(
        operation="getDeployment",
        method="GET",
        url="http://127.0.0.1:8000/api/deployment/k",
        request_headers={"Authorization": "Bearer tok_1x", "X-Note": 'a "$HOME" `id` \\'},
        request_body=None,
        secrets={"tok_1": "$TANGO_TOKEN", "tok_": "$TANGO_OTHER_TOKEN"},
    )
    curl = exchange.curl()
    assert "tok_1" not in curl
    # `$TANGO_TOKENx` would expand a variable named TANGO_TOKENx; the longest secret wins.
    assert '-H "Authorization: Bearer ${TANGO_TOKEN}x"' in curl
    shell = subprocess.run(
        ["bash", "-c", f"printf '%s' {curl.split(' -H ')[2]}"],
        env={"HOME": "/nowhere"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout == 'X-Note: a "$HOME" `id` \\'


def test_raw_responses_keep_a_body_sent_after_a_204() -> None:
    raw = parse_response(b"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n{}")
    assert (raw.status, raw.headers["Content-Length"], raw.body) == (204, "2", b"{}")
    head = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked = parse_response(head + b'4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n')
    assert chunked.body == b'{"a":1}'
