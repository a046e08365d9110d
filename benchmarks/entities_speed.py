#!/usr/bin/env python
"""Entities stage throughput on ~5 KB English news articles: cold, steady and warm, per call and batched.

    /work/venv/bin/python benchmarks/entities_speed.py            # 2 x 1000 articles
    /work/venv/bin/python benchmarks/entities_speed.py --n 2000
    /work/venv/bin/python benchmarks/entities_speed.py --baseline-rev d8addde   # before/after, same run

Articles are built like benchmarks/pipeline.py's (BBC news from ../shared/data/news/bbc_news.jsonl,
read in place, seeded): set A and a disjoint-seeded set B. With one fresh extractor (model and
gazetteer loaded by ``warm_up()``, as a worker does at start):

* cold:   first pass over A; the tagger's per-word memo holds only the model's pre-scored words;
* steady: B after A: new articles on a memo that has seen A (what a long-running worker sees);
* warm:   A again: every word is memoised.

Baselines measured in the same run, interleaved article by article with the stage so both see the
same machine load: ``orjson`` decode + encode of the article payload (the floor any JSON stream
processor pays) and a bare tokenizer regex scan (``findall``, no offsets, no tagging). With
``--baseline-rev REV`` the stage as of that git revision runs too, alternating with the current one
article by article, and every article's entities must come out equal. The batch
API ``EntityExtractor.extract_many`` is timed against per-article calls, alternating chunk by chunk.
Times are medians per article, with means; the machine's load average is printed because other
jobs may share the cores.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol, cast

import orjson
from pipeline import articles  # the ~5 KB BBC articles every stage benchmark uses

from newsflow.models import Article, LanguageResult
from newsflow.stages.entities import EntityExtractor
from newsflow.stages.entities.tokenize import _TOKEN_RE

REPO = Path(__file__).resolve().parents[1]
ENTITIES = "src/newsflow/stages/entities"


class Stage(Protocol):
    def __call__(self, article: Article) -> Article: ...

    def warm_up(self) -> None: ...


def article(payload: bytes) -> Article:
    data = orjson.loads(payload)
    return Article(
        id=data["id"],
        text=data["text"],
        title=data["title"],
        ingested_at="2026-11-28T00:00:00.000Z",
        language=LanguageResult("en", 1.0),
    )


def json_round_trip(payload: bytes) -> bytes:
    return orjson.dumps(orjson.loads(payload))


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def load_revision(rev: str) -> Callable[[], Stage]:
    """The entities package as of git revision ``rev``, importable under another name.

    Its ``.py`` files are read with ``git show`` (read-only) into a temporary
    directory and their ``newsflow.stages.entities`` imports renamed; model and
    gazetteer files still load from the installed package (they are unchanged
    data), so both versions see the same resources.
    """
    package = "entities_at_rev"
    root = Path(tempfile.mkdtemp(prefix="entities-rev-"))
    listing = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "-r", "--name-only", rev, "--", ENTITIES],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for path in listing:
        if not path.endswith(".py"):
            continue
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:{path}"], check=True, capture_output=True, text=True
        ).stdout
        target = root / package / Path(path).relative_to(ENTITIES)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(re.sub(r"\b(from|import) newsflow\.stages\.entities\b", rf"\1 {package}", source))
    sys.path.insert(0, str(root))
    module = importlib.import_module(package)
    return cast(Callable[[], Stage], module.EntityExtractor)


def one_pass(
    extractor: Stage, batch: list[bytes], baseline: Stage | None
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Stage time, orjson round trip, tokenizer scan and (if given) the baseline stage per article, interleaved."""
    stage: list[float] = []
    json_rt: list[float] = []
    scan: list[float] = []
    before: list[float] = []
    for k, payload in enumerate(batch):
        art = article(payload)
        if baseline is not None:
            old = article(payload)
            runs = [(stage, partial(extractor, art)), (before, partial(baseline, old))]
            for acc, fn in runs if k % 2 else runs[::-1]:
                acc.append(timed(fn))
            if (art.entities, art.entity_groups) != (old.entities, old.entity_groups):
                raise SystemExit(f"article {art.id}: output differs from the baseline revision")
        else:
            stage.append(timed(partial(extractor, art)))
        json_rt.append(timed(partial(json_round_trip, payload)))
        scan.append(timed(partial(_TOKEN_RE.findall, art.text)))
    return stage, json_rt, scan, before


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:6.3f} ms, mean {statistics.fmean(values) * 1e3:6.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="articles per set (A and B)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--batch", type=int, default=16, help="articles per extract_many call")
    parser.add_argument(
        "--baseline-rev",
        default=None,
        help="also run the stage as of this git revision (e.g. HEAD), interleaved, and check equal outputs",
    )
    args = parser.parse_args()
    print(
        f"seed={args.seed} n={args.n} batch={args.batch} python={platform.python_version()} "
        f"machine={platform.machine()} cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}"
    )
    set_a = articles(args.n, args.seed)
    set_b = articles(args.n, args.seed + 1)

    extractor = EntityExtractor()
    started = time.perf_counter()
    extractor.warm_up()
    print(f"warm_up (model + gazetteer load): {time.perf_counter() - started:.2f} s")
    baseline: Stage | None = None
    if args.baseline_rev:
        old = load_revision(args.baseline_rev)()
        old.warm_up()
        baseline = old
        print(f"baseline: the entities stage at {args.baseline_rev}, interleaved article by article")

    for label, batch in (("cold   (A, fresh memo)", set_a), ("steady (B after A)", set_b), ("warm   (A again)", set_a)):
        stage, json_rt, scan, before = one_pass(extractor, batch, baseline)
        med = statistics.median(stage)
        print(f"{label:24s} stage {ms(stage)}  ->  {1 / med:6.0f} articles/s/core")
        if before:
            print(
                f"{'':24s} at {args.baseline_rev}: {ms(before)}; speed-up x{statistics.median(before) / med:.2f}"
                f" (medians), x{statistics.fmean(before) / statistics.fmean(stage):.2f} (means); outputs equal"
            )
        print(
            f"{'':24s} baselines: orjson round trip {ms(json_rt)}"
            f" (stage/orjson x{med / statistics.median(json_rt):.0f});"
            f" tokenizer regex scan {ms(scan)} (stage/scan x{med / statistics.median(scan):.1f})"
        )

    # Batch API against per-article calls on warm articles, alternating chunk by chunk.
    single: list[float] = []
    batched: list[float] = []
    chunks = [set_a[i : i + args.batch] for i in range(0, len(set_a) - args.batch + 1, args.batch)]
    for k, chunk in enumerate(chunks):
        arts_single = [article(p) for p in chunk]
        arts_batch = [article(p) for p in chunk]
        runs = [
            (single, lambda a=arts_single: [extractor(x) for x in a]),
            (batched, lambda a=arts_batch: extractor.extract_many(a)),
        ]
        if k % 2:
            runs.reverse()
        for acc, fn in runs:
            acc.append(timed(fn) / len(chunk))
        assert [x.entities for x in arts_single] == [x.entities for x in arts_batch]
    print(
        f"per-article calls (warm): {ms(single)} per article; extract_many({args.batch}): {ms(batched)} per article;"
        f" ratio batched/single {statistics.median(batched) / statistics.median(single):.2f}"
    )


if __name__ == "__main__":
    main()
