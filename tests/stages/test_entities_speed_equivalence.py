"""The fast paths of the entities stage (issue #9) against straightforward reference implementations.

Each reference below is the pre-optimisation algorithm written plainly (the regex ``findall`` +
``str.find`` tokenizer, per-slot feature hashing, binary search of the feature keys, the
padded-sentence first stage with ``stack_features``); the fast code must agree with it exactly,
floats bit for bit.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import numpy.typing as npt
import pytest

from newsflow.models import Article, LanguageResult
from newsflow.stages.entities import EntityExtractor
from newsflow.stages.entities import tagger as tagger_module
from newsflow.stages.entities.gazetteer import _BOUNDARY_TABLE, _OTHER_SCRIPT, _padded_boundaries, load_gazetteer
from newsflow.stages.entities.tagger import (
    BOS,
    EOS,
    MAX_SENTENCE_TOKENS,
    N_SLOTS,
    N_TAGS,
    SENTENCE_END,
    SLOT_CUR,
    SLOT_M1,
    SLOT_M2,
    SLOT_P1,
    SLOT_P2,
    PerceptronTagger,
    _ChunkOffsets,
    lang_group,
    stack_features,
    word_feature_hashes,
    word_hash_slots,
)
from newsflow.stages.entities.tokenize import _CLITICS, _ELISIONS, _TOKEN_RE, Token, token_spans, tokenize

TEXTS = [
    "Angela Merkel visited Paris with Emmanuel Macron. Then they met in Berlin!",
    "dell'Italia, l'ONU e 1.000,5 euro; Obama's plan, L'Aquila and QU'IL and the rock'n'roll era’s end.",
    "Il presidente dell’Unione europea, Ursula von der Leyen, ha detto all'ANSA che l'accordo è vicino.",
    "Сергей Лавров встретился с Энтони Блинкеном в Женеве. İstanbul’da Straße Ærø.",
    "Well-known co-founder ‐ x‑ray — 3.14 and 2,5 and U.S.-based McDONALD's (NYSE: MCD) Choe Son Hui.",
    "\x00 odd \ud800 token x" + "y" * 100 + " end. ' '' ’ a' b’ l' d’",
    "no punctuation at all " * 150,
    "Short. " * 90 + "A very long sentence " * 70,
    "Washington state and the state of Washington; Mr. John Smith met Dr. Jane Doe in New York City.",
    "George W. Bush, J. R. R. Tolkien, U.S.A., e.g. Bob O'Brien, O’Neill's, I'm, O's, O'O'Hara, Mrso. Co. a.C. J.-C.",
    "",
    "   \n\t ",
]


def reference_tokens(text: str) -> list[tuple[str, int, int]]:
    """The tokenizer before issue #9: findall + str.find, then apostrophe splitting."""
    out: list[tuple[str, int, int]] = []
    pos = 0
    for word in _TOKEN_RE.findall(text):
        start = text.find(word, pos)
        pos = start + len(word)
        out.append((word, start, pos))
    split: list[tuple[str, int, int]] = []
    # from the back, as an O' joins the word after it once that word is final
    for word, start, end in reversed(out):
        if word[-1] in "'’" and len(word) > 1 and word[:-1].lower() not in _ELISIONS:
            after, _, after_end = split[-1]  # the regex keeps an apostrophe only before a letter
            if after in _CLITICS:
                cut = 2 if after == "t" and word.endswith("n'") and len(word) > 3 else 1
                split[-1] = (word[-cut:] + after, end - cut, after_end)
                split.append((word[:-cut], start, end - cut))
            elif len(word) == 2 and word[0].isupper():
                split[-1] = (word + after, start, after_end)
            else:
                split += [(word[-1], end - 1, end), (word[:-1], start, end - 1)]
        else:
            split.append((word, start, end))
    return split[::-1]


@pytest.fixture(scope="module")
def tagger() -> PerceptronTagger:
    return PerceptronTagger.load()


@pytest.mark.parametrize("text", TEXTS)
def test_token_spans_match_the_reference_tokenizer(text: str) -> None:
    words, starts, ends = token_spans(text)
    assert list(zip(words, starts, ends, strict=True)) == reference_tokens(text)
    assert tokenize(text) == [Token(w, s, e) for w, s, e in reference_tokens(text)]


def test_word_hash_slots_equal_the_feature_hashes() -> None:
    words = {w for text in TEXTS for w in token_spans(text)[0]}
    words |= {BOS, EOS, "", "X" * 100, "aaaa-BBBB-1111", "The", "the", "IN", "de", "ſ", "K", "McDONALD", "x1x2"}
    words |= {"Mosca", "MOSCA", "mosca", "Università", "Nuova"}
    lexicon = {"mosca": ("L1", "Lk"), "università": ("Ow",), "nuova": ("Lp",), "the": ("Lp",)}
    shapes: dict[str, tuple[str, str]] = {}
    for lex in (None, lexicon):
        for group in ("", "de", "xx"):
            for word in sorted(words):
                slots = word_feature_hashes(word, group, lex)
                expected = ([h for slot in slots for h in slot], [len(slot) for slot in slots])
                assert word_hash_slots(word, group, None, lex) == expected, word
                assert word_hash_slots(word, group, shapes, lex) == expected, word
    assert shapes  # the cache was used, and a second pass through it agreed
    # the lexicon adds features to capitalised words only
    assert word_hash_slots("Mosca", "", None, lexicon) != word_hash_slots("Mosca", "")
    assert word_hash_slots("mosca", "", None, lexicon) == word_hash_slots("mosca", "")


def test_feature_rows_match_binary_search(tagger: PerceptronTagger) -> None:
    keys = tagger._keys
    rng = np.random.default_rng(9)
    h = np.concatenate(
        [
            rng.integers(0, 2**32, 5000, dtype=np.uint64).astype(np.uint32),
            keys[rng.integers(0, len(keys), 5000)],
            keys[:3],
            keys[-3:],
            np.array([0, 2**32 - 1], np.uint32),
        ]
    )
    idx = np.minimum(np.searchsorted(keys, h), len(keys) - 1)
    expected = np.where(keys[idx] == h, idx, len(keys))
    assert np.array_equal(tagger._rows(h), expected)
    assert (expected < len(keys)).sum() >= 5006


def reference_scores(tagger: PerceptronTagger, words: list[str], lang: str) -> npt.NDArray[np.float32]:
    """Both stages as before issue #9: padded sentences, stack_features, hstack, 256-row products."""
    memo = tagger._memo(lang_group(lang))
    ids = tagger._ids(memo, words)
    n = len(ids)
    is_end = (ids >= 2) & (ids < 2 + len(SENTENCE_END))
    first = np.empty(n, bool)
    first[0] = True
    first[1:] = is_end[:-1]
    positions = np.arange(n)
    start = np.maximum.accumulate(np.where(first, positions, 0))
    first |= (positions - start) % MAX_SENTENCE_TOKENS == 0
    last = np.empty(n, bool)
    last[-1] = True
    last[:-1] = first[1:]
    sid = np.cumsum(first) - 1
    pos = positions + 2 + 4 * sid
    padded = np.full(n + 4 * (int(sid[-1]) + 1), 0, np.int64)
    padded[pos[last] + 1] = 1
    padded[pos[last] + 2] = 1
    padded[pos] = ids
    v = memo.vectors
    first_stage = (
        v[padded[pos - 2], SLOT_M2]
        + v[padded[pos - 1], SLOT_M1]
        + v[ids, SLOT_CUR + first]
        + v[padded[pos + 1], SLOT_P1]
        + v[padded[pos + 2], SLOT_P2]
        + tagger._intercept
    )
    if tagger._output is not None:
        hidden = np.maximum(first_stage, np.float32(0))
        first_stage = np.empty((n, N_TAGS), np.float32)
        for i in range(0, n, 256):
            np.matmul(hidden[i : i + 256], tagger._output[0], out=first_stage[i : i + 256])
        first_stage += tagger._output[1]
    assert tagger._stack is not None
    feats = stack_features(first_stage, memo.caps[ids], first, last)
    w, b = tagger._stack
    out = np.empty((n, N_TAGS), np.float32)
    for i in range(0, n, 256):
        np.matmul(feats[i : i + 256], w, out=out[i : i + 256])
    out += b
    return out


@pytest.mark.parametrize("lang", ["en", "de"])
def test_scores_are_bit_identical_to_the_reference(tagger: PerceptronTagger, lang: str) -> None:
    for text in TEXTS:
        words = token_spans(text)[0]
        if not words:
            continue
        expected = reference_scores(tagger, words, lang)
        got = tagger.scores(words, lang)
        assert got.dtype == np.float32
        assert got.tobytes() == expected.tobytes(), text[:40]


def test_tag_many_equals_one_call_per_text_and_leaves_the_same_memo() -> None:
    one, many = PerceptronTagger.load(), PerceptronTagger.load()
    langs = ["en", "de", "it", "en", "ru", "fr", "de", "en", "es", "en", "en", "en"]
    sequences = [token_spans(t) for t in TEXTS]
    expected = [one.tag_spans(*seq, lang) for seq, lang in zip(sequences, langs, strict=True)]
    assert many.tag_many(sequences, langs) == expected
    assert sum(map(len, expected)) > 10
    for group in ("", "de"):
        a, b = one._memo(group), many._memo(group)
        assert a.index == b.index
        assert a.vectors[: len(a.index)].tobytes() == b.vectors[: len(b.index)].tobytes()


ODD_SPACES = [
    "\u3000全角\u3000スペース\u3000",
    "a\u2028b\u2029c\x1cd\x1fe\x85f\xa0g h\u200bi",
    "\ud800 x\udfff l'Italia dell’Unione QU'IL, Obama's. (NYSE: MCD) 1.000,5 x‑ray",
    " lead",
    "trail ",
    "x",
]


@pytest.mark.parametrize(
    "limits", [None, (8_030, 50, "words"), (8_040, None, "words"), (8_030, 50, "bytes"), (8_040, None, "bytes")]
)
def test_tag_texts_equals_tag_many_and_leaves_the_same_memo(
    monkeypatch: pytest.MonkeyPatch, limits: tuple[int, int | None, str] | None
) -> None:
    """The chunk path (str.split + per-chunk ids) against token_spans + tag_many, memo resets included.

    The memo's bound comes from a word count or, in production, from its bytes (the smaller one);
    both kinds are exercised. The reference tags one text per call, so no batch holds pending ids
    across a reset: within a batch, a reset must not change the scores of the texts before it.
    """
    if limits is not None:
        words, chunks, kind = limits
        if kind == "words":
            monkeypatch.setattr(tagger_module, "_CACHE_LIMIT", words)
        else:
            monkeypatch.setattr(tagger_module, "_CACHE_BYTES", words * N_SLOTS * 32 * 4)
        if chunks is not None:
            monkeypatch.setattr(tagger_module, "_CHUNK_CACHE_LIMIT", chunks)
    one, chunked, many = PerceptronTagger.load(), PerceptronTagger.load(), PerceptronTagger.load()
    # and one that never runs out of room: what a reset keeps is a cache, never a different answer
    unbounded = PerceptronTagger.load()
    unbounded._cache_limit = 10**9
    if limits is not None:
        assert chunked._cache_limit == limits[0]
    texts = [*TEXTS, *ODD_SPACES] * 3
    langs = ["en", "de", "it", "und", "de", "fr", "ru"]
    for i in range(0, len(texts), 4):
        batch = texts[i : i + 4]
        batch_langs = [langs[(i + j) % len(langs)] for j in range(len(batch))]
        expected = [one.tag_spans(*token_spans(t), lang) for t, lang in zip(batch, batch_langs, strict=True)]
        assert many.tag_many([token_spans(t) for t in batch], batch_langs) == expected, batch
        assert chunked.tag_texts(batch, batch_langs) == expected, batch
        assert unbounded.tag_texts(batch, batch_langs) == expected, batch
    for group in ("", "de"):
        a, b = one._memo(group), chunked._memo(group)
        assert a.index == b.index
        assert a.vectors[: len(a.index)].tobytes() == b.vectors[: len(b.index)].tobytes()
        assert a.caps[: len(a.index)].tobytes() == b.caps[: len(b.index)].tobytes()
    if limits is not None:
        assert chunked._memo("").resets > 0
        assert unbounded._memo("").resets == 0


@pytest.mark.parametrize("text", [*TEXTS, *ODD_SPACES])
def test_chunk_offsets_equal_token_spans(text: str) -> None:
    words, starts, ends = token_spans(text)
    chunks = text.split()
    per_chunk = [token_spans(c)[0] for c in chunks]
    assert [w for ws in per_chunk for w in ws] == words
    first = list(itertools.accumulate(map(len, per_chunk), initial=0))
    offsets = _ChunkOffsets(text, chunks, first, {})
    assert [offsets.span(i, i) for i in range(len(words))] == list(zip(starts, ends, strict=True))
    if words:
        assert offsets.span(0, len(words) - 1) == (starts[0], ends[-1])


def test_token_api_and_list_api_agree(tagger: PerceptronTagger) -> None:
    for text in TEXTS:
        assert tagger.tag(tokenize(text), "it") == tagger.tag_spans(*token_spans(text), "it")


def _articles() -> list[Article]:
    out = []
    for k, text in enumerate(TEXTS[:9]):
        title = TEXTS[(k + 3) % 9][:60] if k % 3 else None
        lang = ["en", "it", "de", "und", "fr"][k % 5]
        out.append(Article(id=f"a{k}", text=text, ingested_at="t", title=title, language=LanguageResult(lang, 1.0)))
    return out


def test_extract_many_equals_one_call_per_article() -> None:
    gazetteer = load_gazetteer()
    single = EntityExtractor(gazetteer=gazetteer, tagger=PerceptronTagger.load())
    batched = EntityExtractor(gazetteer=gazetteer, tagger=PerceptronTagger.load())
    expected = [single(a) for a in _articles()]
    got = batched.extract_many(_articles())
    assert [a.entities for a in got] == [a.entities for a in expected]
    assert [a.entity_groups for a in got] == [a.entity_groups for a in expected]
    assert sum(len(a.entities) for a in expected) > 10


def test_boundary_folding_fast_path_equals_translate() -> None:
    lut = load_gazetteer()._lut
    extra = [
        "“Quoted” — text… with ‘curly’ «guillemets» ¡and! ｆｕｌｌ，width 。",
        "\U0001f600 emoji",
        "Ереван Հայաստան",
    ]
    extra += ["\u052f\u0530", "\u1fff\u2000", "\u2bff\u2c00", "\u2dff\u2e00", "\u2e7f", "\u2e80", "\uffff", "\ud800"]
    for text in [*TEXTS, *extra]:
        folded = text.lower()
        expected = (f" {folded.translate(_BOUNDARY_TABLE)} ", bool(_OTHER_SCRIPT.search(folded)))
        assert _padded_boundaries(folded, lut) == expected, repr(text)


def test_gazetteer_lookup_cache_is_transparent() -> None:
    gazetteer = load_gazetteer()
    names = ["Washington", "washington", "  Paris ", "USA", "Not A Place Name", "Roma", "ROMA"]
    first = [gazetteer.lookup(name) for name in names]
    again = [gazetteer.lookup(name) for name in names]
    assert first == again
    assert first[0] and first[2] and not first[4]
    # the uncached computation, as lookup() did before it had a cache
    for name, found in zip(names, first, strict=True):
        exact = gazetteer._exact.get(name.strip())
        key = " ".join(name.strip().lower().split())
        indexes = exact or gazetteer._names.get(re.sub(r"\s+", " ", key), [])
        assert found == tuple(gazetteer.entries[i] for i in indexes)
