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
"""

from __future__ import annotations

from typing import Any

import faust
from faust.streams import current_event
from faust.transport.consumer import TransactionManager
from faust.transport.drivers.aiokafka import Transport


class SourcePartitionTransactionManager(TransactionManager):
    def _source_transactional_id(self) -> str | None:
        event = current_event()
        if event is None:
            return None
        source = event.message.tp
        group = self.app.assignor.group_for_topic(source.topic)
        return f"{self.app.conf.id}-{group}-{source.partition}"

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
        source_id = self._source_transactional_id()
        if source_id is None:
            return await super().send(topic, key, value, partition, timestamp, headers)
        destination = self.consumer.key_partition(topic, key, partition)
        return await self.producer.send(topic, key, value, destination, timestamp, headers, transactional_id=source_id)


class SourcePartitionTransport(Transport):
    TransactionManager = SourcePartitionTransactionManager


class App(faust.App):
    """faust.App whose exactly-once transactions follow the source partition."""

    def _new_transport(self) -> Any:
        return SourcePartitionTransport(self.conf.broker_consumer, self)
