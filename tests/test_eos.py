"""The worker's exactly-once setup: the guarantee takes effect, and state after a crash is discarded."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import OffsetResetStrategy
from aiokafka.consumer.subscription_state import SubscriptionState
from faust.types import TP, Message
from faust.types.tuples import ConsumerMessage
from prometheus_client import CollectorRegistry

from newsflow.config import Settings
from newsflow.eos import ShortPollConsumerThread, discard_state_after_crash, mark_clean_shutdown, uses_transactions
from newsflow.topology import create_app


def make_app(tmp_path: Path, guarantee: str) -> faust.App:
    settings = Settings.from_env(
        {"NEWSFLOW_DATA_DIR": str(tmp_path), "NEWSFLOW_PROCESSING_GUARANTEE": guarantee, "NEWSFLOW_STORE": "memory://"}
    )
    return create_app(settings, registry=CollectorRegistry())


@pytest.mark.parametrize(("guarantee", "expected"), [("exactly_once", True), ("at_least_once", False)])
def test_the_configured_guarantee_reaches_the_worker_even_after_startup_checks(
    tmp_path: Path, guarantee: str, expected: bool
) -> None:
    # Regression: the crash check once read app.in_transaction before the Worker existed; faust cached
    # False and every "exactly_once" worker ran at-least-once (repeated outputs after each kill -9).
    app = make_app(tmp_path, guarantee)
    assert uses_transactions(app) is expected
    discard_state_after_crash(app)
    faust.Worker(app, loglevel="warning")
    app.in_worker = True  # what faust.Worker.on_start does before it starts the app
    assert app.in_transaction is expected


def test_table_state_is_discarded_after_an_unclean_stop_and_kept_after_a_clean_one(tmp_path: Path) -> None:
    app = make_app(tmp_path, "exactly_once")
    tabledir = Path(app.conf.tabledir)
    tabledir.mkdir(parents=True)
    (tabledir / "state").write_bytes(b"x")

    mark_clean_shutdown(app)
    assert discard_state_after_crash(app) is False
    assert (tabledir / "state").exists()

    # The marker is used up: the next start without a clean stop in between discards.
    assert discard_state_after_crash(app) is True
    assert not tabledir.exists()


def test_at_least_once_keeps_table_state_after_an_unclean_stop(tmp_path: Path) -> None:
    app = make_app(tmp_path, "at_least_once")
    tabledir = Path(app.conf.tabledir)
    tabledir.mkdir(parents=True)
    assert discard_state_after_crash(app) is False
    assert tabledir.exists()


async def test_a_transaction_marker_gap_does_not_hold_back_the_commit(tmp_path: Path) -> None:
    app = make_app(tmp_path, "exactly_once")
    consumer = app.consumer
    tp = TP("news.analysed", 0)
    consumer._committed_offset[tp] = 290
    # Offsets 296-299 are commit markers: the fetch loop reports the gap when message 300 arrives.
    await consumer._add_gap(tp, 296, 300)
    for offset in [*range(290, 296), *range(300, 320)]:
        consumer._acked[tp].append(offset)
        consumer._acked_index[tp].add(offset)
    # Every event through 319 was handled, and their outputs sit in the transaction this commit ends.
    assert consumer._new_offset(tp) == 320


async def test_each_source_partition_commits_its_own_offsets_and_tells_faust(tmp_path: Path) -> None:
    app = make_app(tmp_path, "exactly_once")
    app.in_worker = True
    transactions = app.consumer.transactions
    calls: list[dict[str, dict[TP, int]]] = []

    class Producer:
        async def commit_transactions(
            self, offsets: dict[str, dict[TP, int]], group_id: str, start_new_transaction: bool = True
        ) -> None:
            calls.append(offsets)

    transactions.producer = Producer()
    app.assignor._topic_groups = {"news.raw": 1, "news.analysed": 0}  # what an assignment sets
    offsets = {TP("news.raw", 0): 10, TP("news.raw", 1): 20, TP("news.analysed", 0): 30}
    assert await transactions.commit(offsets)
    by_id = {tid: tp_offsets for call in calls for tid, tp_offsets in call.items()}
    # faust's livelock check learns of the commit (it watches consumer commits only).
    assert set(app.consumer._thread.tp_last_committed_at) == set(offsets)
    assert by_id == {
        f"{app.conf.id}-1-0": {TP("news.raw", 0): 10},
        f"{app.conf.id}-1-1": {TP("news.raw", 1): 20},
        f"{app.conf.id}-0-0": {TP("news.analysed", 0): 30},
    }


def test_a_commit_never_passes_an_event_the_stream_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path, "exactly_once")
    consumer = app.consumer
    tp = TP("news.analysed", 0)
    exits: list[int] = []
    monkeypatch.setattr("newsflow.eos.os._exit", exits.append)
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)  # an agent reads it

    class Skipped:
        tracked = False
        acked = False
        topic = tp.topic
        offset = 0
        generation_id = 1

    Skipped.tp = tp  # type: ignore[attr-defined]
    assert consumer.ack(Skipped()) is False  # the stream loop skipped offset 0: no agent saw it
    for offset in (1, 2, 3):  # later events handled, with no seek back in between
        consumer._acked[tp].append(offset)
        consumer._acked_index[tp].add(offset)
    consumer._new_offset(tp)
    # Before the partition's first commit faust would have committed 4 and lost offset 0.
    assert exits == [70]


async def consumer_that_handed_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tp: TP, count: int
) -> tuple[Any, list[ConsumerMessage], list[int], list[int]]:
    """An exactly-once consumer whose fetch loop handed offsets 0..count-1 of ``tp`` to the streams.

    Returns the consumer, the messages (tracked, as the stream loop marks what it takes), the offsets
    that reached the streams, and the exit codes the consumer asked for (os._exit is recorded).
    """
    app = make_app(tmp_path, "exactly_once")
    consumer = app.consumer
    exits: list[int] = []
    monkeypatch.setattr("newsflow.eos.os._exit", exits.append)
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)  # an agent reads it
    handed_to_streams: list[int] = []

    async def to_streams(message: Message) -> None:
        handed_to_streams.append(message.offset)

    consumer._deliver_to_streams = to_streams
    messages = [
        ConsumerMessage(tp.topic, tp.partition, offset, 0.0, 0, None, b"k", b"v", None, generation_id=1)
        for offset in range(count)
    ]
    for message in messages:
        await consumer.callback(message)
        message.tracked = True
    return consumer, messages, handed_to_streams, exits


async def test_a_commit_never_passes_an_event_that_reached_a_stream_and_vanished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # faust accepts a one-offset hole right after the committed offset (a transaction marker). An event
    # that reached a stream's buffer, was cleared from it and never handled looks the same (fix 20).
    tp = TP("news.raw", 2)
    consumer, messages, handed_to_streams, exits = await consumer_that_handed_on(tmp_path, monkeypatch, tp, 5)
    assert handed_to_streams == [0, 1, 2, 3, 4]
    consumer._committed_offset[tp] = 1
    consumer.ack(messages[0])
    # Offset 1 vanished from the buffer; 2-4 were handled. faust alone would commit 5.
    for message in messages[2:]:
        consumer.ack(message)
    with caplog.at_level(logging.CRITICAL, logger="newsflow.eos"):
        consumer._new_offset(tp)
    assert exits == [70]
    assert "offset 1 reached a stream but was never handled" in caplog.text
    # The exit logs the steps that led to it: here the deliveries and the acks, without offset 1's ack.
    assert "deliver news.raw/2@1 g1" in caplog.text and "ack news.raw/2@1" not in caplog.text


async def test_events_handled_in_order_commit_with_nothing_vanished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tp = TP("news.raw", 2)
    consumer, messages, _, exits = await consumer_that_handed_on(tmp_path, monkeypatch, tp, 5)
    for message in messages[:3]:
        consumer.ack(message)
    assert consumer._new_offset(tp) == 3  # 3 and 4 are still in the buffer, after the committed range
    assert exits == []
    assert "commit news.raw/2: None -> 3" in consumer.flight_recorder.text()


def test_an_event_handed_on_again_after_a_seek_back_is_recognised(tmp_path: Path) -> None:
    app = make_app(tmp_path, "exactly_once")
    consumer = app.consumer
    tp = TP("news.raw", 0)

    def message(offset: int, generation: int) -> Message:
        return Message(tp.topic, tp.partition, offset, 0.0, 0, None, b"k", b"v", None, generation_id=generation)

    consumer._committed_offset[tp] = 4
    assert consumer.is_redelivery(message(3, 1))  # below the committed offset: its outputs are committed
    assert not consumer.is_redelivery(message(4, 1))
    for offset in (4, 5, 6):
        consumer.record_handled(message(offset, 1))
    # faust's seek back to the committed offset hands 4-6 on again in the same generation.
    assert [consumer.is_redelivery(message(offset, 1)) for offset in (4, 5, 6, 7)] == [True, True, True, False]
    # A new generation reads from the committed offset again, and that is no redelivery.
    assert not consumer.is_redelivery(message(4, 2))


def test_an_event_acked_again_after_a_seek_back_is_not_left_unacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # faust's ack() drops a message from the unacked set only on the first ack of its offset. The copy
    # of an event handed on again after a seek back (offset acked and not yet committed, or committed
    # since) is marked acked but stayed in the set: an idle worker showed it as a record waiting, and
    # StallWatch exited it (exit 70) after NEWSFLOW_STALL_TIMEOUT_SECONDS.
    app = make_app(tmp_path, "exactly_once")
    consumer = app.consumer
    tp = TP("news.raw", 0)
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)  # an agent reads it
    taken: list[ConsumerMessage] = []  # an agent holds its last batch while it waits for the next one

    def take(offset: int) -> ConsumerMessage:
        message = ConsumerMessage(tp.topic, tp.partition, offset, 0.0, 0, None, b"k", b"v", None, generation_id=1)
        message.tracked = True  # what faust's stream loop does for an event it hands on
        consumer._unacked_messages.add(message)
        taken.append(message)
        return message

    assert consumer.ack(take(5)) is True
    assert len(consumer._unacked_messages) == 0
    # The seek back to the committed offset 5 hands offset 5 on again; the agent skips it and acks it.
    assert consumer.ack(take(5)) is False  # its offset is already counted once for the commit
    assert consumer._acked[tp] == [5] and consumer._acked_index[tp] == {5}
    assert len(consumer._unacked_messages) == 0
    # The same once offset 5 has been committed (a copy fetched before the commit, acked after it).
    assert consumer._new_offset(tp) == 6
    consumer._committed_offset[tp] = 6
    assert consumer.ack(take(5)) is False
    assert consumer._acked[tp] == [] and len(consumer._unacked_messages) == 0
    # An event taken and not acked yet stays unacked: revocation and StallWatch still wait for it.
    pending = take(6)
    assert set(consumer._unacked_messages) == {pending}


def recovered_consumer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, set[TP]]:
    """An exactly-once app at the end of a recovery: nothing active, and the assignment the test fills in."""
    app = make_app(tmp_path, "exactly_once")
    assigned: set[TP] = set()
    monkeypatch.setattr(app.consumer, "assignment", lambda: set(assigned))
    app.consumer._active_partitions = set()
    return app, app.consumer, assigned


async def test_stream_partitions_resume_only_after_the_seek_to_the_committed_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression (CI fault run, 2026-11-29): faust resumed the stream partitions before its seek, records
    # fetched in between reached the dedup agent with no read offset set, and the partition never committed
    # again. A stream partition must stay paused until the committed and read offsets are set.
    app, consumer, assigned = recovered_consumer(tmp_path, monkeypatch)
    analysed = TP("news.analysed", 0)
    changelog = TP(next(iter(app.tables.changelog_topics)), 0)
    assigned |= {analysed, changelog}
    consumer._paused_partitions = {analysed, changelog}
    active_during_seek: list[set[TP]] = []

    async def seek_to_committed() -> dict[TP, int]:
        active_during_seek.append(set(consumer._active_partitions))
        return {analysed: 124}

    monkeypatch.setattr(consumer, "seek_to_committed", seek_to_committed)
    consumer.resume_partitions({analysed, changelog})
    assert consumer._active_partitions == {changelog}  # changelogs are read during the recovery itself
    await consumer.perform_seek()
    assert active_during_seek == [{changelog}]
    assert consumer._read_offset[analysed] == 124 and consumer._committed_offset[analysed] == 124
    # faust resumes the flow control next, which clears the stream buffers, then the flow: only then.
    assert consumer._active_partitions == {changelog}
    consumer.resume_flow()
    assert consumer._active_partitions == {analysed, changelog}


async def test_a_seek_begun_before_the_resume_request_resumes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression (join test, 2026-11-30, found with the flight recorder): faust's fetch loop began a seek
    # when it found the flow stopped; the recovery asked to resume the stream partitions and began its
    # own seek; the first seek ended and resumed them. Records from the old fetch position were handed
    # on before the recovery's seek moved it, and one of them went into a buffer that the flow control's
    # resume then cleared: never handled, and faust's commit passed it.
    app, consumer, assigned = recovered_consumer(tmp_path, monkeypatch)
    raw = TP("news.raw", 2)
    assigned.add(raw)
    in_first_seek = asyncio.Event()
    finish_first_seek = asyncio.Event()

    async def seek_to_committed() -> dict[TP, int | None]:
        if not in_first_seek.is_set():
            in_first_seek.set()
            await finish_first_seek.wait()
        return {raw: None}

    monkeypatch.setattr(consumer, "seek_to_committed", seek_to_committed)
    fetch_loop_seek = asyncio.ensure_future(consumer.perform_seek())
    await in_first_seek.wait()
    consumer.resume_flow()  # the recovery, with nothing to restore, resumes the flow first
    consumer.resume_partitions({raw})
    finish_first_seek.set()
    await fetch_loop_seek
    assert consumer._active_partitions == set()
    await consumer.perform_seek()  # the recovery's own seek
    assert consumer._active_partitions == set()
    consumer.resume_flow()
    assert consumer._active_partitions == {raw}


async def test_a_seek_finishing_after_the_next_rebalance_resumes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, consumer, assigned = recovered_consumer(tmp_path, monkeypatch)
    analysed = TP("news.analysed", 0)
    assigned.add(analysed)

    async def seek_to_committed() -> dict[TP, int]:
        app.consumer_generation_id += 1  # a rebalance began while the seek waited for the broker
        return {analysed: 124}

    monkeypatch.setattr(consumer, "seek_to_committed", seek_to_committed)
    consumer.resume_partitions({analysed})
    await consumer.perform_seek()
    consumer.resume_flow()
    assert consumer._active_partitions == set()


async def test_a_failed_seek_leaves_its_partitions_paused_for_the_next_seek(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, consumer, assigned = recovered_consumer(tmp_path, monkeypatch)
    analysed = TP("news.analysed", 0)
    assigned.add(analysed)
    answers: list[dict[TP, int] | BaseException] = [TimeoutError("broker away"), {analysed: 124}]

    async def seek_to_committed() -> dict[TP, int]:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(consumer, "seek_to_committed", seek_to_committed)
    consumer.resume_partitions({analysed})
    with pytest.raises(TimeoutError):
        await consumer.perform_seek()
    consumer.resume_flow()
    assert consumer._active_partitions == set()  # no offsets were set, so nothing may be read yet
    await consumer.perform_seek()
    consumer.resume_flow()
    assert consumer._active_partitions == {analysed}
    assert consumer._read_offset[analysed] == 124


async def test_exactly_once_recovery_gets_the_brokers_last_stable_offset(tmp_path: Path) -> None:
    app = make_app(tmp_path, "exactly_once")
    app.in_worker = True  # as in a started worker, where the consumer is made
    consumer = app.consumer
    assert consumer.in_transaction
    changelog = TP("newsflow-dedup-state-changelog", 0)

    class JustAssigned:
        """An aiokafka consumer that has not fetched the partition yet: no cached last stable offset."""

        def last_stable_offset(self, tp: TP) -> int | None:
            return None

        async def end_offsets(self, partitions: list[TP]) -> dict[TP, int]:
            return dict.fromkeys(partitions, 2835)  # read_committed: the broker's last stable offset

    class Thread:
        def _ensure_consumer(self) -> JustAssigned:
            return JustAssigned()

        async def call_thread(self, method: Any, *args: Any) -> Any:
            return await method(*args)

        async def highwaters(self, *partitions: TP) -> dict[TP, int | None]:
            # faust's consumer thread under exactly-once: the cached value
            return {tp: self._ensure_consumer().last_stable_offset(tp) for tp in partitions}

    consumer._thread = Thread()
    # faust's own answer here is {changelog: None}: its recovery then reads "unknown" (-1) and skips
    # restoring the table, or raises ConsistencyError.
    assert await consumer.highwaters(changelog) == {changelog: 2835}


async def test_a_partition_that_comes_back_gets_a_fresh_producer(tmp_path: Path) -> None:
    app = make_app(tmp_path, "exactly_once")
    app.in_worker = True
    transactions = app.consumer.transactions
    app.assignor._topic_groups = {"news.raw": 1}
    started: list[str] = []
    stopped: list[str] = []

    class TransactionState:
        def is_in_transaction(self) -> bool:
            return True

    class TransactionalProducer:
        def __init__(self, transactional_id: str) -> None:
            self.transactional_id = transactional_id
            self._txn_manager = TransactionState()

    class Producer:
        def __init__(self) -> None:
            self._transaction_producers: dict[str, TransactionalProducer] = {}

        async def maybe_begin_transaction(self, transactional_id: str) -> None:
            # faust's: a new producer (init_transactions, which fences older ones) only if none is open.
            if transactional_id not in self._transaction_producers:
                started.append(transactional_id)
                self._transaction_producers[transactional_id] = TransactionalProducer(transactional_id)

        async def stop_transaction(self, transactional_id: str) -> None:
            if self._transaction_producers.pop(transactional_id, None) is not None:
                stopped.append(transactional_id)

    producer = Producer()
    transactions.producer = producer
    raw0, raw1 = TP("news.raw", 0), TP("news.raw", 1)
    tid0, tid1 = f"{app.conf.id}-1-0", f"{app.conf.id}-1-1"

    async def rebalance(generation: int, assigned: set[TP], previous: set[TP], standby: set[TP]) -> None:
        app.consumer_generation_id = generation
        app.assignor._standby_tps = standby
        await transactions.on_rebalance(assigned, previous - assigned, assigned - previous)

    await rebalance(1, {raw0, raw1}, set(), set())
    first = producer._transaction_producers[tid0]
    assert started == [tid0, tid1]
    # raw-0 moves to another worker, and faust's assignor lists it as this worker's standby: faust's
    # own on_rebalance kept its producer open, and the new owner's init fenced it.
    await rebalance(2, {raw1}, {raw0, raw1}, {raw0})
    assert stopped == [tid0]
    await rebalance(3, {raw0, raw1}, {raw1}, set())
    assert producer._transaction_producers[tid0] is not first, "the fenced producer was used again"
    assert started == [tid0, tid1, tid0]
    # raw-1 was held without a break: its open transaction (outputs of handled events) is kept.
    assert tid1 not in stopped
    # A generation this worker was not part of: another worker may have owned everything meanwhile.
    await rebalance(5, {raw0, raw1}, {raw0, raw1}, set())
    assert sorted(stopped) == sorted([tid0, tid0, tid1])
    assert sorted(started) == sorted([tid0, tid1, tid0, tid0, tid1])


async def test_a_transaction_commits_only_after_the_broker_has_its_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send that failed, or never settled, must not let its input offset commit (docs/reliability.md, fix 14)."""
    import asyncio
    from types import SimpleNamespace

    from faust.types import EventT

    from newsflow import eos

    app = make_app(tmp_path, "exactly_once")
    app.in_worker = True
    transactions = app.consumer.transactions
    committed: list[dict[str, dict[TP, int]]] = []
    outcomes: list[Any] = []
    exits: list[int] = []

    class Exited(Exception):
        pass

    def exit_(code: int) -> None:
        exits.append(code)
        raise Exited  # os._exit does not return

    class Producer:
        async def send(self, *args: Any, transactional_id: str | None = None, **kwargs: Any) -> asyncio.Future[Any]:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            outcome = outcomes.pop(0)
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            elif outcome is not None:
                future.set_result(SimpleNamespace(offset=outcome))
            return future  # None: the broker never answers

        async def commit_transactions(
            self, offsets: dict[str, dict[TP, int]], group_id: str, start_new_transaction: bool = True
        ) -> None:
            committed.append(offsets)

    transactions.producer = Producer()
    app.assignor._topic_groups = {"news.raw": 1, "news.analysed": 0}
    monkeypatch.setattr(eos.os, "_exit", exit_)
    monkeypatch.setattr(eos, "DELIVERY_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(app.consumer, "key_partition", lambda topic, key, partition=None: 0)
    raw = TP("news.raw", 0)
    event = SimpleNamespace(message=SimpleNamespace(tp=raw))
    token = eos._current_event.set(lambda: cast(EventT[Any], event))
    try:
        outcomes.extend([5, 6])  # both outputs acknowledged at real offsets
        for _ in range(2):
            await transactions.send("news.analysed", b"k", b"v", None, None, None)
        assert await transactions.commit({raw: 10})
        assert len(committed) == 1 and not exits
        for bad in (RuntimeError("produce failed"), None, -1):  # an error, no answer, no offset
            outcomes.extend([7, bad])
            for _ in range(2):
                await transactions.send("news.analysed", b"k", b"v", None, None, None)
            with pytest.raises(Exited):
                await transactions.commit({raw: 12})
        assert exits == [70, 70, 70]
        assert len(committed) == 1  # none of the three transactions committed
    finally:
        eos._current_event.reset(token)


async def test_a_partition_never_committed_is_read_again_from_its_beginning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # faust drops what it fetched while the flow was stopped and seeks back to the committed offsets.
    # aiokafka seeks only partitions committed above 0: a never-committed partition kept its position
    # past the dropped records, and the 2-worker throughput run lost ~200 records of each of two.
    app = make_app(tmp_path, "exactly_once")
    consumer = app.consumer
    raw0, raw1, analysed = (TP("news.raw", 0), TP("news.raw", 1), TP("news.analysed", 0))
    changelog = TP(next(iter(app.tables.changelog_topics)), 0)
    committed = {raw0: None, raw1: 57, analysed: 0, changelog: None}
    sought: list[TP] = []

    class Thread:
        async def seek_to_committed(self) -> dict[TP, int | None]:
            return committed

        async def seek_to_beginning(self, *partitions: TP) -> None:
            sought.extend(partitions)

    monkeypatch.setattr(consumer, "_thread", Thread())
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: topic.startswith("news."))  # agents read these
    assert await consumer.seek_to_committed() == committed
    # raw1 was sought to 57 by aiokafka; a table's changelog is positioned by faust's recovery, not here.
    assert sorted(sought) == [analysed, raw0]


async def test_the_livelock_check_passes_over_a_partition_whose_position_is_being_reset(tmp_path: Path) -> None:
    # The partition above, sent to its beginning: until the broker answers, aiokafka has its high
    # watermark (from the fetch before) and no position. faust's livelock check read that position and
    # aiokafka's assertion crashed both workers of a CI rebalance test.
    app = make_app(tmp_path, "exactly_once")
    app.in_worker = True  # as in a started worker, where the consumer and its thread are made
    consumer = app.consumer
    raw0, raw1 = TP("news.raw", 0), TP("news.raw", 1)
    subscriptions = SubscriptionState()
    subscriptions.assign_from_user({TopicPartition(tp.topic, tp.partition) for tp in (raw0, raw1)})
    assignment = subscriptions.subscription.assignment
    resetting, sought = (assignment.state_value(TopicPartition(tp.topic, tp.partition)) for tp in (raw0, raw1))
    now = time.monotonic()
    for state in (resetting, sought):
        state.highwater, state.timestamp = 40, now * 1000  # fetched a moment ago
    resetting.await_reset(OffsetResetStrategy.EARLIEST)
    sought.seek(12)
    consumer._thread._consumer = SimpleNamespace(_fetcher=SimpleNamespace(_subscriptions=subscriptions))
    consumer._thread.time_started = now - 60

    with pytest.raises(AssertionError):  # what faust's check alone does with it
        consumer._thread.verify_event_path(now, raw0)
    consumer.verify_event_path(now, raw0)
    # A partition with a position is still checked: faust finds no fetch yet and says so.
    checked: list[TP] = []
    consumer._thread._verify_aiokafka_event_path = lambda at, tp: checked.append(tp) or True
    consumer.verify_event_path(now, raw1)
    consumer.verify_event_path(now, raw0)
    assert checked == [raw1]


async def test_the_worker_consumer_fetches_with_the_configured_wait(tmp_path: Path) -> None:
    # faust's driver passes aiokafka a fixed fetch_max_wait_ms=1500; a long-poll on drained partitions
    # then blocked the next fetch of news.analysed for ~1.1 s at a time (docs/benchmarks/throughput.md).
    settings = Settings.from_env(
        {"NEWSFLOW_DATA_DIR": str(tmp_path), "NEWSFLOW_STORE": "memory://", "NEWSFLOW_FETCH_MAX_WAIT_SECONDS": "0.05"}
    )
    app = create_app(settings, registry=CollectorRegistry())
    thread = cast(Any, app.consumer)._thread
    assert isinstance(thread, ShortPollConsumerThread)
    consumer = thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == 50
    finally:
        await consumer.stop()

    default = create_app(
        Settings.from_env({"NEWSFLOW_DATA_DIR": str(tmp_path), "NEWSFLOW_STORE": "memory://"}),
        registry=CollectorRegistry(),
    )
    consumer = cast(Any, default.consumer)._thread._create_worker_consumer(default.transport)
    try:
        assert consumer._fetch_max_wait_ms == 100
    finally:
        await consumer.stop()
