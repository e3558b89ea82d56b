"""Settings of one mock app: what `create_app` and the CLI share. Immutable once built."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mock_server.contract.fixture_format import FixtureDocument
from mock_server.masking import MaskingPolicy
from mock_server.state.journal import DEFAULT_JOURNAL_SIZE
from mock_server.state.store import DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE, DEFAULT_MAX_STATE_BYTES

ONE_MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class MockSettings:
    """Everything that shapes a mock app; defaults are the documented limits."""

    seed: FixtureDocument = field(default_factory=FixtureDocument)
    max_body_bytes: int = ONE_MIB
    max_deployments_per_workspace: int = DEFAULT_MAX_DEPLOYMENTS_PER_WORKSPACE
    # Bytes all stored deployments may take (`StoredDeployment.size`): creates beyond get 403
    # quota_exceeded, state imports 413 payload_too_large, a larger seed stops the start.
    max_state_bytes: int = DEFAULT_MAX_STATE_BYTES
    # Process protection (RELIABILITY.md): the request line plus headers, in bytes (431 over it);
    # seconds a client has for its headers, then for its body (408), and idle keep-alive;
    # open connections at once (503 beyond).
    max_header_bytes: int = 32 * 1024
    client_timeout: float = 15.0
    max_connections: int = 1024
    # --cors-origin: browser origins allowed to call the mock (`*`: any); empty: CORS off.
    cors_origins: tuple[str, ...] = ()
    # --state-file: every change is written there; `initial_state` (what the file held at
    # start) replaces `seed` as the starting state, while `seed` stays what a reset restores.
    state_file: Path | None = None
    initial_state: FixtureDocument | None = None
    # Admin API and request journal (README "Admin API, faults and the request journal"):
    # --journal-size entries kept (0: no journal); --no-admin / a non-loopback host without
    # --admin-token turn /_mock off; with an admin token every admin call must send it.
    journal_size: int = DEFAULT_JOURNAL_SIZE
    admin_enabled: bool = True
    admin_token: str | None = None
    # --mask-key: more key names whose values the journal and the logs hide (README "Secrets
    # and masking"); the API and the state export always keep real values.
    mask_keys: tuple[str, ...] = ()
    # pytest plugin only: a test whose client sent a request that breaks the contract fails
    # (README "Checking clients"); `@pytest.mark.tango_mock(strict=...)` overrides it per test.
    strict_client_contract: bool = False

    @property
    def masking(self) -> MaskingPolicy:
        """The masking policy of everything this mock shows."""
        return MaskingPolicy(self.mask_keys)
