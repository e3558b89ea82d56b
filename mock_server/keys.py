"""Typed app and request state keys, in one module that imports nothing else from the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from mock_server.config import MockSettings
    from mock_server.persistence import StateFile
    from mock_server.store import DeploymentStore, Workspace

SETTINGS: web.AppKey[MockSettings] = web.AppKey("settings")
STORE: web.AppKey[DeploymentStore] = web.AppKey("store")
STATE_FILE: web.AppKey[StateFile] = web.AppKey("state_file")

# Per-request value set by the auth middleware for TANGO operations.
WORKSPACE: web.RequestKey[Workspace] = web.RequestKey("workspace")
