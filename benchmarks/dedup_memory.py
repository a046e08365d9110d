"""Memory stays flat: N distinct synthetic fingerprints through Deduper with a short window.

    /work/venv/bin/python benchmarks/dedup_memory.py [--n 1000000] [--window 60] [--step-ms 10]
    /work/venv/bin/python benchmarks/dedup_memory.py --band-index memory --n 50000 --window 1e9
    /work/venv/bin/python benchmarks/dedup_memory.py --band-index mapping --n 50000 --window 1e9

With ``--band-index memory`` the LSH band lists are kept apart from the store in a
``CompactBandIndex``, as ``NEWSFLOW_DEDUP_BAND_INDEX=memory`` (the default) does in the worker;
``mapping`` keeps them apart as Python lists in a dict, the baseline the compact index replaced.
Either run also prints what the index takes per live original (the part that lives in RAM while
the table lives in RocksDB) and the slowest single call (the compact index merges in a call).

Event time (``ingested_at``) advances ``--step-ms`` per article, so with a 60 s window and
10 ms steps about 6,000 articles are live at any time; everything older must be swept.
Prints RSS and store size at intervals and at the end. Signatures are random (seeded), so
every article is an original and writes its full set of keys: the worst case for memory.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import xxhash

from newsflow.models import Article, Fingerprint
from newsflow.stages.dedup import (
    DEFAULT_BAND_MEMBERS,
    DEFAULT_BANDS,
    DEFAULT_NUM_PERM,
    DEFAULT_ROWS,
    CompactBandIndex,
    Deduper,
)

SEED = 7
START = datetime(2025, 3, 1, tzinfo=UTC)


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--window", type=float, default=60.0, help="window in seconds of event time")
    parser.add_argument("--step-ms", type=float, default=10.0, help="event time between articles")
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--band-index", choices=("table", "memory", "mapping"), default="table")
    args = parser.parse_args()
    print(f"seed={SEED} n={args.n} window={args.window}s step={args.step_ms}ms num_perm={DEFAULT_NUM_PERM}")
    rng = np.random.default_rng(SEED)
    store: dict[str, Any] = {}
    mapping: dict[str, Any] = {}
    compact = CompactBandIndex(bands=DEFAULT_BANDS, rows=DEFAULT_ROWS, keep=DEFAULT_BAND_MEMBERS)
    band_index = {"table": None, "memory": compact, "mapping": mapping}[args.band_index]
    dedup = Deduper(store, window_seconds=args.window, band_index=band_index)
    slowest_ns = 0
    text = "synthetic article body " * 40
    every = max(1, args.n // args.reports)
    block = 10_000
    peak_store = 0
    t_start = time.perf_counter()
    busy_ns = 0
    print(f"{'articles':>10} {'rss MiB':>9} {'store keys':>11} {'live m:':>8} {'µs/article':>11}")
    for base in range(0, args.n, block):
        signatures = rng.integers(0, 2**32, size=(min(block, args.n - base), DEFAULT_NUM_PERM), dtype=np.uint64)
        for offset, row in enumerate(signatures.tolist()):
            i = base + offset
            stamp = (START + timedelta(milliseconds=i * args.step_ms)).isoformat().replace("+00:00", "Z")
            article = Article(
                id=f"a{i}",
                text=text,
                ingested_at=stamp,
                fingerprint=Fingerprint(
                    content_hash=xxhash.xxh3_128_hexdigest(str(i).encode()),
                    url_key=f"example.com/news/{i}",
                    minhash=row,
                ),
            )
            t0 = time.perf_counter_ns()
            dedup(article)
            took = time.perf_counter_ns() - t0
            busy_ns += took
            slowest_ns = max(slowest_ns, took)
            peak_store = max(peak_store, len(store))
            if (i + 1) % every == 0:
                live = sum(1 for k in store if k.startswith("m:"))
                print(f"{i + 1:>10,} {rss_mib():>9.1f} {len(store):>11,} {live:>8,} {busy_ns / (i + 1) / 1000:>11.1f}")
    gc.collect()
    elapsed = time.perf_counter() - t_start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"final: store keys={len(store):,} peak store keys={peak_store:,} rss={rss_mib():.1f} MiB "
        f"peak rss={peak_rss:.1f} MiB, Deduper mean {busy_ns / args.n / 1000:.1f} µs/article, "
        f"slowest call {slowest_ns / 1e6:.1f} ms, wall {elapsed:.0f}s"
    )
    live = sum(1 for k in store if k.startswith("m:"))
    # The member id strings are held by the index alone (store keys are other strings), so both
    # modes count one id string per live original.
    ids_bytes = sum(sys.getsizeof(k[2:]) for k in store if k.startswith("m:"))
    if args.band_index == "mapping":
        index_bytes = (
            ids_bytes
            + sys.getsizeof(mapping)
            + sum(sys.getsizeof(key) + sys.getsizeof(members) for key, members in mapping.items())
        )
    elif args.band_index == "memory":
        recent = compact._recent
        index_bytes = (
            ids_bytes
            + compact.memory_bytes()
            + sys.getsizeof(compact._ids)
            + sys.getsizeof(compact._slot_of)
            + sum(sys.getsizeof(slot) for slot in compact._slot_of.values())
            + sys.getsizeof(recent)
            + sum(sys.getsizeof(key) + sys.getsizeof(slots) for key, slots in recent.items())
        )
    else:
        return
    print(
        f"band index ({args.band_index}): {live:,} live originals, "
        f"{index_bytes / 2**20:.1f} MiB = {index_bytes / max(live, 1):,.0f} B per live original"
    )


if __name__ == "__main__":
    main()
