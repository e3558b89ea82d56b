"""Everything the mock holds, as plain Python: the store (workspaces, tokens, deployments,
retired keys), fixture documents, the state file, the request journal and the fault book.

Knows nothing of HTTP (the moto pattern): imports only `mock_server.contract`, never aiohttp
nor `mock_server.http` / `mock_server.admin`. The HTTP handlers, the admin API, the CLI and
the pytest plugin all drive this one model layer.
"""
