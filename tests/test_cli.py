from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow", *args], env={**os.environ, **(env or {})}, capture_output=True, timeout=120
    )


def test_unreachable_broker_gives_one_line_error() -> None:
    result = run_cli("topics", "create", env={"KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("newsflow: error: cannot reach Kafka at 127.0.0.1:1")


def test_worker_with_unreachable_broker_gives_one_line_error() -> None:
    result = run_cli("worker", env={"KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        line for line in result.stderr.decode().strip().splitlines() if line.startswith("newsflow: error: cannot reach")
    ]


def test_bad_config_gives_one_line_error() -> None:
    result = run_cli("topics", "create", env={"NEWSFLOW_PARTITIONS": "many"})
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "newsflow: error: NEWSFLOW_PARTITIONS='many' is not a valid int"


def test_process_yields_one_line_per_input_line(tmp_path: Path, seed_text: str) -> None:
    lines = [
        orjson.dumps({"id": "a", "text": seed_text}),
        orjson.dumps({"id": "b", "text": seed_text, "url": "https://example.org/x"}),
        b'{"id": "c", "text": ',
        b"",
        orjson.dumps({"id": 7, "title": 5, "text": "x"}),
        b"plain text is not a JSON record",
        orjson.dumps({"id": "e", "html": "<html><body><p>" + "Short body. " * 40 + "</p></body></html>"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    target = tmp_path / "out.jsonl"
    result = run_cli("process", str(source), str(target))
    assert result.returncode == 0, result.stderr.decode()
    out = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    assert len(out) == len(lines)
    assert [record["outcome"] for record in out] == [
        "enriched",
        "duplicate",
        "dead_letter",
        "dead_letter",
        "dead_letter",
        "dead_letter",
        "enriched",
    ]
    assert [record["id"] for record in out[:3]] == ["a", "b", "c"]
    assert out[4]["id"] == "7" and "title" in out[4]["error"]
    assert out[1]["dedup"]["duplicate_of"] == "a"
    assert out[0]["language"]["code"] == "it"
    assert all(record["schema_version"] for record in out)


def test_a_quiet_worker_does_not_build_debug_records(tmp_path: Path) -> None:
    # At WARNING, faust's terminal spinner sets the root logger to DEBUG for good, so every debug call of
    # aiokafka and faust built a LogRecord (~8 % of the dedup agent's CPU). A subprocess: setting up
    # logging replaces the root handlers of whatever process runs it.
    script = """
import logging, os, sys
import faust
from prometheus_client import CollectorRegistry
from newsflow.cli import quiet_root_logger
from newsflow.config import Settings
from newsflow.topology import create_app

settings = Settings.from_env({"NEWSFLOW_DATA_DIR": sys.argv[1], "NEWSFLOW_STORE": "memory://"})
worker = faust.Worker(create_app(settings, registry=CollectorRegistry()), loglevel="warning")
if sys.argv[2] == "quiet":
    quiet_root_logger(worker)
worker._setup_logging()
os.write(1, b"%d " % logging.getLogger("aiokafka.producer").getEffectiveLevel())  # stdout may be redirected
"""
    levels = {}
    for mode in ("quiet", "faust-default"):
        result = subprocess.run([sys.executable, "-c", script, str(tmp_path), mode], capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        levels[mode] = int(result.stdout.split()[-1])
    assert levels == {"quiet": 30, "faust-default": 10}
