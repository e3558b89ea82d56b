"""Before any test: can the server be reached, and does it accept both tokens?

A wrong token would otherwise fail every test with the same 401 and bury the one fact that
matters; an unreachable server would fail them all with the same connection error. One list
call per identity tells both apart, and the run stops with one line saying which.
"""

from __future__ import annotations

import re

from contract_tests.support.run import ContractRun

_OS_ERROR = re.compile(r"\[Errno -?\d+\] [^'\")\]]+|Name or service not known|timed out")


def short_reason(transport_error: str) -> str:
    """`Connection refused` out of requests' nested exception text, else the text as it is."""
    found = _OS_ERROR.search(transport_error)
    return found.group().strip() if found else transport_error


def preflight_problem(run: ContractRun) -> str | None:
    """None when the run can start; else the one line that says why it cannot."""
    for identity in run.identities:
        exchange = run.client(identity, purpose="preflight").list()
        if exchange.status is None:
            return (
                f"unreachable server: cannot reach the TANGO server at {run.base_url} "
                f"({short_reason(exchange.transport_error or '')})"
            )
        if exchange.status in (401, 403):
            return (
                f"usage error: the server at {run.base_url} refuses --{identity.name} "
                f"(GET /api/deployment answered {exchange.answer}); check the token, its "
                f"workspace and that it was issued by this server"
            )
    return None
