"""Without --base-url the suite checks this project's own mock, served in a background thread."""

from __future__ import annotations

from dataclasses import dataclass

from mock_server import MockSettings, create_app
from mock_server.http.server import BackgroundServer
from mock_server.state.fixtures import parse_document

OWNER_WORKSPACE = "contract-suite"
OTHER_WORKSPACE = "contract-suite-other"


@dataclass(frozen=True)
class LocalMock:
    """A running mock with two workspaces and one token each."""

    server: BackgroundServer
    token: str
    other_token: str

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()


def start_local_mock(*, token: str, other_token: str) -> LocalMock:
    """A fresh, empty mock on a free 127.0.0.1 port (a thread: call_and_validate blocks)."""
    seed = parse_document(
        {
            "workspaces": [{"name": OWNER_WORKSPACE}, {"name": OTHER_WORKSPACE}],
            "tokens": [
                {"token": token, "workspace": OWNER_WORKSPACE},
                {"token": other_token, "workspace": OTHER_WORKSPACE},
            ],
        },
        source="contract_tests/local_mock.py",
    )
    server = BackgroundServer(create_app(MockSettings(seed=seed))).start()
    return LocalMock(server=server, token=token, other_token=other_token)
