"""Find the files the package serves: openapi.yaml and the built-in demo fixture.

A wheel carries them inside the package (`mock_server/_data/`, see pyproject.toml); a
source checkout or editable install reads them from the repository root instead.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_REPO_ROOT = _PACKAGE_DIR.parent


def _find(packaged: str, in_repo: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_data" / packaged, _REPO_ROOT / in_repo):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{packaged} is missing from the installation (looked in {_PACKAGE_DIR})"
    )


def spec_path() -> Path:
    """Path of openapi.yaml, the contract."""
    return _find("openapi.yaml", "openapi.yaml")


def admin_spec_path() -> Path:
    """Path of mock_admin.yaml, the admin API's own spec (not part of the TANGO contract)."""
    return _find("mock_admin.yaml", "mock_admin.yaml")


@cache
def admin_spec_text() -> str:
    return admin_spec_path().read_text(encoding="utf-8")


def demo_fixture_path() -> Path:
    """Path of the built-in demo fixture (fixtures/demo.yaml)."""
    return _find("demo.yaml", "fixtures/demo.yaml")


@cache
def spec_text() -> str:
    return spec_path().read_text(encoding="utf-8")


@cache
def spec_document() -> dict[str, Any]:
    """openapi.yaml parsed once per process (by libyaml when PyYAML has it: about 4x faster)."""
    document = yaml.load(spec_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(document, dict)
    return document


def spec_example(name: str) -> dict[str, Any]:
    """A fresh copy of a named example of openapi.yaml (TANGO's payloads live there, once)."""
    value = spec_document()["components"]["examples"][name]["value"]
    assert isinstance(value, dict)
    return copy.deepcopy(value)
