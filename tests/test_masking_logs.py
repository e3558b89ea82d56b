"""The logs show no secret: the CLI at `--log-level debug` (a real subprocess), the pytest
plugin's server, and every logger the mock writes to."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
import requests

from mock_server.http.request_log import SERVER_LOGGERS
from tests.cli_process import MockProcess, python_module_command, run_to_exit
from tests.masking_corpus import CORPUS, JWT, all_secrets, leaks
from tests.test_plugin import readme_python_block

pytest_plugins = ["pytester"]

HTTP_TIMEOUT = 10
TOKEN = "Lg9Tk4Qw7Zx2"
ID_TOKEN = "ghp_L0gR3qu3st1dT0k3nXyZ9876543210Abcd"
PACKAGE = Path(__file__).resolve().parent.parent / "mock_server"


def send_raw(url: str, data: bytes) -> bytes:
    """Bytes straight to the mock (a request no HTTP client would send), its answer back."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT) as connection:
        connection.sendall(data)
        return connection.recv(65536)


def test_the_debug_log_and_the_journal_of_the_cli_hide_every_secret(tmp_path: Path) -> None:
    state_file = tmp_path / "state.yaml"
    command = [
        *python_module_command(),
        "--port", "0",
        "--log-level", "debug",
        "--token", f"{TOKEN}=ws-mask",
        "--mask-key", "model_uri",
        "--state-file", str(state_file),
    ]  # fmt: skip
    process = MockProcess(command)
    extra = ["M0d3lUr1Pr1v", "Qu3ryPw9x", "B4dH34d3rDapi"]
    try:
        process.start()
        api, auth = f"{process.url}/api/deployment", {"Authorization": f"Bearer {TOKEN}"}
        for number, config in enumerate(CORPUS):
            headers = {**auth, "X-Request-Id": f"corpus-{number}"}
            created = requests.post(api, json=config.payload(), headers=headers, timeout=10)
            assert created.status_code == 201, created.text
        own = {**CORPUS[0].payload("own-keys"), "server_proxy_init": {"model_uri": extra[0]}}
        assert requests.post(api, json=own, headers=auth, timeout=HTTP_TIMEOUT).ok
        # Secrets where a log could pick them up: the path, the request id, the query, a
        # header, a header line so broken that the HTTP parser rejects the request.
        requests.get(f"{api}/{JWT}", headers={**auth, "X-Request-Id": "jwt-path"}, timeout=10)
        requests.get(api, headers={**auth, "X-Request-Id": ID_TOKEN}, timeout=HTTP_TIMEOUT)
        requests.get(f"{api}?password={extra[1]}", headers=auth, timeout=HTTP_TIMEOUT)
        requests.get(api, headers={"Authorization": f"Bearer {JWT}"}, timeout=HTTP_TIMEOUT)
        broken = (
            b"GET /api/deployment HTTP/1.1\r\nHost: x\r\nAuthorization Bearer B4dH34d3rDapi\r\n\r\n"
        )
        assert b" 400 " in send_raw(process.url, broken).split(b"\r\n", 1)[0]
        journal = requests.get(f"{process.url}/_mock/requests", timeout=HTTP_TIMEOUT)
        state = requests.get(f"{process.url}/_mock/state", timeout=HTTP_TIMEOUT)
        assert process.stop() == 0  # flushes every log line
    finally:
        process.kill()

    secrets = [*all_secrets(), TOKEN, ID_TOKEN, *extra]
    assert leaks(process.stderr, secrets) == [], process.stderr
    assert leaks(journal.text, secrets) == []
    access = [line for line in process.stderr_lines if "mock_server.access" in line]
    assert len(access) >= len(CORPUS) + 5, process.stderr
    assert any("GET /api/deployment/<masked: jwt> 404" in line for line in access)
    assert any("id=<masked: github token>" in line for line in access)
    assert "Rejected a malformed request" in process.stderr
    own_entry = next(e for e in journal.json() if e["body"]["deployment_key"] == "own-keys")
    assert own_entry["body"]["server_proxy_init"] == {"model_uri": "***"}
    # The state export and the state file keep real values: they are the state.
    assert all(json.dumps(secret)[1:-1] in state.text for secret in all_secrets())
    assert extra[0] in state_file.read_text(encoding="utf-8")
    assert state_file.stat().st_mode & 0o777 == 0o600


def test_a_bad_mask_key_is_a_usage_error() -> None:
    result = run_to_exit([*python_module_command(), "--mask-key", "__"])
    assert result.returncode == 2
    assert "a key name to mask needs a letter or a digit" in result.stderr


PLUGIN_TESTS = """
import logging

import requests

JWT = {jwt!r}


def test_the_fixture_masks_its_journal_and_its_logs(tango_mock, caplog):
    caplog.set_level(logging.INFO, logger="mock_server.access")
    api, auth = tango_mock.url + "/api/deployment", tango_mock.headers()
    payload = {{
        "deployment_key": "own-keys",
        "registry_connector_class": "a.B",
        "registry_connector_init": {{"model_uri": "M0d3lUr1Pr1v", "region": "eu"}},
        "server_proxy_class": "a.B",
        "server_proxy_init": {{"api_key": "Ap1K3yV4lQ"}},
    }}
    assert requests.post(api, json=payload, headers=auth, timeout=10).status_code == 201
    requests.get(api + "/" + JWT, headers=auth, timeout=10)
    [entry] = tango_mock.requests(method="POST")
    assert entry["body"]["registry_connector_init"] == {{"model_uri": "***", "region": "eu"}}
    assert entry["body"]["server_proxy_init"] == {{"api_key": "***"}}
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.access"]
    assert any("/api/deployment/<masked: jwt> 404" in line for line in lines), lines
    assert JWT not in caplog.text
"""


def test_mask_keys_come_from_the_fixture_settings(pytester: pytest.Pytester) -> None:
    """The README's conftest.py, verbatim."""
    pytester.makeconftest(
        readme_python_block("import pytest\nfrom mock_server import MockSettings\n")
    )
    pytester.makepyfile(test_masking=PLUGIN_TESTS.format(jwt=JWT))
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=1)


def test_every_logger_of_the_package_is_masked_under_the_plugin() -> None:
    """A new module's logger must join SERVER_LOGGERS, or the plugin would not mask it."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        names.update(re.findall(r"getLogger\(\"([^\"]+)\"\)", path.read_text(encoding="utf-8")))
    assert names, "no logger found: the pattern is out of date"
    assert names <= set(SERVER_LOGGERS)
