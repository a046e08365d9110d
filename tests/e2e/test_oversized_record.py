"""On the real broker: an article within NEWSFLOW_MAX_ARTICLE_BYTES whose enriched record would exceed the
broker's record limit goes to the DLQ, and the worker carries on (it used to fail the send and restart forever)."""

from __future__ import annotations

from pathlib import Path

import orjson

from newsflow.config import Settings
from newsflow.kafka_io import produce_records
from tests.e2e.harness import Namespace, Worker, produce, read_committed, run

PARAGRAPH = (
    "Il presidente Sergio Mattarella ha incontrato a Roma il cancelliere Olaf Scholz, Emmanuel Macron e "
    "Pedro Sánchez per parlare di Ucraina, Russia e Stati Uniti. "
)


def test_an_article_too_big_once_enriched_is_a_dead_letter_and_the_worker_lives(tmp_path: Path) -> None:
    namespace = Namespace(partitions=1)
    env = namespace.env(tmp_path)
    enriched, dlq = namespace.topic("enriched"), namespace.topic("dlq")
    text = (PARAGRAPH * (990_000 // len(PARAGRAPH)))[:990_000]  # under the 1,000,000-byte article limit
    big = orjson.dumps({"id": "big-1", "title": "Vertice a Roma", "text": text})
    small = orjson.dumps({"id": "small-1", "text": "Domani pioggia su tutta la Lombardia, dice il servizio meteo."})
    # 1.7 MB of HTML (mostly a script the cleaner drops), over the broker's default 1 MiB record limit:
    # ingest accepts raw HTML up to four times the article limit, so the raw topic newsflow creates must take it.
    page = "<html><head><script>" + 'var tracking = {"a": 1, "b": [1, 2, 3]};' * 40_000 + "</script></head>"
    page += "<body><article><p>Il consiglio comunale di Torino ha approvato ieri il bilancio della città. "
    page += "Il sindaco ha parlato di un passo importante.</p></article></body></html>"
    html = orjson.dumps({"id": "html-1", "html": page})
    assert len(html) > 1_100_000
    # started only now: an assertion above must not leave a worker running
    worker = Worker.start(env, tmp_path / "worker.log", ready_timeout=240)
    try:
        run(produce(namespace.topic("raw"), [(b"big-1", big), (b"small-1", small)]))
        # through `newsflow produce`'s own producer (8 MiB requests), as a user would send it
        run(produce_records(Settings.from_env(env), [(b"html-1", html)], namespace.topic("raw"), progress=False))
        outputs = run(
            read_committed([enriched, dlq], until=lambda r: len(r[enriched]) >= 2 and len(r[dlq]) >= 1, timeout=180)
        )
        alive = worker.alive()
        log = worker.log_tail()
    finally:
        worker.terminate()
    assert sorted(r["id"] for r in outputs[enriched]) == ["html-1", "small-1"], log
    [dead] = outputs[dlq]
    assert (dead["id"], dead["stage"], dead["reason"]) == ("big-1", "publish", "too_large")
    assert dead["payload_truncated"] is True
    assert alive, log
    assert "agent failed" not in log
