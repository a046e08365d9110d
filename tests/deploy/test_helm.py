"""Checks of the Helm chart in helm/newsflow, with the real helm CLI.

`helm lint` and `helm template` run with the chart's defaults and with
tests/deploy/values-full.yaml (every optional feature on); the rendered
manifests are parsed with PyYAML and checked field by field. The tools come
from scripts/install_tools.sh; outside CI a missing tool skips, under CI
(CI set) it fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from newsflow.config import SECRET_FIELDS, Settings, env_name
from tests.deploy.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "newsflow"
FULL_VALUES = Path(__file__).resolve().parent / "values-full.yaml"
ALERTS_SOURCE = ROOT / "deploy" / "prometheus" / "rules" / "newsflow-alerts.yml"
ALERTS_COPY = CHART / "files" / "newsflow-alerts.yml"

ALL_ENV = {env_name(f.name) for f in fields(Settings)}
# Credentials never go in the ConfigMap; the chart reads them from a Secret.
SECRET_ENV = {env_name(name) for name in SECRET_FIELDS} | {"NEWSFLOW_KAFKA_SASL_USERNAME"}
# Only rendered when the feature they belong to is configured.
OPTIONAL_ENV = {
    "NEWSFLOW_KAFKA_SASL_MECHANISM",
    "NEWSFLOW_KAFKA_SSL_CAFILE",
    "NEWSFLOW_KAFKA_SSL_CERTFILE",
    "NEWSFLOW_KAFKA_SSL_KEYFILE",
}
STANDARD_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)


@pytest.fixture(scope="module")
def helm() -> str:
    return require_tool("helm")


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm, *args], capture_output=True, text=True, timeout=120, check=False)


def render(helm: str, *args: str, chart: Path = CHART) -> list[dict[str, Any]]:
    result = run_helm(helm, "template", "rel", str(chart), "--namespace", "news", *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def workload(docs: list[dict[str, Any]]) -> dict[str, Any]:
    found = by_kind(docs, "StatefulSet") + by_kind(docs, "Deployment")
    assert len(found) == 1
    return found[0]


def worker_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = workload(docs)["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["worker"]
    return containers[0]


def env_entries(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


@pytest.fixture(scope="module")
def default_docs(helm: str) -> list[dict[str, Any]]:
    return render(helm)


@pytest.fixture(scope="module")
def full_docs(helm: str) -> list[dict[str, Any]]:
    return render(helm, "-f", str(FULL_VALUES))


@pytest.fixture(scope="module")
def memory_docs(helm: str) -> list[dict[str, Any]]:
    return render(helm, "--set", "store=memory")


@pytest.mark.parametrize(
    "values", [[], ["-f", str(FULL_VALUES)], ["--set", "store=memory"]], ids=["default", "full", "memory"]
)
def test_helm_lint_strict(helm: str, values: list[str]) -> None:
    result = run_helm(helm, "lint", "--strict", str(CHART), *values)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_default_render_kinds(default_docs: list[dict[str, Any]]) -> None:
    kinds = sorted(doc["kind"] for doc in default_docs)
    assert kinds == sorted(
        ["ConfigMap", "Job", "PodDisruptionBudget", "Service", "Service", "ServiceAccount", "StatefulSet"]
    )


def test_full_render_kinds(full_docs: list[dict[str, Any]]) -> None:
    kinds = {doc["kind"] for doc in full_docs}
    assert kinds >= {"StatefulSet", "ConfigMap", "Service", "ServiceMonitor", "PrometheusRule", "ScaledObject"}
    assert "HorizontalPodAutoscaler" not in kinds
    assert "Deployment" not in kinds
    # The chart never creates Secrets: credentials are referenced, not stored.
    assert "Secret" not in kinds


@pytest.mark.parametrize("docs_name", ["default_docs", "full_docs", "memory_docs"])
def test_every_resource_has_standard_labels(docs_name: str, request: pytest.FixtureRequest) -> None:
    docs = request.getfixturevalue(docs_name)
    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        missing = [key for key in STANDARD_LABELS if key not in labels]
        assert not missing, f"{doc['kind']} {doc['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/name"] == "newsflow"
        assert labels["app.kubernetes.io/instance"] == "rel"


def test_full_values_add_common_labels(full_docs: list[dict[str, Any]]) -> None:
    for doc in full_docs:
        assert doc["metadata"]["labels"]["team"] == "news", doc["kind"]


@pytest.mark.parametrize("docs_name", ["default_docs", "full_docs", "memory_docs"])
def test_worker_pod_spec(docs_name: str, request: pytest.FixtureRequest) -> None:
    docs = request.getfixturevalue(docs_name)
    wl = workload(docs)
    pod = wl["spec"]["template"]
    # The selector must select the pods it creates.
    selector = wl["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items()

    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["automountServiceAccountToken"] is False

    container = worker_container(docs)
    assert container["args"] == ["worker"]
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]

    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][kind].keys()

    port_names = {port["name"]: port["containerPort"] for port in container["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz"
        assert get["port"] in port_names

    # Every writable path is a volume, since the root filesystem is read-only.
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/var/lib/newsflow"} <= mounts


@pytest.mark.parametrize("docs_name", ["default_docs", "full_docs", "memory_docs"])
def test_env_comes_from_the_configmap(docs_name: str, request: pytest.FixtureRequest) -> None:
    docs = request.getfixturevalue(docs_name)
    configmap = one(docs, "ConfigMap")
    container = worker_container(docs)
    assert container["envFrom"] == [{"configMapRef": {"name": configmap["metadata"]["name"]}}]
    data = configmap["data"]
    # Kubernetes wants strings; a number would be rejected by the API server.
    assert all(isinstance(value, str) for value in data.values())
    # Only variables that newsflow.config.Settings reads.
    assert set(data) <= ALL_ENV
    assert set(data) >= ALL_ENV - SECRET_ENV - OPTIONAL_ENV
    assert data["NEWSFLOW_DATA_DIR"] in {m["mountPath"] for m in container["volumeMounts"]}
    port = next(p["containerPort"] for p in container["ports"] if p["name"] == "http")
    assert data["NEWSFLOW_WEB_PORT"] == str(port)


def test_configmap_is_accepted_by_settings(default_docs: list[dict[str, Any]]) -> None:
    data = one(default_docs, "ConfigMap")["data"]
    settings = Settings.from_env(data)
    assert settings.store == "rocksdb://"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.partitions == 4


def test_full_config_with_secret_env_is_accepted_by_settings(full_docs: list[dict[str, Any]]) -> None:
    data = dict(one(full_docs, "ConfigMap")["data"])
    env = env_entries(worker_container(full_docs))
    # Stand-ins for what the kubelet would read from the Secret.
    for name in SECRET_ENV:
        assert "value" not in env[name]
        data[name] = f"from-secret-{name.lower()}"
    settings = Settings.from_env(data)
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.partitions == 12
    assert settings.ner_models == "it:it_core_news_lg"
    assert set(data) == ALL_ENV


def test_no_secret_in_configmap(full_docs: list[dict[str, Any]]) -> None:
    data = one(full_docs, "ConfigMap")["data"]
    for key in data:
        assert not re.search(r"PASSWORD|USERNAME|SECRET|TOKEN", key), key
    # The SASL credentials are secretKeyRefs to the named Secret and keys.
    env = env_entries(worker_container(full_docs))
    assert env["NEWSFLOW_KAFKA_SASL_USERNAME"]["valueFrom"]["secretKeyRef"] == {
        "name": "newsflow-kafka-sasl",
        "key": "user",
    }
    assert env["NEWSFLOW_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "newsflow-kafka-sasl",
        "key": "pass",
    }


def test_default_render_has_no_credentials(default_docs: list[dict[str, Any]]) -> None:
    env = env_entries(worker_container(default_docs))
    assert not SECRET_ENV & env.keys()
    assert "NEWSFLOW_KAFKA_SASL_MECHANISM" not in one(default_docs, "ConfigMap")["data"]


def test_tls_files_are_mounted_from_the_secret(full_docs: list[dict[str, Any]]) -> None:
    data = one(full_docs, "ConfigMap")["data"]
    pod = workload(full_docs)["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m for m in worker_container(full_docs)["volumeMounts"]}
    assert volumes["kafka-tls"]["secret"]["secretName"] == "newsflow-kafka-tls"
    assert mounts["kafka-tls"]["readOnly"] is True
    base = mounts["kafka-tls"]["mountPath"]
    assert data["NEWSFLOW_KAFKA_SSL_CAFILE"] == f"{base}/ca.crt"
    assert data["NEWSFLOW_KAFKA_SSL_CERTFILE"] == f"{base}/tls.crt"
    assert data["NEWSFLOW_KAFKA_SSL_KEYFILE"] == f"{base}/tls.key"


def test_rocksdb_statefulset_has_volume_claims(default_docs: list[dict[str, Any]]) -> None:
    sts = one(default_docs, "StatefulSet")
    claims = sts["spec"]["volumeClaimTemplates"]
    assert [c["metadata"]["name"] for c in claims] == ["data"]
    assert claims[0]["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert sts["spec"]["replicas"] == 2
    pod_volumes = {v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]}
    assert "data" not in pod_volumes  # comes from the claim, not an emptyDir
    headless = [s for s in by_kind(default_docs, "Service") if s["spec"].get("clusterIP") == "None"]
    assert [s["metadata"]["name"] for s in headless] == [sts["spec"]["serviceName"]]
    assert one(default_docs, "ConfigMap")["data"]["NEWSFLOW_STORE"] == "rocksdb://"


def test_full_statefulset_storage_class(full_docs: list[dict[str, Any]]) -> None:
    claim = one(full_docs, "StatefulSet")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["storageClassName"] == "fast-ssd"
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"


def test_memory_store_is_a_deployment(memory_docs: list[dict[str, Any]]) -> None:
    assert not by_kind(memory_docs, "StatefulSet")
    deployment = one(memory_docs, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes["data"]
    assert one(memory_docs, "ConfigMap")["data"]["NEWSFLOW_STORE"] == "memory://"
    # No headless service without a StatefulSet.
    assert all(s["spec"].get("clusterIP") != "None" for s in by_kind(memory_docs, "Service"))


def test_metrics_service_targets_the_workers(default_docs: list[dict[str, Any]]) -> None:
    pod_labels = workload(default_docs)["spec"]["template"]["metadata"]["labels"]
    container = worker_container(default_docs)
    for service in by_kind(default_docs, "Service"):
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in container["ports"]}


def test_servicemonitor_selects_only_the_metrics_service(full_docs: list[dict[str, Any]]) -> None:
    monitor = one(full_docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selector = monitor["spec"]["selector"]["matchLabels"]
    matching = [s for s in by_kind(full_docs, "Service") if selector.items() <= s["metadata"]["labels"].items()]
    assert len(matching) == 1
    assert matching[0]["spec"].get("clusterIP") != "None"
    port_names = {p["name"] for p in matching[0]["spec"]["ports"]}
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] in port_names
    assert endpoint["path"] == "/metrics"
    # The alert rules select job="newsflow"; jobLabel makes the job name that.
    assert matching[0]["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "newsflow"


def test_prometheusrule_carries_the_alert_rules(full_docs: list[dict[str, Any]]) -> None:
    rule = one(full_docs, "PrometheusRule")
    expected = yaml.safe_load(ALERTS_COPY.read_text())["groups"]
    assert rule["spec"]["groups"] == expected
    alerts = [r["alert"] for group in expected for r in group["rules"] if "alert" in r]
    assert alerts, "the rules file has no alerts"


def test_alert_rules_copy_matches_deploy() -> None:
    if not ALERTS_SOURCE.exists():
        pytest.skip(f"{ALERTS_SOURCE.relative_to(ROOT)} does not exist yet")
    assert ALERTS_COPY.read_bytes() == ALERTS_SOURCE.read_bytes(), (
        f"copy {ALERTS_SOURCE.relative_to(ROOT)} to {ALERTS_COPY.relative_to(ROOT)} "
        "(helm cannot read files outside the chart)"
    )


def test_keda_scales_the_worker_workload(full_docs: list[dict[str, Any]]) -> None:
    scaled = one(full_docs, "ScaledObject")
    sts = one(full_docs, "StatefulSet")
    target = scaled["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("StatefulSet", sts["metadata"]["name"])
    # The autoscaler owns the replica count.
    assert "replicas" not in sts["spec"]
    data = one(full_docs, "ConfigMap")["data"]
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == data["NEWSFLOW_APP_ID"]
    assert trigger["metadata"]["topic"] == data["NEWSFLOW_TOPIC_RAW"]
    assert trigger["metadata"]["bootstrapServers"] == data["KAFKA_BOOTSTRAP"]
    assert trigger["authenticationRef"]["name"] == "newsflow-kafka-keda"
    assert scaled["spec"]["maxReplicaCount"] <= int(data["NEWSFLOW_PARTITIONS"])


def test_hpa_targets_the_deployment_in_memory_mode(helm: str) -> None:
    docs = render(helm, "--set", "store=memory", "--set", "hpa.enabled=true")
    hpa = one(docs, "HorizontalPodAutoscaler")
    deployment = one(docs, "Deployment")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert "replicas" not in deployment["spec"]


def test_pdb_selects_the_workers(default_docs: list[dict[str, Any]]) -> None:
    pdb = one(default_docs, "PodDisruptionBudget")
    pod_labels = workload(default_docs)["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1


def test_topic_init_job_matches_the_configmap(full_docs: list[dict[str, Any]]) -> None:
    job = one(full_docs, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["topics", "create"]
    assert container["image"] == worker_container(full_docs)["image"]
    env = env_entries(container)
    plain = {name: entry["value"] for name, entry in env.items() if "value" in entry}
    assert plain == one(full_docs, "ConfigMap")["data"]
    assert {name for name, entry in env.items() if "valueFrom" in entry} == SECRET_ENV
    assert job["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_topic_init_can_be_disabled(helm: str) -> None:
    docs = render(helm, "--set", "topicInit.enabled=false")
    assert not by_kind(docs, "Job")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "hpa.enabled=true", "--set", "keda.enabled=true"], "exclusive"),
        (["--set", "kafka.securityProtocol=SASL_SSL", "--set", "kafka.sasl.mechanism=PLAIN"], "existingSecret"),
        (["--set", "kafka.securityProtocol=SASL_PLAINTEXT", "--set", "kafka.sasl.existingSecret=s"], "mechanism"),
        (["--set", "kafka.tls.existingSecret=t", "--set", "kafka.tls.certKey=tls.crt"], "keyKey"),
        (["--set", "store=leveldb"], "store"),
        (["--set", "kafka.securityProtocol=SASL"], "securityProtocol"),
        (["--set", "kafka.sasl.mechanism=GSSAPI"], "mechanism"),
        (["--set", "config.partitions=0"], "partitions"),
        (["--set", "config.dedupThreshold=1.5"], "dedupThreshold"),
        (["--set", "config.kafkaBootstrap=kafka"], "kafkaBootstrap"),
        (["--set", "podSecurityContext.runAsNonRoot=false"], "runAsNonRoot"),
        (["--set", "config.typo=1"], "typo"),
    ],
)
def test_invalid_values_are_rejected(helm: str, args: list[str], message: str) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), *args)
    assert result.returncode != 0
    assert message in result.stderr


def test_notes_render_produce_and_consume(helm: str, tmp_path: Path) -> None:
    # helm template does not render NOTES.txt; render it as a named template
    # in a copy of the chart.
    chart = tmp_path / "newsflow"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "NOTES.txt").unlink()
    (chart / "templates" / "_notes_check.tpl").write_text('{{- define "check.notes" -}}\n' + notes + "{{- end }}\n")
    (chart / "templates" / "notes-check.yaml").write_text('notes: {{ include "check.notes" . | toJson }}\n')
    rendered = render(helm, "-f", str(FULL_VALUES), "--show-only", "templates/notes-check.yaml", chart=chart)
    text = rendered[0]["notes"]
    assert "kafka-console-producer.sh" in text
    assert "--topic news.raw" in text
    assert "kafka-console-consumer.sh" in text
    assert "--topic news.enriched" in text
    assert "SASL_SSL" in text
    assert "port-forward svc/nf " in text


# -- values.yaml annotations and values.schema.json ----------------------------------


def param_keys() -> list[str]:
    text = (CHART / "values.yaml").read_text()
    return re.findall(r"^\s*## @param (\S+)", text, flags=re.MULTILINE)


def schema_leaves(node: dict[str, Any], prefix: str = "") -> Iterator[str]:
    properties = node.get("properties")
    if not properties:
        yield prefix
        return
    for key, child in properties.items():
        yield from schema_leaves(child, f"{prefix}.{key}" if prefix else key)


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return schema


def test_every_value_is_annotated_and_in_the_schema() -> None:
    keys = param_keys()
    assert len(keys) == len(set(keys)), "a @param is documented twice"
    assert set(keys) == set(schema_leaves(load_schema()))


def test_schema_accepts_the_values_files() -> None:
    schema = load_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    validator.validate(defaults)
    full = yaml.safe_load(FULL_VALUES.read_text())
    merged = {**defaults, **full}
    validator.validate(merged)


def test_schema_matches_readme_generator(tmp_path: Path) -> None:
    """The committed schema is readme-generator-for-helm's output, tightened by
    hand (enums, integer bounds, additionalProperties). Check that the generated
    part (type, default, description of every key) still matches the annotations."""
    generator = require_tool("readme-generator")
    out = tmp_path / "schema.json"
    result = subprocess.run(
        [generator, "--values", str(CHART / "values.yaml"), "--schema", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    generated = json.loads(out.read_text())
    committed = load_schema()

    def compare(gen: dict[str, Any], com: dict[str, Any], path: str) -> None:
        if "properties" in gen:
            assert set(gen["properties"]) == set(com.get("properties", {})), path
            for key in gen["properties"]:
                compare(gen["properties"][key], com["properties"][key], f"{path}.{key}")
            return
        assert gen.get("description") == com.get("description"), path
        assert gen.get("default") == com.get("default"), path
        allowed = {gen["type"]} | ({"integer"} if gen["type"] == "number" else set())
        types = com["type"] if isinstance(com["type"], list) else [com["type"]]
        assert set(types) & allowed, f"{path}: {com['type']} vs generated {gen['type']}"

    compare(generated, committed, "values")
