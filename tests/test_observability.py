"""Prometheus config, alert rules and the Grafana dashboard, checked with the real tools.

promtool validates the config and rules and runs the rule unit tests; the dashboard
JSON is checked for portable datasource use and for metric names newsflow really
exports; and one test scrapes a live prometheus_client endpoint with the real
Prometheus to prove every rule evaluates cleanly and every panel query returns data.

Without promtool/prometheus these tests skip locally (run scripts/install_prometheus.sh);
under CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.exposition import start_http_server

from newsflow.config import Settings
from newsflow.errors import EmptyText, MalformedRecord, StageFailure
from newsflow.metrics import STAGES, StageMetrics
from newsflow.models import EnrichedRecord
from newsflow.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
ALERT_RULES = PROMETHEUS_DIR / "rules" / "newsflow-alerts.yml"
ALERT_TESTS = PROMETHEUS_DIR / "tests" / "newsflow-alerts.test.yml"
GRAFANA_DIR = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "newsflow.json"
DOCS = REPO / "docs" / "observability.md"
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
# Series Prometheus itself attaches to every scrape target.
SCRAPE_METRICS = frozenset(
    {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling"}
    | {"scrape_series_added"}
)


def _load_harness() -> ModuleType:
    # Loaded by path: tests/ and tests/e2e/ are not packages, and the harness must
    # not be collected as a test module.
    path = REPO / "tests" / "e2e" / "prometheus_harness.py"
    spec = importlib.util.spec_from_file_location("newsflow_prometheus_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


harness = _load_harness()


def require_binary(name: str) -> str:
    found = shutil.which(name)
    if found is not None:
        return found
    message = f"`{name}` is not installed; run scripts/install_prometheus.sh"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(message)


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=REPO, check=False)


# --- metric names ------------------------------------------------------------------------------

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "unknown": ("",),
}


def exported_names(registry: CollectorRegistry) -> set[str]:
    """Every sample name the registry can expose, whether or not a labelled child exists yet."""
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return names


def stage_metric_names() -> set[str]:
    registry = CollectorRegistry()
    StageMetrics.create(registry)
    return exported_names(registry)


def faust_metric_names() -> set[str]:
    registry = CollectorRegistry()
    FaustMetrics.create(registry, "faust")
    return exported_names(registry)


def runtime_metric_names() -> set[str]:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return exported_names(registry)


def known_metric_names() -> set[str]:
    return stage_metric_names() | faust_metric_names() | runtime_metric_names() | SCRAPE_METRICS


_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# An identifier not followed by "(" (a function or aggregation) and not part of a number.
_IDENT = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()")
_PROMQL_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"inf", "nan", "atan2", "start", "end"}
)


def metric_names_in(expr: str) -> set[str]:
    """Metric names selected by a PromQL expression (variables already substituted or harmless)."""
    stripped = _STRING.sub('""', expr)
    stripped = _MATCHERS.sub("", stripped)
    stripped = _RANGE.sub("", stripped)
    stripped = _GROUPING.sub("", stripped)
    return {name for name in _IDENT.findall(stripped) if name.lower() not in _PROMQL_KEYWORDS}


def test_metric_name_extraction() -> None:
    expr = (
        'sum by (le, stage) (rate(a_bucket{job=~"$job", x="y z", q="vector(1)"}[5m:1m])) / on(stage) group_left() '
        "clamp_min(b_total offset 5m, 1e-9) or on() vector(0) and bool c:recorded"
    )
    assert metric_names_in(expr) == {"a_bucket", "b_total", "c:recorded"}


def test_known_metric_names_follow_exposition_rules() -> None:
    names = stage_metric_names()
    assert "newsflow_stage_articles_out_total" in names
    assert "newsflow_stage_duration_seconds_bucket" in names
    assert "newsflow_consumer_lag_messages" in names
    assert "newsflow_build_info" in names
    assert "newsflow_stage_articles_out" not in names
    assert "faust_total_rebalances" in faust_metric_names()
    assert "process_start_time_seconds" in runtime_metric_names()


# --- Prometheus config and rules ---------------------------------------------------------------


def test_promtool_check_config() -> None:
    promtool = require_binary("promtool")
    result = run_tool(promtool, "check", "config", str(PROMETHEUS_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    # The config must pull in the alert rules, not just be valid on its own.
    assert "newsflow-alerts.yml" in result.stdout + result.stderr


def test_promtool_check_rules() -> None:
    promtool = require_binary("promtool")
    result = run_tool(promtool, "check", "rules", str(ALERT_RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    promtool = require_binary("promtool")
    result = run_tool(promtool, "test", "rules", str(ALERT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def load_alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERT_RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def doc_anchors() -> set[str]:
    anchors = set()
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_alert_rules_have_severity_annotations_and_runbooks() -> None:
    rules = load_alert_rules()
    required = {
        "NewsflowWorkerDown",
        "NewsflowWorkersAbsent",
        "NewsflowConsumerLagGrowing",
        "NewsflowDeadLetterRatioHigh",
        "NewsflowNoThroughput",
        "NewsflowEndToEndLatencyHigh",
    }
    assert required <= {rule["alert"] for rule in rules}
    anchors = doc_anchors()
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert (REPO / page).is_file(), rule["alert"]
        assert anchor in anchors, f"{rule['alert']}: no heading for #{anchor} in {DOCS.name}"


def test_alert_rules_only_use_exported_metrics() -> None:
    known = known_metric_names()
    for rule in load_alert_rules():
        unknown = metric_names_in(rule["expr"]) - known
        assert not unknown, f"{rule['alert']} uses {sorted(unknown)}"


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    document = yaml.safe_load(ALERT_TESTS.read_text(encoding="utf-8"))
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in document["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in load_alert_rules()}
    assert alerts - firing == set(), "no case where these fire"
    assert alerts - quiet == set(), "no case where these stay quiet"


def test_metric_exposition_passes_promtool_lint() -> None:
    promtool = require_binary("promtool")
    registry = CollectorRegistry()
    metrics = StageMetrics.create(registry)
    populate(metrics, step=1)
    result = subprocess.run(
        [promtool, "check", "metrics"], input=generate_latest(registry), capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


# --- Grafana -----------------------------------------------------------------------------------


def load_dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return dashboard


def walk(node: Any, path: str = "$") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key of every object in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def content_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in harness.iter_panels(dashboard["panels"]) if panel["type"] != "row"]


def test_dashboard_has_a_prometheus_datasource_variable() -> None:
    dashboard = load_dashboard()
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert dashboard["schemaVersion"] >= 36
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE_REF, variable["name"]


def test_dashboard_uses_the_datasource_variable_everywhere() -> None:
    dashboard = load_dashboard()
    for path, key, value in walk(dashboard):
        if key == "datasource":
            assert value == DATASOURCE_REF, f"{path}.datasource = {value!r}"
        if key == "uid" and path != "$":
            assert value == "${datasource}", f"hard-coded uid at {path}: {value!r}"
    for panel in content_panels(dashboard):
        assert panel.get("datasource") == DATASOURCE_REF, panel["title"]


def test_every_panel_has_queries() -> None:
    dashboard = load_dashboard()
    panels = content_panels(dashboard)
    assert len(panels) >= 10
    assert len({panel["id"] for panel in harness.iter_panels(dashboard["panels"])}) == len(
        list(harness.iter_panels(dashboard["panels"]))
    ), "panel ids must be unique"
    for panel in panels:
        targets = panel.get("targets", [])
        assert targets, f"{panel['title']} has no targets"
        assert all(target.get("expr", "").strip() for target in targets), panel["title"]
        ref_ids = [target["refId"] for target in targets]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_dashboard_panels_do_not_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in harness.iter_panels(load_dashboard()["panels"]):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x, y in itertools.product(range(grid["x"], grid["x"] + grid["w"]), range(grid["y"], grid["y"] + grid["h"])):
            assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
            cells[(x, y)] = panel["title"]


def test_dashboard_covers_the_issue_6_panels() -> None:
    exprs = " ".join(expr for _, expr in harness.dashboard_expressions(DASHBOARD))
    for needle in (
        "newsflow_stage_articles_out_total",
        "newsflow_stage_duration_seconds_bucket",
        "newsflow_end_to_end_latency_seconds_bucket",
        "newsflow_consumer_lag_messages",
        "newsflow_duplicates_total",
        "newsflow_articles_by_language_total",
        "newsflow_entities_total",
        "newsflow_dead_letters_total",
        "changes(process_start_time_seconds",
        "newsflow_rebalances_total",
        "newsflow_topic_end_offset",
    ):
        assert needle in exprs, needle


def test_dashboard_only_uses_exported_metrics() -> None:
    known = known_metric_names()
    dashboard = load_dashboard()
    for title, expr in harness.dashboard_expressions(DASHBOARD):
        unknown = metric_names_in(expr) - known
        assert not unknown, f"{title!r} uses {sorted(unknown)}"
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = re.match(r"label_values\(\s*([A-Za-z_:][\w:]*)", variable["definition"])
            assert match, variable["definition"]
            assert match.group(1) in known, variable["name"]


def test_dashboard_expressions_substitute_every_variable() -> None:
    expressions = harness.dashboard_expressions(DASHBOARD)
    assert len(expressions) >= 15
    for title, expr in expressions:
        assert "$" not in expr and "[[" not in expr, title
    with pytest.raises(KeyError, match="nosuchvar"):
        harness.substitute("rate(x[$nosuchvar])", {})


def test_dashboard_expressions_are_valid_promql(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    # promtool parses the expressions of recording rules, so wrap each query in one.
    rules = [
        {"record": f"dashboard:check:{index}", "expr": expr}
        for index, (_, expr) in enumerate(harness.dashboard_expressions(DASHBOARD))
    ]
    rule_file = tmp_path / "dashboard.rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = run_tool(promtool, "check", "rules", str(rule_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_provisioning() -> None:
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    [datasource] = datasources["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["isDefault"] is True
    assert datasource["url"] == "http://prometheus:9090"
    scrape = yaml.safe_load(PROMETHEUS_CONFIG.read_text())["global"]["scrape_interval"]
    assert datasource["jsonData"]["timeInterval"] == scrape
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "newsflow.yml").read_text())
    [provider] = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/var/lib/grafana/dashboards")


# --- live: real Prometheus scraping a prometheus_client endpoint -------------------------------


def populate(metrics: StageMetrics, step: int) -> None:
    """Deterministic traffic through every metric; ``step`` advances it."""
    stage_latencies = (0.0003, 0.002, 0.04)
    for stage in STAGES:
        metrics.articles_in.labels(stage=stage).inc(10)
        metrics.articles_out.labels(stage=stage, outcome="ok").inc(9)
        metrics.stage_duration.labels(stage=stage).observe(stage_latencies[step % 3])
    metrics.articles_out.labels(stage="dedup", outcome="duplicate").inc()
    metrics.articles_out.labels(stage="clean", outcome="dlq").inc()
    for topic, latency in (("news.enriched", (0.2, 1.5, 4.0)[step % 3]), ("news.duplicates", 0.1)):
        metrics.end_to_end_latency.labels(topic=topic).observe(latency)
    metrics.duplicates.labels(kind="exact_duplicate").inc()
    metrics.duplicates.labels(kind="near_duplicate").inc(step % 2)
    for language in ("en", "de", "other"):
        metrics.languages.labels(language=language).inc(3)
    for entity_type in ("PER", "ORG", "LOC"):
        metrics.entities.labels(type=entity_type).inc(2)
    for stage, error in (("ingest", MalformedRecord), ("clean", EmptyText), ("entities", StageFailure)):
        metrics.dead_letters.labels(stage=stage, reason=error.reason).inc()
    for partition in ("0", "1"):
        metrics.consumer_lag.labels(topic="news.raw", partition=partition).set(step % 5)
        metrics.end_offset.labels(topic="news.raw", partition=partition).set(100 + 10 * step)


@pytest.fixture
def live_metrics_endpoint() -> Iterator[str]:
    registry = CollectorRegistry()
    metrics = StageMetrics.create(registry)
    faust_metrics = FaustMetrics.create(registry, "faust")
    ProcessCollector(registry=registry)
    metrics.rebalances.inc()
    metrics.build_info.info({"version": "test", "config_hash": "0"})
    faust_metrics.assignment_operations.labels(operation="completed").inc()
    stop = threading.Event()

    def feed() -> None:
        for step in itertools.count():
            populate(metrics, step)
            if stop.wait(0.2):
                return

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        feeder.join(timeout=5)


@pytest.mark.timeout(120)
def test_live_prometheus_loads_rules_and_answers_every_panel(tmp_path: Path, live_metrics_endpoint: str) -> None:
    require_binary("prometheus")
    with harness.start_prometheus(tmp_path, [live_metrics_endpoint], port=harness.free_port()) as prometheus:
        prometheus.wait_for_scrapes(2)
        # Fresh scrapes of the running feed, as an end-to-end test waits after its records are processed.
        prometheus.wait_for_scrapes(2, after=time.time())
        groups = prometheus.wait_for_rule_evaluation()
        rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
        assert set(rules) == {rule["alert"] for rule in load_alert_rules()}
        for name, rule in rules.items():
            # Runtime errors (e.g. many-to-many matching) only show up here, never in promtool.
            assert rule["health"] == "ok", f"{name}: {rule.get('lastError')}"
        # Worker is up and scraped: the availability alerts must not be pending or firing.
        assert rules["NewsflowWorkerDown"]["state"] == "inactive"
        assert rules["NewsflowWorkersAbsent"]["state"] == "inactive"

        empty = []
        for title, expr in harness.dashboard_expressions(DASHBOARD):
            result = prometheus.query(expr)
            values = [float(series["value"][1]) for series in result]
            if not result or not any(math.isfinite(value) for value in values):
                empty.append(f"{title}: {expr} -> {result}")
            elif "or on() vector(0)" in expr:
                # Traffic was fed, so the real series must answer, not the zero fallback.
                assert any(series["metric"] for series in result), f"{title}: only the fallback answered"
        assert not empty, "\n".join(empty)


def test_entities_counter_matches_the_mentions_of_enriched_records() -> None:
    """newsflow_entities_total counts mentions by type (aggregated per record before counting)."""
    registry = CollectorRegistry()
    pipeline = Pipeline(Settings(store="memory://"), metrics=StageMetrics.create(registry))
    expected: Counter[str] = Counter()
    lines = (Path(__file__).resolve().parents[1] / "samples" / "demo-en.jsonl").read_bytes().splitlines()
    for line in lines[:5]:
        result = pipeline.process(line)
        if isinstance(result.record, EnrichedRecord):
            expected.update(mention.type for mention in result.record.entities)
    assert expected, "the sample articles should have entities"
    counted = {
        sample.labels["type"]: sample.value
        for metric in registry.collect()
        if metric.name == "newsflow_entities"
        for sample in metric.samples
        if sample.name == "newsflow_entities_total"
    }
    assert counted == {entity_type: float(n) for entity_type, n in expected.items()}
