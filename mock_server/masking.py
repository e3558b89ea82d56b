"""Secrets out of everything the mock shows: one masking policy for journal, logs and reports.

Deployments' `*_init` objects carry the credentials of model registries and model servers,
so whatever shows a body, a query, headers or a log line passes through here first. Two
kinds of rule, both documented in the README ("Secrets and masking"):

- by key name: a key whose words name a credential (`tracking_server_pat`, `clientSecret`,
  `X-Api-Key`, `AWS_SECRET_ACCESS_KEY`) hides its whole value as `***`, nested objects
  included;
- by value shape, whatever the key: URL passwords, `Key=value` secrets of connection
  strings, PEM blocks, JWTs, `Bearer`/`Basic` credentials and well-known token prefixes.
  The mask names what it hid (`<masked: jwt>`) and never keeps a piece of the secret.

Masking is for display only: the API stores and returns real values. Plain functions over
JSON-like data and text, standard library only, so any layer (state, HTTP, the contract
suite's reports) can use it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

MASK = "***"
"""What replaces a value found by its key's name, or a secret part of a URL or pair."""

CREDENTIAL_WORDS = frozenset(
    {
        "key",
        "apikey",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "pat",
        "token",
        "auth",
        "oauth",
        "authn",
        "authz",
        "authorization",
        "authentication",
        "credential",
        "creds",
        "cred",
        "cookie",
        "session",
        "signature",
        "sig",
        "sas",
        "dsn",
        "jwt",
        "bearer",
        "hmac",
    }
)
"""A key holding one of these words (any case, plural too) names a credential."""

CREDENTIAL_SUFFIXES = (
    "token",
    "secret",
    "secrets",
    "password",
    "passwd",
    "pwd",
    "credential",
    "credentials",
)
"""Single words ending so (`authtoken`, `clientsecret`, `dbpassword`) name credentials too."""

CREDENTIAL_COMPOUNDS = frozenset(
    {
        "accesskey",
        "secretkey",
        "privatekey",
        "accountkey",
        "masterkey",
        "sharedkey",
        "signingkey",
        "subscriptionkey",
        "storagekey",
        "encryptionkey",
        "clientkey",
        "authkey",
        "sshkey",
        "connectionstring",
        "connstr",
    }
)
"""Single words made of two that name credentials (`accesskey`), where a suffix rule on
"key" would also catch harmless words (`hotkey`, `monkey`)."""

CREDENTIAL_PHRASES: tuple[tuple[str, ...], ...] = (
    ("connection", "string"),
    ("conn", "str"),
    ("conn", "string"),
)
"""Consecutive words naming a credential though neither does alone."""

NOT_PLURAL = frozenset({"tokens"})
"""Plural words that do not name credentials: `max_tokens` counts an LLM's tokens."""

DESCRIBING_WORDS = frozenset(
    {
        "url",
        "urls",
        "uri",
        "uris",
        "endpoint",
        "endpoints",
        "host",
        "hostname",
        "port",
        "type",
        "kind",
        "name",
        "path",
        "file",
        "dir",
        "ref",
        "provider",
        "region",
        "scope",
        "scopes",
        "method",
        "mode",
        "format",
        "version",
        "algorithm",
        "timeout",
        "ttl",
        "expiry",
        "expires",
        "expiration",
        "lifetime",
        "at",
        "count",
        "length",
        "limit",
        "enabled",
        "required",
    }
)
"""A key ending in one of these describes a credential without holding one (`token_uri`,
`auth_type`, `secret_name`, `session_timeout`): its value stays readable, shapes aside."""

HARMLESS_KEY_PAIRS = frozenset(
    {
        ("deployment", "key"),
        ("partition", "key"),
        ("sort", "key"),
        ("cache", "key"),
        ("idempotency", "key"),
        ("object", "key"),
        ("foreign", "key"),
        ("routing", "key"),
    }
)
"""Keys ending in these two words are identifiers, not credentials: `deployment_key` is a
deployment's id and must stay readable."""

# A key's words: `clientSecret` -> client, secret; `X-Api-Key` -> x, api, key;
# `AWS_SECRET_ACCESS_KEY` -> aws, secret, access, key; `APIKey` -> api, key.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_KEY_CACHE_SIZE = 4096
_CACHED_KEY_CHARS = 128
# Deeper data is summarised rather than walked: a recursive walk must stay far from
# Python's recursion limit (the mock accepts 64 levels).
MAX_MASK_DEPTH = 100


def key_words(key: str) -> tuple[str, ...]:
    """The lower-case words of a snake, kebab, camel, dotted or spaced key."""
    return tuple(part.lower() for part in _WORD.findall(key))


@dataclass(frozen=True, slots=True)
class MaskingPolicy:
    """The defaults plus `extra_keys`: more key names whose values are hidden.

    An extra name is matched as its words in order, anywhere in a key and whatever its case
    (`model_uri` hides `model_uri`, `modelUri` and `MLFLOW_MODEL_URI`); it wins over the
    harmless-key rules.
    """

    extra_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.extra_keys, str):
            raise TypeError("extra_keys is a tuple of key names, not one string")
        for name in self.extra_keys:
            problem = mask_key_problem(name)
            if problem:
                raise ValueError(problem)


DEFAULT_POLICY = MaskingPolicy()


def mask_key_problem(name: str) -> str | None:
    """Why `name` cannot be an extra key name (None when it can)."""
    if not key_words(name):
        return f"a key name to mask needs a letter or a digit, got {name!r}"
    return None


def is_secret_key(key: str, policy: MaskingPolicy = DEFAULT_POLICY) -> bool:
    """Whether the value under `key` is a credential and must be hidden whole."""
    if len(key) > _CACHED_KEY_CHARS:
        return _judge_key(key, policy.extra_keys)
    return _cached_judge_key(key, policy.extra_keys)


def _judge_key(key: str, extra_keys: tuple[str, ...]) -> bool:
    words = key_words(key)
    if not words:
        return False
    if any(_contains(words, key_words(name)) for name in extra_keys):
        return True
    if words[-1] in DESCRIBING_WORDS or tuple(words[-2:]) in HARMLESS_KEY_PAIRS:
        return False
    return any(_names_credential(word) for word in words) or any(
        _contains(words, phrase) for phrase in CREDENTIAL_PHRASES
    )


# Keys come from clients: the cache is bounded in entries and in the length of what it keeps.
_cached_judge_key = lru_cache(maxsize=_KEY_CACHE_SIZE)(_judge_key)


def _names_credential(word: str) -> bool:
    if word.endswith("s") and word not in NOT_PLURAL and word[:-1] in CREDENTIAL_WORDS:
        word = word[:-1]
    return (
        word in CREDENTIAL_WORDS
        or word in CREDENTIAL_COMPOUNDS
        or word.endswith(CREDENTIAL_SUFFIXES)
    )


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


# -- value shapes ------------------------------------------------------------------------------

TOKEN_SHAPES: tuple[tuple[str, str], ...] = (
    ("databricks token", r"dapi[0-9a-f]{16,}(?:-[0-9]+)?"),
    ("github token", r"gh[pousr]_[A-Za-z0-9]{16,}"),
    ("github token", r"github_pat_[A-Za-z0-9_]{16,}"),
    ("gitlab token", r"glpat-[A-Za-z0-9_-]{16,}"),
    ("aws access key id", r"AKIA[A-Z0-9]{16}"),
    ("aws access key id", r"ASIA[A-Z0-9]{16}"),
    ("api key", r"sk-[A-Za-z0-9_-]{16,}"),  # OpenAI-style: sk-proj-..., sk-ant-...
    ("stripe key", r"sk_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("stripe key", r"rk_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("hugging face token", r"hf_[A-Za-z0-9]{16,}"),
    ("slack token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    ("google api key", r"AIza[0-9A-Za-z_-]{35}"),
    ("npm token", r"npm_[A-Za-z0-9]{36}"),
    ("pypi token", r"pypi-[A-Za-z0-9_-]{50,}"),
)
"""Well-known credential prefixes, masked wherever they start a word, as `<masked: LABEL>`."""

# Each pass starts with a literal or a character set, so the regex engine skips ahead to
# where it can match: one pass with every shape as an alternative was ten times slower.
_PEM = re.compile(
    # A PEM block: its body (base64, line breaks, JSON-escaped ones, `Proc-Type:` headers)
    # runs to the next `-----`, so a block cut short (an excerpt) is masked too, and no
    # BEGIN ever scans past another block (linear time, whatever the text).
    r"-----BEGIN (?P<label>[A-Z0-9 ]{1,40})-----"
    r"(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----))*+(?:-----END (?P=label)-----)?"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2,4}")
_TOKENS = re.compile("|".join(pattern for _, pattern in TOKEN_SHAPES) + "(?![A-Za-z0-9])")
_TOKEN_LABELS = tuple((re.compile(pattern), label) for label, pattern in TOKEN_SHAPES)
_USERINFO = re.compile(r"://(?P<user>[^\s:/?#@\"'<>]*):(?P<password>[^\s/?#\"'<>]*)@")
_TOKEN68 = r"[A-Za-z0-9._~+/-]+=*"
_SCHEME = re.compile(
    rf"(?P<scheme>Bearer|Basic|Token|bearer|basic)(?P<space>[ \t]+)"
    rf"(?P<credential>{_TOKEN68})(?![A-Za-z0-9._~+/=-])"
)
# The name is the whole run of name characters before `=` (possessive: no backtracking).
_PAIR = re.compile(r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]++)=(?P<value>[^;&\s\"'<>,=]*=*)")
# A value holding pairs of its own (Azure's `SharedAccessSignature=sv=...&sig=...`) runs on
# to the next `;`.
_PAIRS_IN_VALUE = re.compile(r"(?!&)[^;\s\"'<>,]*")
_QUOTED_PAIR = re.compile(
    r"(?P<quote>[\"'])(?P<name>[^\"'\\\n]{1,64})(?P=quote)(?P<colon>\s*:\s*)"
    r"(?P<vquote>[\"'])(?:\\.|(?!(?P=vquote))[^\\\n])*(?P=vquote)"
)


def mask_text(text: str, policy: MaskingPolicy = DEFAULT_POLICY) -> str:
    """Free text (a log line, a body that is not JSON) with every secret shape masked."""
    if "-----BEGIN " in text:
        text = _PEM.sub(lambda m: f"<masked: {m['label'].strip().lower()}>", text)
    if "eyJ" in text:
        text = _JWT.sub(lambda m: _unless_mid_word(m, "<masked: jwt>"), text)
    if "://" in text:  # before the token prefixes, which may be the URL's user
        text = _USERINFO.sub(lambda m: f"://{m['user']}:{MASK}@", text)
    text = _TOKENS.sub(lambda m: _unless_mid_word(m, f"<masked: {_token_label(m[0])}>"), text)
    if "earer" in text or "asic" in text or "Token" in text:
        text = _SCHEME.sub(_masked_credential, text)
    if "=" in text:
        text = _mask_pairs(text, policy)
    if ":" in text and ('"' in text or "'" in text):
        text = _QUOTED_PAIR.sub(lambda m: _masked_quoted_pair(m, policy), text)
    return text


def _unless_mid_word(match: re.Match[str], mask: str) -> str:
    """`mask`, unless the match starts inside a word (`task-runner-...` holds no `sk-` key)."""
    start = match.start()
    return match[0] if start and match.string[start - 1].isalnum() else mask


def _token_label(token: str) -> str:
    return next(label for pattern, label in _TOKEN_LABELS if pattern.match(token))


def _masked_credential(match: re.Match[str]) -> str:
    """`Bearer ***` for what looks like a credential; prose ("Bearer token") stays."""
    scheme, credential = match["scheme"], match["credential"]
    start = match.start()
    if start and match.string[start - 1].isalnum():
        return match[0]  # inside a word
    if credential.endswith("=") and match.string[match.end() : match.end() + 1] in ('"', "'"):
        return match[0]  # an auth-param: `Bearer realm="tango"`
    if scheme.lower() == "basic":
        hidden = _is_basic_credential(credential)
    else:
        hidden = len(credential) >= 6 and not (credential.isalpha() and credential[1:].islower())
    return f"{scheme}{match['space']}{MASK}" if hidden else match[0]


def _is_basic_credential(credential: str) -> bool:
    """Base64 of `user:password`, as HTTP Basic sends it."""
    try:
        decoded = base64.b64decode(credential + "=" * (-len(credential) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


def _mask_pairs(text: str, policy: MaskingPolicy) -> str:
    """`name=***` in queries and connection strings where the name names a credential."""
    parts, shown_up_to = [], 0
    for match in _PAIR.finditer(text):
        value = match["value"]
        if match.start() < shown_up_to or not value or not is_secret_key(match["name"], policy):
            continue
        end = match.end()
        rest = _PAIRS_IN_VALUE.match(text, end) if value.endswith("=") else None
        end = rest.end() if rest else end
        parts += [text[shown_up_to : match.start("value")], MASK]
        shown_up_to = end
    return "".join(parts) + text[shown_up_to:] if parts else text


def _masked_quoted_pair(match: re.Match[str], policy: MaskingPolicy) -> str:
    """`"name": "***"` (JSON, or a Python repr, inside text) when the name names a credential."""
    name = match["name"]
    if not is_secret_key(name, policy):
        return match[0]
    quote, vquote = match["quote"], match["vquote"]
    return f"{quote}{name}{quote}{match['colon']}{vquote}{MASK}{vquote}"


# -- data, queries, headers, bodies ----------------------------------------------------------


def mask_json(value: Any, policy: MaskingPolicy = DEFAULT_POLICY) -> Any:
    """A copy of JSON-like data: values under credential keys become `***`, strings are
    masked by shape; the input is never changed."""
    return _mask_json(value, policy, 0)


def _mask_json(value: Any, policy: MaskingPolicy, depth: int) -> Any:
    if isinstance(value, str):
        return mask_text(value, policy)
    if isinstance(value, dict | list | tuple) and depth >= MAX_MASK_DEPTH:
        return "<masked: nested too deeply to show>"
    if isinstance(value, dict):
        return {
            key: MASK if is_secret_key(str(key), policy) else _mask_json(item, policy, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask_json(item, policy, depth + 1) for item in value]
    return value


def mask_query(
    query_string: str, policy: MaskingPolicy = DEFAULT_POLICY
) -> dict[str, str | list[str]]:
    """A query string as an object (a repeated name gives a list), masked by name and shape."""
    result: dict[str, str | list[str]] = {}
    for name, raw in parse_qsl(query_string, keep_blank_values=True):
        value = MASK if is_secret_key(name, policy) else mask_text(raw, policy)
        previous = result.get(name)
        if previous is None:
            result[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            result[name] = [previous, value]
    return result


TOKEN_SHOWN_CHARS = 3
"""A bearer token on a page keeps this many first characters: enough to tell tokens apart."""


def mask_token(token: str) -> str:
    """A bearer token as a page shows it: its first characters, then `***` (never more than
    half of it, so a short token is not shown whole)."""
    return token[: min(TOKEN_SHOWN_CHARS, len(token) // 2)] + MASK


def mask_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    policy: MaskingPolicy = DEFAULT_POLICY,
) -> list[tuple[str, str]]:
    """Header pairs in order (repeats kept), credential headers (`Authorization`,
    `X-Api-Key`, `Cookie`...) as `***`, other values masked by shape."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [
        (name, MASK if is_secret_key(name, policy) else mask_text(value, policy))
        for name, value in pairs
    ]


def mask_body(body: bytes | str, policy: MaskingPolicy = DEFAULT_POLICY) -> str:
    """A body as text to show, as sent unless JSON data had to be masked (then rewritten).

    Free-text rules alone would miss an object under a credential key, so JSON is parsed;
    a body with nothing to hide keeps its own bytes (what a failure report wants to show),
    text rules still applied to them (a duplicate key's value is not in the parsed data).
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return mask_text(text, policy)
    masked = mask_json(data, policy)
    if masked == data:
        return mask_text(text, policy)
    return json.dumps(masked, ensure_ascii=False)


# -- logs ------------------------------------------------------------------------------------


class MaskingFilter(logging.Filter):
    """Masks a record's message, traceback and stack as free text before any handler sees it.

    On a handler it covers every logger that reaches the handler (what the CLI does); on a
    logger, only records created by that very logger (children need their own).
    """

    def __init__(self, policy: MaskingPolicy = DEFAULT_POLICY) -> None:
        super().__init__()
        self.policy = policy

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_text(record.getMessage(), self.policy), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.policy)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info, self.policy)
        return True


@contextmanager
def masked_logging(
    logger_names: Iterable[str], policy: MaskingPolicy = DEFAULT_POLICY
) -> Iterator[None]:
    """While inside, records created by these loggers are masked (whatever handles them)."""
    masking = MaskingFilter(policy)
    loggers = [logging.getLogger(name) for name in logger_names]
    for logger in loggers:
        logger.addFilter(masking)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(masking)
