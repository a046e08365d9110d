"""The naive Faust baseline for ``benchmarks/throughput.py``: one agent that copies records across.

    BENCH_APP_ID=x BENCH_TOPIC_IN=a BENCH_TOPIC_OUT=b python benchmarks/faust_passthrough.py worker -l warn

No stages, no JSON, no tables: raw bytes in, the same bytes out under the same key, with Faust's
defaults otherwise (commit interval, buffers, acks). This is what "a Faust app" costs before any
processing, so newsflow's throughput can be read against it. Configured only by environment
variables, read once here at the edge; ``throughput.py`` starts it as a worker subprocess.
"""

from __future__ import annotations

import os
from typing import Any

import faust
from faust.types import StreamT


def create_app(env: dict[str, str]) -> faust.App:
    bootstrap = env.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    partitions = int(env.get("BENCH_PARTITIONS", "4"))
    app = faust.App(
        env["BENCH_APP_ID"],
        broker=";".join(f"kafka://{host}" for host in bootstrap.split(",")),
        processing_guarantee=env.get("BENCH_GUARANTEE", "at_least_once"),
        store="memory://",
        datadir=env.get("BENCH_DATA_DIR", "./.bench-faust-data"),
        topic_partitions=partitions,
        key_serializer="raw",
        value_serializer="raw",
        web_port=int(env.get("BENCH_WEB_PORT", "6067")),
        web_bind="127.0.0.1",
        consumer_auto_offset_reset="earliest",
        autodiscover=False,
    )
    source = app.topic(env["BENCH_TOPIC_IN"], partitions=partitions, key_serializer="raw", value_serializer="raw")
    out = app.topic(env["BENCH_TOPIC_OUT"], partitions=partitions, key_serializer="raw", value_serializer="raw")

    async def passthrough(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await out.send(key=event.key, value=event.value)

    app.agent(source, name="passthrough")(passthrough)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    return app


if __name__ == "__main__":
    create_app(dict(os.environ)).main()
