"""A plain (non-editable) install finds openapi.yaml and the demo fixture inside the wheel.

The wheel is built once per session with `pip wheel`; pip fetches the build backend from
PyPI unless it is cached. The tests skip, saying so, only when the build fails AND the
package index cannot be reached; any other build failure fails them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mock_server.admin.dashboard import ASSETS as DASHBOARD_FILES

# Builds the wheel with pip, then starts the installed package.
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_FILES = {
    "mock_server/_data/openapi.yaml": REPO_ROOT / "openapi.yaml",
    "mock_server/_data/mock_admin.yaml": REPO_ROOT / "mock_admin.yaml",
    "mock_server/_data/demo.yaml": REPO_ROOT / "fixtures" / "demo.yaml",
}
BUILD_TIMEOUT = 180


def index_reachable(host: str = "pypi.org", port: int = 443) -> bool:
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from this checkout once per test session."""
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), "."]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        if not index_reachable():
            pytest.skip(
                f"cannot build the wheel offline (PyPI unreachable): {result.stderr[-300:]}"
            )
        pytest.fail(f"pip wheel failed:\n{result.stdout}\n{result.stderr}")
    wheels = list(out.glob("tango_mock-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def unpacked_wheel(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_wheel_carries_the_contract_and_the_demo_fixture(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for packaged, source in PACKAGED_FILES.items():
            assert packaged in names, sorted(names)
            assert archive.read(packaged) == source.read_bytes(), packaged
        assert "mock_server/py.typed" in names
        for name in ("index.html", *DASHBOARD_FILES):  # the dashboard works from a wheel
            assert f"mock_server/static/ui/{name}" in names, name
        entry_points = archive.read(
            next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        ).decode()
    assert "tango-mock = mock_server.cli:main" in entry_points


def test_installed_package_serves_its_own_copies(unpacked_wheel: Path, tmp_path: Path) -> None:
    """Imported from the unpacked wheel, with the repository nowhere on the path or in cwd."""
    probe = (
        "import json, mock_server, mock_server.contract.spec as r\n"
        "from mock_server.state.fixtures import load_fixture_file\n"
        "demo = load_fixture_file(r.demo_fixture_path())\n"
        "print(json.dumps({'package': mock_server.__file__, 'spec': str(r.spec_path()),\n"
        "  'demo': str(r.demo_fixture_path()), 'title': r.spec_document()['info']['title'],\n"
        "  'deployments': len(demo.deployments)}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(unpacked_wheel), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    package_dir = unpacked_wheel / "mock_server"
    assert Path(found["package"]).parent == package_dir
    assert Path(found["spec"]) == package_dir / "_data" / "openapi.yaml"
    assert Path(found["demo"]) == package_dir / "_data" / "demo.yaml"
    assert found["title"] == "TANGO Deployment API"
    assert found["deployments"] == 4


def test_wheel_carries_the_contract_suite(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    suite = {name for name in names if name.startswith("contract_tests/")}
    expected = {
        "contract_tests/__init__.py",
        "contract_tests/conftest.py",
        "contract_tests/test_lifecycle.py",
        "contract_tests/support/__init__.py",
        "contract_tests/support/run.py",
    }
    assert expected <= suite, sorted(suite)
    assert not [name for name in suite if "__pycache__" in name]


def test_installed_contract_command_ignores_the_project_around_it(
    wheel: Path, tmp_path: Path
) -> None:
    """The wheel unpacked inside a project whose pytest configuration would break a run."""
    site = tmp_path / "project" / ".venv" / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    project = tmp_path / "project"
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "--no-such-option"\n'
    )
    (project / "conftest.py").write_text("raise RuntimeError('the project conftest was loaded')\n")
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", "--", "-k", "unknown_keys"],
        cwd=project,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"rootdir: {site / 'contract_tests'}" in output
    assert "1 passed" in output and "(this project's mock, in-process)" in output
    assert "PytestAssertRewriteWarning" not in output
