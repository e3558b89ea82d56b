"""The contract in code: the spec files, the pydantic models that state every rule of a
create body, a fixture document and a fault rule once (`models`, `fixture_format`,
`fault_rule`), strict JSON (`strict_json`), our wording of every problem (`messages`) and
the domain errors with their status and `message_code` (`errors`).

The lowest layer: it imports nothing else from `mock_server` and nothing from aiohttp, so
every other layer (state, http, admin) and the contract suite can use it.
"""
