"""Whole-chain cost per article, in-process (what one worker core can do before Kafka overheads).

    python benchmarks/pipeline.py --n 1000
    python benchmarks/pipeline.py --n 3000 --stream throughput --language-short-text fast

Reads ../shared/data/news/bbc_news.jsonl in place and builds ~5 KB English articles (seeded); with
``--stream throughput``, the multilingual stream with 15 % copies that ``throughput.py`` sends to the
broker (same seed, same records), for comparing a worker's cost per article with the stages'. Prints the
median time per stage from the same histograms the worker exports, the end-to-end median per
article, and the ratio against a baseline measured in the same run: decoding and re-encoding the
same payload with orjson (the floor any JSON stream processor pays). Then each stage's own word split
on the same texts: what one tokenization pass shared by dedup and entities could save.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry

from newsflow.config import Settings
from newsflow.metrics import StageMetrics
from newsflow.pipeline import Pipeline
from newsflow.stages.dedup import _words as dedup_words
from newsflow.stages.entities.tokenize import tokenize as entity_tokens

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news" / "bbc_news.jsonl"


def articles(n: int, seed: int) -> list[bytes]:
    rows = [orjson.loads(line) for line in DATA.read_bytes().splitlines() if line.strip()]
    rng = random.Random(seed)
    out = []
    for index in range(n):
        row = rng.choice(rows)
        text = row["text"]
        while len(text.encode()) < 5000:
            text += "\n\n" + rng.choice(rows)["text"]
        text = text.encode()[:5000].decode("utf-8", "ignore")
        out.append(orjson.dumps({"id": f"b{index}", "title": row["title"], "text": text}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--stream", choices=("bbc", "throughput"), default="bbc")
    parser.add_argument("--language-short-text", default=Settings.language_short_text)
    args = parser.parse_args()
    print(
        f"seed={args.seed} n={args.n} stream={args.stream} language_short_text={args.language_short_text} "
        f"python={platform.python_version()} machine={platform.machine()}"
    )
    if args.stream == "throughput":
        import throughput  # the broker benchmark's record stream, built the same way

        payloads = [value for _, value in throughput.build_stream(throughput.load_sources(), args.n, args.seed, "b")]
    else:
        payloads = articles(args.n, args.seed)
    registry = CollectorRegistry()
    metrics = StageMetrics.create(registry)
    pipeline = Pipeline(Settings(store="memory://", language_short_text=args.language_short_text), metrics=metrics)
    pipeline.process(payloads[0], key=b"warm-up")  # model loading is start-up, not per-article cost

    baseline = []
    for payload in payloads:
        started = time.perf_counter()
        orjson.dumps(orjson.loads(payload))
        baseline.append(time.perf_counter() - started)

    totals = []
    kinds: dict[str, int] = {}
    for payload in payloads:
        started = time.perf_counter()
        result = pipeline.process(payload)
        totals.append(time.perf_counter() - started)
        kinds[result.kind] = kinds.get(result.kind, 0) + 1

    print(f"outcomes: {kinds}")
    print("stage medians (from newsflow_stage_duration_seconds, bucket upper bounds):")
    for stage in ("ingest", "clean", "dedup", "language", "entities"):
        buckets = [
            (s.labels["le"], s.value)
            for s in registry.collect()
            for s in s.samples
            if s.name == "newsflow_stage_duration_seconds_bucket" and s.labels.get("stage") == stage
        ]
        count = buckets[-1][1] if buckets else 0
        median_bound = next((le for le, value in buckets if value >= count / 2), "n/a")
        total = sum(
            s.value
            for s in registry.collect()
            for s in s.samples
            if s.name == "newsflow_stage_duration_seconds_sum" and s.labels.get("stage") == stage
        )
        mean = f"{total / count * 1e3:.3f} ms" if count else "n/a"
        print(f"  {stage:9s} n={int(count):5d}  median <= {median_bound} s, mean {mean}")
    median_total = statistics.median(totals)
    median_base = statistics.median(baseline)
    print(
        f"whole chain: median {median_total * 1e3:.3f} ms/article, p95 "
        f"{statistics.quantiles(totals, n=20)[-1] * 1e3:.3f} ms -> {1 / median_total:.0f} articles/s/core"
    )
    print(f"baseline (orjson decode+encode): median {median_base * 1e6:.1f} us/article")
    print(f"ratio whole chain / baseline: {median_total / median_base:.0f}x")
    tokenization_costs([orjson.loads(payload)["text"] for payload in payloads])


def tokenization_costs(texts: list[str]) -> None:
    """What one shared tokenization pass could save: each stage's own word split, timed on the same texts.

    Shingling splits lower-cased bytes on a translate table; the entity tagger needs offsets, hyphens,
    elisions and abbreviations. Deriving shingle words from the tagger's tokens still costs a
    lower() per token, so the share is worth at most the shingle split itself.
    """
    runs = {
        "shingle words (dedup)": lambda text: dedup_words(text.lower()),
        "entity tokens (entities)": entity_tokens,
        "shingle words from entity tokens": lambda text: [token.text.lower() for token in entity_tokens(text)],
    }
    medians = {}
    for name, split in runs.items():
        times = []
        for text in texts:
            started = time.perf_counter()
            split(text)
            times.append(time.perf_counter() - started)
        medians[name] = statistics.median(times)
    print("tokenization per article (median):")
    shingle_split = medians["shingle words (dedup)"]
    for name, median in medians.items():
        print(f"  {name:34s} {median * 1e6:7.1f} us  ({median / shingle_split:.1f}x the shingle split)")


if __name__ == "__main__":
    main()
