"""On the real broker: an article within NEWSFLOW_MAX_ARTICLE_BYTES whose enriched record would exceed the
broker's record limit goes to the DLQ, and the worker carries on (it used to fail the send and restart forever)."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.e2e.harness import Namespace, Worker, produce, read_committed, run

PARAGRAPH = (
    "Il presidente Sergio Mattarella ha incontrato a Roma il cancelliere Olaf Scholz, Emmanuel Macron e "
    "Pedro Sánchez per parlare di Ucraina, Russia e Stati Uniti. "
)


def test_an_article_too_big_once_enriched_is_a_dead_letter_and_the_worker_lives(tmp_path: Path) -> None:
    namespace = Namespace(partitions=1)
    worker = Worker.start(namespace.env(tmp_path), tmp_path / "worker.log", ready_timeout=240)
    enriched, dlq = namespace.topic("enriched"), namespace.topic("dlq")
    text = (PARAGRAPH * (990_000 // len(PARAGRAPH)))[:990_000]  # under the 1,000,000-byte article limit
    big = orjson.dumps({"id": "big-1", "title": "Vertice a Roma", "text": text})
    small = orjson.dumps({"id": "small-1", "text": "Domani pioggia su tutta la Lombardia, dice il servizio meteo."})
    try:
        run(produce(namespace.topic("raw"), [(b"big-1", big), (b"small-1", small)]))
        outputs = run(
            read_committed([enriched, dlq], until=lambda r: len(r[enriched]) >= 1 and len(r[dlq]) >= 1, timeout=180)
        )
        alive = worker.alive()
        log = worker.log_tail()
    finally:
        worker.terminate()
    assert [r["id"] for r in outputs[enriched]] == ["small-1"], log
    [dead] = outputs[dlq]
    assert (dead["id"], dead["stage"], dead["reason"]) == ("big-1", "publish", "too_large")
    assert dead["payload_truncated"] is True
    assert alive, log
    assert "agent failed" not in log
