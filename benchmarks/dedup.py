"""Dedup quality and speed, through the same code path the stage uses.

    /work/venv/bin/python benchmarks/dedup.py [--show-disagreements] [--repeat N]

1. BBC (2,225 real articles): every article goes through :class:`Deduper` with a dict store;
   predicted pairs are pairs that end in the same cluster. Gold pairs are the derived
   duplicate groups (exact and near, closed transitively). Also: the false-positive rate
   over all pairs of distinct BBC articles, and a pure pairwise check (estimated Jaccard
   of every pair against the threshold) for comparison.
2. Syndication: real BBC articles re-published with aggregator perturbations
   (``benchmarks/syndication.py``, fixed printed seed), fed in a shuffled order.
3. Speed: median µs per 5 KB article for ``fingerprint()`` and ``Deduper.__call__``,
   against a baseline measured in the same run (datasketch MinHash on word 5-shingles,
   the usual recipe, and the word-5-shingle / 0.8 configuration for quality).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash

sys.path.insert(0, str(Path(__file__).resolve().parent))

from syndication import BBC_NEWS, DATA, Item, build, load_bbc

from newsflow.models import Article
from newsflow.stages.dedup import (
    DEFAULT_NUM_PERM,
    Deduper,
    fingerprint,
    shingles,
)

DERIVED = DATA / "bbc_duplicates_derived.json"
SEED = 20251127
# Per-call timer: this thread's CPU time by default, so other processes on a shared machine
# do not inflate the numbers; --clock wall for elapsed time.
CLOCK: list[Callable[[], int]] = [time.thread_time_ns]
START = datetime(2025, 3, 1, tzinfo=UTC)


def stamp(i: int) -> str:
    return (START + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")


def gold_groups(path: Path = DERIVED) -> list[set[str]]:
    """Derived duplicate groups, exact and near, merged where they share an article."""
    data = json.loads(path.read_text())
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = [tuple(g) for g in data["exact_dup_groups"]] + [(a, b) for a, b, _ in data["near_dup_pairs_jaccard5"]]
    for group in pairs:
        for other in group[1:]:
            parent[find(other)] = find(group[0])
    groups: dict[str, set[str]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return list(groups.values())


def pairs_of(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for group in groups:
        out.update(itertools.combinations(sorted(group), 2))
    return out


def prf(predicted: set[tuple[str, str]], gold: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_stage(items: list[tuple[str, str]], make: Callable[[dict[str, Any]], Deduper]) -> dict[str, Any]:
    """Feed (id, text) through a fresh Deduper; return id -> DedupResult."""
    store: dict[str, Any] = {}
    deduper = make(store)
    verdicts = {}
    for i, (item_id, text) in enumerate(items):
        article = deduper(Article(id=item_id, text=text, ingested_at=stamp(i)))
        verdicts[item_id] = article.dedup
    return verdicts


def cluster_pairs(verdicts: dict[str, Any]) -> set[tuple[str, str]]:
    clusters: dict[str, list[str]] = defaultdict(list)
    for item_id, verdict in verdicts.items():
        clusters[verdict.cluster_id].append(item_id)
    return pairs_of(clusters.values())


def exact_jaccard(a: str, b: str, size: int = 3) -> tuple[float, float]:
    sa, sb = set(shingles(a, size)), set(shingles(b, size))
    inter = len(sa & sb)
    union = len(sa | sb) or 1
    return inter / union, inter / (min(len(sa), len(sb)) or 1)


def pairwise_estimates(signatures: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of every pair (upper triangle), in row blocks to bound memory."""
    n = len(signatures)
    out = np.zeros((n, n), dtype=np.float32)
    for start in range(0, n, 64):
        block = signatures[start : start + 64]
        out[start : start + 64] = (block[:, None, :] == signatures[None, :, :]).mean(axis=2)
    return np.triu(out, k=1)


def bbc_section(show: bool) -> None:
    articles = load_bbc()
    texts = {a["id"]: a["text"] for a in articles}
    titles = {a["id"]: a["title"] for a in articles}
    ids = [a["id"] for a in articles]
    groups = gold_groups()
    gold = pairs_of(groups)
    total_pairs = len(ids) * (len(ids) - 1) // 2
    negatives = total_pairs - len(gold)
    print(f"BBC: {len(ids)} articles, {len(gold)} gold pairs in {len(groups)} groups, {total_pairs} pairs")

    configs: list[tuple[str, Callable[[dict[str, Any]], Deduper]]] = [
        ("newsflow (3-shingle, J>=0.5 or C>=0.8)", Deduper),
        ("baseline (5-shingle, J>=0.8)", lambda s: Deduper(s, shingle_size=5, threshold=0.8, containment=1.0)),
    ]
    for order_name, order in (("file order", ids), (f"shuffled seed={SEED}", _shuffled(ids))):
        for name, make in configs:
            verdicts = run_stage([(i, texts[i]) for i in order], make)
            predicted = cluster_pairs(verdicts)
            p, r, f = prf(predicted, gold)
            fp = len(predicted - gold)
            print(
                f"  [{order_name}] {name}: P={p:.4f} R={r:.4f} F1={f:.4f}  "
                f"FP pairs={fp} FP rate={fp / negatives:.6%}  FN pairs={len(gold - predicted)}"
            )
            if show and name.startswith("newsflow") and order is ids:
                for kind, diff in (("FP", sorted(predicted - gold)), ("FN", sorted(gold - predicted))):
                    for a, b in diff:
                        j, c = exact_jaccard(texts[a], texts[b])
                        print(f"    {kind} {a} {b} J3={j:.3f} C3={c:.3f} | {titles[a]!r} | {titles[b]!r}")

    # Pure pairwise: estimated Jaccard of every pair against the threshold, no LSH, no clusters.
    fps = [fingerprint(Article(id=i, text=texts[i], ingested_at=stamp(0))) for i in ids]
    sig = np.array([f.minhash or [0] * DEFAULT_NUM_PERM for f in fps], dtype=np.uint32)
    est = pairwise_estimates(sig)
    index = {x: k for k, x in enumerate(ids)}
    for threshold in (0.4, 0.5, 0.6):
        rows, cols = np.nonzero(est >= threshold)
        predicted = {(min(ids[r], ids[c]), max(ids[r], ids[c])) for r, c in zip(rows, cols, strict=True)}
        p, r, f = prf(predicted, gold)
        print(f"  pairwise estimated J3>={threshold}: P={p:.4f} R={r:.4f} F1={f:.4f} FP pairs={len(predicted - gold)}")
    gold_est = sorted(est[min(index[a], index[b]), max(index[a], index[b])] for a, b in gold)
    mask = np.ones_like(est, dtype=bool)
    for a, b in gold:
        mask[min(index[a], index[b]), max(index[a], index[b])] = False
    neg = np.sort(est[np.triu(mask, k=1)])[::-1]
    print(f"  estimated J3: lowest gold pairs {[round(float(x), 3) for x in gold_est[:5]]}")
    print(f"  estimated J3: highest non-gold pairs {[round(float(x), 3) for x in neg[:8]]}")


def _shuffled(ids: list[str]) -> list[str]:
    out = list(ids)
    random.Random(SEED).shuffle(out)
    return out


def syndication_section(show: bool) -> None:
    articles = load_bbc()
    exclude = set().union(*gold_groups())
    # Found by eye (docs/dedup.md): an expanded re-publication the derived labels miss.
    exclude |= {"politics/111.txt", "politics/293.txt"}
    items, changes = build(articles, seed=SEED, n_originals=400, exclude=exclude)
    groups: dict[str, list[str]] = defaultdict(list)
    for item in items:
        groups[item.group].append(item.id)
    gold = pairs_of(groups.values())
    n_copies = sum(1 for i in items if i.id != i.group)
    print(f"Syndication: seed={SEED}, {len(items)} items ({n_copies} copies of 400 originals), {len(gold)} gold pairs")
    by_id: dict[str, Item] = {i.id: i for i in items}
    for name, make in (
        ("newsflow (3-shingle, J>=0.5 or C>=0.8)", Deduper),
        ("newsflow, Jaccard only (C off)", lambda s: Deduper(s, containment=1.0)),
        ("baseline (5-shingle, J>=0.8)", lambda s: Deduper(s, shingle_size=5, threshold=0.8, containment=1.0)),
    ):
        verdicts = run_stage([(i.id, i.text) for i in items], make)
        predicted = cluster_pairs(verdicts)
        p, r, f = prf(predicted, gold)
        statuses: dict[str, int] = defaultdict(int)
        for v in verdicts.values():
            statuses[v.status] += 1
        print(
            f"  {name}: P={p:.4f} R={r:.4f} F1={f:.4f}  FP pairs={len(predicted - gold)} "
            f"FN pairs={len(gold - predicted)} {dict(statuses)}"
        )
        if show and name.startswith("newsflow (3"):
            for a, b in sorted(gold - predicted)[:40]:
                j, c = exact_jaccard(by_id[a].text, by_id[b].text)
                print(f"    FN {a} {b} J3={j:.3f} C3={c:.3f} {changes.get(a, [])} {changes.get(b, [])}")
            for a, b in sorted(predicted - gold):
                j, c = exact_jaccard(by_id[a].text, by_id[b].text)
                print(f"    FP {a} {b} J3={j:.3f} C3={c:.3f}")


def five_kb_texts(n: int) -> list[str]:
    """``n`` texts of exactly 5,000 characters, each made of BBC articles no other text uses."""
    articles = load_bbc()
    out: list[str] = []
    pointer = 0
    while len(out) < n:
        text = ""
        while len(text) < 5000:
            text += articles[pointer % len(articles)]["text"] + "\n\n"
            pointer += 1
        out.append(text[:5000])
    if pointer > len(articles):
        raise ValueError(f"only {len(articles)} articles: ask for fewer texts")
    return out


def median_us(fn: Callable[[Any], Any], inputs: list[Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        for x in inputs:
            t0 = CLOCK[0]()
            fn(x)
            times.append(CLOCK[0]() - t0)
    return statistics.median(times) / 1000


def speed_section(repeat: int) -> None:
    texts = five_kb_texts(500)
    arts = [Article(id=f"s{i}", text=t, ingested_at=stamp(i)) for i, t in enumerate(texts)]

    def datasketch_5shingle(article: Article) -> list[int]:
        sketch = MinHash(num_perm=DEFAULT_NUM_PERM, seed=1)
        sketch.update_batch(shingles(article.text, 5))
        return [int(x) for x in sketch.digest()]

    def datasketch_3shingle(article: Article) -> list[int]:
        sketch = MinHash(num_perm=DEFAULT_NUM_PERM, seed=1)
        sketch.update_batch(shingles(article.text, 3))
        return [int(x) for x in sketch.digest()]

    ours = median_us(fingerprint, arts, repeat)
    with_url = [
        Article(id=a.id, text=a.text, ingested_at=a.ingested_at, url=f"https://www.example.com/news/{i}/?utm_source=x")
        for i, a in enumerate(arts)
    ]
    ours_url = median_us(fingerprint, with_url, 1)
    base5 = median_us(datasketch_5shingle, arts, 1)
    base3 = median_us(datasketch_3shingle, arts, 1)
    shingle_only = median_us(lambda a: shingles(a.text), arts, repeat)
    clock = "thread CPU time" if CLOCK[0] is time.thread_time_ns else "wall time"
    print(f"Speed (5,000-char articles, {len(arts)} distinct, median of {repeat} rounds, {clock}):")
    print(f"  fingerprint() [rensa, word 3-shingles, 128 perm]: {ours:8.1f} µs (shingling alone {shingle_only:.1f} µs)")
    print(f"  fingerprint() with a URL to canonicalise (courlan): {ours_url:8.1f} µs")
    print(f"  baseline datasketch MinHash, word 5-shingles: {base5:8.1f} µs, baseline/ours = {base5 / ours:.1f}x")
    print(f"  baseline datasketch MinHash, word 3-shingles: {base3:8.1f} µs, baseline/ours = {base3 / ours:.1f}x")

    # Deduper.__call__ with the fingerprint already computed, as in production.
    fps = [fingerprint(a) for a in arts]
    for name, make in (
        ("Deduper.__call__ (originals, LSH, dict store)", Deduper),
        ("baseline Deduper 5-shingle/0.8", lambda s: Deduper(s, shingle_size=5, threshold=0.8, containment=1.0)),
    ):
        times: list[int] = []
        for r in range(repeat):
            store: dict[str, Any] = {}
            deduper = make(store)
            for i, (a, fp) in enumerate(zip(arts, fps, strict=True)):
                art = Article(id=f"r{r}-{i}", text=a.text, ingested_at=stamp(i), fingerprint=fp)
                t0 = CLOCK[0]()
                deduper(art)
                times.append(CLOCK[0]() - t0)
        med = statistics.median(times) / 1000
        mean = statistics.fmean(times) / 1000
        print(f"  {name}: median {med:.1f} µs, mean {mean:.1f} µs -> ~{1e6 / mean:,.0f} articles/s on one core")
    # Duplicates cost a little more: candidates are fetched and compared.
    store = {}
    deduper = Deduper(store)
    for i, (a, fp) in enumerate(zip(arts, fps, strict=True)):
        deduper(Article(id=f"o{i}", text=a.text, ingested_at=stamp(i), fingerprint=fp))
    times = []
    for i, a in enumerate(arts):
        copy = Article(id=f"d{i}", text=a.text + "\n\nShare this article", ingested_at=stamp(1000 + i))
        copy.fingerprint = fingerprint(copy)
        t0 = CLOCK[0]()
        deduper(copy)
        times.append(CLOCK[0]() - t0)
    print(f"  Deduper.__call__ (near duplicates): median {statistics.median(times) / 1000:.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-disagreements", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("bbc", "syndication", "speed"))
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    CLOCK[0] = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    print(f"data: {BBC_NEWS}  seed={SEED}")
    if args.only in (None, "bbc"):
        bbc_section(args.show_disagreements)
    if args.only in (None, "syndication"):
        syndication_section(args.show_disagreements)
    if args.only in (None, "speed"):
        speed_section(args.repeat)


if __name__ == "__main__":
    main()
