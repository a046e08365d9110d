"""Check a running broker the way newsflow (Faust on aiokafka) uses it.

Run after ``kafka.sh start``:

    /work/venv/bin/python deploy/kafka-local/smoke.py --bootstrap 127.0.0.1:9092

Checks, each printed as ``ok`` or ``FAIL``: admin create/list/delete topics, idempotent
produce, consume in a consumer group with committed offsets, a committed and an aborted
transaction seen through read_committed and read_uncommitted consumers, and
``send_offsets_to_transaction`` (the consume-transform-produce commit exactly-once needs).
Exits 1 when any check fails. Topic and group names carry a timestamp so runs never collide.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PARTITIONS = 2
PLAIN_MESSAGES = 10
COMMITTED_MESSAGES = 5
ABORTED_MESSAGES = 3
READ_TIMEOUT_S = 30.0


class Checks:
    """Collects named pass/fail results so one failure does not hide the rest."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        if not ok:
            self.failed.append(name)


async def read_to_end(consumer: AIOKafkaConsumer) -> list[ConsumerRecord[bytes, bytes]]:
    """Read until every assigned partition's position reaches its end offset.

    For a read_committed consumer the end offset is the last stable offset, so stopping there
    proves that aborted records were skipped rather than not yet delivered.
    """
    deadline = time.monotonic() + READ_TIMEOUT_S
    records: list[ConsumerRecord[bytes, bytes]] = []
    while not consumer.assignment() and time.monotonic() < deadline:
        await consumer.getmany(timeout_ms=200)
    assigned = consumer.assignment()
    ends = await consumer.end_offsets(list(assigned))
    while time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        for batch in batches.values():
            records.extend(batch)
        positions = {tp: await consumer.position(tp) for tp in assigned}
        if all(positions[tp] >= ends[tp] for tp in assigned):
            return records
    raise TimeoutError(f"positions did not reach end offsets {ends} in {READ_TIMEOUT_S} s")


async def run(bootstrap: str) -> int:
    checks = Checks()
    suffix = f"{int(time.time() * 1000)}-{os.getpid()}"
    plain_topic = f"kafka-local-smoke-plain-{suffix}"
    txn_topic = f"kafka-local-smoke-txn-{suffix}"
    group = f"kafka-local-smoke-group-{suffix}"
    txn_group = f"kafka-local-smoke-txn-group-{suffix}"

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in (plain_topic, txn_topic)]
        )
        topics = set(await admin.list_topics())
        checks.check("admin create_topics + list_topics", {plain_topic, txn_topic} <= topics)

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for i in range(PLAIN_MESSAGES):
                await producer.send_and_wait(plain_topic, f"plain-{i}".encode(), key=f"k{i}".encode())
        finally:
            await producer.stop()
        checks.check("idempotent producer send_and_wait", True, f"{PLAIN_MESSAGES} records")

        consumer = AIOKafkaConsumer(
            plain_topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            got = await read_to_end(consumer)
            values = sorted(r.value for r in got if r.value is not None)
            expected = sorted(f"plain-{i}".encode() for i in range(PLAIN_MESSAGES))
            checks.check("group consumer reads every record", values == expected, f"{len(got)} records")
            await consumer.commit()
            committed = {tp: await consumer.committed(tp) for tp in consumer.assignment()}
            total = sum(v or 0 for v in committed.values())
            checks.check("consumer group commit + committed()", total == PLAIN_MESSAGES, f"{committed}")
        finally:
            await consumer.stop()
        groups = {g[0] if isinstance(g, tuple) else g for g in await admin.list_consumer_groups()}
        checks.check("admin list_consumer_groups", group in groups)

        txn_producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"smoke-{suffix}")
        await txn_producer.start()
        try:
            async with txn_producer.transaction():
                for i in range(COMMITTED_MESSAGES):
                    await txn_producer.send(txn_topic, f"committed-{i}".encode(), partition=i % PARTITIONS)
            checks.check("transaction commit", True)
            await txn_producer.begin_transaction()
            for i in range(ABORTED_MESSAGES):
                await txn_producer.send(txn_topic, f"aborted-{i}".encode(), partition=i % PARTITIONS)
            await txn_producer.abort_transaction()
            checks.check("transaction abort", True)
            # The offsets of the plain topic, committed for another group inside a transaction:
            # what a consume-transform-produce step does when exactly-once is on.
            offsets = {TopicPartition(plain_topic, p): 1 for p in range(PARTITIONS)}
            async with txn_producer.transaction():
                await txn_producer.send(txn_topic, b"with-offsets", partition=0)
                await txn_producer.send_offsets_to_transaction(offsets, txn_group)
        finally:
            await txn_producer.stop()

        for isolation, want in (
            ("read_committed", COMMITTED_MESSAGES + 1),
            ("read_uncommitted", COMMITTED_MESSAGES + ABORTED_MESSAGES + 1),
        ):
            reader = AIOKafkaConsumer(
                txn_topic,
                bootstrap_servers=bootstrap,
                auto_offset_reset="earliest",
                isolation_level=isolation,
                enable_auto_commit=False,
            )
            await reader.start()
            try:
                got = await read_to_end(reader)
            finally:
                await reader.stop()
            aborted = sum(1 for r in got if r.value is not None and r.value.startswith(b"aborted-"))
            checks.check(f"{isolation} consumer", len(got) == want, f"{len(got)} records, {aborted} aborted")

        probe = AIOKafkaConsumer(plain_topic, bootstrap_servers=bootstrap, group_id=txn_group)
        await probe.start()
        try:
            txn_committed = [await probe.committed(tp) for tp in offsets]
        finally:
            await probe.stop()
        checks.check("send_offsets_to_transaction", txn_committed == [1] * PARTITIONS, f"{txn_committed}")

        await admin.delete_topics([plain_topic, txn_topic])
        checks.check("admin delete_topics", True)
    finally:
        await admin.close()

    print(f"{len(checks.failed)} failed: {', '.join(checks.failed) or '-'}")
    return 1 if checks.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", default=f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}", help="host:port")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.bootstrap))


if __name__ == "__main__":
    sys.exit(main())
