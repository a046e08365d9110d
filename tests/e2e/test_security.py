"""Issue #7 (security): newsflow talks to Kafka over TLS + SASL/SCRAM-SHA-512, and only that way.

The module starts its own broker (``secure_broker.py``) whose only client listener is SASL_SSL, so
these tests need Java, the openssl CLI and kafka.sh's jar cache, not the shared test broker.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newsflow.admin import BrokerUnavailable, check_broker
from newsflow.config import Settings
from newsflow.connection import aiokafka_options
from tests.e2e.harness import Namespace, Worker, produce, read_committed, run
from tests.e2e.secure_broker import SecureBroker, missing_prerequisite

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _require_broker() -> None:
    """Overrides the root conftest's check for the shared broker: this module brings its own.
    Its own prerequisites are checked in ``secure_broker`` (skip locally, fail under CI)."""


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    reason = missing_prerequisite()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"secure broker cannot run: {reason}")
        pytest.skip(f"secure broker cannot run: {reason}")
    # A random password: any occurrence of it in an output is a leak, never a coincidence.
    broker = SecureBroker(
        tmp_path_factory.mktemp("secure-broker"),
        username="newsflow-e2e",
        password=f"pw-{uuid.uuid4().hex}",
        enable_plain=True,
    )
    started = time.monotonic()
    try:
        broker.start()
        print(f"secure broker ready in {time.monotonic() - started:.1f} s")
        yield broker
    finally:
        broker.stop()


def newsflow(*args: str, env: dict[str, str], timeout: float = 90.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class SecureRun:
    topics_create: subprocess.CompletedProcess[str]
    enriched: list[dict[str, Any]]
    metrics: str
    log: str
    seconds: float


@pytest.fixture(scope="module")
def secure_run(secure_broker: SecureBroker, tmp_path_factory: pytest.TempPathFactory, seed_bytes: bytes) -> SecureRun:
    """With the right credentials and CA: create topics, run the worker, push the seed article through."""
    tmp_path = tmp_path_factory.mktemp("secure-run")
    namespace = Namespace()
    # Debug level: the password check below then covers everything Faust and aiokafka can log.
    env = secure_broker.client_env(namespace.env(tmp_path, NEWSFLOW_LOG_LEVEL="debug"))
    settings = Settings.from_env(env)
    started = time.monotonic()
    topics_create = newsflow("topics", "create", env=env)
    worker = Worker.start(env, tmp_path / "worker.log")
    try:
        options = aiokafka_options(settings)
        run(produce(settings.topic_raw, [(b"seed-1", seed_bytes)], options=options))
        topic = settings.topic_enriched
        out = run(read_committed([topic], until=lambda r: len(r[topic]) >= 1, timeout=90, options=options))
        enriched = out[topic]
        metrics = worker.get("/metrics").decode()
        seconds = time.monotonic() - started
    finally:
        worker.terminate()
    return SecureRun(topics_create, enriched, metrics, worker.log_path.read_text(errors="replace"), seconds)


def test_worker_enriches_over_sasl_ssl(secure_run: SecureRun) -> None:
    assert secure_run.topics_create.returncode == 0, secure_run.topics_create.stderr
    assert "created" in secure_run.topics_create.stdout
    assert [record["id"] for record in secure_run.enriched] == ["seed-1"], secure_run.log[-4000:]
    assert secure_run.enriched[0]["outcome"] == "enriched"
    # aiokafka's DEBUG lines show the worker's own clients chose SCRAM-SHA-512 and the broker accepted it.
    assert "SaslHandShakeRequest_v1(mechanism='SCRAM-SHA-512')" in secure_run.log
    assert "SaslAuthenticateResponse_v1(error_code=0" in secure_run.log
    print(f"topics create + worker start + seed enriched over SASL_SSL in {secure_run.seconds:.1f} s")


def test_password_never_in_worker_log_or_metrics(secure_run: SecureRun, secure_broker: SecureBroker) -> None:
    # Non-empty outputs, or the absence checks below would prove nothing.
    assert "newsflow_build_info" in secure_run.metrics
    assert len(secure_run.log.splitlines()) > 20, secure_run.log
    assert secure_broker.password not in secure_run.log
    assert secure_broker.password not in secure_run.metrics
    assert secure_broker.password not in secure_run.topics_create.stdout + secure_run.topics_create.stderr


@dataclass(frozen=True)
class Refusal:
    client: dict[str, Any]  # SecureBroker.client_env overrides
    command: tuple[str, ...]
    client_log: str  # what aiokafka logs when it gives up (the CLI silences it)
    broker_log: str | None  # what the broker logs; None when the client hangs up before sending anything


WRONG_PASSWORD = "not-the-password"
SCRAM_REJECTED = "invalid credentials with SASL mechanism SCRAM-SHA-512"
REFUSALS = {
    "wrong-password-topics-create": Refusal(
        {"password": WRONG_PASSWORD}, ("topics", "create"), "SaslAuthenticationFailed", SCRAM_REJECTED
    ),
    "wrong-password-worker": Refusal(
        {"password": WRONG_PASSWORD}, ("worker",), "SaslAuthenticationFailed", SCRAM_REJECTED
    ),
    "plaintext-to-sasl-ssl-port": Refusal(
        {"protocol": "PLAINTEXT"}, ("topics", "create"), "closed", "SSL handshake failed"
    ),
    "sasl-without-tls": Refusal({"protocol": "SASL_PLAINTEXT"}, ("topics", "create"), "closed", "SSL handshake failed"),
    # The client refuses the broker: an unknown CA, so the password is never sent.
    "tls-without-test-ca": Refusal({"trust_test_ca": False}, ("topics", "create"), "CERTIFICATE_VERIFY_FAILED", None),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_broker_refuses_without_credentials(
    case: str, secure_broker: SecureBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refusal = REFUSALS[case]
    env = secure_broker.client_env(Namespace().env(tmp_path), **refusal.client)
    log_start = secure_broker.log_size()
    started = time.monotonic()
    result = newsflow(*refusal.command, env=env)
    seconds = time.monotonic() - started
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, f"{case}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert len(lines) == 1 and lines[0].startswith("newsflow: error: cannot reach Kafka at 127.0.0.1:29094"), lines
    assert not result.stdout
    assert secure_broker.password not in result.stderr
    assert WRONG_PASSWORD not in result.stderr
    if refusal.broker_log is not None:
        line = secure_broker.wait_for_log(refusal.broker_log, since=log_start)
        assert line is not None, f"{case}: the broker never logged {refusal.broker_log!r}"
    # The same settings in-process, where aiokafka's own reason is visible: refused for the expected cause.
    with caplog.at_level(logging.WARNING, logger="aiokafka"), pytest.raises(BrokerUnavailable):
        run(check_broker(Settings.from_env(env)))
    reasons = [record.getMessage() for record in caplog.records if record.name.startswith("aiokafka")]
    assert any(refusal.client_log in reason for reason in reasons), reasons
    print(f"{case}: refused in {seconds:.1f} s: {lines[0]}")


def test_password_not_logged_with_plain_at_debug(
    secure_broker: SecureBroker, tmp_path: Path, seed_bytes: bytes
) -> None:
    """SCRAM never sends the password, so the check above cannot catch a client that logs what it sends."""
    env = secure_broker.client_env(Namespace().env(tmp_path, NEWSFLOW_LOG_LEVEL="debug"), mechanism="PLAIN")
    settings = Settings.from_env(env)
    worker = Worker.start(env, tmp_path / "worker.log")
    try:
        options = aiokafka_options(settings)
        run(produce(settings.topic_raw, [(b"seed-plain", seed_bytes)], options=options))
        topic = settings.topic_enriched
        out = run(read_committed([topic], until=lambda r: len(r[topic]) >= 1, timeout=90, options=options))
        enriched = out[topic]
    finally:
        worker.terminate()
    log = worker.log_path.read_text(errors="replace")
    # The worker authenticated with PLAIN and did its work, so its whole debug log was written.
    assert [record["id"] for record in enriched] == ["seed-plain"], log[-4000:]
    leaks = [
        line.replace(secure_broker.password, "<password>")[:300]
        for line in log.splitlines()
        if secure_broker.password in line
    ]
    assert not leaks, f"{len(leaks)} worker log line(s) hold the password, e.g. {leaks[0]}"
