"""The contract in code: the spec file, the value rules, the pydantic models, strict JSON and
the domain errors with their status and `message_code`.

The lowest layer: it imports nothing else from `mock_server` and nothing from aiohttp, so
every other layer (state, http, admin) and the contract suite can use it.
"""
