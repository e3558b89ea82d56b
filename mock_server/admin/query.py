"""The admin API's query parameters: each declared once with its rule, checked before any work.

A query string can hold anything up to the header limit: 5,000 digits, non-ASCII digits, NUL,
a name given twice. Every call checks all of it first and answers a 400 `bad_request` that
names the parameter and its rule but never quotes the value. An unknown name is refused too,
so a typo (`?limt=5`) does not silently return everything. `QUERY_PARAMETERS` is what
`mock_admin.yaml` documents (a test keeps the two equal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from aiohttp import web

from mock_server.contract.errors import ApiError
from mock_server.contract.fault_rule import METHOD_PATTERN
from mock_server.contract.fixture_format import workspace_name_problem
from mock_server.contract.path_glob import glob_problem

# Longer than any name or glob a test needs; bounds what a message or a filter works on.
MAX_TEXT_VALUE = 1024
# `limit` is a count of journal entries: nine digits is beyond any journal.
MAX_LIMIT_DIGITS = 9
_LIMIT = re.compile(rf"[0-9]{{1,{MAX_LIMIT_DIGITS}}}")
_METHOD = re.compile(METHOD_PATTERN)

Rule = Callable[[str], str | None]
"""Why a value is refused (completing "NAME ..."), or None when it is accepted."""


class BadAdminQuery(ApiError):
    status = 400
    message_code = "bad_request"


def _workspace(value: str) -> str | None:
    if len(value) > MAX_TEXT_VALUE:
        return f"must be at most {MAX_TEXT_VALUE} characters"
    return workspace_name_problem(value)


def _limit(value: str) -> str | None:
    if _LIMIT.fullmatch(value) is None:
        return f"must be a whole number of at most {MAX_LIMIT_DIGITS} ASCII digits (0 or more)"
    return None


def _method(value: str) -> str | None:
    return None if _METHOD.fullmatch(value) else "must be an HTTP method name (1 to 16 letters)"


def _format(value: str) -> str | None:
    return None if value in ("json", "yaml") else "must be json or yaml"


QUERY_PARAMETERS: Mapping[str, Mapping[str, Rule]] = {
    "admin-reset": {"workspace": _workspace},
    "admin-get-state": {"format": _format},
    "admin-list-requests": {
        "method": _method,
        "path": glob_problem,
        "workspace": _workspace,
        "limit": _limit,
    },
}
"""Route name -> its query parameters and their rules; a route not listed takes none."""


def checked_query(request: web.Request, route_name: str) -> dict[str, str]:
    """The query's values by name, each given at most once and accepted by its rule."""
    rules = QUERY_PARAMETERS.get(route_name, {})
    query = request.query
    if any(name not in rules for name in query):
        allowed = ", ".join(rules) or "no parameters"
        raise BadAdminQuery(f"Unknown query parameter; this call takes {allowed}.")
    values: dict[str, str] = {}
    for name, rule in rules.items():
        given = query.getall(name, [])
        if len(given) > 1:
            raise BadAdminQuery(f"The query parameter {name} must be given at most once.")
        if given:
            problem = rule(given[0])
            if problem is not None:
                raise BadAdminQuery(f"The query parameter {name} {problem}.")
            values[name] = given[0]
    return values
