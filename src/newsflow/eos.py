"""Exactly-once that holds when an agent writes to topics with other partition counts.

Faust picks the transactional producer for a send from the *destination*
partition (``{app}-{group of dest topic}-{dest partition}``) but commits a
source partition's offsets only with the producer of the *source* partition.
When the destination topic is not co-partitioned with the source (clean on N
raw partitions writes to the 1-partition dedup log), the write lands in a
transaction that is committed only when some other partition happens to
commit, or never: read_committed consumers then stall (seen here with
faust-streaming 0.15.3; the pattern behind faust-streaming#517/#177).

Kafka Streams ties every write to the task (source partition) that caused it.
:class:`SourcePartitionTransactionManager` does the same: a send made while an
event is being processed uses that event's source-partition producer, so the
outputs and the consumed offset commit together in one transaction. Sends
made outside an event (timers, table changelogs at recovery) keep Faust's
behaviour.

A second gap: Faust commits on a timer, and the timer can run while an agent
is between two ``await``s of one event, after its first output was sent but
before the event is acked. The transaction then commits that output without
the event's offset; after a crash the event is processed again and the output
appears twice (measured: 154 duplicates in 1,000 records over 3 kill -9's).
Kafka Streams commits between records. :func:`commit_gate` gives agents the
same: an agent handles one event, flushes its table writes and acks it while
holding the gate, and :class:`GatedConsumer` takes the gate to commit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import aiokafka
import faust
from aiokafka import TopicPartition
from faust.streams import Stream, _current_event, current_event
from faust.transport.consumer import TransactionManager
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TP, AppT, EventT, Message, StreamT
from faust.types.enums import ProcessingGuarantee

from newsflow.flight_recorder import STEPS_LOGGED_AT_EXIT, FlightRecorder, partition_names

log = logging.getLogger(__name__)

# What a worker exits with when only a restart from the last commit helps (exactly-once makes that safe).
RESTART_EXIT_CODE = 70
# How long a revocation waits for agents to finish the events they took before it commits.
REVOCATION_WAIT_SECONDS = 10.0
# How long a commit waits for the broker to acknowledge the outputs of the transaction it commits.
DELIVERY_WAIT_SECONDS = 60.0
# Delivery futures kept per producer before the settled ones are dropped (see send).
_DELIVERIES_KEPT = 10_000


def _acknowledged(result: object) -> bool:
    """A delivery's outcome is the broker's acknowledgement: no error, a real offset."""
    return not isinstance(result, BaseException) and getattr(result, "offset", 0) >= 0


def _delivered(future: asyncio.Future[Any]) -> bool:
    return future.done() and not future.cancelled() and _acknowledged(future.exception() or future.result())


class SourcePartitionTransactionManager(TransactionManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The transactional ids this worker owned in generation ``_owned_generation``.
        self._owned: set[str] = set()
        self._owned_generation: int | None = None
        # Per transactional id, the delivery futures of the outputs in its open transaction.
        self._deliveries: dict[str, list[asyncio.Future[Any]]] = {}

    async def on_rebalance(self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP]) -> None:
        # faust stops the producers of revoked partitions, but maps partitions to producers through
        # a filter that drops the ones its assignor lists as this worker's standbys, and a source
        # partition that moves to another worker is listed so. Its producer stayed open; the new
        # owner's init fenced it; and when the partition came back, faust found that producer still
        # "in a transaction" and used it: ProducerFenced on the first send, exit 70 (seen in CI and in
        # the long fault run; the ten-rebalance test's second worker never took partitions over).
        # Only a producer whose partition this worker held without a break is kept: every other one
        # is stopped, so the partitions it now holds get fresh producers whose init fences the rest.
        generation = getattr(self.app, "consumer_generation_id", None)
        active = self._tps_to_transactional_ids(assigned)
        previous = self._owned_generation
        unbroken = generation is not None and previous is not None and generation == previous + 1
        kept = self._owned & active if unbroken else set()
        open_producers: dict[str, Any] = getattr(self.producer, "_transaction_producers", {})
        stale = sorted(set(open_producers) - kept)
        if stale:
            log.info("stopping %d transactional producers not kept through generation %s", len(stale), generation)
            await self._stop_transactions(stale)
            for transactional_id in stale:
                self._deliveries.pop(transactional_id, None)  # their open transactions are aborted
        self._owned, self._owned_generation = active, generation
        await super().on_rebalance(assigned, set(), newly_assigned)

    def _source_transactional_id(self) -> str | None:
        event = current_event()
        if event is None:
            return None
        source = event.message.tp
        return self._transactional_id(source.topic, source.partition)

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> Any:
        destination = self.consumer.key_partition(topic, key, partition)
        chosen = self._source_transactional_id()
        if chosen is None:
            if destination is None:  # faust sends these without a transaction
                return await super().send(topic, key, value, partition, timestamp, headers)
            # Outside an event faust's own choice stands: the destination partition's producer.
            chosen = self._transactional_id(topic, destination)
        delivery = await self.producer.send(topic, key, value, destination, timestamp, headers, transactional_id=chosen)
        pending = self._deliveries.setdefault(chosen, [])
        pending.append(cast("asyncio.Future[Any]", delivery))
        if len(pending) > _DELIVERIES_KEPT:
            # A producer whose transactions commit rarely must not pile up futures already settled well.
            pending[:] = [future for future in pending if not _delivered(future)]
        return delivery

    def _transactional_id(self, topic: str, partition: int) -> str:
        """faust's id for a partition's producer; its commit derives the same one from the offsets."""
        return f"{self.app.conf.id}-{self.app.assignor.group_for_topic(topic)}-{partition}"

    async def _confirm_deliveries(self, offsets: Mapping[TP, int]) -> None:
        """Wait until the broker has every output of the transactions about to commit; else restart.

        aiokafka commits a transaction even when one of its produce requests failed, and faust only
        logs a failed delivery (if it sees it at all), so the consumed offsets would commit without
        that output: an article lost, exactly-once broken without a word. It happened in the
        ten-rebalance test: an input offset committed, its output in no partition, no error logged.
        Kafka Streams fails the task on a send error; here the worker restarts from the last commit,
        the open transactions are aborted, and the inputs are read again.
        """
        transactional_ids = {self._transactional_id(tp.topic, tp.partition) for tp in offsets}
        deliveries = [delivery for tid in transactional_ids for delivery in self._deliveries.pop(tid, [])]
        if not deliveries:
            return
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*deliveries, return_exceptions=True), timeout=DELIVERY_WAIT_SECONDS
            )
        except TimeoutError:
            results = [TimeoutError(f"no acknowledgement in {DELIVERY_WAIT_SECONDS:.0f} s")]
        failed = [result for result in results if not _acknowledged(result)]
        if failed:
            log.critical(
                "%d of %d outputs of the transactions %s were not confirmed by the broker (first: %r): "
                "exiting, to restart from the last commit",
                len(failed),
                len(deliveries),
                sorted(transactional_ids),
                failed[0],
            )
            os._exit(RESTART_EXIT_CODE)

    async def commit(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        # Committed one after another, as faust does: committing the partitions concurrently coincided
        # with workers being fenced after rebalances (3 of 3 rebalance-test runs), so it was reverted.
        await self._confirm_deliveries(offsets)
        committed = bool(await super().commit(offsets, start_new_transaction=start_new_transaction))
        # faust's livelock check only notices consumer commits; without this it logs "has not
        # committed ... since worker start" every few seconds from the fifth minute of an exactly-once worker.
        consumer_thread = getattr(self.consumer, "_thread", None)
        if consumer_thread is not None:
            now = time.monotonic()
            consumer_thread.tp_last_committed_at.update(dict.fromkeys(offsets, now))
        return committed

    async def _start_transactions(self, tids: Iterable[str]) -> None:
        # A partition this worker keeps through a rebalance still has the transaction its revocation
        # commit began; faust would try to begin it again and log a warning for each such partition.
        open_producers: dict[str, Any] = getattr(self.producer, "_transaction_producers", {})
        for transactional_id in tids:
            existing = open_producers.get(transactional_id)
            if existing is None or not existing._txn_manager.is_in_transaction():
                await self.producer.maybe_begin_transaction(transactional_id)


def commit_gate(app: Any) -> asyncio.Lock:
    """The lock that keeps a commit from falling inside the handling of one event."""
    gate: asyncio.Lock | None = getattr(app, "commit_gate", None)
    if gate is None:
        raise TypeError("the commit gate needs newsflow.eos.App")
    return gate


# What faust's aiokafka driver hard-codes for fetch.max.wait.ms.
FAUST_FETCH_MAX_WAIT_SECONDS = 1.5


class ShortPollConsumerThread(AIOKafkaConsumerThread):
    """faust's consumer thread, with the app's ``fetch_max_wait_seconds`` instead of faust's fixed 1.5 s.

    aiokafka keeps one fetch in flight per broker, and leaves out of it every partition whose
    records are still buffered. Once the raw partitions are drained, the fetch sent while
    ``news.analysed`` still had records buffered asks only for the idle raw partitions, and the
    broker holds it for the whole wait: the dedup agent finishes its buffer, then sits ~1.1 s until
    that long-poll returns before it can fetch again (docs/benchmarks/throughput.md).
    """

    def _create_worker_consumer(self, transport: Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        wait = getattr(self.app, "fetch_max_wait_seconds", FAUST_FETCH_MAX_WAIT_SECONDS)
        # No public setting reaches it: faust passes a literal. The consumer hands it to its
        # fetcher in start(), which runs after this.
        consumer._fetch_max_wait_ms = round(wait * 1000)
        return consumer


class GatedConsumer(Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per partition, the lowest offset the stream loop skipped and nothing has handled since.
        self._skipped: dict[TP, int] = {}
        # Per partition, the generation and highest offset an agent handled in it.
        self._handled: dict[TP, tuple[int | None, int]] = {}
        # Stream partitions faust asked to resume, waiting for a seek that begins after the request; then
        # ("sought") for the flow to resume. Both belong to generation _resume_generation.
        self._resume_requested: set[TP] = set()
        self._resume_sought: set[TP] = set()
        self._resume_generation: int | None = None
        # Per partition, offsets handed to a stream's buffer and not acked yet (see _new_offset).
        self._delivered: dict[TP, set[int]] = {}
        self.flight_recorder = FlightRecorder()
        self._deliver_to_streams = self.callback
        self.callback = self._deliver

    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return ShortPollConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _deliver(self, message: Message) -> None:
        tp, offset = message.tp, message.offset
        tracked = self.app.topics.acks_enabled_for(tp.topic)
        # Counted before the hand-over: the agent may ack the event before this coroutine resumes.
        if tracked:
            self._delivered.setdefault(tp, set()).add(offset)
        self.flight_recorder.record_message("deliver", tp, offset, message.generation_id)
        try:
            await self._deliver_to_streams(message)
        except BaseException:
            # Cancelled by faust's fetch loop when the flow stops: the event may not have reached the
            # buffer, and the seek that follows reads it again.
            if tracked:
                self._delivered.get(tp, set()).discard(offset)
            self.flight_recorder.record_message("deliver-cancelled", tp, offset, message.generation_id)
            raise

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
        records = await super()._getmany(active_partitions, timeout)
        if records:
            fetched = " ".join(
                f"{tp.topic}/{tp.partition}:{batch[0].offset}-{batch[-1].offset}"
                for tp, batch in records.items()
                if batch
            )
            self.flight_recorder.record("fetch", f"flow_active={self.flow_active} {fetched}")
        return records

    def stop_flow(self) -> None:
        self.flight_recorder.record("stop_flow")
        super().stop_flow()

    def resume_flow(self) -> None:
        # faust resumes the flow control just before this, and resuming it clears every stream's buffer.
        # A stream partition resumed any earlier could hand an event to a buffer that is then cleared:
        # the event vanishes unhandled and unacked, and faust's commit tolerates a one-offset hole
        # after the committed offset (traced in a join-test run that lost one record: fix 20 in
        # docs/reliability.md).
        super().resume_flow()
        sought, self._resume_sought = self._resume_sought, set()
        self.flight_recorder.record("resume_flow", partition_names(sought))
        if sought and self._resume_generation == self.app.consumer_generation_id:
            super().resume_partitions(sought & self.assignment())

    def pause_partitions(self, tps: Iterable[TP]) -> None:
        tpset = set(tps)
        self.flight_recorder.record("pause", partition_names(tpset))
        super().pause_partitions(tpset)

    async def on_start(self) -> None:
        # faust caches app.in_transaction, and it reads false until the worker has started: one read
        # too early and an exactly_once worker runs at-least-once without a word. (It happened here:
        # a startup check read it, and every fault run repeated outputs after each kill -9.)
        if self.in_transaction != uses_transactions(self.app):
            raise RuntimeError(
                f"processing_guarantee={self.app.conf.processing_guarantee} did not take effect in the consumer"
            )
        await super().on_start()

    async def highwaters(self, *partitions: TP) -> Mapping[TP, int]:
        if not self.in_transaction:
            return await super().highwaters(*partitions)
        # Under exactly-once faust returns the last stable offset cached from the latest fetch, and a
        # partition just assigned has not been fetched yet: the table recovery then sees "unknown"
        # (-1) and either skips restoring what another worker wrote to the changelog meanwhile, or
        # crashes the worker with a ConsistencyError (seen in the ten-rebalance test). A read_committed
        # consumer's end offsets are the broker's last stable offsets.
        return cast(Mapping[TP, int], await self._thread.call_thread(self._last_stable_offsets, list(partitions)))

    async def _last_stable_offsets(self, partitions: list[TP]) -> Mapping[TP, int]:
        return cast(Mapping[TP, int], await self._thread._ensure_consumer().end_offsets(partitions))

    def verify_event_path(self, now: float, tp: TP) -> None:
        # faust's livelock check (every 2.5 commit intervals) reads the fetch position of every assigned
        # partition that has a high watermark, and aiokafka asserts that the position is set. It is not
        # while a partition's offset is being reset: seek_to_committed sends never-committed partitions
        # to their beginning, and until the broker answers the partition has a high watermark from the
        # fetch before and no position. A check that fell in that window crashed both workers of a CI
        # rebalance test (2026-11-30, AssertionError in the livelock detector). Such a partition is being
        # sought, not stuck; the check looks at it again a quarter of a second later.
        if not self._awaiting_position(tp):
            super().verify_event_path(now, tp)

    def _awaiting_position(self, tp: TP) -> bool:
        subscription = self._thread._ensure_consumer()._fetcher._subscriptions.subscription
        assignment = subscription.assignment if subscription is not None else None
        state = assignment.state_value(TopicPartition(tp.topic, tp.partition)) if assignment is not None else None
        return state is not None and not state.has_valid_position

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        async with commit_gate(self.app):
            return bool(await super().force_commit(topics, start_new_transaction=start_new_transaction))

    async def commit_and_end_transactions(self) -> None:
        # faust ends the transactions when it waits for agents, at a revocation and at shutdown; a timer
        # commit that falls in between then finds no transaction and crashes the worker (seen at SIGTERM).
        # A committed transaction followed by a new, empty one costs nothing: aiokafka contacts the
        # broker only with the first send.
        await self.commit()

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # faust's fetch loop calls this with the offset of the message that *follows* the gap (the
        # transaction markers of a transactional topic leave such gaps), and faust records the gap
        # through that offset inclusive. Once that message is acked too, it appears twice among the
        # acked offsets, the consecutive run that faust commits ends before it, and the commit falls
        # short of the event's outputs in the same transaction: after a crash they are published again
        # (measured: 45-99 repeated outputs per 3 kill -9's). The gap is the offsets in between.
        if offset_to - 1 >= offset_from:
            await super()._add_gap(tp, offset_from, offset_to - 1)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        # faust forgets the acked but uncommitted offsets of revoked partitions first, and only then
        # lets the app wait for in-flight events and commit. With eager rebalancing every partition
        # is revoked, also the ones this worker gets back: their open transaction keeps the outputs,
        # the partition is read again from the older committed offset, and the same outputs go into
        # that transaction a second time (measured: 6-369 repeated outputs per CI fault run).
        # Kafka Streams commits every task before a rebalance; so does this.
        if self.assignment():
            try:
                await self._commit_handled_events()
            except Exception:
                if not self.in_transaction:
                    # At-least-once: the next owner reads the uncommitted events again.
                    log.warning("commit before revocation failed", exc_info=True)
                else:
                    log.critical(
                        "commit before revocation failed: exiting, to restart from the last commit", exc_info=True
                    )
                    os._exit(RESTART_EXIT_CODE)
        for tp in revoked:
            self._skipped.pop(tp, None)  # read again from the committed offset after the rebalance
        self._resume_requested -= revoked
        self._resume_sought -= revoked
        for tp in revoked:
            self._delivered.pop(tp, None)  # their buffers are cleared; read again from the committed offset
        self.flight_recorder.record("revoked", partition_names(revoked))
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        self.flight_recorder.record("assigned", f"generation {generation_id}: {partition_names(assigned)}")
        await super().on_partitions_assigned(assigned, generation_id)

    async def _commit_handled_events(self) -> None:
        # The same steps faust's revocation takes after forgetting the offsets: stop handing out
        # events, let the agents finish the ones they took (a batch holds the gate until its acks),
        # then commit them with their transactions.
        self.stop_flow()
        self.app.flow_control.suspend()
        self.app.flow_control.clear()
        # Bounded: a rebalance must not hang here. Events still unacked when the time is up are not
        # committed (commits stop at the first unacked offset) and are read again after the rebalance.
        deadline = time.monotonic() + REVOCATION_WAIT_SECONDS
        self._clean_unacked_messages()
        while self._unacked_messages and not self.should_stop:
            if time.monotonic() > deadline:
                log.warning(
                    "revocation: %d taken events still unacked after %.0f s; committing the rest",
                    len(self._unacked_messages),
                    REVOCATION_WAIT_SECONDS,
                )
                break
            await self._wait_for_ack(timeout=1)
            self._clean_unacked_messages()
        await self.app.producer.flush()
        await self.commit()

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        # At the end of a recovery faust resumes the stream partitions, with the flow already running, and
        # only then awaits perform_seek() (tables/recovery.py). A record fetched in between reaches the agent
        # while the partition's read and committed offsets are unset: faust then records no gap for the
        # transaction markers before it, and writes its offset over the one the seek set, so the records
        # fetched again from the committed offset are dropped as already read. From then on _new_offset finds
        # a hole after the committed offset and returns None on every commit: every event handled, none
        # committed, the outputs' transaction aborted at its timeout (the dedup partition stuck at 124 in a CI
        # fault run; reproduced by delaying the seek). So stream partitions resume only after a seek that
        # *began* after the request: a seek from faust's fetch loop, begun before it, ended halfway through
        # the recovery's seek in one join-test run and let the old fetch position through (fix 20). And
        # they resume with the flow, after the flow control has cleared the buffers (see resume_flow).
        tpset = set(tps)
        stream = {tp for tp in tpset if not self._is_changelog_tp(tp)}
        self.flight_recorder.record("resume_partitions", partition_names(tpset))
        if stream:
            generation = self.app.consumer_generation_id
            if self._resume_generation != generation:
                self._resume_requested, self._resume_sought = set(), set()
                self._resume_generation = generation
            self._resume_requested |= stream
        super().resume_partitions(tpset - stream)

    async def perform_seek(self) -> None:
        # A seek that fails or is cancelled resumes nothing: its partitions wait for the next seek (or, if
        # none comes, StallWatch sees their records waiting and restarts the worker).
        generation = self.app.consumer_generation_id
        requested = set(self._resume_requested) if self._resume_generation == generation else set()
        self.flight_recorder.record("seek", f"generation {generation}, flow_active={self.flow_active}")
        await super().perform_seek()
        self.flight_recorder.record(
            "sought",
            " ".join(
                f"{tp.topic}/{tp.partition}:read={self._read_offset.get(tp)},committed={self._committed_offset.get(tp)}"
                for tp in sorted(self.assignment())
            ),
        )
        # A seek that ends after the next rebalance began must not resume that rebalance's partitions.
        if requested and self._resume_generation == self.app.consumer_generation_id == generation:
            self._resume_requested -= requested
            self._resume_sought |= requested

    async def seek_to_committed(self) -> Mapping[TP, int]:
        # faust drops the records it fetched while the flow was stopped or a partition was not yet
        # active (at every rebalance), and seeks back to the committed offsets to read them again.
        # aiokafka seeks only partitions whose committed offset is above 0, so a partition never
        # committed kept its fetch position after the dropped records: the first records of a new
        # topic were never handled, and the first commit went past them (the 2-worker throughput
        # run lost the first ~200 records of two partitions, in 5 runs of 6). With
        # offsets reset to the earliest, "never committed" means "read from the beginning".
        committed = await super().seek_to_committed()
        if self.app.conf.consumer_auto_offset_reset == "earliest":
            never_committed = [
                tp
                for tp, offset in committed.items()
                if (offset is None or offset <= 0)
                and not self._is_changelog_tp(tp)
                and self.app.topics.acks_enabled_for(tp.topic)
            ]
            if never_committed:
                await self._thread.seek_to_beginning(*never_committed)
        return committed

    async def describe_partitions(self) -> str:
        """Per assigned partition: committed, read, fetch position, handled and skipped offsets; flow state.

        Logged when a worker gives up on a stall, so that a stall seen once in CI can be read afterwards.
        """
        lines = [
            f"flow_active={self.flow_active} flow_control={self.app.flow_control.is_active()} "
            f"generation={self.app.consumer_generation_id} unacked={len(self._unacked_messages)} "
            f"paused={sorted(map(str, self._paused_partitions))} commit_gate_locked={commit_gate(self.app).locked()}"
        ]
        for tp in sorted(self.assignment()):
            try:
                position: int | str | None = await self.position(tp)
            except Exception as exc:  # diagnostics only
                position = f"error {type(exc).__name__}"
            acked = self._acked.get(tp) or []
            lines.append(
                f"{tp.topic}/{tp.partition}: committed={self._committed_offset.get(tp)} "
                f"read={self._read_offset.get(tp)} position={position} handled={self._handled.get(tp)} "
                f"skipped={self._skipped.get(tp)} acked_pending={len(acked)}"
            )
        return "\n".join(lines)

    def is_redelivery(self, message: Message) -> bool:
        """Whether an agent already handled this event, so that handling it again would publish twice.

        faust seeks every partition back to its committed offset at the end of a table recovery and
        whenever its fetcher finds the flow stopped, and resets its own record of what was read, so
        events handed to the agents since the last commit come again in the same generation
        (measured: 9 articles published twice over ten rebalances). Kafka Streams never hands a task
        a record twice; this lets the agents skip what they already did.
        """
        tp = message.tp
        committed = self._committed_offset.get(tp)
        if committed is not None and message.offset < committed:
            return True
        generation, highest = self._handled.get(tp, (None, -1))
        return generation == message.generation_id and message.offset <= highest

    def record_handled(self, message: Message) -> None:
        # Within a generation an agent handles a partition's events in offset order; a lower offset can
        # only come back through a seek (see is_redelivery), or after a skip, which _new_offset guards.
        self._handled[message.tp] = (message.generation_id, message.offset)

    def _new_offset(self, tp: TP) -> int | None:
        # An event the stream loop skipped stays unacked (ack below) and is normally read again after
        # the seek that follows a rebalance. If events after it were handled without such a seek, a
        # commit would pass it: faust accepts a one-offset hole after the committed offset, and none at
        # all before a partition's first commit (measured: the first 287 of 100,000 inputs lost in the
        # long fault run). Their outputs are in the open transaction, so restarting from the last
        # commit loses nothing and publishes nothing twice.
        skipped = self._skipped.get(tp)
        if skipped is not None:
            committed = self._committed_offset.get(tp)
            if skipped in self._acked_index[tp] or (committed is not None and skipped < committed):
                del self._skipped[tp]
            elif any(offset > skipped for offset in self._acked[tp]):
                log.critical(
                    "%s: offset %d was skipped but later events were handled: exiting, to restart from the last commit",
                    tp,
                    skipped,
                )
                self._exit_for_restart()
        new = super()._new_offset(tp)
        if new is not None:
            # An event handed to a stream's buffer that no agent handled, with later events handled: the
            # buffer was cleared under it (fix 20). faust's hole tolerance would commit past it.
            vanished = sorted(offset for offset in self._delivered.get(tp, ()) if offset < new)
            if vanished:
                log.critical(
                    "%s: offset %d reached a stream but was never handled, and the commit to %d would pass it: "
                    "exiting, to restart from the last commit",
                    tp,
                    vanished[0],
                    new,
                )
                self._exit_for_restart()
            self.flight_recorder.record(
                "commit", f"{tp.topic}/{tp.partition}: {self._committed_offset.get(tp)} -> {new}"
            )
        return new

    def _exit_for_restart(self) -> None:
        """Exit for a restart from the last commit, with the steps that led here in the log."""
        log.critical("the consumer's last steps:\n%s", self.flight_recorder.text(last=STEPS_LOGGED_AT_EXIT))
        os._exit(RESTART_EXIT_CODE)

    def ack(self, message: Message) -> bool:
        # faust's stream loop acks an event it *skips* during a rebalance (flow control suspended,
        # or fetched in an older generation) although no agent saw it; the revocation's commit
        # can then take its offset, and the event is lost (seen: 2 of 2,000 in a CI fault run).
        # Only events the loop handed on are tracked. An untracked one stays unacked, so the
        # partition's next owner reads it again from the committed offset.
        delivered = self._delivered.get(message.tp)
        if delivered is not None:
            delivered.discard(message.offset)
        self.flight_recorder.record_message(
            "ack" if message.tracked else "ack-skipped", message.tp, message.offset, message.generation_id
        )
        if not message.tracked and self.app.topics.acks_enabled_for(message.topic):
            if not message.acked:
                tp = message.tp
                self._skipped[tp] = min(message.offset, self._skipped.get(tp, message.offset))
            return False
        first = bool(super().ack(message))
        if not first and message.acked:
            # faust drops a message from the unacked set only on the first ack of its offset. A copy
            # handed on again after a seek back (its offset acked and not committed yet, or committed
            # since) is marked acked and kept there while the agent holds its last batch, for ever on an
            # idle worker, and StallWatch counted it as a record waiting (exit 70 after its timeout).
            # faust's own clean-up (_clean_unacked_messages) removes exactly such acked messages; the
            # offsets counted for the commit are left as they are.
            self._unacked_messages.discard(message)
        return first


def gated(
    app: faust.App,
    handle: Callable[[EventT[Any]], Awaitable[None]],
    *,
    batch_size: int = 1,
    within: float = 0.01,
) -> Callable[[StreamT[Any]], Any]:
    """An agent body that takes events in batches and handles each whole: outputs, table writes, ack.

    The commit gate is held for the whole batch, so a commit falls between batches and never
    between an event's outputs and its ack. Events are still handled one by one, so a failure
    stays one record's failure. A batch taken before a revocation is finished, outputs and acks,
    before the revocation's commit: that commit waits for the gate, and faust's revocation waits
    for every taken event to be acked.

    faust's ``take_events`` acks every event of a batch when the batch ends, *also* when the agent
    stops in the middle of it (an exception, a cancel at shutdown): the events not yet handled
    would be committed and lost. So each event gets a second reference while it is in the batch;
    the handler drops it once the event is done, and take_events' closing ack can only finish
    events that were handled. Unhandled ones stay uncommitted and are read again.
    """
    if within <= 0:
        raise ValueError("within must be positive: faust's take_events waits forever for a full batch otherwise")

    async def agent(stream: StreamT[Any]) -> None:
        gate = commit_gate(app)
        consumer = app.consumer if isinstance(app.consumer, GatedConsumer) else None
        # StreamT (the type faust hands agents) leaves out take_events; the object is a Stream.
        async for events in cast(Stream[Any], stream).take_events(batch_size, within):
            for event in events:
                event.message.incref()
            async with gate:
                handled: list[EventT[Any]] = []
                try:
                    for event in events:
                        if event.message.generation_id != app.consumer_generation_id:
                            # A rebalance completed after this batch was taken. That should not
                            # happen (revocation waits for taken events to be acked), and neither
                            # acking nor handling the event is safe now; a restart from the last
                            # commit is.
                            raise StaleBatch(f"event of generation {event.message.generation_id} in a batch")
                        if consumer is not None and consumer.is_redelivery(event.message):
                            # Done before; its outputs are committed or in the open transaction.
                            log.info("skipped redelivered event %s@%d", event.message.tp, event.message.offset)
                            handled.append(event)
                            continue
                        # take_events buffers events in a background task, so this task has no
                        # current event; set it, so table writes and transactional sends belong to
                        # its partition. (Only the context variable: the stream's own
                        # current_event belongs to the buffering task.)
                        token = _current_event.set(weakref.ref(event))
                        try:
                            await handle(event)
                        finally:
                            _current_event.reset(token)
                        if consumer is not None:
                            consumer.record_handled(event.message)
                        handled.append(event)
                except Exception:
                    # Not a bad record (stages turn those into dead letters) but the broker or the
                    # producer failing mid-transaction. Kafka Streams drops the task and rejoins;
                    # here the worker exits and its supervisor restarts it from the last commit.
                    log.critical(
                        "agent failed outside any stage: exiting, to restart from the last commit", exc_info=True
                    )
                    os._exit(RESTART_EXIT_CODE)
                finally:
                    if app.in_transaction:
                        # Table changelog writes wait in faust's producer buffer; they must be in
                        # the transaction before the offsets of their events can commit with it.
                        await app.producer.buffer.flush()
                    for event in handled:
                        event.message.decref()
                        await stream.ack(event)

    return agent


class StaleBatch(RuntimeError):
    """A batch holds an event from before the last rebalance."""


class SourcePartitionTransport(Transport):
    Consumer = GatedConsumer
    TransactionManager = SourcePartitionTransactionManager


class App(faust.App):
    """faust.App whose exactly-once transactions follow the source partition and commit between events.

    ``fetch_max_wait_seconds``: how long the broker may hold a fetch that finds nothing new
    (:class:`ShortPollConsumerThread`).
    """

    def __init__(self, *args: Any, fetch_max_wait_seconds: float = FAUST_FETCH_MAX_WAIT_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commit_gate = asyncio.Lock()
        self.fetch_max_wait_seconds = fetch_max_wait_seconds

    def _new_transport(self) -> Any:
        return SourcePartitionTransport(self.conf.broker_consumer, self)


CLEAN_SHUTDOWN_MARKER = ".clean-shutdown"


def uses_transactions(app: AppT) -> bool:
    """Whether the app is configured for exactly-once; unlike ``app.in_transaction``, safe before the worker exists.

    ``app.in_transaction`` is a cached property that is also false until a ``faust.Worker`` has been
    created: read earlier, it caches false and the worker then runs at-least-once with no error.
    """
    guarantee: object = app.conf.processing_guarantee  # faust's stubs type the setting as the enum class
    return guarantee == ProcessingGuarantee.EXACTLY_ONCE


def discard_state_after_crash(app: faust.App) -> bool:
    """Delete local table state unless the last run shut down cleanly. Returns whether it did.

    RocksDB applies table writes at once, but under exactly-once their changelog records
    belong to a Kafka transaction. After a kill -9 the transaction is aborted while RocksDB
    keeps the writes: a re-processed article would then meet its own fingerprint and be
    called a duplicate of itself. Kafka Streams wipes task state after an unclean shutdown
    for the same reason; the table is then rebuilt from the changelog, which the worker
    reads with read_committed.
    """
    appdir = Path(app.conf.appdir)
    tabledir = Path(app.conf.tabledir)
    marker = appdir / CLEAN_SHUTDOWN_MARKER
    discard = uses_transactions(app) and tabledir.exists() and not marker.exists()
    if discard:
        shutil.rmtree(tabledir)
    marker.unlink(missing_ok=True)
    return discard


def mark_clean_shutdown(app: faust.App) -> None:
    """Called after the worker stopped on its own terms: its local state matches what was committed."""
    appdir = Path(app.conf.appdir)
    appdir.mkdir(parents=True, exist_ok=True)
    (appdir / CLEAN_SHUTDOWN_MARKER).touch()
