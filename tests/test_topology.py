"""Agent wiring with Faust's test_context(): no broker, memory store, sends captured."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import orjson
import pytest
from faust.topics import Topic
from prometheus_client import CollectorRegistry

from newsflow.codecs import loads, to_plain
from newsflow.config import Settings
from newsflow.models import Fingerprint
from newsflow.stages.dedup import partition_key
from newsflow.topology import create_app


@pytest.fixture
def sent() -> Iterator[list[tuple[str, bytes | None, Any]]]:
    captured: list[tuple[str, bytes | None, Any]] = []

    async def fake_send(self: Topic, *, key: Any = None, value: Any = None, **kwargs: Any) -> None:
        if kwargs.get("value_serializer") == "raw" and isinstance(value, bytes):
            value = loads(value)  # a record the agent encoded itself: what a consumer decodes
        captured.append((self.get_topic_name(), key, to_plain(value)))

    with mock.patch.object(Topic, "send", fake_send):
        yield captured


@pytest.fixture
def app(tmp_path: Any) -> Any:
    settings = Settings.from_env(
        {
            "NEWSFLOW_STORE": "memory://",
            "NEWSFLOW_DATA_DIR": str(tmp_path),
            "NEWSFLOW_PROCESSING_GUARANTEE": "at_least_once",
        }
    )
    faust_app = create_app(settings, registry=CollectorRegistry())
    faust_app.finalize()
    faust_app.flow_control.resume()
    return faust_app


async def test_analyse_agent_runs_the_article_stages_and_keys_by_the_dedup_partition_key(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    async with app.agents["analyse"].test_context() as agent:
        await agent.put(seed_bytes, key=b"seed-1")
    [(topic, key, value)] = sent
    assert topic == "news.analysed"
    assert value["id"] == "seed-1"
    assert key == partition_key(Fingerprint(**value["fingerprint"]), "seed-1").encode()
    assert key.startswith(b"m")  # the first MinHash value: the seed has a signature
    assert "PREV" not in value["text"]
    assert value["language"]["code"] == "it"
    assert any(mention["text"] == "Mosca" for mention in value["entities"])
    assert value["dedup"] is None  # decided only on the single ordered log


async def test_analyse_agent_sends_malformed_records_to_dlq(app: Any, sent: list[Any]) -> None:
    async with app.agents["analyse"].test_context() as agent:
        await agent.put(b'{"id": "bad", "text": ', key=None)
    [(topic, key, value)] = sent
    assert (topic, key) == ("news.dlq", b"bad")
    assert value["reason"] == "malformed" and value["stage"] == "ingest"


async def test_analyse_agent_keeps_going_after_a_bad_record_in_the_same_batch(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    async with app.agents["analyse"].test_context() as agent:
        await agent.put(b"", key=b"empty")
        await agent.put(seed_bytes, key=b"seed-2")
    assert (sent[0][0], sent[0][1]) == ("news.dlq", b"empty")
    assert [value["id"] for topic, _, value in sent if topic == "news.analysed"] == ["seed-2"]


async def test_dedup_agent_publishes_originals_and_routes_copies_to_duplicates(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    async with app.agents["analyse"].test_context() as analyse:
        await analyse.put(seed_bytes, key=b"first")
        await analyse.put(orjson.dumps({"id": "copy", "text": seed_bytes.decode()}), key=b"copy")
    analysed = [value for topic, _, value in sent if topic == "news.analysed"]
    sent.clear()
    async with app.agents["dedup"].test_context() as dedup:
        for value in analysed:
            await dedup.put(value, key=value["fingerprint"]["content_hash"].encode())
    by_topic: dict[str, list[Any]] = {}
    for topic, _, value in sent:
        by_topic.setdefault(topic, []).append(value)
    [original] = by_topic["news.enriched"]
    assert original["id"] == "first" and original["outcome"] == "enriched"
    assert "fingerprint" not in original and "origin" not in original
    assert original["language"]["code"] == "it"
    assert any(mention["text"] == "Mosca" for mention in original["entities"])
    [duplicate] = by_topic["news.duplicates"]
    assert duplicate["id"] == "copy" and duplicate["dedup"]["duplicate_of"] == "first"
    # Same fields as `newsflow process` gives a duplicate, where enrichment never runs.
    assert duplicate["language"] is None and duplicate["entities"] == [] and duplicate["entity_groups"] == []
    assert by_topic["news.clusters"][-1]["copies"] == 1


def test_batches_need_a_timeout(app: Any) -> None:
    from newsflow.eos import gated

    async def handle(event: Any) -> None:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="within"):
        gated(app, handle, batch_size=10, within=0)


async def test_memory_band_index_is_rebuilt_from_the_table_on_recovery(
    tmp_path: Any, sent: list[Any], seed_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.from_env(
        {
            "NEWSFLOW_STORE": "memory://",
            "NEWSFLOW_DATA_DIR": str(tmp_path),
            "NEWSFLOW_PROCESSING_GUARANTEE": "at_least_once",
            "NEWSFLOW_DEDUP_BAND_INDEX": "memory",
        }
    )
    app = create_app(settings, registry=CollectorRegistry())
    app.finalize()
    app.flow_control.resume()
    # A near copy: a few copy edits and a footer, so only the LSH bands can find it.
    seed = seed_bytes.decode()
    edited = seed.replace("ha dichiarato", "ha detto").replace("Vladimir Putin", "Putin") + "\nCondividi\n"
    assert edited != seed
    async with app.agents["analyse"].test_context() as analyse:
        await analyse.put(seed_bytes, key=b"seed")
        await analyse.put(orjson.dumps({"id": "copy", "text": edited}), key=b"copy")
    analysed = {value["id"]: value for topic, _, value in sent if topic == "news.analysed"}
    assert analysed["seed"]["fingerprint"]["content_hash"] != analysed["copy"]["fingerprint"]["content_hash"]
    sent.clear()
    table = app.tables["dedup-state"]
    async with app.agents["dedup"].test_context() as dedup:
        await dedup.put(analysed["seed"], key=b"seed")
    keys = [str(key) for key in table]
    assert any(key.startswith("p0/m:") for key in keys)
    assert not any(key.startswith("p0/b:") for key in keys)  # the bands are derived state, not in the table
    # As after a rebalance: a new generation (test_context numbers offsets from 0 again). The agent
    # drops the index and rebuilds it from the table's signatures before its next event.
    app.consumer_generation_id += 1
    caplog.set_level(logging.INFO, logger="newsflow.topology")
    async with app.agents["dedup"].test_context() as dedup:
        await dedup.put(analysed["copy"], key=b"copy")
    assert "dedup partition 0: band index rebuilt from 1 stored signatures" in caplog.text
    [duplicate] = [value for topic, _, value in sent if topic == "news.duplicates"]
    assert duplicate["dedup"]["status"] == "near_duplicate" and duplicate["dedup"]["duplicate_of"] == "seed"


async def test_dedup_agent_sends_a_record_that_is_no_article_to_dlq(app: Any, sent: list[Any]) -> None:
    async with app.agents["dedup"].test_context() as dedup:
        await dedup.put({"id": "odd", "note": "written by something else"}, key=b"odd")
    [(topic, key, value)] = sent
    assert (topic, key) == ("news.dlq", b"odd")
    assert value["stage"] == "dedup" and value["reason"] == "malformed" and "KeyError" in value["error"]


async def test_an_event_faust_hands_on_again_in_the_same_generation_is_published_once(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    async with app.agents["analyse"].test_context() as agent:
        await agent.put(seed_bytes, key=b"seed-1")
        agent.sent_offset = 0  # as after faust's seek back to the committed offset: offset 0 again
        await agent.put(seed_bytes, key=b"seed-1")
        await agent.put(orjson.dumps({"id": "next", "text": "Una notizia diversa, scritta per questo test."}))
    assert [value["id"] for topic, _, value in sent if topic == "news.analysed"] == ["seed-1", "next"]


async def test_an_event_handed_on_again_leaves_no_record_waiting_once_skipped(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    # Regression: the redelivered copy of an event, skipped by the agent and acked, stayed in faust's
    # unacked set while the agent held its last batch, so an idle worker counted a record waiting for
    # ever and StallWatch exited it (exit 70) though everything was handled.
    import asyncio

    from faust.types import TP, Message
    from faust.types.tuples import ConsumerMessage

    from newsflow.topology import _records_waiting

    consumer, raw = app.consumer, TP("news.raw", 0)
    app.topics._acking_topics.add(raw.topic)  # what subscribing the agent's topic does in a worker
    delivered: list[Message] = []

    async def until(condition: Any) -> None:
        for _ in range(500):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("timed out")

    async with app.agents["analyse"].test_context() as agent:
        made = agent.to_message

        def fetched(*args: Any, **kwargs: Any) -> Message:  # as the consumer makes it: tracked, acks reach it
            m = made(*args, **kwargs)
            fields = (m.topic, m.partition, m.offset, m.timestamp, 0, m.headers, m.key, m.value, b"")
            message = ConsumerMessage(*fields, generation_id=m.generation_id)
            delivered.append(message)
            return message

        agent.to_message = fetched
        await agent.put(seed_bytes, key=b"seed-1")
        await until(lambda: delivered[0].acked)
        agent.sent_offset = 0  # faust's seek back to the committed offset: offset 0 again
        await agent.put(seed_bytes, key=b"seed-1")
        await until(lambda: delivered[1].acked)
        delivered.clear()
        assert [value["id"] for topic, _, value in sent if topic == "news.analysed"] == ["seed-1"]
        assert consumer._acked[raw] == [0]  # counted once for the commit
        assert len(consumer._unacked_messages) == 0
        assert await _records_waiting(consumer, {raw}, {raw: 1}) == 0


def test_a_worker_restoring_a_table_is_not_called_stalled(app: Any) -> None:
    from faust.types import TP

    from newsflow.topology import StallWatch, _changelog_records_restored

    watch = StallWatch(timeout=0.05)
    lag = 5_000  # its source partitions wait while the dedup table is restored
    watch.observe(app.monitor.events_total + _changelog_records_restored(app), lag)
    recovery = app.tables.recovery
    changelog = TP("newsflow-dedup-state-changelog", 0)
    for restored in (10_000, 20_000, 30_000):
        time.sleep(0.06)
        recovery.active_offsets[changelog] = restored
        watch.observe(app.monitor.events_total + _changelog_records_restored(app), lag)
        assert not watch.stalled
    time.sleep(0.06)  # the restore stops moving and no event is handled: that is a stall
    watch.observe(app.monitor.events_total + _changelog_records_restored(app), lag)
    assert watch.stalled


def test_a_stall_report_says_what_recovery_and_tasks_were_doing(app: Any) -> None:
    import asyncio

    from newsflow.topology import _stall_report

    async def report() -> str:
        return await _stall_report(app)

    text = asyncio.run(report())
    assert "consumer: ConsumerNotStarted" in text  # no worker here: reported, not raised
    assert "recovery: in_recovery=False" in text
    assert ".<locals>.report at test_topology.py:" in text  # the task that asked, with where it waits


def test_commit_markers_after_the_last_record_are_not_records_waiting() -> None:
    import asyncio

    from faust.types import TP

    from newsflow.topology import _records_waiting

    class Consumer:
        """Fetch positions and tracked-but-unacked events, as faust's consumer keeps them."""

        def __init__(
            self,
            positions: dict[TP, int],
            unacked: int,
            skipped: dict[TP, int] | None = None,
            committed: dict[TP, int] | None = None,
        ) -> None:
            self.positions = positions
            self._unacked_messages = set(range(unacked))
            self._skipped = skipped or {}
            self._committed_offset = committed or {}

        async def position(self, tp: TP) -> int:
            if tp not in self.positions:
                raise RuntimeError(f"Partition {tp} is not assigned")  # aiokafka's IllegalStateError, revoked meanwhile
            return self.positions[tp]

    analysed, raw = TP("news.analysed", 0), TP("news.raw", 0)
    # Committed 140, three commit markers up to 143: everything fetched, nothing unhandled.
    idle = Consumer({analysed: 143, raw: 25}, unacked=0)
    assert asyncio.run(_records_waiting(idle, {analysed, raw}, {analysed: 143, raw: 25})) == 0
    # A fetcher that stopped (faust-streaming#175) leaves records unfetched; a hung agent leaves one unacked.
    stuck = Consumer({analysed: 120, raw: 25}, unacked=1)
    assert asyncio.run(_records_waiting(stuck, {analysed, raw}, {analysed: 143, raw: 25})) == 24
    # A partition revoked while the timer runs is skipped: an exception in a faust timer crashes the worker.
    assert asyncio.run(_records_waiting(stuck, {analysed, raw, TP("news.raw", 1)}, {analysed: 143, raw: 25})) == 24
    # An event skipped during a rebalance and fetched past, with no seek back to read it again: the
    # partition looks fully read, but offsets 21-24 wait behind the hole at 21 until a restart.
    hole = Consumer({analysed: 143, raw: 25}, unacked=0, skipped={raw: 21})
    assert asyncio.run(_records_waiting(hole, {analysed, raw}, {analysed: 143, raw: 25})) == 4
    # Once the seek back has happened the position is at or before the hole: the fetch counts it.
    reread = Consumer({analysed: 143, raw: 18}, unacked=0, skipped={raw: 21})
    assert asyncio.run(_records_waiting(reread, {analysed, raw}, {analysed: 143, raw: 25})) == 7
    # A skip from before the partition went to another worker and came back, committed past since: no hole.
    returned = Consumer({analysed: 143, raw: 25}, unacked=0, skipped={raw: 21}, committed={raw: 25})
    assert asyncio.run(_records_waiting(returned, {analysed, raw}, {analysed: 143, raw: 25})) == 0


def test_handled_but_never_committed_events_count_as_waiting() -> None:
    from aiokafka.structs import OffsetAndMetadata
    from faust.types import TP

    from newsflow.topology import _handled_not_committed

    class Consumer:
        """The highest offset an agent handled per partition, as GatedConsumer records it."""

        def __init__(self, handled: dict[TP, tuple[int | None, int]]) -> None:
            self._handled = handled

    analysed, raw = TP("news.analysed", 0), TP("news.raw", 0)
    committed = {analysed: OffsetAndMetadata(124, ""), raw: OffsetAndMetadata(526, "")}
    # Idle and healthy: everything handled is committed (the committed offset is the next to read).
    healthy = Consumer({analysed: (3, 123), raw: (3, 525)})
    assert _handled_not_committed(healthy, {analysed, raw}, committed) == 0
    # The CI stall: the dedup partition handled to 2,223 while its committed offset stayed at 124.
    stalled = Consumer({analysed: (5, 2223), raw: (5, 525)})
    assert _handled_not_committed(stalled, {analysed, raw}, committed) == 2100
    # Only assigned partitions count, and a partition never committed counts from 0.
    fresh = TP("news.raw", 1)
    assert _handled_not_committed(Consumer({fresh: (1, 9)}), {fresh}, committed) == 10
    assert _handled_not_committed(stalled, {raw}, committed) == 0
    # A consumer without the record (faust's own) adds nothing.
    assert _handled_not_committed(object(), {analysed}, committed) == 0
