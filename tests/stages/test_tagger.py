"""The shipped NER tagger and the tokenizer it relies on."""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import pytest

from newsflow.stages.entities.tagger import ENTITY_TYPES, MODEL_FILE, ModelChecksumError, PerceptronTagger
from newsflow.stages.entities.tokenize import Token, tokenize

MODEL_DIR = Path(__file__).resolve().parents[2] / "src" / "newsflow" / "stages" / "entities" / "model"


@pytest.fixture(scope="module")
def tagger() -> PerceptronTagger:
    return PerceptronTagger.load()


def spans_text(text: str, tagger: PerceptronTagger, lang: str) -> list[tuple[str, str]]:
    return [(text[s:e], t) for s, e, t in tagger.tag(tokenize(text), lang)]


# -- tokenizer ------------------------------------------------------------------


def test_tokenize_offsets_round_trip() -> None:
    rng = random.Random(5)
    alphabet = "aZ éÖ'’-.,;:!?1 9\n\t«»ЖжΩ東京 _/"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        toks = tokenize(text)
        assert all(text[t.start : t.end] == t.text for t in toks)
        # Nothing but whitespace is dropped.
        assert "".join(t.text for t in toks) == "".join(text.split())


def test_tokenize_splits_elisions_and_keeps_numbers() -> None:
    words = [t.text for t in tokenize("dell'Italia, l'ONU e 1.000,5 euro; Obama's plan")]
    assert words == ["dell'", "Italia", ",", "l'", "ONU", "e", "1.000,5", "euro", ";", "Obama", "'", "s", "plan"]


def test_token_is_frozen() -> None:
    tok = tokenize("Roma")[0]
    assert tok == Token("Roma", 0, 4)
    with pytest.raises(AttributeError):
        tok.start = 3  # type: ignore[misc]


# -- model loading ----------------------------------------------------------------


def test_shipped_checksum_file_matches_model() -> None:
    data = (MODEL_DIR / MODEL_FILE).read_bytes()
    recorded = (MODEL_DIR / f"{MODEL_FILE}.sha256").read_text("ascii").split()[0]
    assert hashlib.sha256(data).hexdigest() == recorded
    assert len(data) < 30_000_000


def test_load_rejects_tampered_model(tmp_path: Path) -> None:
    shutil.copy(MODEL_DIR / f"{MODEL_FILE}.sha256", tmp_path / f"{MODEL_FILE}.sha256")
    data = bytearray((MODEL_DIR / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelChecksumError):
        PerceptronTagger.load(tmp_path / MODEL_FILE)


def test_load_from_explicit_path_equals_packaged(tagger: PerceptronTagger) -> None:
    other = PerceptronTagger.load(MODEL_DIR / MODEL_FILE)
    toks = tokenize("Angela Merkel visited Paris with Emmanuel Macron.")
    assert other.tag(toks, "en") == tagger.tag(toks, "en")


# -- tagging ------------------------------------------------------------------------


def test_italian_sentence_persons_exact_offsets(tagger: PerceptronTagger) -> None:
    text = "Sergei Lavrov ha incontrato Choe Son Hui a Mosca."
    spans = tagger.tag(tokenize(text), "it")
    assert text[0:13] == "Sergei Lavrov"
    assert (0, 13, "PER") in spans
    assert text[43:48] == "Mosca"
    assert (43, 48, "LOC") in spans
    assert text[28:40] == "Choe Son Hui"
    assert (28, 40, "PER") in spans


def test_shipped_model_carries_its_name_lists(tagger: PerceptronTagger) -> None:
    lexicon = tagger._lexicon
    assert lexicon is not None
    assert "L1" in lexicon["marsiglia"]  # a GeoNames alternate name, through the gazetteer
    assert "F" in lexicon["maria"]  # US Census first names
    assert "Ow" in lexicon["università"]


def test_unseen_italian_city_is_a_place_through_the_name_lists(tagger: PerceptronTagger) -> None:
    # No Italian training data: before the lexicon features, "Marsiglia" here came out PER.
    text = "La delegazione ha visitato Lione e poi Marsiglia."
    assert (39, 48, "LOC") in tagger.tag(tokenize(text), "it")
    assert text[39:48] == "Marsiglia"


def test_spans_are_well_formed(tagger: PerceptronTagger) -> None:
    text = (
        "Il presidente Sergio Mattarella ha ricevuto al Quirinale il segretario generale "
        "dell'ONU António Guterres. La Banca Centrale Europea ha sede a Francoforte."
    )
    spans = tagger.tag(tokenize(text), "it")
    assert spans
    prev_end = 0
    for start, end, etype in spans:
        assert etype in ENTITY_TYPES
        assert prev_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        prev_end = end


@pytest.mark.parametrize(
    ("text", "lang", "name", "etype"),
    [
        ("Emmanuel Macron a rencontré les dirigeants à Bruxelles.", "fr", "Emmanuel Macron", "PER"),
        ("Владимир Путин прибыл в Москву.", "ru", "Владимир Путин", "PER"),
        ("Pedro Sánchez viajó a Madrid el lunes.", "es", "Pedro Sánchez", "PER"),
        ("Bundeskanzler Olaf Scholz sprach in Berlin.", "de", "Olaf Scholz", "PER"),
    ],
)
def test_persons_across_languages(tagger: PerceptronTagger, text: str, lang: str, name: str, etype: str) -> None:
    assert (name, etype) in spans_text(text, tagger, lang)


def test_lowercase_text_has_no_entities(tagger: PerceptronTagger) -> None:
    assert tagger.tag(tokenize("the cat sat on the mat and then went home ."), "en") == []


def test_empty_input(tagger: PerceptronTagger) -> None:
    assert tagger.tag([], "it") == []
    assert tagger.tag(tokenize(""), "xx") == []
    assert tagger.tag(tokenize("   \n\t "), "xx") == []


def test_odd_tokens_do_not_raise(tagger: PerceptronTagger) -> None:
    odd = [Token("", 0, 0), Token("\x00", 0, 1), Token("x" * 10_000, 1, 10_001), Token("\ud800", 0, 1)]
    spans = tagger.tag(odd, "zz")
    assert all(t in ENTITY_TYPES for _, _, t in spans)


def test_huge_input_is_safe_and_bounded(tagger: PerceptronTagger) -> None:
    # ~1 MB, no punctuation at all, mixed scripts: exercises the sentence cap and the token cap.
    text = ("Mario Rossi visita Roma e 東京都 Москва " * 30_000)[:1_000_000]
    spans = tagger.tag(tokenize(text), "it")
    assert spans
    assert spans[-1][1] <= len(text)
    assert all(text[s:e].strip() == text[s:e] for s, e, _ in spans[:100])
