"""Each masking rule on its own: key words, value shapes, the mask texts, the policy, logs."""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mock_server import masking
from mock_server.masking import (
    DEFAULT_POLICY,
    MASK,
    MaskingFilter,
    MaskingPolicy,
    is_secret_key,
    key_words,
    mask_body,
    mask_headers,
    mask_json,
    mask_query,
    mask_text,
    masked_logging,
)
from tests.masking_corpus import JWT, fake_pem, leaks

SECRET_KEYS = [
    "key",
    "api_key",
    "apiKey",
    "apikey",
    "X-Api-Key",
    "access_key",
    "AWS_SECRET_ACCESS_KEY",
    "aws_session_token",
    "secret",
    "clientSecret",
    "client_secret",
    "password",
    "MLFLOW_TRACKING_PASSWORD",
    "db_password",
    "dbpassword",
    "passwd",
    "pwd",
    "Pwd",
    "pass",
    "pat",
    "tracking_server_pat",
    "server_proxy_pat",
    "token",
    "access_token",
    "authToken",
    "hf_token",
    "auth",
    "Authorization",
    "Proxy-Authorization",
    "credential",
    "credentials",
    "private_key",
    "private_key_id",
    "privateKeyId",
    "PrivateKey",
    "connection_string",
    "connectionString",
    "primaryConnectionString",
    "conn_str",
    "Cookie",
    "Set-Cookie",
    "session",
    "session_id",
    "signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "sig",
    "sas",
    "sas_token",
    "dsn",
    "AccountKey",
    "SharedAccessKey",
    "SharedAccessSignature",
    "primaryKey",
    "secrets",
    "api_keys",
    "OAuth2Token",
    "deploy_key",
]

HARMLESS_KEYS = [
    "deployment_key",
    "deploymentKey",
    "registry_connector_class",
    "registry_connector_init",
    "tracking_server_url",
    "model_registry_url",
    "tokenizer",
    "tokenizer_name",
    "keyspace",
    "max_tokens",
    "max_new_tokens",
    "author",
    "authority",
    "token_uri",
    "auth_uri",
    "auth_provider_x509_cert_url",
    "auth_type",
    "token_type",
    "secret_name",
    "session_timeout",
    "SharedAccessKeyName",
    "AccountName",
    "client_id",
    "client_email",
    "X-Request-Id",
    "Content-Type",
    "WWW-Authenticate",
    "hotkey",
    "partition_key",
    "path",
    "passthrough",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "sv",
    "se",
    "",
    "__",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_keys_naming_credentials_are_secret(key: str) -> None:
    assert is_secret_key(key), key_words(key)


@pytest.mark.parametrize("key", HARMLESS_KEYS)
def test_harmless_keys_stay_readable(key: str) -> None:
    assert not is_secret_key(key), key_words(key)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("tracking_server_pat", ("tracking", "server", "pat")),
        ("clientSecret", ("client", "secret")),
        ("X-Api-Key", ("x", "api", "key")),
        ("APIKey", ("api", "key")),
        ("AWS_SECRET_ACCESS_KEY", ("aws", "secret", "access", "key")),
        (
            "spark.hadoop.fs.s3a.secret.key",
            ("spark", "hadoop", "fs", "s", "3", "a", "secret", "key"),
        ),
        ("auth_provider_x509_cert_url", ("auth", "provider", "x", "509", "cert", "url")),
    ],
)
def test_keys_split_into_words_in_every_case_style(key: str, words: tuple[str, ...]) -> None:
    assert key_words(key) == words


def test_a_credential_key_hides_its_whole_value_nested_objects_included() -> None:
    data: dict[str, Any] = {
        "registry_connector_init": {"tracking_server_pat": "dapi-1", "url": "https://x"},
        "list": [{"Access_Token": "a"}, {"nested": {"CLIENT_SECRET": {"deep": "s"}}}],
        "credentials": {"user": "u", "value": "v", "list": [1, 2]},
        "password": None,
        "plain": "keep",
        "count": 3,
    }
    assert mask_json(data) == {
        "registry_connector_init": {"tracking_server_pat": MASK, "url": "https://x"},
        "list": [{"Access_Token": MASK}, {"nested": {"CLIENT_SECRET": MASK}}],
        "credentials": MASK,
        "password": MASK,
        "plain": "keep",
        "count": 3,
    }
    assert data["registry_connector_init"]["tracking_server_pat"] == "dapi-1", "not in place"


def test_data_nested_beyond_the_bound_is_summarised_not_walked() -> None:
    deep: Any = "dapi0123456789abcdef0123456789abcdef"
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    masked = mask_json(deep)
    for _ in range(100):
        masked = masked[0]
    assert masked == "<masked: nested too deeply to show>"


# -- value shapes ------------------------------------------------------------------------------

PEM, PEM_LINES = fake_pem("RSA PRIVATE KEY", "unit")

SHAPES = [
    # (text, masked text, the secret parts)
    (
        "https://alice:s3cr3t-Pw9@mlflow.example.com/api/2.0?run=7",
        "https://alice:***@mlflow.example.com/api/2.0?run=7",
        ["s3cr3t-Pw9"],
    ),
    ("redis://:R3d1sPwQ7@cache:6379/0", "redis://:***@cache:6379/0", ["R3d1sPwQ7"]),
    ("https://u:p@ss:w0rd@host/x", "https://u:***@host/x", ["p@ss:w0rd"]),
    ("http://127.0.0.1:8000/api/deployment", "http://127.0.0.1:8000/api/deployment", []),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=aB3+dE6/gH9==;"
        "EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=***;"
        "EndpointSuffix=core.windows.net",
        ["aB3+dE6/gH9=="],
    ),
    (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=Xy7=",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=***",
        ["Xy7="],
    ),
    (
        "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022&sig=Qw9%3D",
        "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=***",
        ["Qw9%3D"],
    ),
    (
        "Server=tcp:db,1433;User ID=sa;Password=Hunter2!;Pwd=Other9;Encrypt=True",
        "Server=tcp:db,1433;User ID=sa;Password=***;Pwd=***;Encrypt=True",
        ["Hunter2!", "Other9"],
    ),
    ("run --password=hunter22 --db_pwd=xyz789", "run --password=*** --db_pwd=***", ["hunter22"]),
    (
        "https://h/b?sv=2022-11-02&sig=Mn0pQr%3D&se=2030",
        "https://h/b?sv=2022-11-02&sig=***&se=2030",
        ["Mn0pQr%3D"],
    ),
    (PEM, "<masked: rsa private key>\n", PEM_LINES),
    # Cut short (a truncated excerpt) and JSON-escaped: still masked up to where it stops.
    (
        '{"private_key": "' + PEM.replace("\n", "\\n")[:200],
        '{"private_key": "<masked: rsa private key>',
        [PEM_LINES[0]],
    ),
    ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "<masked: certificate>", []),
    (f"jwt={JWT}", "jwt=<masked: jwt>", [JWT]),
    (f"id_token {JWT} end", "id_token <masked: jwt> end", [JWT]),
    ("Bearer abcDEF123456", "Bearer ***", ["abcDEF123456"]),
    ("authorization: bearer t0k-3n_v4lue", "authorization: bearer ***", ["t0k-3n_v4lue"]),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***", ["dXNlcjpwYXNzd29yZA=="]),
    ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "Token ***", ["9944b09199c62bcf"]),
    ("dapi0123456789abcdef0123456789abcdef-2", "<masked: databricks token>", ["dapi012345"]),
    ("ghp_" + "Ab1" * 12, "<masked: github token>", ["Ab1Ab1"]),
    ("github_pat_11ABCDEFG0_" + "x" * 30, "<masked: github token>", ["xxxxxx"]),
    ("glpat-Ab12Cd34Ef56Gh78Ij90", "<masked: gitlab token>", ["Ab12Cd34Ef56"]),
    ("key AKIAIOSFODNN7EXAMPLE.", "key <masked: aws access key id>.", ["IOSFODNN7"]),
    ("ASIAY5T3R1E9W7Q2U4I6", "<masked: aws access key id>", ["Y5T3R1E9"]),
    ("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl", "<masked: api key>", ["Ab12Cd34Ef56"]),
    ("sk-ant-api03-Ab12Cd34Ef56Gh78", "<masked: api key>", ["Ab12Cd34Ef56"]),
    ("hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ", "<masked: hugging face token>", ["aBcDeFgHiJ"]),
    ("xoxb-2048-4096-Sl4ckB0tT0k3n", "<masked: slack token>", ["Sl4ckB0tT0k3n"]),
    ("AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "<masked: google api key>", ["A1b2C3d4"]),
    (
        "{'tracking_server_pat': 'dapi-x', \"url\": \"https://u:pw9@h/x\"}",
        "{'tracking_server_pat': '***', \"url\": \"https://u:***@h/x\"}",
        ["dapi-x", "pw9"],
    ),
    ('{"password": "x\\"y", "name": "ok"}', '{"password": "***", "name": "ok"}', ['x\\"y']),
]


@pytest.mark.parametrize(("text", "masked", "secrets"), SHAPES)
def test_secret_shapes_are_masked_whatever_the_key(
    text: str, masked: str, secrets: list[str]
) -> None:
    assert mask_text(text) == masked
    assert leaks(mask_text(text), secrets) == []
    assert mask_json({"note": text}) == {"note": masked}


PROSE = [
    "A valid bearer token is required.",
    "Basic usage: send a Bearer token",
    'Bearer realm="tango", error="invalid_token"',
    "GET /api/deployment/mlflow-staging 200 0.4ms id=5f0c1e workspace=my-workspace",
    "task-runner-configuration-v2",
    "tango_shared.connectors.databricks_server_proxy.DatabricksModelServerProxy",
    "the name=value form; name=tokenizer",
    "mydapi0123456789abcdef0123456789abcdef",
    '"message": "No deployment with this key exists in this workspace."',
    "eyJ alone is not a token",
    "",
]


@pytest.mark.parametrize("text", PROSE)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert mask_text(text) == text


def test_masking_twice_changes_nothing_more() -> None:
    for text, masked, _ in SHAPES:
        assert mask_text(masked) == masked, text


def test_a_mask_never_keeps_a_piece_of_the_secret() -> None:
    """`<masked: ...>` labels are fixed words; `***` replaces the whole value."""
    for text, masked, secrets in SHAPES:
        for secret in secrets:
            assert secret not in masked, text


HOSTILE_SIZE = 64 * 1024  # the journal keeps bodies up to this size
HOSTILE = {
    "pem headers": "-----BEGIN X-----" * (HOSTILE_SIZE // 17),
    "pem bodies": ("-----BEGIN A-----" + "x") * (HOSTILE_SIZE // 18),
    "nested pairs": "a=" * (HOSTILE_SIZE // 2),
    "secret pairs": "key=" * (HOSTILE_SIZE // 4),
    "quoted pairs": '"a":' * (HOSTILE_SIZE // 4),
    "open quotes": '"a": "' + "\\" * HOSTILE_SIZE,
    "userinfo": "://x:" * (HOSTILE_SIZE // 5),
    "schemes": "Bearer " * (HOSTILE_SIZE // 7),
    "prefixes": "x" * HOSTILE_SIZE,
    "jwt starts": "eyJaaaa." * (HOSTILE_SIZE // 8),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_masked_in_linear_time_without_recursion(text: str) -> None:
    """A client picks the bodies the journal shows: no input may make reading it slow."""
    started = time.perf_counter()
    mask_text(text)
    assert time.perf_counter() - started < 2.0  # quadratic: seconds; linear: milliseconds


# -- queries, headers, bodies ------------------------------------------------------------------


def test_a_query_groups_repeated_names_and_hides_secrets_by_name_and_shape() -> None:
    assert mask_query("a=1&a=2&access_token=xyz&b=&Password=p&next=https://u:pw@h/") == {
        "a": ["1", "2"],
        "access_token": MASK,
        "b": "",
        "Password": MASK,
        "next": "https://u:***@h/",
    }


def test_headers_keep_their_order_and_repeats_with_credentials_hidden() -> None:
    headers = [
        ("Content-Type", "application/json"),
        ("Set-Cookie", "session=abc"),
        ("Set-Cookie", "theme=dark"),
        ("X-Api-Key", "k3y"),
        ("WWW-Authenticate", 'Bearer realm="tango"'),
        ("Location", "https://u:pw@h/x"),
    ]
    assert mask_headers(headers) == [
        ("Content-Type", "application/json"),
        ("Set-Cookie", MASK),
        ("Set-Cookie", MASK),
        ("X-Api-Key", MASK),
        ("WWW-Authenticate", 'Bearer realm="tango"'),
        ("Location", "https://u:***@h/x"),
    ]
    assert mask_headers({"Authorization": "Bearer t"}) == [("Authorization", MASK)]


def test_a_body_is_shown_as_sent_unless_something_had_to_be_hidden() -> None:
    plain = b'{"message":"No deployment with this key exists.",  "message_code":"not_found"}'
    assert mask_body(plain) == plain.decode()
    nested = b'{"credentials": {"user": "u", "value": "v4lu3"}, "n": 1}'
    assert mask_body(nested) == '{"credentials": "***", "n": 1}'
    assert mask_body("token=abc; Bearer abcdef123") == "token=***; Bearer ***"
    # json.loads keeps the last of duplicate keys: the first one's value is still masked.
    assert mask_body('{"x": "Bearer Abc123def", "x": 1}') == '{"x": "Bearer ***", "x": 1}'
    assert mask_body(b"\xff\xfe not utf-8") == "\ufffd\ufffd not utf-8"


# -- the policy --------------------------------------------------------------------------------


def test_extra_key_names_are_matched_on_words_and_win_over_harmless_rules() -> None:
    policy = MaskingPolicy(("model_uri", "deployment_key", "hmac"))
    assert is_secret_key("model_uri", policy)
    assert is_secret_key("modelUri", policy)
    assert is_secret_key("MLFLOW_MODEL_URI", policy)
    assert is_secret_key("deployment_key", policy)
    assert is_secret_key("X-Hmac", policy)
    assert not is_secret_key("model", policy)
    assert not is_secret_key("model_uri", DEFAULT_POLICY)
    assert mask_text("model_uri=models:/m/1", policy) == "model_uri=***"
    assert mask_json({"init": {"modelUri": "x"}}, policy) == {"init": {"modelUri": MASK}}


@pytest.mark.parametrize("bad", ["", "__", "  ", "--"])
def test_an_extra_key_name_needs_a_word(bad: str) -> None:
    with pytest.raises(ValueError, match="needs a letter or a digit"):
        MaskingPolicy((bad,))


def test_extra_keys_are_a_tuple_of_names_not_one_string() -> None:
    with pytest.raises(TypeError):
        MaskingPolicy("model_uri")  # type: ignore[arg-type]


def test_long_keys_are_judged_without_growing_the_cache() -> None:
    long_key = "x" * 5000 + "_password"
    assert is_secret_key(long_key)
    assert not is_secret_key("y" * 5000)


# -- logs --------------------------------------------------------------------------------------


def record(message: str, *args: Any, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("mock_server", logging.ERROR, __file__, 1, message, args, exc_info)


def test_the_log_filter_masks_the_message_its_arguments_and_the_traceback() -> None:
    try:
        raise RuntimeError("could not reach https://bot:Tr4ceb4ckPw@mlflow.example.com")
    except RuntimeError as exc:
        caught = exc
    entry = record(
        "GET %s failed with %s", f"/api/deployment/{JWT}", "Bearer abcDEF123", exc=caught
    )
    assert MaskingFilter().filter(entry) is True
    text = logging.Formatter().format(entry)
    assert "GET /api/deployment/<masked: jwt> failed with Bearer ***" in text
    assert "https://bot:***@mlflow.example.com" in text and "RuntimeError" in text
    assert leaks(text, [JWT, "abcDEF123", "Tr4ceb4ckPw"]) == []


def test_the_log_filter_uses_its_policy() -> None:
    entry = record("model_uri=models:/churn/3")
    MaskingFilter(MaskingPolicy(("model_uri",))).filter(entry)
    assert entry.getMessage() == "model_uri=***"


def test_masked_logging_covers_its_loggers_only_while_inside(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("mock_server.test_masking")
    with caplog.at_level(logging.INFO, logger="mock_server.test_masking"):
        with masked_logging(["mock_server.test_masking"]):
            logger.info("token=%s", "Abc123xyz")
        logger.info("token=%s", "Abc123xyz")
    assert [r.getMessage() for r in caplog.records] == ["token=***", "token=Abc123xyz"]


def test_the_readme_lists_every_rule_word() -> None:
    """The README's "Secrets and masking" section is the users' copy of these lists."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Secrets and masking", 1)[1].split("\n## ", 1)[0]
    words = [
        *masking.CREDENTIAL_WORDS,
        *masking.CREDENTIAL_COMPOUNDS,
        *masking.DESCRIBING_WORDS,
        *(" ".join(pair) for pair in masking.HARMLESS_KEY_PAIRS),
        *(" ".join(phrase) for phrase in masking.CREDENTIAL_PHRASES),
    ]
    missing = [word for word in words if f"`{word}`" not in section]
    assert missing == []
    labels = {label for label, _ in masking.TOKEN_SHAPES}
    assert labels <= set(re.findall(r"<masked: ([a-z ]+)>", section))
