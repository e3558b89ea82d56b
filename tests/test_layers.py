"""The package's layers, read from the modules' own imports: lower layers never import upper ones.

contract < state < settings < http < admin < app < entry points (cli, pytest plugin). A
module may import its own layer and any lower one; the subpackages' `__init__` docstrings
say the same in words.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mock_server

PACKAGE_DIR = Path(mock_server.__file__).resolve().parent

# Lowest first. A module's layer is its subpackage, or its own name for top-level modules.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"masking", "runtime"}),
    frozenset({"contract"}),
    frozenset({"state"}),
    frozenset({"settings"}),
    frozenset({"http"}),
    frozenset({"admin", "proxy"}),
    frozenset({"app"}),
    frozenset({"cli", "contract_command", "pytest_plugin", "__main__", "__init__"}),
)


def layer_of(module: str) -> int:
    """`mock_server.http.auth` -> the index of layer "http"."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "__init__"
    for index, layer in enumerate(LAYERS):
        if name in layer:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every `mock_server...` module the file imports (at any place, TYPE_CHECKING included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "mock_server":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "mock_server")
    return found


def test_no_module_imports_a_higher_layer() -> None:
    upward = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        importer = module_name(path)
        for imported in imported_modules(path):
            if layer_of(imported) > layer_of(importer):  # the package root is the top layer
                upward.append(f"{importer} imports {imported}")
    assert upward == []


def test_only_the_cli_imports_the_proxy() -> None:
    """The proxy shares a layer with the admin API but is its own program: the mock never
    loads it."""
    importers = {
        module_name(path)
        for path in PACKAGE_DIR.rglob("*.py")
        if not module_name(path).startswith("mock_server.proxy")
        and any(m.startswith("mock_server.proxy") for m in imported_modules(path))
    }
    assert importers == {"mock_server.cli"}


def test_the_layer_rule_catches_an_upward_import() -> None:
    """The checker itself: a state module importing http would be found."""
    assert layer_of("mock_server.http.auth") > layer_of("mock_server.state.store")
    assert layer_of("mock_server.contract.models") < layer_of("mock_server.state.store")


def test_the_state_layer_imports_no_aiohttp() -> None:
    """The model layer is plain Python: usable without the web server."""
    script = (
        "import sys, mock_server.state.store, mock_server.state.fixtures, "
        "mock_server.state.persistence, mock_server.state.journal, mock_server.state.faults, "
        "mock_server.state.events, mock_server.state.overview; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'mock_server.http')"
        " or m.startswith(('mock_server.http', 'mock_server.admin'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
