#!/usr/bin/env python
"""Linking inflected names ("в Москве", "w Warszawie", "Deutschlands") through their nominative.

    /work/venv/bin/python benchmarks/inflected_links.py               # both parts
    /work/venv/bin/python benchmarks/inflected_links.py --limit 2000  # first 2,000 sentences per file

1. **Reference forms.** spaCy's lemma tables (``spacy-lookups-data``, installed
   with the ``train`` extra; skipped without it) pair capitalised inflected forms
   with their lemma ("Москве" -> "Москва"). For every such form the gazetteer
   does not know as written and whose lemma is a gazetteer place, the stage's
   guess (``_link_inflected``, type LOC) is *right* (the lemma's entry), *other*
   (another entry) or *missed*. Forms whose lemma is no gazetteer place but
   that get linked anyway are counted as well: they show what a wrong guess
   costs when the tagger calls such a word a place.
2. **Real text.** WikiNEuRal ru and de test sentences (CC BY-NC-SA, read in
   place from ``<data>/ner/wikineural``, evaluation only), each as an article
   in its language: how many of the stage's LOC and ORG mentions carry a
   kb_id. The baseline, in the same run, is the same stage with no case
   endings to try (what it linked before this path existed).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import importlib.resources
import importlib.util
import os
import platform
from collections import Counter
from pathlib import Path
from unittest.mock import patch

import orjson

from newsflow.models import Article, LanguageResult
from newsflow.stages.entities import EntityExtractor
from newsflow.stages.entities import extractor as extractor_module
from newsflow.stages.entities.extractor import _compatible, _link_inflected
from newsflow.stages.entities.gazetteer import Gazetteer, load_gazetteer
from newsflow.stages.entities.lang import for_language

REPO = Path(__file__).resolve().parents[1]
# (language, lemma tables of spacy-lookups-data)
REFERENCE_TABLES = (("ru", ("ru_lemma_lookup",)), ("pl", ("pl_lemma_lookup_noun",)), ("de", ("de_lemma_lookup",)))


def reference_forms(lang: str, tables: tuple[str, ...]) -> dict[str, str]:
    """Capitalised inflected form -> its capitalised lemma, from spaCy's lemma tables."""
    data = importlib.resources.files("spacy_lookups_data") / "data"
    pairs: dict[str, str] = {}
    for table in tables:
        for form, lemmas in orjson.loads(gzip.decompress((data / f"{table}.json.gz").read_bytes())).items():
            lemma = lemmas[0] if isinstance(lemmas, list) else lemmas
            if form[:1].isupper() and lemma[:1].isupper() and form != lemma and "-" not in form:
                pairs[form] = lemma
    return pairs


def score_reference(gaz: Gazetteer) -> None:
    if importlib.util.find_spec("spacy_lookups_data") is None:
        print("reference forms: skipped (pip install -e '.[train]' for spacy-lookups-data)")
        return
    print("reference forms (spaCy lemma tables; only forms the gazetteer does not know as written):")
    print(
        f"{'lang':5} {'forms':>8} {'lemma a place':>14} {'right':>7} {'other':>6} {'missed':>7} {'precision':>10} "
        f"{'recall':>7} {'lemma no place, linked':>23}"
    )
    for lang, tables in REFERENCE_TABLES:
        ld = for_language(lang)
        counts: Counter[str] = Counter()
        forms = reference_forms(lang, tables)
        for form, lemma in forms.items():
            if gaz.lookup(form):
                continue
            expected = _compatible(gaz.lookup(lemma), "LOC")
            guessed = _link_inflected(form, "LOC", gaz, ld)
            if expected is None:
                counts["no place, linked"] += guessed is not None
                counts["no place"] += 1
            elif guessed is None:
                counts["missed"] += 1
            else:
                counts["right" if guessed.kb_id == expected.kb_id else "other"] += 1
        places = counts["right"] + counts["other"] + counts["missed"]
        linked = counts["right"] + counts["other"]
        print(
            f"{lang:5} {len(forms):>8} {places:>14} {counts['right']:>7} {counts['other']:>6} {counts['missed']:>7} "
            f"{counts['right'] / max(linked, 1):>10.3f} {counts['right'] / max(places, 1):>7.3f} "
            f"{counts['no place, linked']:>10} of {counts['no place']:<10}"
        )


def conllu_sentences(path: Path, limit: int | None) -> list[str]:
    sentences: list[str] = []
    words: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            if words:
                sentences.append(" ".join(words))
                words = []
                if limit and len(sentences) >= limit:
                    break
            continue
        cols = line.split("\t")
        if len(cols) >= 2 and not line.startswith("#"):
            words.append(cols[1])
    if words and not (limit and len(sentences) >= limit):
        sentences.append(" ".join(words))
    return sentences


def linked_mentions(extractor: EntityExtractor, sentences: list[str], lang: str) -> tuple[int, Counter[str]]:
    """LOC and ORG mentions of the stage, and the surfaces of those that carry a kb_id (with their canonical)."""
    mentions = 0
    linked: Counter[str] = Counter()
    for k, text in enumerate(sentences):
        article = Article(id=str(k), text=text, ingested_at="", language=LanguageResult(lang, 1.0))
        for m in extractor(article).entities:
            if m.type in ("LOC", "ORG"):
                mentions += 1
                if m.kb_id is not None:
                    linked[f"{m.text} -> {m.canonical}"] += 1
    return mentions, linked


def score_text(data: Path, limit: int | None) -> None:
    print("real text (WikiNEuRal test sentences; LOC and ORG mentions of the whole stage):")
    print(
        f"{'lang':5} {'sentences':>9} {'mentions':>9} {'linked':>7} {'baseline':>9} {'share linked':>13} "
        f"{'baseline share':>15} {'ratio':>6}"
    )
    extractor = EntityExtractor()
    extractor.warm_up()
    for lang in ("ru", "de"):
        sentences = conllu_sentences(data / "ner" / "wikineural" / f"{lang}_test.conllu", limit)
        mentions, linked = linked_mentions(extractor, sentences, lang)
        # The baseline: the same stage with no case endings to try.
        without = dataclasses.replace(for_language(lang), name_endings=())
        with patch.object(extractor_module, "for_language", lambda _code, ld=without: ld):
            base_mentions, base_linked = linked_mentions(extractor, sentences, lang)
        n, b = linked.total(), base_linked.total()
        print(
            f"{lang:5} {len(sentences):>9} {mentions:>9} {n:>7} {b:>9} {n / max(mentions, 1):>13.3f} "
            f"{b / max(base_mentions, 1):>15.3f} {n / max(b, 1):>6.2f}"
        )
        gained = linked - base_linked
        print("      commonest new links:", ", ".join(f"{s} ({n})" for s, n in gained.most_common(12)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("NEWSFLOW_DATA", REPO.parent / "shared" / "data"))
    )
    parser.add_argument("--limit", type=int, help="sentences per WikiNEuRal file (default: all)")
    args = parser.parse_args()
    print(f"python={platform.python_version()} machine={platform.machine()} cpus={os.cpu_count()}")
    score_reference(load_gazetteer())
    score_text(args.data, args.limit)


if __name__ == "__main__":
    main()
