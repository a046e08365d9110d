"""deploy/kafka-local/kafka.sh without a broker: arguments, config, safety guards, the probe.

Every run points NEWSFLOW_CACHE and KAFKA_DATA_DIR into tmp_path and uses free ephemeral ports,
so nothing here touches a real broker, Maven or the user's cache. The metadata probe is checked
against a fake TCP server that records the request bytes and sends a crafted reply.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "kafka-local" / "kafka.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="kafka.sh needs bash")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    port = free_port()
    controller = free_port()
    while controller == port:
        controller = free_port()
    base.update(
        NEWSFLOW_CACHE=str(tmp_path / "cache"),
        KAFKA_DATA_DIR=str(tmp_path / "data"),
        KAFKA_PORT=str(port),
        KAFKA_CONTROLLER_PORT=str(controller),
    )
    return base


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def effective(properties: str) -> dict[str, str]:
    """java.util.Properties semantics for simple key=value lines: a later key replaces an earlier one."""
    out: dict[str, str] = {}
    for raw in properties.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


# --- arguments ---------------------------------------------------------------------------------


def test_help_exits_zero_and_lists_commands(env: dict[str, str]) -> None:
    result = run(env, "help")
    assert result.returncode == 0
    for command in ("start", "stop", "status", "restart", "kill", "clean"):
        assert f"  {command}" in result.stdout


@pytest.mark.parametrize("args", [(), ("bogus",), ("start", "extra")])
def test_bad_usage_exits_two(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = run(env, *args)
    assert result.returncode == 2
    assert "usage: kafka.sh" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("KAFKA_PORT", "abc", "KAFKA_PORT 'abc' is not a number"),
        ("KAFKA_PORT", "70000", "KAFKA_PORT 70000 is not a TCP port"),
        ("KAFKA_CONTROLLER_PORT", "0", "KAFKA_CONTROLLER_PORT 0 is not a TCP port"),
        ("KAFKA_START_TIMEOUT", "1.5", "KAFKA_START_TIMEOUT '1.5' is not a number"),
        ("KAFKA_VERSION", "3.9", "KAFKA_VERSION '3.9' is not X.Y.Z"),
        ("KAFKA_EXTRA_CONFIG", "/nonexistent/extra.properties", "is not a file"),
        ("KAFKA_DATA_DIR", "/", "is not a safe data dir"),
        ("KAFKA_CDS", "yes", "KAFKA_CDS 'yes' is not 0 or 1"),
    ],
)
def test_invalid_environment_is_refused(env: dict[str, str], name: str, value: str, message: str) -> None:
    env[name] = value
    result = run(env, "start")
    assert result.returncode == 1
    assert message in result.stderr


def test_same_broker_and_controller_port_is_refused(env: dict[str, str]) -> None:
    env["KAFKA_CONTROLLER_PORT"] = env["KAFKA_PORT"]
    result = run(env, "start")
    assert result.returncode == 1
    assert "are both" in result.stderr


def test_unsupported_major_version_is_refused_before_maven(env: dict[str, str], tmp_path: Path) -> None:
    env["KAFKA_VERSION"] = "2.8.2"
    result = run(env, "fetch")
    assert result.returncode == 1
    assert "only 3.x and 4.x are supported" in result.stderr
    assert not list((tmp_path / "cache").glob("kafka-2.8.2/libs*"))


# --- stop / status / clean without a broker ----------------------------------------------------


@pytest.mark.parametrize("command", ["stop", "kill"])
def test_stop_when_not_running_is_a_noop_that_creates_nothing(
    env: dict[str, str], tmp_path: Path, command: str
) -> None:
    result = run(env, command)
    assert result.returncode == 0
    assert "not running" in result.stdout
    assert not (tmp_path / "data").exists()


def test_status_when_not_running_exits_one(env: dict[str, str]) -> None:
    result = run(env, "status")
    assert result.returncode == 1
    assert "not running" in result.stdout


def test_pid_file_of_another_process_is_neither_trusted_nor_killed(env: dict[str, str], tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        data = tmp_path / "data"
        data.mkdir()
        (data / "kafka.pid").write_text(str(other.pid))
        assert run(env, "status").returncode == 1
        for command in ("stop", "kill"):
            (data / "kafka.pid").write_text(str(other.pid))
            result = run(env, command)
            assert result.returncode == 0
            assert "not running" in result.stdout
            assert other.poll() is None, f"{command} killed a process that is not the broker"
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait()


def test_clean_deletes_the_data_dir(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    (data / "logs" / "meta.properties").write_text("cluster.id=x\n")
    result = run(env, "clean")
    assert result.returncode == 0
    assert not data.exists()
    assert run(env, "clean").returncode == 0


def test_start_refuses_to_downgrade_a_data_dir(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "kafka.version").write_text("9.9.9\n")
    env["KAFKA_VERSION"] = "3.9.2"
    result = run(env, "start")
    assert result.returncode == 1
    assert "cannot downgrade" in result.stderr
    assert not (tmp_path / "cache" / "kafka-3.9.2").exists(), "it fetched jars before refusing"


def test_start_refuses_a_port_held_by_someone_else(env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(env["KAFKA_PORT"])))
        holder.listen()
        result = run(env, "start")
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert not (tmp_path / "cache").exists(), "it fetched jars before refusing"


# --- generated config ----------------------------------------------------------------------------


def test_config_binds_loopback_on_the_chosen_ports(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "config")
    assert result.returncode == 0
    props = effective(result.stdout)
    port, controller = env["KAFKA_PORT"], env["KAFKA_CONTROLLER_PORT"]
    assert props["listeners"] == f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}"
    assert props["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{port}"
    assert props["controller.quorum.voters"] == f"1@127.0.0.1:{controller}"
    assert props["log.dirs"] == str(tmp_path / "data" / "logs")
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "default.replication.factor",
        "num.partitions",
    ):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert (tmp_path / "data" / "server.properties").read_text() == result.stdout


def test_extra_config_overrides_defaults(env: dict[str, str], tmp_path: Path) -> None:
    port, controller = env["KAFKA_PORT"], env["KAFKA_CONTROLLER_PORT"]
    listeners = f"PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:19999,CONTROLLER://127.0.0.1:{controller}"
    extra = tmp_path / "extra.properties"
    extra.write_text(f"listeners={listeners}\nauto.create.topics.enable=false\nsasl.enabled.mechanisms=PLAIN")
    env["KAFKA_EXTRA_CONFIG"] = str(extra)
    result = run(env, "config")
    assert result.returncode == 0
    props = effective(result.stdout)
    assert props["listeners"] == listeners
    assert props["auto.create.topics.enable"] == "false"
    # The last line had no newline; it must not be glued to anything after it.
    assert props["sasl.enabled.mechanisms"] == "PLAIN"
    assert props["node.id"] == "1"


# --- the launch path, with a fake java ------------------------------------------------------------

FAKE_JAVA = """#!/usr/bin/env bash
# Records each call's arguments (one per line) in its own file; "formats" and "fails to start".
n=$(ls "$FAKE_JAVA_LOG_DIR" | wc -l)
printf '%s\\n' "$@" >"$FAKE_JAVA_LOG_DIR/call-$n"
case " $* " in
  *" kafka.tools.StorageTool "*) exit 0 ;;
  *" kafka.Kafka "*) echo "fake broker: refusing to start"; exit 3 ;;
esac
exit 2
"""


@pytest.fixture
def fake_java(env: dict[str, str], tmp_path: Path) -> Path:
    """JAVA_HOME with a java that records its calls, and a jar cache that makes Maven unnecessary."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(FAKE_JAVA)
    java.chmod(0o755)
    calls = tmp_path / "calls"
    calls.mkdir()
    libs = tmp_path / "libs"
    libs.mkdir()
    for version in ("3.9.2", "4.1.1"):
        (libs / f"kafka_2.13-{version}.jar").write_bytes(b"")
    env.update(JAVA_HOME=str(home), FAKE_JAVA_LOG_DIR=str(calls), KAFKA_LIBS_DIR=str(libs))
    return calls


def recorded_calls(calls: Path) -> list[list[str]]:
    return [(calls / f"call-{i}").read_text().splitlines() for i in range(len(list(calls.iterdir())))]


def test_start_formats_with_extra_args_then_reports_a_broker_that_dies(
    env: dict[str, str], tmp_path: Path, fake_java: Path
) -> None:
    env.update(
        KAFKA_FORMAT_ARGS="--add-scram SCRAM-SHA-512=[name=alice,password=alice-secret]",
        KAFKA_OPTS="-Dnewsflow.marker=1 -Dother=2",
        KAFKA_HEAP_OPTS="-Xmx300m",
    )
    result = run(env, "start")
    assert result.returncode == 1
    assert "exited during startup" in result.stdout + result.stderr
    assert "fake broker: refusing to start" in result.stderr, "the log tail is shown"
    data = tmp_path / "data"
    assert not (data / "kafka.pid").exists()

    fmt, broker = recorded_calls(fake_java)
    props = str(data / "server.properties")
    storage = fmt[fmt.index("kafka.tools.StorageTool") :]
    assert storage == [
        "kafka.tools.StorageTool",
        "format",
        "-t",
        "bmV3c2Zsb3ctbG9jYWwtMQ",
        "-c",
        props,
        "--ignore-formatted",
        "--add-scram",
        "SCRAM-SHA-512=[name=alice,password=alice-secret]",
    ]
    assert broker[-2:] == ["kafka.Kafka", props]
    assert "-Xmx300m" in broker
    assert "-Dnewsflow.marker=1" in broker
    assert "-Dother=2" in broker
    assert f"-Dlog4j.configuration=file:{data / 'log4j.properties'}" in broker
    assert broker[broker.index("-cp") + 1] == env["KAFKA_LIBS_DIR"] + "/*"
    archive = [a for a in broker if a.startswith("-XX:ArchiveClassesAtExit=")]
    assert len(archive) == 1, "the first broker run records a class-data archive"
    assert (data / "kafka.version").read_text().strip() == "3.9.2"


def test_kafka4_uses_log4j2_and_cds_can_be_turned_off(env: dict[str, str], tmp_path: Path, fake_java: Path) -> None:
    env.update(KAFKA_VERSION="4.1.1", KAFKA_CDS="0")
    assert run(env, "start").returncode == 1
    _, broker = recorded_calls(fake_java)
    assert f"-Dlog4j2.configurationFile={tmp_path / 'data' / 'log4j2.properties'}" in broker
    assert (tmp_path / "data" / "log4j2.properties").is_file()
    assert not [a for a in broker if "Archive" in a]


# --- the metadata probe --------------------------------------------------------------------------


class FakeBroker:
    """Accepts one connection at a time, records the request and answers with a fixed reply."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                size = struct.unpack(">i", self._read(conn, 4))[0]
                self.requests.append(self._read(conn, size))
                conn.sendall(self.reply)

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


def metadata_v1_reply(correlation_id: int, brokers: int) -> bytes:
    body = struct.pack(">ii", correlation_id, brokers)
    for node in range(brokers):
        host = b"127.0.0.1"
        body += struct.pack(">ih", node, len(host)) + host + struct.pack(">ih", 9092, -1)
    body += struct.pack(">ii", 1, 0)  # controller_id, no topics
    return struct.pack(">i", len(body)) + body


@pytest.fixture
def fake_broker() -> Iterator[list[FakeBroker]]:
    made: list[FakeBroker] = []
    yield made
    for broker in made:
        broker.close()


def test_ping_sends_a_well_formed_metadata_v1_request(env: dict[str, str], fake_broker: list[FakeBroker]) -> None:
    broker = FakeBroker(metadata_v1_reply(7, brokers=1))
    fake_broker.append(broker)
    env["KAFKA_PORT"] = str(broker.port)
    result = run(env, "ping")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(broker.requests) == 1
    request = broker.requests[0]
    api_key, api_version, correlation_id, client_len = struct.unpack(">hhih", request[:10])
    assert (api_key, api_version, correlation_id) == (3, 1, 7)
    assert request[10 : 10 + client_len] == b"kafka.sh"
    assert request[10 + client_len :] == struct.pack(">i", 0), "topics must be an empty array"


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(metadata_v1_reply(7, brokers=0), id="no-brokers-yet"),
        pytest.param(metadata_v1_reply(8, brokers=1), id="wrong-correlation-id"),
        pytest.param(b"\x00\x00\x00\x04\x00\x00", id="truncated"),
        pytest.param(b"", id="closed-without-reply"),
    ],
)
def test_ping_fails_on_a_bad_reply(env: dict[str, str], fake_broker: list[FakeBroker], reply: bytes) -> None:
    broker = FakeBroker(reply)
    fake_broker.append(broker)
    env["KAFKA_PORT"] = str(broker.port)
    result = run(env, "ping")
    assert result.returncode == 1
    assert "no broker answers" in result.stdout


def test_ping_fails_when_nothing_listens(env: dict[str, str]) -> None:
    assert run(env, "ping").returncode == 1


@pytest.mark.parametrize("args", [("throttle",), ("throttle", "client"), ("throttle", "a", "1", "extra")])
def test_throttle_needs_a_client_id_and_a_rate(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = run(env, *args)
    assert result.returncode == 2
    assert "throttle CLIENT_ID BYTES_PER_SECOND" in result.stderr


def test_throttle_rejects_a_rate_that_is_not_a_whole_number(env: dict[str, str]) -> None:
    result = run(env, "throttle", "newsflow", "40kb")
    assert result.returncode == 1
    assert "must be a whole number" in result.stderr


def test_throttle_fails_when_nothing_listens(env: dict[str, str]) -> None:
    result = run(env, "throttle", "newsflow", "40000")
    assert result.returncode == 1
    assert "no broker answers" in result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_script_is_shellcheck_clean() -> None:
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
