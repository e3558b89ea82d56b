"""aiohttp is the minor version `mock_server/http/protocol.py` and
`mock_server/proxy/upstream.py` were tested on, with the undocumented names they rely on.

aiohttp offers no public way to fail a request body whose chunked framing breaks mid-stream
(its parser queues the error and leaves the body's reader waiting), so the connection handler
reads two private names. The proxy's upstream hop reads answers with aiohttp's client protocol,
`aiohttp.client_proto.ResponseHandler`, which is not documented API. A minor release may rename
them; these tests fail first, naming them. To move to another aiohttp: install it, run
`tests/hardening` (the broken-body, malformed-HTTP and connection-cap tests) and
tests/test_proxy_upstream.py, then move `TESTED_MINOR` and the pin in pyproject.toml together.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import aiohttp
from aiohttp import client_proto, web_protocol
from packaging.requirements import Requirement
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTED_MINOR = (3, 14)
PRIVATE_NAMES = "aiohttp.web_protocol._ErrInfo and aiohttp.web.RequestHandler._messages"
CLIENT_PROTOCOL = "aiohttp.client_proto.ResponseHandler"


def aiohttp_requirement() -> Requirement:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = [
        Requirement(line)
        for line in project["project"]["dependencies"]
        if Requirement(line).name == "aiohttp"
    ]
    assert len(found) == 1, found
    return found[0]


def test_the_installed_aiohttp_is_the_tested_minor_version() -> None:
    installed = Version(aiohttp.__version__)
    assert (installed.major, installed.minor) == TESTED_MINOR, (
        f"aiohttp {installed} is installed, but mock_server/http/protocol.py and "
        f"mock_server/proxy/upstream.py are tested on {'.'.join(map(str, TESTED_MINOR))}.x only: "
        f"they rely on {PRIVATE_NAMES} and {CLIENT_PROTOCOL}. Run tests/hardening and "
        "tests/test_proxy_upstream.py on this version, then move TESTED_MINOR and the pin in "
        "pyproject.toml."
    )


def test_the_pin_admits_exactly_the_tested_minor_version() -> None:
    specifier = aiohttp_requirement().specifier
    major, minor = TESTED_MINOR
    assert specifier.contains(f"{major}.{minor}.0")
    assert specifier.contains(f"{major}.{minor}.99")
    assert not specifier.contains(f"{major}.{minor + 1}.0"), f"{specifier} admits a newer minor"
    assert not specifier.contains(f"{major}.{minor - 1}.99"), f"{specifier} admits an older minor"


def test_the_private_names_relied_on_still_have_their_shape() -> None:
    """What `ConnectionHandler.data_received` reads: the queue of parsed messages and its
    parse-error entries (status, exception)."""
    error_info = getattr(web_protocol, "_ErrInfo", None)
    assert error_info is not None, f"aiohttp {aiohttp.__version__} lost {PRIVATE_NAMES}"
    queued = error_info(status=400, exc=ValueError("x"), message="x")
    assert queued.status == 400 and isinstance(queued.exc, ValueError)
    assert "_messages" in web_protocol.RequestHandler.__slots__, (
        f"aiohttp {aiohttp.__version__} lost {PRIVATE_NAMES}"
    )


def test_the_client_protocol_the_proxy_reads_answers_with_still_has_its_shape() -> None:
    """What `mock_server.proxy.upstream` calls on `ResponseHandler` (its keywords too)."""
    handler = getattr(client_proto, "ResponseHandler", None)
    assert handler is not None, f"aiohttp {aiohttp.__version__} lost {CLIENT_PROTOCOL}"
    for name in ("set_response_params", "read", "set_exception", "is_connected", "close"):
        assert callable(getattr(handler, name, None)), f"{CLIENT_PROTOCOL}.{name} is gone"
    assert isinstance(handler.should_close, property), f"{CLIENT_PROTOCOL}.should_close"
    keywords = inspect.signature(handler.set_response_params).parameters
    used = {"skip_payload", "read_until_eof", "auto_decompress", "read_bufsize"}
    used |= {"max_line_size", "max_field_size", "max_headers"}
    assert used <= set(keywords), (
        f"{CLIENT_PROTOCOL}.set_response_params lost {used - set(keywords)}"
    )
