"""`GET /_mock/state` and `PUT /_mock/state` bodies: a state to and from JSON or YAML.

Everything here is plain work on data nobody else holds (a snapshot, a request body, a new
store), so the handlers can run it in a worker thread for a large state (`http/offload.py`).
Output is built one deployment at a time, and input is checked for shared YAML nodes in one
pass before anything walks it; no single step is long enough to keep the loop from running.
"""

from __future__ import annotations

from typing import Any

import yaml

from mock_server.contract.errors import ApiError, ValidationFailed
from mock_server.contract.fixture_format import FixtureDocument
from mock_server.contract.strict_json import decode_json
from mock_server.http.responses import JSON_CONTENT_TYPE, dump_json
from mock_server.state.fixtures import FixtureError, parse_document
from mock_server.state.snapshot import StateSnapshot, deployment_entry_json, state_yaml
from mock_server.state.state_ops import built_store
from mock_server.state.store import DeploymentStore

YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
# libyaml when PyYAML has it (most wheels): several times faster than the Python parser on a
# large state, and it refuses nesting beyond 1000 levels itself.
_YamlLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# A state document holds each deployment two containers down (`{"deployments": [...]}`): its
# JSON may nest that much deeper than a create body's.
STATE_DEPLOYMENT_LEVELS = 2


class InvalidYaml(ApiError):
    status = 400
    message_code = "invalid_yaml"


def state_json(snapshot: StateSnapshot) -> bytes:
    """`dump_json(export_document(store))`'s bytes, encoded one deployment at a time."""
    head = dump_json(snapshot.header())  # b'{"workspaces":[...],"tokens":[...]}'
    items = b",".join([deployment_entry_json(*pair) for pair in snapshot.records()])
    return head[:-1] + b',"deployments":[' + items + b"]}"


def state_text(snapshot: StateSnapshot, *, as_yaml: bool) -> bytes:
    return state_yaml(snapshot).encode("utf-8") if as_yaml else state_json(snapshot)


def has_shared_node(data: Any) -> bool:
    """Whether a mapping or list appears twice in the data: what a YAML alias (`*name`) gives.

    One pass that stops at the first repeat, so an alias bomb (aliases of aliases, a billion
    items when walked naively) costs no more than its text.
    """
    seen: set[int] = set()
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict | list):
            if id(item) in seen:
                return True
            seen.add(id(item))
            pending.extend(item.values() if isinstance(item, dict) else item)
    return False


def decode_yaml(body: bytes) -> Any:
    """A YAML body as plain data; anchors' aliases of mappings or lists are refused."""
    try:
        data = yaml.load(body.decode("utf-8"), Loader=_YamlLoader)
    except UnicodeDecodeError as exc:
        raise InvalidYaml(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    except RecursionError:
        raise InvalidYaml("The YAML document is nested too deeply.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidYaml(f"The body is not valid YAML{where}: {problem}.") from None
    if has_shared_node(data):
        raise InvalidYaml("The body is not valid YAML here: aliases (*name) are not accepted.")
    return data


def validated_state(data: Any) -> FixtureDocument:
    """The fixture document, or a 422 whose `errors` say where it is wrong."""
    try:
        return parse_document(data, source="state")
    except FixtureError as exc:
        where = ", ".join(dict.fromkeys(problem.field for problem in exc.problems))
        raise ValidationFailed(
            f"The state document is invalid ({where[:300]}); nothing was changed.",
            extra={"errors": [problem.to_json() for problem in exc.problems]},
        ) from None
    except RecursionError:
        raise ValidationFailed(
            "The state document is nested too deeply; nothing was changed.",
            extra={"errors": [{"field": "", "message": "nested too deeply", "type": "too_deep"}]},
        ) from None


def state_from_body(body: bytes, media_type: str) -> DeploymentStore:
    """Decode, validate and build the new state; nothing of the served state is touched."""
    if media_type == JSON_CONTENT_TYPE:  # a deployment sits in `deployments`, in a list
        data = decode_json(body, wrapping_levels=STATE_DEPLOYMENT_LEVELS)
    else:
        data = decode_yaml(body)
    try:
        return built_store(validated_state(data))
    finally:
        _release_in_steps(data)


def _release_in_steps(data: Any) -> None:
    """Drop a decoded document's entries one at a time: freeing a big one in a single step
    (what `del` does) holds the interpreter for a tenth of a second or more."""
    if isinstance(data, dict):
        for entries in data.values():
            while isinstance(entries, list) and entries:
                entries.pop()
