"""The request journal: what clients sent and what they got, bounded, with secrets masked.

Plain Python, no HTTP (the request middleware feeds it). Recording costs O(1): an entry
keeps references to what aiohttp parsed anyway, and decoding, masking and formatting happen
only when someone reads the journal (`GET /_mock/requests`, the dashboard's live feed): a
busy server pays next to nothing for an unread journal.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from yarl import URL

from mock_server.contract.path_glob import PathGlob
from mock_server.contract.traffic import Headers, client_violations, operation_of
from mock_server.masking import DEFAULT_POLICY, MaskingPolicy, mask_json, mask_query, mask_text

DEFAULT_JOURNAL_SIZE = 1000
# Bodies larger than this are summarised instead of kept, so the journal's memory is bounded
# by about journal_size * (JOURNAL_BODY_LIMIT + --max-header-bytes) even when clients send
# 1 MiB bodies (an entry also keeps the request's headers, which that limit bounds).
JOURNAL_BODY_LIMIT = 64 * 1024
# Deeper bodies are summarised: showing them would recurse past Python's limits.
MAX_SHOWN_DEPTH = 64
# An error answer's body is kept (a reference) for its message_code when at most this large.
ANSWER_KEPT_BYTES = 16 * 1024


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON data nests more than `limit` containers deep (checked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


class LargeBody(NamedTuple):
    """What an entry keeps of a body over `JOURNAL_BODY_LIMIT`: its size and the request-side
    violations found with it (judged once, off the loop, before the body was let go); None:
    not judged (the rules that need the body are then skipped)."""

    length: int
    violations: list[tuple[str, str]] | None


def describe_body(
    body: bytes | LargeBody | None,
    *,
    content_type: str,
    declared_length: int | None,
    masking: MaskingPolicy = DEFAULT_POLICY,
) -> Any:
    """The body for the journal: masked JSON when it is JSON, otherwise a summary (never raw)."""
    if body is None:
        if not declared_length:
            return None
        return f"<{declared_length} bytes of {content_type or 'unknown type'}, not read>"
    if isinstance(body, LargeBody):
        return f"<{body.length} bytes of {content_type or 'unknown type'}, too large to keep>"
    if not body:
        return None
    if len(body) > JOURNAL_BODY_LIMIT:  # not recorded by the mock, which keeps a LargeBody
        return f"<{len(body)} bytes of {content_type or 'unknown type'}, too large to keep>"
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return f"<{len(body)} bytes of {content_type or 'unknown type'}, not JSON>"
    if nested_deeper_than(data, MAX_SHOWN_DEPTH):
        return f"<{len(body)} bytes of JSON nested too deeply to show>"
    return mask_json(data, masking)


def answer_message_code(
    answer: bytes | None, masking: MaskingPolicy = DEFAULT_POLICY
) -> str | None:
    """The `message_code` of an error envelope the client got; None for anything else."""
    if not answer:
        return None
    try:
        data = json.loads(answer)
    except (ValueError, RecursionError):
        return None
    code = data.get("message_code") if isinstance(data, dict) else None
    return mask_text(code, masking) if isinstance(code, str) else None


class JournalEntry(NamedTuple):
    """One request as received and answered: references to what aiohttp already parsed.

    Recording must cost next to nothing on the request path, so an entry is a tuple of
    references (the URL and headers aiohttp built anyway); the path, query, media type and
    length are derived, and secrets masked, only when someone reads the journal.
    """

    started_at: float  # seconds since the epoch
    method: str
    url: URL  # the request target, relative (path and query)
    headers: Mapping[str, str]  # the request's headers, case-insensitive; never shown
    status: int
    duration_ms: float
    request_id: str
    workspace: str | None
    body: bytes | LargeBody | None  # None: not read
    answer: bytes | None = None  # the body of an error answer (4xx/5xx), when small

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")[:100]

    @property
    def declared_length(self) -> int | None:
        value = self.headers.get("Content-Length", "")
        return int(value) if value.isdigit() else None

    def violations(self) -> list[dict[str, str]]:
        """How the client's request broke the contract (the proxy's request-side checks).

        Judged when the journal is read, so recording stays O(1); a body the mock never read
        (refused before it) is not judged.
        """
        body = self.body
        if isinstance(body, LargeBody):
            judged = body.violations
            found = judged if judged is not None else self._judge(None)
        else:
            found = self._judge(b"" if body is None and not self.declared_length else body)
        return [{"rule": rule, "message": message} for rule, message in found]

    def _judge(self, body: bytes | None) -> list[tuple[str, str]]:
        return client_violations(self.method, self.path, Headers(self.headers.items()), body)

    def to_json(self, masking: MaskingPolicy = DEFAULT_POLICY) -> dict[str, Any]:
        """The public shape of an entry (`GET /_mock/requests`), with secrets masked."""
        moment = datetime.fromtimestamp(self.started_at, UTC)
        return {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": self.method,
            "operation": operation_of(self.method, self.path),
            "path": mask_text(self.path, masking),
            "query": mask_query(self.url.query_string, masking),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "request_id": mask_text(self.request_id, masking),  # the client's, when sane
            "workspace": self.workspace,
            "body": describe_body(
                self.body,
                content_type=self.content_type,
                declared_length=self.declared_length,
                masking=masking,
            ),
            "violations": self.violations(),
            "message_code": answer_message_code(self.answer, masking),
        }

    def matches(self, *, method: str | None, path: PathGlob | None, workspace: str | None) -> bool:
        """Filter of `GET /_mock/requests`: method (any case), path glob, exact workspace."""
        if method is not None and self.method != method.upper():
            return False
        if path is not None and not path.matches(self.path):
            return False
        return workspace is None or self.workspace == workspace


def select_entries(
    entries: list[JournalEntry],
    *,
    method: str | None = None,
    path: PathGlob | None = None,
    workspace: str | None = None,
) -> list[JournalEntry]:
    """The entries that pass every given filter, in their order."""
    return [e for e in entries if e.matches(method=method, path=path, workspace=workspace)]


RawEntry = tuple[
    float,
    str,
    URL,
    Mapping[str, str],
    int,
    float,
    str,
    str | None,
    bytes | LargeBody | None,
    bytes | None,
]
"""A `JournalEntry`'s fields as a plain tuple: what the request path records (no Python call)."""


class RequestJournal:
    """The newest `size` entries, oldest first; recording is O(1) and drops the oldest."""

    def __init__(
        self, size: int = DEFAULT_JOURNAL_SIZE, *, masking: MaskingPolicy = DEFAULT_POLICY
    ) -> None:
        if size < 0:
            raise ValueError("the journal size cannot be negative")
        self.size = size
        self.masking = masking  # how entries are shown (`JournalEntry.to_json`)
        # Changed in place only, so `record` (the deque's own C-level append) stays bound to it.
        self._entries: deque[RawEntry] = deque(maxlen=size)
        self.record: Callable[[RawEntry], None] = self._entries.append

    def watch(self, listener: Callable[[RawEntry], None] | None) -> None:
        """Call `listener` with every entry recorded from now on; None stops it.

        Unwatched, `record` is the deque's own append again: a journal nobody watches costs
        what it cost before anyone did.
        """
        append = self._entries.append
        if listener is None:
            self.record = append
            return

        def record_and_tell(entry: RawEntry) -> None:
            append(entry)
            listener(entry)

        self.record = record_and_tell

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return map(JournalEntry._make, self._entries)

    def entries(self) -> list[JournalEntry]:
        """Every entry as of now, oldest first: a copy that a worker thread may read while
        new requests are recorded."""
        return list(self)

    def find(
        self,
        *,
        method: str | None = None,
        path: PathGlob | None = None,
        workspace: str | None = None,
    ) -> list[JournalEntry]:
        """Matching entries, oldest first."""
        return select_entries(self.entries(), method=method, path=path, workspace=workspace)

    def clear(self, *, workspace: str | None = None) -> None:
        """Forget every entry, or only those of one workspace."""
        kept = [] if workspace is None else [e for e in self if e.workspace != workspace]
        self._entries.clear()
        self._entries.extend(kept)
