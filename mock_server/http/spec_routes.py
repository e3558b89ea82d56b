"""Serve the contract itself at /openapi.yaml and /openapi.json (no token needed)."""

from __future__ import annotations

from aiohttp import web

from mock_server.contract.spec import spec_document, spec_text
from mock_server.http.responses import json_response


async def openapi_yaml(request: web.Request) -> web.Response:
    return web.Response(text=spec_text(), content_type="application/yaml", charset="utf-8")


async def openapi_json(request: web.Request) -> web.Response:
    return json_response(spec_document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.yaml", openapi_yaml, name="openapi-yaml", allow_head=False)
    app.router.add_get("/openapi.json", openapi_json, name="openapi-json", allow_head=False)
