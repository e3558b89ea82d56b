"""The `tango_mock` pytest fixture: a running tango-mock for any project's tests.

Registered through the `pytest11` entry point, so `pip install tango-mock` is the only setup.
One server per test session runs in a background thread (plain synchronous clients such as
requests or httpx work); before each test it is reset to its seed, journal and faults
cleared. Every helper is a thin call to the mock's own admin API (`/_mock`), so a test sees
exactly what a user of `tango-mock` sees.

This module imports only pytest and the standard library at import time: pytest loads it in
every session of every project that has tango-mock installed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

if TYPE_CHECKING:
    from mock_server.settings import MockSettings

TEST_WORKSPACE = "test-workspace"
TEST_TOKEN = "test-token"
OTHER_WORKSPACE = "other-workspace"
OTHER_TOKEN = "other-test-token"
TEST_GRANTS = ((TEST_TOKEN, TEST_WORKSPACE), (OTHER_TOKEN, OTHER_WORKSPACE))

ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
ADMIN_TIMEOUT_SECONDS = 30.0
_UNSET: Any = object()

Fixture = Mapping[str, Any] | os.PathLike[str] | str


class TangoMockError(Exception):
    """An admin call the mock refused; `status` and `body` are its answer (the JSON envelope)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        message = body.get("message") if isinstance(body, dict) else body
        errors = body.get("errors") if isinstance(body, dict) else None
        detail = "".join(
            f"\n  {e.get('field') or 'document'}: {e.get('message')}"
            for e in errors or []
            if isinstance(e, dict)
        )
        super().__init__(f"{method} {path} answered {status}: {message}{detail}")
        self.status = status
        self.body = body


def _json_default(value: Any) -> Any:
    """YAML gives dates and datetimes; the mock takes ISO 8601 strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values cannot be sent as JSON")


def _read_fixture(fixture: Fixture) -> Any:
    """A fixture document from a mapping, a file path, or YAML (or JSON) text."""
    if isinstance(fixture, Mapping):
        return dict(fixture)
    import yaml  # PyYAML is a dependency of tango-mock; imported late to keep start-up light

    if isinstance(fixture, os.PathLike) or ("\n" not in fixture and Path(fixture).is_file()):
        text = Path(fixture).read_text(encoding="utf-8")
    else:
        text = fixture
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"the fixture is not valid YAML: {exc}") from None


def with_test_tokens(document: Any, grants: tuple[tuple[str, str], ...] = TEST_GRANTS) -> Any:
    """The document plus the fixture's tokens (and their workspaces when not declared)."""
    if not isinstance(document, dict):
        return document  # the mock answers 422 and says why
    workspaces = document.get("workspaces") or []
    tokens = document.get("tokens") or []
    if not isinstance(workspaces, list) or not isinstance(tokens, list):
        return document
    declared = {space.get("name") for space in workspaces if isinstance(space, dict)}
    for _, workspace in grants:
        if workspace not in declared:
            workspaces = [*workspaces, {"name": workspace}]
            declared.add(workspace)
    reserved = {token for token, _ in grants}
    tokens = [
        grant
        for grant in tokens
        if not (isinstance(grant, dict) and grant.get("token") in reserved)
    ]
    tokens += [{"token": token, "workspace": workspace} for token, workspace in grants]
    return {**document, "workspaces": workspaces, "tokens": tokens}


class TangoMock:
    """A running mock: its `url`, two workspaces' tokens, and its admin API as methods."""

    token = TEST_TOKEN
    other_token = OTHER_TOKEN
    workspace = TEST_WORKSPACE
    other_workspace = OTHER_WORKSPACE

    def __init__(self, url: str, *, admin_token: str | None = None, strict: bool = False) -> None:
        self.url = url
        self._admin_token = admin_token
        # Never through a proxy from HTTP_PROXY & co: the mock is on this machine.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.strict_default = strict
        self.strict = strict  # this test's mode (the marker's, else the settings')
        self._expected: set[str] = set()
        # (operation, status) -> times, over the session: journals are cleared per test, so
        # entries are counted before each clear; `_counted` keeps them from counting twice.
        self._coverage: Counter[tuple[str, int]] = Counter()
        self._counted: set[tuple[str, str, str, str]] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"<TangoMock {self.url} token={self.token!r} other_token={self.other_token!r}>"

    def headers(self, token: str | None = None) -> dict[str, str]:
        """`Authorization: Bearer ...` for `token` (default: the test workspace's)."""
        return {"Authorization": f"Bearer {token or self.token}"}

    # -- state ---------------------------------------------------------------------------

    def reset(self, workspace: str | None = None) -> None:
        """Back to the seed (journal and faults cleared), or only one workspace's part."""
        self._harvest()
        self._admin("POST", "/_mock/reset", query={"workspace": workspace})
        if workspace is None:
            self._counted.clear()

    def state(self) -> dict[str, Any]:
        """The whole state as a fixture document (`workspaces`, `tokens`, `deployments`)."""
        document: dict[str, Any] = self._admin("GET", "/_mock/state")
        return document

    def load(self, fixture: Fixture) -> dict[str, Any]:
        """Replace the state with a fixture document, keeping `token` and `other_token`.

        `fixture` is a mapping, a path (`pathlib.Path`, or a one-line string naming a file),
        or YAML/JSON text. The state becomes exactly the document plus the two test tokens
        (their workspaces are added if the document does not declare them); the journal
        and the faults stay. `reset()` (and the next test) goes back to the seed, not to it.
        Returns the mock's answer (with `counts`); an invalid document raises
        `TangoMockError` (422, listing each problem) and changes nothing.
        """
        document = with_test_tokens(_read_fixture(fixture))
        answer: dict[str, Any] = self._admin("PUT", "/_mock/state", body=document)
        return answer

    # -- journal -------------------------------------------------------------------------

    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        workspace: str | None = None,
    ) -> list[dict[str, Any]]:
        """Journal entries of TANGO requests, oldest first; `path` may be a glob."""
        query = {"method": method, "path": path, "workspace": workspace}
        entries: list[dict[str, Any]] = self._admin("GET", "/_mock/requests", query=query)
        return entries

    def clear_requests(self) -> None:
        self._harvest()
        self._admin("DELETE", "/_mock/requests")
        self._counted.clear()

    # -- the client's side of the contract -----------------------------------------------

    def violations(self) -> list[dict[str, Any]]:
        """Journal entries whose request broke the contract; each has `violations`
        (`rule`, `message`), its `operation` and the masked request (`body`, `path`...)."""
        entries: list[dict[str, Any]] = self._admin("GET", "/_mock/violations")
        return entries

    def expect_violation(self, rule_id: str) -> None:
        """This test sends a request breaking `rule_id` on purpose: strict mode allows it."""
        self._expected.add(rule_id)

    def assert_no_violations(self) -> None:
        """Fail, listing operation, rule and the masked request, if the client broke the
        contract (rules passed to `expect_violation` excepted)."""
        lines = [
            f"  {entry['operation']} {found['rule']}: {found['message']}\n"
            f"    {entry['method']} {entry['path']} -> {entry['status']}, body: "
            + json.dumps(entry["body"], ensure_ascii=False)[:500]
            for entry in self.violations()
            for found in entry["violations"]
            if found["rule"] not in self._expected
        ]
        if lines:
            raise AssertionError(
                f"the client broke the TANGO contract {len(lines)} time(s):\n" + "\n".join(lines)
            )

    def coverage(self) -> dict[str, dict[str, int]]:
        """For each operation, each documented status code and how often the client saw it
        in this pytest session (0: never, e.g. a 409 its tests never provoke)."""
        from mock_server.contract.traffic import documented_codes

        seen = self._coverage + self._uncounted()
        return {
            operation: {str(code): seen[(operation, code)] for code in sorted(codes)}
            for operation, codes in documented_codes().items()
        }

    def _uncounted(self) -> Counter[tuple[str, int]]:
        if self._closed:
            return Counter()
        counts: Counter[tuple[str, int]] = Counter()
        for entry in self.requests():
            ident = (entry["time"], entry["request_id"], entry["method"], entry["path"])
            if ident not in self._counted and entry.get("operation", "unknown") != "unknown":
                counts[(entry["operation"], entry["status"])] += 1
        return counts

    def _harvest(self) -> None:
        """Count the journal's entries into the session's coverage (before it is cleared)."""
        if self._closed:
            return
        entries = self.requests()
        for entry in entries:
            ident = (entry["time"], entry["request_id"], entry["method"], entry["path"])
            if ident not in self._counted:
                self._counted.add(ident)
                if entry.get("operation", "unknown") != "unknown":
                    self._coverage[(entry["operation"], entry["status"])] += 1

    def _begin_test(self, strict: bool | None) -> None:
        self.strict = self.strict_default if strict is None else strict
        self._expected = set()

    def _close(self) -> None:
        self._harvest()
        self._closed = True

    def assert_requested(
        self, method: str, path: str, *, count: int | None = None
    ) -> list[dict[str, Any]]:
        """Assert the mock saw `method path` (`count` times if given); return those entries.

        On failure the message lists every request the mock did see, to show what was sent.
        """
        found = self.requests(method=method, path=path)
        if (count is None and found) or len(found) == count:
            return found
        seen = "\n".join(
            f"  {entry['method']} {entry['path']} -> {entry['status']}" for entry in self.requests()
        )
        wanted = "at least once" if count is None else f"{count} time(s)"
        raise AssertionError(
            f"expected {method.upper()} {path} {wanted}, saw it {len(found)} time(s); "
            f"all requests seen:\n{seen or '  (none)'}"
        )

    # -- faults --------------------------------------------------------------------------

    def fault(
        self,
        path: str = "/api/*",
        *,
        method: str | None = None,
        status: int | None = None,
        body: Any = _UNSET,
        delay_ms: int | None = None,
        times: int | None = None,
        probability: float | None = None,
        workspace: str | None = None,
    ) -> dict[str, Any]:
        """Add a fault rule: matching TANGO requests get `status` (and `body`) and/or a delay.

        `path` is a glob (default: every TANGO path); `times` makes it N-shot. Returns the
        rule as the mock stores it (with its `id`).
        """
        rule: dict[str, Any] = {
            "path": path,
            "method": method,
            "status": status,
            "delay_ms": delay_ms,
            "times": times,
            "probability": probability,
            "workspace": workspace,
        }
        rule = {name: value for name, value in rule.items() if value is not None}
        if body is not _UNSET:
            rule["body"] = body
        added: dict[str, Any] = self._admin("POST", "/_mock/faults", body=rule)
        return added

    def faults(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self._admin("GET", "/_mock/faults")
        return rules

    def clear_faults(self) -> None:
        self._admin("DELETE", "/_mock/faults")

    # -- transport -----------------------------------------------------------------------

    def _admin(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | None] | None = None,
        body: Any = None,
    ) -> Any:
        """One admin call; JSON in and out; a 4xx/5xx raises `TangoMockError`."""
        params = {name: value for name, value in (query or {}).items() if value is not None}
        url = self.url + path + (f"?{urlencode(params)}" if params else "")
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, default=_json_default).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._admin_token is not None:
            headers[ADMIN_TOKEN_HEADER] = self._admin_token
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=ADMIN_TIMEOUT_SECONDS) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                answer: Any = json.loads(raw)
            except ValueError:
                answer = raw.decode("utf-8", "replace")
            raise TangoMockError(method, path, exc.code, answer) from None
        return json.loads(raw) if raw else None


def default_settings() -> MockSettings:
    """What `tango_mock_settings` gives: an empty mock (the two test workspaces are added)."""
    from mock_server.settings import MockSettings

    return MockSettings()


@pytest.fixture(scope="session")
def tango_mock_settings() -> MockSettings:
    """Settings of the session's mock; override this session-scoped fixture to seed it (or
    to add `mask_keys`, key names the journal and the mock's logs hide).

    Whatever the seed, `tango_mock.token` (workspace `test-workspace`) and
    `tango_mock.other_token` (workspace `other-workspace`) are added to it.
    """
    return default_settings()


@pytest.fixture(scope="session")
def tango_mock_server(
    tango_mock_settings: MockSettings, request: pytest.FixtureRequest
) -> Iterator[TangoMock]:
    """One mock for the whole session, in a background thread on 127.0.0.1 (a free port)."""
    from dataclasses import replace

    from mock_server.app import create_app
    from mock_server.http.request_log import SERVER_LOGGERS
    from mock_server.http.server import BackgroundServer
    from mock_server.masking import masked_logging
    from mock_server.state.fixtures import with_extra_tokens

    if not tango_mock_settings.admin_enabled:
        raise pytest.UsageError("tango_mock needs the admin API: admin_enabled must stay True")
    settings = replace(
        tango_mock_settings, seed=with_extra_tokens(tango_mock_settings.seed, TEST_GRANTS)
    )
    # pytest owns the log handlers here: the mock's own loggers mask what they write.
    with (
        masked_logging(SERVER_LOGGERS, settings.masking),
        BackgroundServer(create_app(settings)) as server,
    ):
        mock = TangoMock(
            server.url,
            admin_token=settings.admin_token,
            strict=settings.strict_client_contract,
        )
        request.config.stash[_USED] = mock
        try:
            yield mock
        finally:
            mock._close()


@pytest.fixture
def tango_mock(tango_mock_server: TangoMock, request: pytest.FixtureRequest) -> TangoMock:
    """The session's mock, reset to its seed for this test (journal and faults cleared).

    `@pytest.mark.tango_mock(strict=True)` (or `strict_client_contract` in the settings)
    fails the test if its client broke the contract (README "Checking clients").
    """
    marker = request.node.get_closest_marker("tango_mock")
    strict = marker.kwargs.get("strict") if marker is not None else None
    tango_mock_server.reset()
    tango_mock_server._begin_test(strict)
    return tango_mock_server


_USED = pytest.StashKey[TangoMock]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("tango-mock").addoption(
        "--tango-mock-coverage",
        action="store_true",
        help="print which TANGO operations and documented status codes the tests' client saw",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tango_mock(strict=False): strict=True fails the test if its client broke the TANGO "
        "contract (tango_mock.expect_violation(rule) allows a deliberate one)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """In strict mode a test that passed fails if its client broke the contract."""
    result = yield
    mock = getattr(item, "funcargs", {}).get("tango_mock")
    if isinstance(mock, TangoMock) and mock.strict:
        mock.assert_no_violations()
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    mock = config.stash.get(_USED, None)
    if not config.getoption("--tango-mock-coverage") or mock is None:
        return
    terminalreporter.section("tango-mock coverage")
    for line in coverage_table(mock.coverage()):
        terminalreporter.write_line(line)


def coverage_table(coverage: Mapping[str, Mapping[str, int]]) -> list[str]:
    """`operation  201 x3  409 -` lines: what the client's tests saw, and never saw."""
    width = max(len(operation) for operation in coverage)
    lines = ["operation".ljust(width) + "  status codes seen (x times; - never)"]
    for operation, codes in coverage.items():
        cells = [f"{code} x{n}" if n else f"{code} -" for code, n in codes.items()]
        lines.append(operation.ljust(width) + "  " + "  ".join(cells))
    return lines
