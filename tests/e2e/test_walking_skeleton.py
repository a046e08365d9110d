"""Issue #2 end to end on the real broker: seed article, a JSON copy of it, a malformed record."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from newsflow.topology import LAG_INTERVAL_SECONDS
from tests.e2e.harness import Namespace, Worker, produce, read_committed, run, scrape

ROOT = Path(__file__).resolve().parents[2]
HEADLINE = "Guerra in Ucraina | La Corea del Nord si schiererà con la Russia fino alla “vittoria”"


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in records}


@pytest.fixture(scope="module")
def skeleton_run(tmp_path_factory: pytest.TempPathFactory, seed_bytes: bytes) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("skeleton")
    namespace = Namespace(partitions=2)
    env = namespace.env(tmp_path, NEWSFLOW_LANGUAGE_SHORT_TEXT="accurate")
    worker = Worker.start(env, tmp_path / "worker.log", ready_timeout=240)
    topics = [namespace.topic(name) for name in ("enriched", "duplicates", "dlq", "clusters")]
    enriched, duplicates, dlq, clusters = topics
    try:
        run(produce(namespace.topic("raw"), [(b"seed-1", seed_bytes)]))
        first = run(read_committed([enriched], until=lambda r: len(r[enriched]) >= 1, timeout=120))
        assert first[enriched], f"seed never reached {enriched}:\n{worker.log_tail()}"
        copy = orjson.dumps({"id": "seed-copy", "text": seed_bytes.decode(), "source": "aggregator.example"})
        malformed = b'{"id": "bad-1", "text": "unterminated'
        run(produce(namespace.topic("raw"), [(b"seed-copy", copy), (None, malformed)]))
        outputs = run(
            read_committed(
                topics,
                until=lambda r: len(r[duplicates]) >= 1 and len(r[dlq]) >= 1,
                timeout=120,
                settle=3.0,
            )
        )
        # Lag is sampled every LAG_INTERVAL_SECONDS; give the sampler one full interval.
        deadline = time.monotonic() + 3 * LAG_INTERVAL_SECONDS
        metrics = scrape(worker)
        while not any(k.startswith("newsflow_consumer_lag_messages{") for k in metrics) and time.monotonic() < deadline:
            time.sleep(0.5)
            metrics = scrape(worker)
        example = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "consume_enriched.py"),
                "--topic",
                enriched,
                "--idle-seconds",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return {
            "example": example,
            "outputs": outputs,
            "topics": topics,
            "metrics": metrics,
            "worker": worker,
            "alive": worker.alive(),
            "log": worker.log_tail(),
        }
    finally:
        worker.terminate()


def test_seed_is_enriched_once(skeleton_run: dict[str, Any]) -> None:
    enriched_topic = skeleton_run["topics"][0]
    enriched = skeleton_run["outputs"][enriched_topic]
    assert [record["id"] for record in enriched] == ["seed-1"]
    record = enriched[0]
    assert record["schema_version"]
    assert record["outcome"] == "enriched"
    assert record["language"]["code"] == "it"
    assert record["title"] == HEADLINE
    assert HEADLINE not in record["text"], "repeated headline lines must be gone from the text"
    assert "PREV" not in record["text"] and "NEXT" not in record["text"]
    assert record["dedup"]["status"] == "original"
    assert record["ingested_at"] <= record["processed_at"]


def test_seed_entities_have_correct_offsets(skeleton_run: dict[str, Any]) -> None:
    record = skeleton_run["outputs"][skeleton_run["topics"][0]][0]
    text = record["text"]
    for mention in record["entities"]:
        source = record["title"] if mention["field"] == "title" else text
        assert source[mention["start"] : mention["end"]] == mention["text"], mention
    found = {mention["text"] for mention in record["entities"] if mention["field"] == "text"}
    assert {"Mosca", "Russia", "Corea del Nord"} <= found


def test_copy_is_flagged_with_duplicate_of(skeleton_run: dict[str, Any]) -> None:
    duplicates = by_id(skeleton_run["outputs"][skeleton_run["topics"][1]])
    assert set(duplicates) == {"seed-copy"}
    assert duplicates["seed-copy"]["dedup"]["duplicate_of"] == "seed-1"
    assert duplicates["seed-copy"]["dedup"]["status"] == "exact_duplicate"


def test_malformed_record_lands_in_dlq_with_reason(skeleton_run: dict[str, Any]) -> None:
    dlq = by_id(skeleton_run["outputs"][skeleton_run["topics"][2]])
    assert set(dlq) == {"bad-1"}
    letter = dlq["bad-1"]
    assert letter["stage"] == "ingest"
    assert letter["reason"] == "malformed"
    assert "invalid JSON" in letter["error"]
    assert letter["payload"].startswith('{"id": "bad-1"')
    assert letter["origin"].startswith(skeleton_run["topics"][0].replace("enriched", "raw"))


def test_worker_survives(skeleton_run: dict[str, Any]) -> None:
    assert skeleton_run["alive"], skeleton_run["log"]


def test_metrics_move_by_what_was_sent(skeleton_run: dict[str, Any]) -> None:
    m = skeleton_run["metrics"]
    assert m['newsflow_stage_articles_in_total{stage="ingest"}'] == 3
    assert m['newsflow_stage_articles_out_total{outcome="ok",stage="ingest"}'] == 2
    assert m['newsflow_stage_articles_out_total{outcome="dlq",stage="ingest"}'] == 1
    assert m['newsflow_stage_articles_out_total{outcome="duplicate",stage="dedup"}'] == 1
    # Both articles are enriched before dedup (the expensive stages run in parallel, ahead of the
    # single ordered dedup log); only the original is published.
    assert m['newsflow_stage_articles_out_total{outcome="ok",stage="entities"}'] == 2
    assert m['newsflow_stage_articles_out_total{outcome="ok",stage="dedup"}'] == 1
    assert m['newsflow_stage_articles_out_total{outcome="ok",stage="publish"}'] == 1
    assert m['newsflow_duplicates_total{kind="exact_duplicate"}'] == 1
    assert m['newsflow_dead_letters_total{reason="malformed",stage="ingest"}'] == 1
    assert m['newsflow_articles_by_language_total{language="it"}'] == 1
    assert m['newsflow_entities_total{type="LOC"}'] >= 3
    assert m['newsflow_stage_duration_seconds_count{stage="clean"}'] == 2
    assert m['newsflow_end_to_end_latency_seconds_count{topic="' + skeleton_run["topics"][0] + '"}'] == 1
    assert any(key.startswith("newsflow_build_info{") for key in m)
    assert any(key.startswith("newsflow_consumer_lag_messages{") for key in m)
    assert any(key.startswith("faust_") for key in m), "Faust's own sensor metrics must be exported too"


def test_published_records_match_the_contract(skeleton_run: dict[str, Any]) -> None:
    from tests.test_schema import validate

    enriched, duplicates, dlq, clusters = skeleton_run["topics"]
    outputs = skeleton_run["outputs"]
    assert outputs[enriched] and outputs[duplicates] and outputs[dlq] and outputs[clusters]
    for topic, schema in (
        (enriched, "enriched-record"),
        (duplicates, "enriched-record"),
        (dlq, "dead-letter"),
        (clusters, "cluster-update"),
    ):
        for record in outputs[topic]:
            validate(record, schema)
    assert outputs[clusters][-1]["copies"] == 1 and outputs[clusters][-1]["original_id"] == "seed-1"


def test_consumer_example_reads_the_enriched_topic(skeleton_run: dict[str, Any]) -> None:
    example = skeleton_run["example"]
    assert example.returncode == 0, example.stderr
    [line] = example.stdout.strip().splitlines()
    assert line.startswith("seed-1\tit\t") and "Moscow" in line
