"""Checks of docker-compose.yml.

There is no Docker engine here, so the file is loaded by compose-config, a
small program around compose-go (the loader inside `docker compose`) built by
scripts/install_tools.sh: it interpolates variables, validates against the
Compose specification's JSON Schema, checks references between services and
prints the normalised model, as `docker compose config` does. The tests then
check that model. Outside CI a missing tool skips; under CI it fails.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsflow.config import Settings, env_name
from tests.deploy.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SETTINGS_ENV = {env_name(f.name) for f in fields(Settings)}
NEWSFLOW_SERVICES = ("topic-init", "worker", "producer")
LONG_RUNNING = ("kafka", "worker", "prometheus", "grafana")


def compose_config(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    tool = require_tool("compose-config")
    # Only the variables a test sets, so that the caller's shell cannot change the result.
    clean_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), **env}
    return subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60, check=False, env=clean_env)


def load(path: Path = COMPOSE_FILE, **env: str) -> dict[str, Any]:
    result = compose_config(path, **env)
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = yaml.safe_load(result.stdout)
    return model


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return load()


def test_services(project: dict[str, Any]) -> None:
    assert set(project["services"]) == {"kafka", "topic-init", "worker", "producer", "prometheus", "grafana"}


def test_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    # The same file with the worker waiting on a service that does not exist,
    # and with a misspelt key: both must be errors, or the check above means nothing.
    text = COMPOSE_FILE.read_text()
    dangling = tmp_path / "dangling.yml"
    dangling.write_text(
        text.replace("      topic-init:\n        condition:", "      topic-inet:\n        condition:", 1)
    )
    result = compose_config(dangling)
    assert result.returncode != 0
    assert "topic-inet" in result.stderr
    typo = tmp_path / "typo.yml"
    typo.write_text(text.replace("    healthcheck:\n", "    helthcheck:\n", 1))
    result = compose_config(typo)
    assert result.returncode != 0
    assert "helthcheck" in result.stderr


def test_worker_is_scalable(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        assert "container_name" not in service, name
    worker = project["services"]["worker"]
    assert "ports" not in worker
    # RocksDB directories cannot be shared: no named volume or bind mount on the state dir.
    data_dir = worker["environment"]["NEWSFLOW_DATA_DIR"]
    assert all(volume["target"] != data_dir for volume in worker.get("volumes", []))


def test_healthchecks_and_dependencies(project: dict[str, Any]) -> None:
    services = project["services"]
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            condition = spec["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (name, dependency)
            if condition == "service_healthy":
                assert services[dependency].get("healthcheck", {}).get("test"), (name, dependency)
            else:
                assert services[dependency].get("restart", "no") == "no", dependency
    assert services["worker"]["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"
    assert services["producer"]["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"
    assert services["topic-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_worker_healthcheck_hits_healthz(project: dict[str, Any]) -> None:
    worker = project["services"]["worker"]
    command = " ".join(worker["healthcheck"]["test"])
    port = worker["environment"]["NEWSFLOW_WEB_PORT"]
    assert f"http://127.0.0.1:{port}/healthz" in command
    assert "curl" not in command


def test_kafka_is_single_node_kraft(project: dict[str, Any]) -> None:
    kafka = project["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:3.9.")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised["EXTERNAL"] == "localhost:9092"
    host_ports = {(p["published"], p["target"]) for p in kafka["ports"]}
    assert ("9092", 9092) in host_ports
    # The workers use the listener meant for the compose network.
    for name in NEWSFLOW_SERVICES:
        assert project["services"][name]["environment"]["KAFKA_BOOTSTRAP"] == advertised["INTERNAL"]


def test_host_port_can_be_moved(tmp_path: Path) -> None:
    model = load(KAFKA_HOST_PORT="19092")
    env = model["services"]["kafka"]["environment"]
    assert "EXTERNAL://localhost:19092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert {p["published"] for p in model["services"]["kafka"]["ports"]} == {"19092"}


def test_newsflow_services_use_only_settings_variables(project: dict[str, Any]) -> None:
    for name in NEWSFLOW_SERVICES:
        service = project["services"][name]
        assert set(service["environment"]) <= SETTINGS_ENV, name
        assert service["image"] == project["services"]["worker"]["image"]
        assert service["build"]["context"] == str(ROOT)
    services = project["services"]
    assert services["topic-init"]["command"] == ["topics", "create"]
    assert services["worker"]["command"] == ["worker"]
    assert "newsflow produce" in services["producer"]["command"][0]


def test_producer_reads_samples_dir(project: dict[str, Any]) -> None:
    volumes = project["services"]["producer"]["volumes"]
    assert [(v["source"], v["target"], v.get("read_only")) for v in volumes] == [
        (str(ROOT / "samples"), "/samples", True)
    ]
    moved = load(NEWSFLOW_SAMPLES_DIR="/data/articles")
    assert moved["services"]["producer"]["volumes"][0]["source"] == "/data/articles"


def test_producer_script_handles_an_empty_samples_dir(project: dict[str, Any], tmp_path: Path) -> None:
    # Run the producer's shell script with /samples pointed at an empty folder
    # and `newsflow` stubbed: it must exit 0 with a hint, not fail the stack.
    script = project["services"]["producer"]["command"][0].replace("/samples", str(tmp_path))
    result = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0
    assert "NEWSFLOW_SAMPLES_DIR" in result.stderr
    # With files it hands them, sorted, to `newsflow produce`.
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "a.jsonl").write_text("{}")
    (tmp_path / "ignored.csv").write_text("")
    stub_dir = tmp_path / "stub"
    stub_dir.mkdir()
    stub = stub_dir / "newsflow"
    stub.write_text('#!/bin/sh\necho "$@"\n')
    stub.chmod(0o755)
    env = {"PATH": f"{stub_dir}:{os.environ['PATH']}"}
    result = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30, check=False, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["produce", str(tmp_path / "a.jsonl"), str(tmp_path / "b.txt")]


def test_bind_mounts_exist_in_the_repo(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] != "bind" or volume["target"] == "/samples":
                continue
            assert Path(volume["source"]).exists(), f"{name}: {volume['source']} is missing"


def test_prometheus_scrapes_every_worker_replica(project: dict[str, Any]) -> None:
    prometheus = project["services"]["prometheus"]
    mounts = {v["target"]: Path(v["source"]) for v in prometheus["volumes"] if v["type"] == "bind"}
    config_flag = next(arg for arg in prometheus["command"] if arg.startswith("--config.file="))
    container_path = config_flag.split("=", 1)[1]
    directory, _, filename = container_path.rpartition("/")
    host_config = mounts[directory] / filename
    config = yaml.safe_load(host_config.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    # The alert rules and the dashboard select job="newsflow".
    sd = jobs["newsflow"]["dns_sd_configs"][0]
    assert "worker" in sd["names"]
    assert str(sd["port"]) == project["services"]["worker"]["environment"]["NEWSFLOW_WEB_PORT"]
    rule_files = [host_config.parent / pattern for pattern in config.get("rule_files", [])]
    assert any(list(p.parent.glob(p.name)) for p in rule_files), "no rule file is loaded"


def test_grafana_is_provisioned(project: dict[str, Any]) -> None:
    grafana = project["services"]["grafana"]
    mounts = {v["target"]: Path(v["source"]) for v in grafana["volumes"] if v["type"] == "bind"}
    provisioning = mounts["/etc/grafana/provisioning"]
    datasources = [
        ds
        for path in sorted((provisioning / "datasources").glob("*.y*ml"))
        for ds in yaml.safe_load(path.read_text())["datasources"]
    ]
    prometheus_port = project["services"]["prometheus"]["ports"][0]["target"]
    assert f"http://prometheus:{prometheus_port}" in {ds["url"] for ds in datasources}
    providers = [
        provider
        for path in sorted((provisioning / "dashboards").glob("*.y*ml"))
        for provider in yaml.safe_load(path.read_text())["providers"]
    ]
    dashboard_dirs = {provider["options"]["path"] for provider in providers}
    mounted = [mounts[d] for d in dashboard_dirs if d in mounts]
    assert mounted, f"no dashboard provider path {dashboard_dirs} is mounted"
    assert any(list(directory.glob("*.json")) for directory in mounted), "no dashboard JSON is mounted"


def test_kafka_settings_match_the_local_script(project: dict[str, Any]) -> None:
    script = ROOT / "deploy" / "kafka-local" / "kafka.sh"
    if not script.exists():
        pytest.skip("deploy/kafka-local/kafka.sh does not exist yet")
    properties = dict(
        line.split("=", 1) for line in script.read_text().splitlines() if re.fullmatch(r"[a-z][a-z.]+=\S+", line)
    )
    env = project["services"]["kafka"]["environment"]
    for prop in (
        "process.roles",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "group.initial.rebalance.delay.ms",
    ):
        # The apache/kafka image maps KAFKA_FOO_BAR to foo.bar.
        assert env["KAFKA_" + prop.upper().replace(".", "_")] == properties[prop], prop
    version = re.search(r'KAFKA_VERSION="\$\{KAFKA_VERSION:-([0-9.]+)\}"', script.read_text())
    assert version
    assert project["services"]["kafka"]["image"] == f"apache/kafka:{version.group(1)}"
