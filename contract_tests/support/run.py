"""The state of one contract run: target server, identities, key prefix and ledger.

Test modules build their schemathesis schema at import time, before fixtures exist, so the
run is created in `pytest_configure` and reached through `current()`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import requests.adapters

from contract_tests.support.client import Identity, TangoClient
from contract_tests.support.coverage import Coverage
from contract_tests.support.keys import KeyFactory
from contract_tests.support.ledger import Ledger
from contract_tests.support.local_mock import LocalMock, start_local_mock
from contract_tests.support.settings import RunSettings
from contract_tests.support.verdicts import RuleBook

OWNER = "token"
OTHER = "other-token"


@dataclass
class ContractRun:
    """Everything the suite's tests and hooks share during one pytest session."""

    settings: RunSettings
    base_url: str
    owner: Identity
    other: Identity | None
    local_mock: LocalMock | None
    workdir: Path
    ledger: Ledger = field(default_factory=Ledger)
    keys: KeyFactory = field(init=False)
    rule_book: RuleBook = field(init=False)
    coverage: Coverage = field(init=False)
    outcomes: Counter[str] = field(default_factory=Counter)  # test outcome -> how many
    started_at: float = field(default_factory=time.time)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.keys = KeyFactory(self.settings.key_prefix)
        self.rule_book = RuleBook(selected=self.settings.rules)
        self.coverage = Coverage(self.base_url)

    @property
    def identities(self) -> list[Identity]:
        return [self.owner] if self.other is None else [self.owner, self.other]

    def secrets(self) -> dict[str, str]:
        """Token -> shell placeholder, for printed curl lines (the local mock's are not secret)."""
        if self.local_mock is not None:
            return {}
        return {identity.token: identity.placeholder for identity in self.identities}

    def scrub(self, text: str) -> str:
        """`text` with every token of the run as its shell placeholder (the local mock's too)."""
        for identity in sorted(self.identities, key=lambda known: -len(known.token)):
            text = text.replace(identity.token, identity.placeholder)
        return text

    def client(
        self,
        identity: Identity | None = None,
        *,
        purpose: str = "test",
        session: requests.Session | None = None,
    ) -> TangoClient:
        """A client as `identity` (the owner by default), on the run's session unless given."""
        return TangoClient(
            self.base_url,
            identity or self.owner,
            self.ledger,
            session=session or self.session,
            secrets=self.secrets(),
            purpose=purpose,
            coverage=self.coverage,
        )

    def observe(self, method: str, url: str, status: int | None) -> None:
        """One request sent to the server (by any client of the run) and its status."""
        self.ledger.count_request()
        self.coverage.saw(method, url, status)

    def identity_of(self, authorization: str | None) -> Identity | None:
        """Which of our identities an Authorization header belongs to."""
        for identity in self.identities:
            if authorization == identity.authorization:
                return identity
        return None

    def wfc_document(self) -> Path:
        """Web Fuzzing Commons auth file: one entry per identity (schemathesis `[auth.wfc]`)."""
        path = self.workdir / "identities.wfc.json"
        document = {
            "auth": [
                {
                    "name": identity.name,
                    "fixedHeaders": [{"name": "Authorization", "value": identity.authorization}],
                }
                for identity in self.identities
            ]
        }
        path.write_text(json.dumps(document), encoding="utf-8")
        path.chmod(0o600)
        return path


_CURRENT: ContractRun | None = None
_CURRENT_LOCK = threading.Lock()


def current() -> ContractRun:
    """The run of this pytest session (the suite's conftest.py creates it)."""
    if _CURRENT is None:
        raise RuntimeError("the contract suite runs under pytest: python -m pytest contract_tests")
    return _CURRENT


def current_or_none() -> ContractRun | None:
    """The run of this pytest session, or None outside one (helpers used by unit tests)."""
    return _CURRENT


def start(settings: RunSettings) -> ContractRun:
    """Set up the run: start the local mock when no --base-url was given."""
    global _CURRENT
    local_mock = None
    other: str | None
    if settings.base_url is None:
        token, other_token = f"{settings.key_prefix}owner", f"{settings.key_prefix}other"
        local_mock = start_local_mock(token=token, other_token=other_token)
        base_url, owner_token, other = local_mock.url, token, other_token
    else:
        if settings.token is None:
            raise ValueError("a run against --base-url needs --token")
        base_url, owner_token, other = settings.base_url, settings.token, settings.other_token
    run = ContractRun(
        settings=settings,
        base_url=base_url,
        owner=Identity(OWNER, owner_token, "$TANGO_TOKEN"),
        other=None if other is None else Identity(OTHER, other, "$TANGO_OTHER_TOKEN"),
        local_mock=local_mock,
        workdir=Path(tempfile.mkdtemp(prefix="tango-contract-")),
    )
    with _CURRENT_LOCK:
        _CURRENT = run
    return run


def finish() -> None:
    """Stop the local mock and remove the run's temporary files."""
    global _CURRENT
    with _CURRENT_LOCK:
        run, _CURRENT = _CURRENT, None
    if run is None:
        return
    run.session.close()
    if run.local_mock is not None:
        run.local_mock.stop()
    shutil.rmtree(run.workdir, ignore_errors=True)


@contextmanager
def counting_requests(
    base_url: str, observe: Callable[[str, str, int | None], None]
) -> Iterator[None]:
    """Report each request sent to `base_url` through `requests` (schemathesis' too) to `observe`.

    `observe(method, url, status)` gets None as the status when no answer came.
    """
    original = requests.adapters.HTTPAdapter.send

    def send(
        self: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if not str(request.url).startswith(base_url):
            return original(self, request, *args, **kwargs)
        method, url = str(request.method), str(request.url)
        try:
            response = original(self, request, *args, **kwargs)
        except Exception:
            observe(method, url, None)
            raise
        observe(method, url, response.status_code)
        return response

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]
