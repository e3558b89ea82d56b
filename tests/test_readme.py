"""The README's examples run as printed: its Python blocks under pytest (the `tango_mock`
plugin), and the curl lines of its API and admin sections, pasted into one shell, against a
started `tango-mock` (the CLI with the demo fixtures on a free port).

Each curl call must complete (exit code 0), answer what the README's comment beside or above
it says (`# 401 unauthorized`, `# Create (201, ...)`), match a sample answer printed below it
(`# {"message": ...}`), and answer a 5xx only as an injected fault. Files the examples write
must be ones this repository's `.gitignore` keeps out of git.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_process import REPO_ROOT, MockProcess, python_module_command

# A tango-mock process and a pytest subprocess.
pytestmark = pytest.mark.slow

README = REPO_ROOT / "README.md"
DOCUMENTED_URL = "http://127.0.0.1:8000"
CURL_SECTIONS = ("Using the API (curl)", "Admin API, faults and the request journal")
RUN_TIMEOUT = 120
_FENCE = re.compile(r"^```(\w*)\s*$")
# A status a comment promises: `# 404 not_found` beside a command, `# Get one (200, ...)` above.
_STATUS_BESIDE = re.compile(r"^#\s*([1-5]\d\d)\b")
_STATUS_ABOVE = re.compile(r"^#\s+[A-Z][\w\s'-]*\((\d{3})\b")
# Every curl call the script makes reports its line, call number, exit code, status and fault.
CURL_WRAPPER = """\
curl() {
    local line=${BASH_LINENO[0]} n=$((++CURL_CALLS))
    command curl "$@" --write-out "%{stderr}@@status $n %{http_code} %header{x-mock-fault}\\n" \\
        | tee "$CURL_OUT/$n.out"
    echo "@@exit $n $line ${PIPESTATUS[0]}" >&2
}
"""


@dataclass(frozen=True)
class Block:
    section: str  # the `## ` heading it sits under
    language: str
    first_line: int  # 1-based line of the block's first line of code in README.md
    text: str


@dataclass
class Command:
    """One shell command of a block: its lines (0-based within the block) and comments."""

    first: int
    last: int
    text: str
    expected_status: int | None
    sample: str | None = None


def readme_blocks() -> list[Block]:
    blocks: list[Block] = []
    section, language, start = "", None, 0
    lines: list[str] = []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        fence = _FENCE.match(line)
        if language is None:
            if line.startswith("## "):
                section = line[3:].strip()
            elif fence:
                language, start, lines = fence.group(1), number + 1, []
        elif fence and not fence.group(1):
            blocks.append(Block(section, language, start, "\n".join(lines)))
            language = None
        else:
            lines.append(line)
    return blocks


def _split_comment(line: str, quote: str | None) -> tuple[str | None, str | None]:
    """The trailing `# comment` of a shell line (outside quotes) and the quote open at its end."""
    previous = " "
    for index, char in enumerate(line):
        if quote is None:
            if char in "'\"":
                quote = char
            elif char == "#" and previous.isspace():
                return line[index:].strip(), None
        elif char == quote and (quote == "'" or previous != "\\"):
            quote = None
        previous = char
    return None, quote


def shell_commands(text: str) -> Iterator[Command]:
    """The commands of a bash block, with the status its comments promise and a sample answer."""
    lines = text.splitlines()
    above: str | None = None
    command: Command | None = None
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            if command is not None and command.last == index - 1 and stripped.startswith("# {"):
                command.sample = stripped[2:]
            above = stripped or None
            index += 1
            continue
        first, quote, beside = index, None, None
        while True:
            beside, quote = _split_comment(lines[index], quote)
            continues = quote is not None or (beside is None and stripped.endswith("\\"))
            if not continues or index + 1 == len(lines):
                break
            index += 1
            stripped = lines[index].strip()
        promise = _STATUS_BESIDE.match(beside or "") or _STATUS_ABOVE.match(above or "")
        if command is not None:
            yield command
        text = "\n".join(lines[first : index + 1])
        command = Command(first, index, text, int(promise.group(1)) if promise else None)
        above = None
        index += 1
    if command is not None:
        yield command


# -- the curl lines --------------------------------------------------------------------------


@dataclass
class CurlCall:
    line: int  # in the script
    exit_code: int
    status: int
    fault: str
    output: str


@pytest.fixture(scope="module")
def demo_mock() -> Iterator[MockProcess]:
    """`tango-mock` as `make run` starts it (the demo fixtures), on a free port."""
    process = MockProcess([*python_module_command(), "--port", "0", "--log-level", "warning"])
    try:
        process.start()
        yield process
    finally:
        process.kill()


def run_script(script: str, workdir: Path, calls_dir: Path) -> list[CurlCall]:
    script_path = calls_dir / "readme.sh"
    script_path.write_text(CURL_WRAPPER + script, encoding="utf-8")
    result = subprocess.run(
        ["bash", str(script_path)],
        cwd=workdir,
        env={"PATH": "/usr/bin:/bin", "CURL_OUT": str(calls_dir), "CURL_CALLS": "0"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    statuses: dict[int, tuple[int, str]] = {}
    calls: list[CurlCall] = []
    for line in result.stderr.splitlines():
        if line.startswith("@@status "):
            _, n, sent, *fault = line.split(" ")
            statuses[int(n)] = (int(sent), " ".join(fault).strip())
        elif line.startswith("@@exit "):
            _, n, at, code = line.split(" ")
            answered, injected = statuses.get(int(n), (0, ""))
            output = (calls_dir / f"{n}.out").read_text(encoding="utf-8", errors="replace")
            calls.append(CurlCall(int(at), int(code), answered, injected, output))
    assert calls, f"the script made no curl call:\n{result.stdout}\n{result.stderr}"
    return calls


def curl_blocks() -> list[Block]:
    blocks = [b for b in readme_blocks() if b.section in CURL_SECTIONS and b.language == "bash"]
    assert {b.section for b in blocks} == set(CURL_SECTIONS), "a README section lost its curls"
    return blocks


@pytest.fixture(scope="module")
def curl_run(
    demo_mock: MockProcess, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[tuple[Block, Command, list[CurlCall]]]]:
    """All the curl blocks in one shell, in README order; each command with its calls."""
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("needs curl and bash")
    workdir, calls_dir = tmp_path_factory.mktemp("readme-cwd"), tmp_path_factory.mktemp("calls")
    script_lines: list[str] = []
    placed: list[tuple[Block, Command, int]] = []  # command, script line of its first line
    for block in curl_blocks():
        offset = len(CURL_WRAPPER.splitlines()) + len(script_lines)
        for command in shell_commands(block.text):
            placed.append((block, command, offset))
        script_lines += block.text.replace(DOCUMENTED_URL, demo_mock.url).splitlines()
    calls = run_script("\n".join(script_lines) + "\n", workdir, calls_dir)
    by_command = []
    for block, command, offset in placed:
        lines = range(offset + command.first + 1, offset + command.last + 2)  # 1-based
        by_command.append((block, command, [call for call in calls if call.line in lines]))
    return workdir, by_command


def where(block: Block, command: Command) -> str:
    return f"README.md:{block.first_line + command.first}"


def test_every_curl_line_runs_and_answers_what_the_readme_says(
    curl_run: tuple[Path, list[tuple[Block, Command, list[CurlCall]]]],
) -> None:
    _, commands = curl_run
    promised = 0
    for block, command, calls in commands:
        place = where(block, command)
        if "curl " not in command.text:
            assert not calls, place
            continue  # `export TANGO=...`
        assert calls, f"{place}: the command made no curl call"
        for call in calls:
            assert call.exit_code == 0, f"{place}: curl exited {call.exit_code}: {call.output}"
            assert call.status >= 200, f"{place}: no HTTP answer"
            assert call.status < 500 or call.fault, f"{place}: {call.status} {call.output}"
        if command.expected_status is not None:
            promised += 1
            got = [call.status for call in calls]
            assert got == [command.expected_status], (
                f"{place}: the README says {command.expected_status}, the mock answered "
                f"{got}: {calls[0].output}"
            )
        if command.sample is not None:
            assert json.loads(calls[-1].output) == json.loads(command.sample), place
    assert promised >= 8  # the comments were read: create, list, get, delete, the errors...


def test_files_the_curl_lines_write_are_git_ignored(
    curl_run: tuple[Path, list[tuple[Block, Command, list[CurlCall]]]],
) -> None:
    """A saved state holds tokens and PATs: written in a checkout, git must not add it."""
    workdir, _ = curl_run
    written = sorted(path.name for path in workdir.iterdir())
    assert written, "the admin example saves the state to a file"
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    ignored = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "check-ignore", "--no-index", *written],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.split()
    assert ignored == written


# -- the Python blocks -----------------------------------------------------------------------

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
SEED_FOR_EXAMPLES = (
    "workspaces: [{name: team-a}]\ntokens: [{token: team-a-token, workspace: team-a}]\n"
)


def test_the_python_examples_pass_under_pytest(tmp_path: Path) -> None:
    """Test modules as printed, under each conftest.py block, in a project outside the repo."""
    blocks = [block.text for block in readme_blocks() if block.language == "python"]
    tests = [text for text in blocks if re.search(r"^def test_", text, re.M)]
    conftests = [text for text in blocks if text not in tests]
    assert tests and conftests, "expected test modules and conftest.py blocks"
    expected = sum(len(re.findall(r"^def test_", text, re.M)) for text in tests)
    for index, conftest in enumerate(conftests):
        project = tmp_path / f"project-{index}"
        project.mkdir()
        for number, text in enumerate(tests):
            (project / f"test_readme_{number}.py").write_text(text + "\n", encoding="utf-8")
        (project / "conftest.py").write_text(conftest + "\n", encoding="utf-8")
        for name in re.findall(r'Path\("([^"]+\.ya?ml)"\)', conftest):  # the user's own seed
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(SEED_FOR_EXAMPLES, encoding="utf-8")
        result = subprocess.run(
            # This project's own test plugins (hypothesis, schemathesis) are not the example's.
            [*PYTEST, "-p", "no:hypothesispytest", "-p", "no:schemathesis", str(project)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, conftest + "\n" + result.stdout + result.stderr
        assert f"{expected} passed" in result.stdout, result.stdout
