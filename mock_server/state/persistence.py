"""Keep the state file (`--state-file`) in step with every change, or roll the change back.

Every mutating handler calls `save_state` after changing the store, passing how to undo the
change; without a state file this does nothing. With one, the whole state is written as a
fixture document (YAML) to a temporary file in the same directory, flushed, fsync'ed and
renamed over the state file, then the directory is fsync'ed: a kill at any instant leaves
either the old or the new file, never a broken one. A change is answered only once a write
that includes it is on disk; if the write fails, every change not yet on disk is undone
(newest first), so memory matches the file again, and the client gets a 507.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mock_server.contract.errors import InternalError, StateWriteFailed
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.state.fixtures import (
    FixtureError,
    dump_yaml,
    export_document,
    load_fixture_file,
    with_extra_tokens,
)
from mock_server.state.snapshot import StateSnapshot, deployment_yaml, state_yaml
from mock_server.state.store import DeploymentStore, StoredDeployment

logger = logging.getLogger("mock_server.state.persistence")

Undo = Callable[[], None]
Writer = Callable[[Path, bytes], None]

HEADER = (
    "# tango-mock state file: rewritten atomically on every change while the mock runs.\n"
    "# A fixture document: it can also be passed to --fixtures.\n"
)


class StateFileError(Exception):
    """A state file that cannot be used at start; the message names the file and the problem."""


def encode_state(document: dict[str, Any]) -> bytes:
    """The state as the YAML fixture format, keys in their natural order."""
    return (HEADER + dump_yaml(document)).encode("utf-8")


class StateEncoder:
    """`encode_state`'s exact bytes, re-encoding only the deployments changed since last time.

    YAML encoding is most of a write's cost; a deployment never changes except for its
    `deleted` flag, so its text is kept and reused until it does.
    """

    def __init__(self) -> None:
        self._texts: dict[tuple[str, str], tuple[StoredDeployment, bool, str]] = {}

    def encode(self, snapshot: StateSnapshot) -> bytes:
        texts: dict[tuple[str, str], tuple[StoredDeployment, bool, str]] = {}

        def text_of(record: StoredDeployment, deleted: bool) -> str:
            key = (record.workspace, record.deployment_key)
            known = self._texts.get(key)
            if known is not None and known[0] is record and known[1] == deleted:
                text = known[2]
            else:
                text = deployment_yaml(record, deleted)
            texts[key] = (record, deleted, text)
            return text

        encoded = (HEADER + state_yaml(snapshot, text_of)).encode("utf-8")
        self._texts = texts
        return encoded


def temp_file_pattern(path: Path) -> str:
    """Glob of the temporary files `write_atomically` makes for `path` (cleaned at start)."""
    return f".{path.name}.*.tmp"


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (a no-op where directories cannot be fsync'ed)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new file, whole."""
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            with contextlib.suppress(FileNotFoundError):
                os.fchmod(handle.fileno(), stat.S_IMODE(path.stat().st_mode))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    try:
        fsync_directory(directory)
    except OSError as exc:
        # The rename has happened: the file holds the new state, only its durability across
        # a power cut is in doubt. Undoing the change now would make memory and file differ.
        logger.warning("Could not fsync directory %s after writing the state: %s", directory, exc)


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete temporary files left by a write that a crash interrupted; they are never used."""
    removed = []
    for leftover in path.parent.glob(temp_file_pattern(path)):
        if leftover.is_file() and not leftover.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover)
    return removed


def load_state_file(
    path: Path, *, extra_tokens: list[tuple[str, str]] | None = None
) -> FixtureDocument | None:
    """The saved state (plus `--token` grants), or None if the file does not exist yet.

    Anything unusable raises `StateFileError` and leaves the file untouched.
    """
    if not path.parent.is_dir():
        raise StateFileError(f"{path}: the directory {path.parent} does not exist")
    for leftover in remove_stale_temp_files(path):
        logger.info("Removed %s, left over by an interrupted write", leftover)
    if not path.exists():
        return None
    if not path.is_file():
        raise StateFileError(f"{path}: not a regular file")
    try:
        if not path.read_bytes().strip():
            raise StateFileError(
                f"{path}: the state file is empty (a state file always holds a document); "
                "delete it to start again from the fixtures"
            )
        document = load_fixture_file(path)
    except OSError as exc:
        raise StateFileError(f"{path}: cannot read the state file: {exc.strerror}") from None
    except FixtureError as exc:
        raise StateFileError(
            f"{exc}\nThe state file was left untouched: fix it, or move it away to start "
            "again from the fixtures."
        ) from None
    return with_extra_tokens(document, extra_tokens or [])


def write_state_file(path: Path, store: DeploymentStore) -> None:
    """Write the store to `path` now (at start, before serving); failure is a `StateFileError`."""
    try:
        write_atomically(path, encode_state(export_document(store)))
    except OSError as exc:
        raise StateFileError(f"{path}: cannot write the state file: {exc.strerror}") from None


class StateFile:
    """Writes the store to one file: one write at a time, batched, rolled back on failure.

    Each change gets a number when it is made. A write covers every change made before its
    snapshot, so a change whose number is already covered is answered without a write of
    its own (a burst of N concurrent changes costs about two writes, not N).
    """

    def __init__(self, path: Path, *, writer: Writer | None = None) -> None:
        self.path = path
        self._writer = writer
        self._lock = asyncio.Lock()
        self._made = 0  # changes made in memory so far
        self._durable = 0  # changes included in the last successful write
        self._pending: dict[int, Undo] = {}  # changes not on disk yet, oldest first
        self._last_failure = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._encoder = StateEncoder()  # used by one write at a time (under the lock)

    def _write(self, snapshot: StateSnapshot) -> None:
        writer = self._writer or write_atomically
        writer(self.path, self._encoder.encode(snapshot))

    async def save(self, store: DeploymentStore, undo: Undo) -> None:
        """Return once this change is on disk; raise a 5xx `ApiError` if it never will be."""
        self._made += 1
        change = self._made
        self._pending[change] = undo
        # Shielded: a cancelled request must not leave a write half-accounted.
        task = asyncio.ensure_future(self._commit(store, change))
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        await asyncio.shield(task)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here so a cancelled caller's error is not reported

    async def _commit(self, store: DeploymentStore, change: int) -> None:
        async with self._lock:
            if change <= self._durable:
                return
            if change not in self._pending:
                raise StateWriteFailed(
                    "The change could not be saved to the state file because an earlier write "
                    f"failed ({self._last_failure}); nothing was changed."
                )
            covered = self._made
            snapshot = StateSnapshot.of(store)
            try:
                await asyncio.to_thread(self._write, snapshot)
            except Exception as exc:
                self._roll_back(exc)
                if isinstance(exc, OSError):
                    raise StateWriteFailed(
                        f"The change could not be saved to the state file ({self._last_failure})"
                        "; nothing was changed."
                    ) from exc
                raise InternalError("The server hit an unexpected error.") from exc
            self._durable = covered
            for done in [number for number in self._pending if number <= covered]:
                del self._pending[done]

    def _roll_back(self, exc: Exception) -> None:
        """Undo every change not on disk, newest first: memory is the file's state again."""
        self._last_failure = (
            (exc.strerror or str(exc)) if isinstance(exc, OSError) else type(exc).__name__
        )
        if isinstance(exc, OSError):
            logger.error("Could not write the state file %s: %s", self.path, exc)
        else:
            logger.exception("Could not write the state file %s", self.path, exc_info=exc)
        for number in reversed(list(self._pending)):
            undo = self._pending.pop(number)
            try:
                undo()
            except Exception:
                logger.exception("Could not undo change %d after a failed write", number)

    async def flush(self) -> None:
        """Wait until every change made so far is written (or undone), even if its request left."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
