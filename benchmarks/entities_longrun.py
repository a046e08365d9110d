"""The entity stage over a long mixed-language stream: cost per 1,000 articles as its memos fill and reset.

    python benchmarks/entities_longrun.py                         # 9,000 articles
    python benchmarks/entities_longrun.py --src /tmp/old/src      # the stage of another tree (git archive REV src)

The stream is ``throughput.py``'s (seeded, read in place from ../shared/data: English, French and
six sentence-built languages, 15 % copies), each article cleaned and language-tagged first, as in a
worker. Only the entity stage is timed. Every 1,000 articles it prints the mean time per article
and, per tagger memo, its words, resets and remembered chunks: a reset shows as a step in the cost.
Run two trees one after the other to compare them; the machine's load average is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--src", default=None, help="import newsflow from this directory instead")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, args.src)

    import throughput

    import newsflow
    from newsflow.config import Settings
    from newsflow.models import Article
    from newsflow.pipeline import Stages, ingest

    print(
        f"newsflow from {os.path.dirname(newsflow.__file__)}; seed={args.seed} n={args.n} "
        f"python={platform.python_version()} loadavg={os.getloadavg()[0]:.2f}"
    )
    stream = throughput.build_stream(throughput.load_sources(), args.n, args.seed, "b")
    settings = Settings(store="memory://", language_short_text="fast")
    stages = Stages.build(settings, {}).load()
    tagger = stages.entities._statistical_tagger()
    times: list[float] = []
    for index, (key, payload) in enumerate(stream, 1):
        article = ingest(payload, key.encode(), settings, "2026-11-30T00:00:00Z")(
            Article(id="", text="", ingested_at="")
        )
        article = stages.language(stages.clean_and_fingerprint(article))
        started = time.perf_counter()
        stages.entities(article)
        times.append(time.perf_counter() - started)
        if index % args.every == 0:
            memos = getattr(tagger, "_memos", {})
            state = ", ".join(
                f"{group or 'default'}: {len(memo.index)} words, {memo.resets} resets, {len(memo.chunks)} chunks"
                for group, memo in memos.items()
            )
            print(f"{index:6d}  mean {statistics.mean(times[-args.every :]) * 1e3:.2f} ms  ({state})", flush=True)
    print(f"all: mean {statistics.mean(times) * 1e3:.2f} ms, median {statistics.median(times) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
