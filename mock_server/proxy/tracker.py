"""Rules that need more than one exchange: what deletes and other tokens imply later.

State is kept per token, under a keyed hash of the token (never the token itself), and is
bounded: the oldest remembered keys are forgotten first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from mock_server.contract.traffic import (
    Exchange,
    Side,
    Violation,
    bearer_token,
    deployments_in,
    request_violations,
    response_violations,
)

MAX_REMEMBERED = 10_000
"""Keys remembered per kind (deleted, created): a bound on memory for endless traffic."""


def _remember(table: dict[tuple[str, str], str], item: tuple[str, str], value: str) -> None:
    table.pop(item, None)
    table[item] = value
    if len(table) > MAX_REMEMBERED:
        del table[next(iter(table))]


def _forget_creators(creators: dict[str, dict[str, str]]) -> None:
    if len(creators) > MAX_REMEMBERED:
        del creators[next(iter(creators))]


@dataclass
class Tracker:
    """Judges exchanges in the order they happened and remembers what later ones must obey."""

    _salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    # (token hash, key) -> workspace the server named; insertion order is age
    _deleted: dict[tuple[str, str], str] = field(default_factory=dict)
    _created: dict[tuple[str, str], str] = field(default_factory=dict)
    _workspace_of: dict[str, str] = field(default_factory=dict)
    _creators: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> who -> workspace

    def identity(self, token: str) -> str:
        """A stable name for a token within this tracker, from which the token cannot be read.

        BLAKE2b's keyed mode is a MAC in one call (HMAC-SHA256 in Python cost three times as
        much, on every exchange)."""
        data = token.encode("utf-8", "replace")
        return hashlib.blake2b(data, key=self._salt, digest_size=8).hexdigest()

    def judge(self, exchange: Exchange, *, no_answer: str | None = None) -> list[Violation]:
        """Every violation in this exchange, then remember what it implies for later ones.

        `no_answer` says why the upstream gave none (the answer is the proxy's 502): only
        the request is judged then.
        """
        op = exchange.operation
        found: list[tuple[Side, str, str]] = [
            ("client", rule, message) for rule, message in request_violations(exchange)
        ]
        if no_answer is not None:
            message = f"no answer from the upstream ({no_answer})"
            found.append(("server", "proxy.upstream-unreachable", message))
        else:
            found += [("server", rule, message) for rule, message in response_violations(exchange)]
            token = bearer_token(exchange.request_headers)
            if token is not None:
                found += [
                    ("server", rule, message)
                    for rule, message in self._stateful(self.identity(token), exchange)
                ]
        if not found:
            return []
        example = exchange.masked()  # only now: masking is most of the cost of a judgement
        return [Violation(side, op, rule, message, example) for side, rule, message in found]

    def _stateful(self, who: str, exchange: Exchange) -> list[tuple[str, str]]:
        op, status, key = exchange.operation, exchange.status, exchange.path_key
        items = deployments_in(exchange)
        found: list[tuple[str, str]] = []
        if op == "getDeployment" and key is not None and status == 200:
            if (who, key) in self._deleted:
                found.append(("lifecycle.deleted-get-404", f"deleted key {key!r} still readable"))
            found += self._foreign(who, [key])
        elif op == "listDeployments" and status == 200:
            listed = [item["deployment_key"] for item in items if "deployment_key" in item]
            for listed_key in listed:
                if isinstance(listed_key, str) and (who, listed_key) in self._deleted:
                    found.append(
                        ("lifecycle.deleted-not-listed", f"deleted key {listed_key!r} listed")
                    )
            found += self._foreign(who, [k for k in listed if isinstance(k, str)])
        elif op == "createDeployment" and len(items) == 1 and 200 <= status < 300:
            created = items[0].get("deployment_key")
            if isinstance(created, str):
                if (who, created) in self._deleted:
                    found.append(
                        ("lifecycle.deleted-key-retired", f"deleted key {created!r} created again")
                    )
                workspace = str(items[0].get("workspace"))
                # Only a create names the token's own workspace: a get or list may be the
                # very leak being looked for.
                self._workspace_of.setdefault(who, workspace)
                _remember(self._created, (who, created), workspace)
                self._creators.setdefault(created, {})[who] = workspace
                _forget_creators(self._creators)
        elif op == "deleteDeployment" and key is not None and status == 204:
            _remember(self._deleted, (who, key), self._workspace_of.get(who, ""))
        return found

    def _foreign(self, who: str, keys: list[str]) -> list[tuple[str, str]]:
        """Keys another token created in another workspace, that `who` never created itself."""
        mine = self._workspace_of.get(who)
        found: list[tuple[str, str]] = []
        for key in keys:
            if (who, key) in self._created:
                continue
            for other, workspace in self._creators.get(key, {}).items():
                if other != who and workspace != mine and (other, key) in self._created:
                    found.append(
                        (
                            "isolation.invisible-to-others",
                            f"key {key!r} of workspace {workspace!r} seen by another token",
                        )
                    )
                    break
        return found
