"""Run Debian's headless Chromium on a page: the DOM after its scripts ran, and the network log.

Shared by the docs page and CORS browser tests. Chromium missing: the test is skipped
locally and fails when the environment variable CI is set (CI must run the browser).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TIMEOUT_SECONDS = 60
VIRTUAL_TIME_BUDGET_MS = 15_000


def find_chromium() -> str:
    """The browser binary; a missing one skips locally but fails in CI (CI set)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: the browser tests must run")
    pytest.skip("chromium is not installed (apt-get install chromium); set CI=1 to fail instead")


@dataclass(frozen=True)
class BrowserRun:
    dom: str
    net_log: dict[str, Any]

    def page_requests(self) -> list[str]:
        """URLs of every request the page made: the navigation and all it initiated.

        Chromium's own background requests (updates, sign-in) carry no initiator origin and
        are not the page's; `--host-resolver-rules` keeps them on the machine anyway.
        """
        names = {
            number: name for name, number in self.net_log["constants"]["logEventTypes"].items()
        }
        urls = []
        for event in self.net_log["events"]:
            params = event.get("params") or {}
            if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
                continue
            if (
                params.get("request_type") == "main frame"
                or params.get("initiator") != "not an origin"
            ):
                urls.append(params["url"])
        return urls


def load_page(url: str, workdir: Path) -> BrowserRun:
    """Open `url` in a fresh headless profile that cannot resolve any host name but 127.0.0.1."""
    chromium = find_chromium()
    net_log_path = workdir / "net-log.json"
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={workdir / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--log-net-log={net_log_path}",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return BrowserRun(dom=done.stdout, net_log=json.loads(net_log_path.read_text()))


def screenshot(
    url: str, path: Path, workdir: Path, *, width: int = 1280, height: int = 800
) -> Path:
    """A PNG of `url` at `width` x `height`, in the same offline profile as `load_page`."""
    chromium = find_chromium()
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={workdir / 'screenshot-profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--window-size={width},{height}",
        f"--screenshot={path}",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    assert done.returncode == 0 and path.is_file(), f"no screenshot:\n{done.stderr[-3000:]}"
    return path
