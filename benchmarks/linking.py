"""Entity-linking accuracy on ELEVANT news-fair-v2, and the entities stage's speed.

    /work/venv/bin/python benchmarks/linking.py                 # accuracy
    /work/venv/bin/python benchmarks/linking.py --speed         # + median ms per 5 KB article
    /work/venv/bin/python benchmarks/linking.py --no-tagger     # gazetteer + fallback heuristic only

Accuracy: the gold set is every label of news-fair-v2 (English news, Wikidata
QIDs) inside the document's ``evaluation_span`` that is not a coreference
label (pronouns, "the company"), not ``<NIL>`` and not optional. A gold
mention counts as *linked* when one of our mentions overlaps it and carries a
kb_id; *correct* when that kb_id equals the gold QID. Printed:

* linked / gold           how many gold mentions got any link
* correct / linked        linking accuracy among linked gold mentions
* correct / gold          end-to-end recall
* QID links / all links   how many of our links are Wikidata ids at all
* type                     of our mentions on exactly a gold span whose class is person,
                           organisation or geographic entity (linked or NIL), how many
                           have that type
* surface forms with more than one type in one article (what "one type per
  name" in docs/entities.md is about)

The data is read in place from ``../shared/data/el/elevant`` (never copied).
Speed: the first 200 BBC articles (``shared/data/news/bbc_news.jsonl``, in file
order, no sampling) cut or repeated to exactly 5,000 characters; the baseline
is ``re.findall(r"\\w+")`` over the same texts in the same run.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import time
from pathlib import Path

from newsflow.models import Article, LanguageResult
from newsflow.stages.entities import EntityExtractor
from newsflow.stages.entities.extractor import _CapitalisedSequenceTagger
from newsflow.stages.entities.lang import for_language
from newsflow.stages.entities.tokenize import tokenize

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
ELEVANT = DATA / "el" / "elevant" / "news-fair-v2.benchmark.jsonl"
BBC = DATA / "news" / "bbc_news.jsonl"


def gold_mentions(doc: dict[str, object]) -> list[tuple[int, int, str]]:
    lo, hi = doc["evaluation_span"]  # type: ignore[misc]
    out = []
    for label in doc["labels"]:  # type: ignore[attr-defined]
        start, end = label["span"]
        if label.get("coref") or label.get("optional") or label["entity_id"] == "<NIL>":
            continue
        if start >= lo and end <= hi:
            out.append((start, end, str(label["entity_id"])))
    return out


# ELEVANT's entity classes that map to one of our types; labels with several classes
# ("Q27096213|Q43229": a place that acts as an organisation) are left out.
GOLD_TYPES = {"Q215627": "PER", "Q43229": "ORG", "Q27096213": "LOC"}


def typed_gold_spans(doc: dict[str, object]) -> list[tuple[int, int, str]]:
    """Gold spans (linked or NIL) in the evaluation span whose class maps to PER, ORG or LOC."""
    lo, hi = doc["evaluation_span"]  # type: ignore[misc]
    out = []
    for label in doc["labels"]:  # type: ignore[attr-defined]
        start, end = label["span"]
        gold_type = GOLD_TYPES.get(str(label.get("type")))
        if gold_type and not label.get("coref") and start >= lo and end <= hi:
            out.append((start, end, gold_type))
    return out


def accuracy(extractor: EntityExtractor) -> None:
    docs = [json.loads(line) for line in ELEVANT.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold_total = linked = correct = 0
    our_links = our_qid_links = 0
    by_type: dict[str, list[int]] = {}
    typed = typed_right = surfaces = mixed_surfaces = 0
    for doc in docs:
        article = Article(
            id=str(doc["id"]),
            text=doc["text"],
            ingested_at="1970-01-01T00:00:00Z",
            language=LanguageResult("en", 1.0),
        )
        extractor(article)
        lo, hi = doc["evaluation_span"]
        mentions = [m for m in article.entities if m.field == "text"]
        for m in mentions:
            if m.kb_id and lo <= m.start and m.end <= hi:
                our_links += 1
                our_qid_links += m.kb_id.startswith("Q")
        for start, end, gold_type in typed_gold_spans(doc):
            exact = [m for m in mentions if (m.start, m.end) == (start, end)]
            if exact:
                typed += 1
                typed_right += exact[0].type == gold_type
        types_by_surface: dict[str, set[str]] = {}
        for m in article.entities:
            types_by_surface.setdefault(m.text, set()).add(m.type)
        surfaces += len(types_by_surface)
        mixed_surfaces += sum(len(types) > 1 for types in types_by_surface.values())
        for start, end, qid in gold_mentions(doc):
            gold_total += 1
            hits = [m for m in mentions if m.start < end and start < m.end and m.kb_id]
            if not hits:
                continue
            linked += 1
            ok = any(m.kb_id == qid for m in hits)
            correct += ok
            kind = hits[0].type
            by_type.setdefault(kind, [0, 0])
            by_type[kind][0] += 1
            by_type[kind][1] += ok
    print(f"documents: {len(docs)}   gold mentions (non-coref, non-NIL, in evaluation span): {gold_total}")
    print(f"linked / gold:   {linked} / {gold_total} = {linked / gold_total:.3f}")
    print(f"correct / linked: {correct} / {linked} = {correct / max(linked, 1):.3f}")
    print(f"correct / gold:  {correct} / {gold_total} = {correct / gold_total:.3f}")
    print(f"our links in evaluation spans: {our_links}, of which Wikidata QIDs: {our_qid_links}")
    for kind, (n, ok) in sorted(by_type.items()):
        print(f"  linked as {kind}: {n}, correct {ok} ({ok / n:.3f})")
    print(
        f"type: {typed_right} / {typed} = {typed_right / max(typed, 1):.3f} of our mentions on exactly a gold span"
        " typed person / organisation / geographic entity are of that type"
    )
    print(f"surface forms with more than one type in an article: {mixed_surfaces} of {surfaces}")


def speed(extractor: EntityExtractor, n_articles: int = 200, repeats: int = 3) -> None:
    texts = []
    for line in BBC.read_text(encoding="utf-8").splitlines()[:n_articles]:
        text = json.loads(line)["text"]
        while len(text) < 5000:
            text = text + "\n\n" + text
        texts.append(text[:5000])
    articles = [
        Article(id=str(i), text=t, ingested_at="1970-01-01T00:00:00Z", language=LanguageResult("en", 1.0))
        for i, t in enumerate(texts)
    ]
    extractor(articles[0])  # load the gazetteer and the model outside the timing
    word_re = re.compile(r"\w+")
    # CPU time (process_time) as well as wall time: on a shared 2-core box the
    # wall clock also measures whoever else is running.
    stage_ms: list[float] = []
    stage_cpu_ms: list[float] = []
    base_ms: list[float] = []
    for _ in range(repeats):
        for article, text in zip(articles, texts, strict=True):
            t0 = time.perf_counter()
            word_re.findall(text)
            t1 = time.perf_counter()
            c1 = time.process_time()
            extractor(article)
            c2 = time.process_time()
            t2 = time.perf_counter()
            base_ms.append((t1 - t0) * 1000)
            stage_ms.append((t2 - t1) * 1000)
            stage_cpu_ms.append((c2 - c1) * 1000)
    # Where the time goes (CPU medians over one round): NER backend alone, gazetteer alone.
    lang = for_language("en")
    gaz = extractor.gazetteer
    tagger = extractor._statistical_tagger()
    ner_cpu: list[float] = []
    gaz_cpu: list[float] = []
    for text in texts:
        c0 = time.process_time()
        if tagger is not None:
            tagger.tag(tokenize(text), "en")
        c1 = time.process_time()
        gaz.find(text, lang.stop_names)
        c2 = time.process_time()
        ner_cpu.append((c1 - c0) * 1000)
        gaz_cpu.append((c2 - c1) * 1000)
    med, base = statistics.median(stage_ms), statistics.median(base_ms)
    cpu = statistics.median(stage_cpu_ms)
    p95 = statistics.quantiles(stage_ms, n=20)[18]
    print(f"speed: {len(texts)} BBC articles x {repeats}, 5,000 chars each ({platform.python_version()})")
    print(f"  entities stage: median {med:.3f} ms wall (p95 {p95:.3f}), median {cpu:.3f} ms CPU per article")
    print(f"  baseline re.findall(r'\\w+'): median {base:.3f} ms   ratio stage/baseline {med / base:.1f}x")
    print(
        f"  of which (CPU medians): tokenize+tagger {statistics.median(ner_cpu):.3f} ms, "
        f"gazetteer.find {statistics.median(gaz_cpu):.3f} ms"
    )
    print(f"  target <= 1 ms median: {'met' if cpu <= 1.0 else 'NOT met'} (judged on CPU time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", action="store_true", help="also time the stage on 5 KB articles")
    parser.add_argument("--no-tagger", action="store_true", help="use the capitalised-sequence fallback tagger")
    args = parser.parse_args()
    extractor = EntityExtractor(tagger=_CapitalisedSequenceTagger()) if args.no_tagger else EntityExtractor()
    print(f"backend: {'gazetteer + capitalised-sequence fallback' if args.no_tagger else 'gazetteer + shipped tagger'}")
    accuracy(extractor)
    if args.speed:
        speed(extractor)


if __name__ == "__main__":
    main()
