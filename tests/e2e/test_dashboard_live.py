"""Issue #6 end to end: a real Prometheus scrapes a real worker; every dashboard query returns data
and every alert rule evaluates cleanly."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.e2e.harness import Namespace, Worker, produce, read_committed, run
from tests.e2e.prometheus_harness import dashboard_expressions, free_port, prometheus_binary, start_prometheus


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seed_bytes: bytes) -> Any:
    if prometheus_binary() is None:
        message = "prometheus is not installed (scripts/install_prometheus.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    tmp_path: Path = tmp_path_factory.mktemp("dashboard")
    namespace = Namespace(partitions=2)
    worker = Worker.start(namespace.env(tmp_path), tmp_path / "worker.log")
    prometheus = start_prometheus(tmp_path, [f"127.0.0.1:{worker.web_port}"], port=free_port())
    try:
        copy = orjson.dumps({"id": "copy", "text": seed_bytes.decode()})
        run(produce(namespace.topic("raw"), [(b"seed", seed_bytes)]))
        enriched, duplicates, dlq = (namespace.topic(n) for n in ("enriched", "duplicates", "dlq"))
        run(read_committed([enriched], until=lambda r: len(r[enriched]) >= 1, timeout=120))
        run(produce(namespace.topic("raw"), [(b"copy", copy), (None, b'{"id": "bad", ')]))
        run(read_committed([duplicates, dlq], until=lambda r: all(r.values()), timeout=120))
        prometheus.wait_for_scrapes(8, timeout=60)  # rate() over $__rate_interval needs several samples
        yield worker, prometheus
    finally:
        prometheus.stop()
        worker.terminate()


def test_every_dashboard_expression_returns_data(live: Any) -> None:
    _, prometheus = live
    expressions = dashboard_expressions(overrides={"__rate_interval": "1m", "__interval": "5s", "__range": "5m"})
    assert len(expressions) >= 10
    # The lag timer sets its gauges every few seconds, not at every scrape, so a rate() over them may
    # need a few more scrapes than the counters do; a panel is empty only if it stays empty.
    deadline = time.monotonic() + 60
    while True:
        empty = [(title, expr) for title, expr in expressions if not prometheus.query(expr)]
        if not empty or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert empty == [], f"{len(empty)} panel queries returned nothing for 60 s: {empty}"


def test_alert_rules_evaluate_without_errors(live: Any) -> None:
    _, prometheus = live
    groups = prometheus.wait_for_rule_evaluation()
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) >= 5, "expected at least the five alerts of issue #6"
    broken = [(rule["name"], rule.get("lastError")) for rule in rules if rule.get("health") != "ok"]
    assert broken == []


def test_worker_is_up_for_prometheus(live: Any) -> None:
    _, prometheus = live
    [sample] = prometheus.query('up{job="newsflow"}')
    assert sample["value"][1] == "1"
