#!/usr/bin/env python
"""NER tagger benchmark: strict-span F1 and speed against a capitalisation baseline.

    /work/venv/bin/python benchmarks/ner.py                # full run
    /work/venv/bin/python benchmarks/ner.py --limit 500    # first 500 sentences per file

Data (read in place, never copied): ``<data>/ner/wikineural/{it,en,fr,de,es,ru}_test.conllu``
and ``wikigold_en_test.conllu`` (columns ``idx token tag``, IOB2), plus the
Europarl gold sets in ``<data>/ner-train/europarl_ner`` (``token tag``), which
the training script never trains on. ``<data>`` defaults to ``../shared/data``
from the repo root or ``$NEWSFLOW_DATA``.

Headline: strict-span micro-F1 over PER+ORG+LOC (a predicted span counts only
with exact boundaries and type). Also per type (incl. MISC) and per file.
Two systems are scored: the statistical tagger alone (``P R F1`` and the per-type
columns), and the whole entity stage as the pipeline runs it (``stage F1``:
``EntityExtractor`` with the shipped gazetteer and tagger, on each sentence as an
article's text in the file's language), which is the offline default the targets
are for.
Speed: sentences are grouped in file order into ~5 KB pseudo-articles; the
timed unit is tokenizing the article text and tagging it, median over
articles, for the model (``token_spans`` + ``tag_spans``, the path the stage
uses) and for the baseline (``tokenize`` + ``tag`` on Token objects) in the
same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from newsflow.models import Article, LanguageResult
from newsflow.stages.entities.extractor import EntityExtractor
from newsflow.stages.entities.tagger import PerceptronTagger
from newsflow.stages.entities.tokenize import Token, token_spans, tokenize

REPO = Path(__file__).resolve().parents[1]
HEADLINE = ("PER", "ORG", "LOC")
TYPES = ("PER", "ORG", "LOC", "MISC")
Span = tuple[int, int, str]
Tagger = Callable[[list[Token], str], list[Span]]


def read_conll(path: Path, tok_col: int, tag_col: int, limit: int | None) -> list[tuple[list[str], list[str]]]:
    sents: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        cols = line.split("\t") if "\t" in line else line.split()
        if not line.strip() or line.startswith("-DOCSTART"):
            if words:
                sents.append((words, tags))
                words, tags = [], []
                if limit and len(sents) >= limit:
                    break
            continue
        if len(cols) <= max(tok_col, tag_col):
            continue
        words.append(cols[tok_col])
        tags.append(cols[tag_col])
    if words and not (limit and len(sents) >= limit):
        sents.append((words, tags))
    return sents


def gold_spans(tags: list[str]) -> set[tuple[int, int, str]]:
    """Token spans (start, end_exclusive, type) from IOB1/IOB2 tags."""
    out: set[tuple[int, int, str]] = set()
    start, typ = -1, ""
    for i, t in enumerate([*tags, "O"]):
        label = t[2:] if t[:2] in ("B-", "I-") else ""
        begins = t.startswith("B-") or (label and label != typ)
        if typ and (not label or begins):
            out.add((start, i, typ))
            typ = ""
        if label and not typ:
            start, typ = i, label
    return out


class CapsBaseline:
    """Maximal runs of capitalised words, not sentence-initial, typed PER when two or more words else LOC."""

    def tag(self, tokens: list[Token], lang: str) -> list[Span]:
        spans: list[Span] = []
        run: list[Token] = []
        prev = "."
        for tok in [*tokens, Token(".", -1, -1)]:
            w = tok.text
            cap = w[:1].isupper() and prev not in (".", "!", "?", '"', "«", "“")
            if cap:
                run.append(tok)
            elif run:
                spans.append((run[0].start, run[-1].end, "PER" if len(run) > 1 else "LOC"))
                run = []
            prev = w
        return spans


def score_file(
    tag: Tagger, sents: list[tuple[list[str], list[str]]], lang: str
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """True positives, false positives and false negatives per type, on the file's own tokens."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for words, tags in sents:
        toks: list[Token] = []
        pos = 0
        for w in words:
            toks.append(Token(w, pos, pos + len(w)))
            pos += len(w) + 1
        start_of = {t.start: i for i, t in enumerate(toks)}
        end_of = {t.end: i + 1 for i, t in enumerate(toks)}
        pred = {(start_of[s], end_of[e], ty) for s, e, ty in tag(toks, lang) if s in start_of and e in end_of}
        gold = gold_spans(tags)
        for _, _, ty in pred & gold:
            tp[ty] += 1
        for _, _, ty in pred - gold:
            fp[ty] += 1
        for _, _, ty in gold - pred:
            fn[ty] += 1
    return tp, fp, fn


class StageTagger:
    """The whole entity stage (gazetteer + tagger + composition) behind the ``Tagger`` signature.

    Each call is one sentence as an article's text; the benchmark's tokens are joined with single
    spaces, so the stage's character offsets map back to them.
    """

    def __init__(self, model: PerceptronTagger) -> None:
        self.extractor = EntityExtractor(tagger=model)
        self.extractor.warm_up()

    def tag(self, tokens: list[Token], lang: str) -> list[Span]:
        text = " ".join(tok.text for tok in tokens)
        article = Article(id="s", text=text, ingested_at="", language=LanguageResult(code=lang, confidence=1.0))
        return [(m.start, m.end, m.type) for m in self.extractor(article).entities if m.field == "text"]


def prf(tp: Counter[str], fp: Counter[str], fn: Counter[str], types: tuple[str, ...]) -> tuple[float, float, float]:
    t = sum(tp[x] for x in types)
    p = t / max(t + sum(fp[x] for x in types), 1)
    r = t / max(t + sum(fn[x] for x in types), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def articles(sents: list[tuple[list[str], list[str]]], size: int = 5000) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    n = 0
    for words, _ in sents:
        s = " ".join(words)
        cur.append(s)
        n += len(s) + 1
        if n >= size:
            out.append(" ".join(cur))
            cur, n = [], 0
    return out


def median_ms(tag: Tagger, texts: list[str], lang: str) -> float:
    times = []
    for text in texts:
        t0 = time.perf_counter()
        tag(tokenize(text), lang)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times) if times else float("nan")


def median_ms_fast(model: PerceptronTagger, texts: list[str], lang: str) -> float:
    times = []
    for text in texts:
        t0 = time.perf_counter()
        model.tag_spans(*token_spans(text), lang)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times) if times else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description="NER tagger benchmark")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("NEWSFLOW_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--limit", type=int, default=None, help="sentences per file (default: all)")
    ap.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = PerceptronTagger.load(args.model)
    print(f"model load: {time.perf_counter() - t0:.2f} s; limit={args.limit}")
    base = CapsBaseline()
    stage = StageTagger(model)
    wn = args.data / "ner" / "wikineural"
    ep = args.data / "ner-train" / "europarl_ner"
    files = [(f"wikineural/{x}", x, wn / f"{x}_test.conllu", 1, 2) for x in ("en", "de", "fr", "ru", "it", "es")]
    files.append(("wikigold/en", "en", wn / "wikigold_en_test.conllu", 1, 2))
    files += [(f"europarl/{x}", x, ep / f"{x}-europarl.test.conll02", 0, 1) for x in ("en", "de", "it", "es")]

    print(
        f"\n{'file':16} {'sents':>6} | {'P':>5} {'R':>5} {'F1':>5} | "
        + " ".join(f"{t:>5}" for t in TYPES)
        + f" | {'stage F1':>8} | {'base F1':>7} {'ratio':>5} | {'ms/5KB':>6} {'base ms':>7} {'n_art':>5}"
    )
    totals = {name: (Counter[str](), Counter[str](), Counter[str]()) for name in ("model", "stage", "base")}
    for name, lang, path, tc, gc in files:
        sents = read_conll(path, tc, gc, args.limit)
        tp, fp, fn = score_file(model.tag, sents, lang)
        btp, bfp, bfn = score_file(base.tag, sents, lang)
        stp, sfp, sfn = score_file(stage.tag, sents, lang)
        for (a, b, c), (x, y, z) in (
            (totals["model"], (tp, fp, fn)),
            (totals["stage"], (stp, sfp, sfn)),
            (totals["base"], (btp, bfp, bfn)),
        ):
            a.update(x)
            b.update(y)
            c.update(z)
        p, r, f = prf(tp, fp, fn, HEADLINE)
        bf = prf(btp, bfp, bfn, HEADLINE)[2]
        sf = prf(stp, sfp, sfn, HEADLINE)[2]
        per_type = " ".join(f"{prf(tp, fp, fn, (t,))[2]:5.3f}" for t in TYPES)
        texts = articles(sents)
        ms = median_ms_fast(model, texts, lang)
        bms = median_ms(base.tag, texts, lang)
        print(
            f"{name:16} {len(sents):6d} | {p:5.3f} {r:5.3f} {f:5.3f} | {per_type} | {sf:8.3f}"
            f" | {bf:7.3f} {f / max(bf, 1e-9):5.2f}"
            f" | {ms:6.2f} {bms:7.2f} {len(texts):5d}"
        )
    mp, mr, mf = prf(*totals["model"], HEADLINE)
    bf = prf(*totals["base"], HEADLINE)[2]
    sp, sr, sf = prf(*totals["stage"], HEADLINE)
    print(
        f"\nall files, micro PER+ORG+LOC: tagger P={mp:.3f} R={mr:.3f} F1={mf:.3f}; "
        f"stage P={sp:.3f} R={sr:.3f} F1={sf:.3f}; baseline F1={bf:.3f}"
    )

    # Speed on 5 KB pseudo-articles, all wikineural languages pooled and
    # interleaved, with a freshly loaded model: the first pass starts with an
    # empty per-word memo (like a new worker), the second is warm.
    texts_by_lang = [articles(read_conll(path, tc, gc, args.limit or 2000)) for _, _, path, tc, gc in files[:6]]
    texts = [t for group in zip(*texts_by_lang, strict=False) for t in group]
    langs = [f[1] for f in files[:6]] * (len(texts) // 6 + 1)
    fresh = PerceptronTagger.load(args.model)
    token_lists = [tokenize(t) for t in texts]
    span_lists = [token_spans(t) for t in texts]
    for label in ("cold (first pass, fresh model)", "warm (second pass)"):
        tok_ms, tag_ms, base_ms = [], [], []
        for text, toks, spans, lang in zip(texts, token_lists, span_lists, langs, strict=False):
            t1 = time.perf_counter()
            token_spans(text)
            t2 = time.perf_counter()
            fresh.tag_spans(*spans, lang)
            t3 = time.perf_counter()
            base.tag(toks, lang)
            t4 = time.perf_counter()
            tok_ms.append((t2 - t1) * 1000)
            tag_ms.append((t3 - t2) * 1000)
            base_ms.append((t4 - t3) * 1000)
        med = statistics.median(tag_ms)
        bmed = statistics.median(base_ms)
        print(
            f"speed, {label}: {len(texts)} articles (~5 KB, median {statistics.median(len(t) for t in token_lists):.0f}"
            f" tokens): tokenize {statistics.median(tok_ms):.3f} ms, tag {med:.3f} ms, baseline tag {bmed:.3f} ms"
            f" (ratio {med / bmed:.2f}), tag p90 {sorted(tag_ms)[int(0.9 * len(tag_ms))]:.3f} ms (medians)"
        )


if __name__ == "__main__":
    main()
