"""tango-mock: an in-memory stand-in for the TANGO Deployment API, built from openapi.yaml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.settings import MockSettings

__all__ = ["MockSettings", "__version__", "create_app"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import the app lazily: pytest loads `mock_server.pytest_plugin` (and so this package)
    in every session of every project that has tango-mock installed."""
    if name == "create_app":
        from mock_server.app import create_app

        return create_app
    if name == "MockSettings":
        from mock_server.settings import MockSettings

        return MockSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
