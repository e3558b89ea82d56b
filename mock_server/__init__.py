"""tango-mock: an in-memory stand-in for the TANGO Deployment API, built from openapi.yaml."""

from __future__ import annotations

from mock_server.app import create_app
from mock_server.config import MockSettings

__all__ = ["MockSettings", "__version__", "create_app"]
__version__ = "0.1.0"
