"""Statistical NER tagger: a hashed-feature linear model over a ±2 token window.

The model scores the nine BIO tags of every token independently from features
of the token and its neighbours (word shape, capitalisation, affixes,
lowercased words, sentence-initial flag). Each feature depends on one token
only, so a word's contribution to any position in the window is a fixed
vector; the tagger memoises those vectors per word and scores a whole article
with a handful of numpy gathers. ``scripts/train_ner.py`` trains it with the
feature code below (one implementation for training and prediction) and
writes ``model/ner_tagger.npz`` plus its SHA-256 file; see
``model/MODEL_CARD.md`` for the data and licences.

Features are language-neutral on purpose: there is no Italian or Spanish
training data, so shape, capitalisation and context carry those languages.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from newsflow.stages.entities.tokenize import Token

__all__ = ["ENTITY_TYPES", "TAGS", "ModelChecksumError", "PerceptronTagger", "word_feature_hashes"]

TAGS: Final = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
ENTITY_TYPES: Final = ("PER", "ORG", "LOC", "MISC")
N_TAGS: Final = len(TAGS)

# Window slots: where a word sits relative to the token being scored. The
# current token has two slots so capitalisation can mean something different
# at the start of a sentence.
SLOT_M2, SLOT_M1, SLOT_CUR, SLOT_INIT, SLOT_P1, SLOT_P2 = range(6)
N_SLOTS: Final = 6

# Pseudo-words padding every sentence; control characters never occur as tokens.
BOS: Final = "\x02"
EOS: Final = "\x03"
# Tokens that end a sentence. Training splits the unsegmented corpora with the
# same rule, so BOS context means the same thing in training and prediction.
SENTENCE_END: Final = (".", "!", "?", "…")
MAX_SENTENCE_TOKENS: Final = 200
MAX_TOKENS: Final = 300_000
MAX_TOKEN_CHARS: Final = 64

MODEL_FILE: Final = "ner_tagger.npz"
_CACHE_LIMIT: Final = 400_000

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class ModelChecksumError(RuntimeError):
    """The model file does not match its recorded SHA-256 (corrupt or hand-edited)."""


def _shape(word: str) -> str:
    out = []
    prev = ""
    run = 0
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else "a" if ch.isalpha() else ch
        if c == prev:
            run += 1
            if run > 3:
                continue
        else:
            prev, run = c, 1
        out.append(c)
    return "".join(out)


def _short_shape(shape: str) -> str:
    out = []
    for c in shape:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _script(word: str) -> str:
    for ch in word:
        if ch.isalpha():
            code = ord(ch)
            if code < 0x250:
                return "lat"
            if 0x370 <= code < 0x400:
                return "grk"
            if 0x400 <= code < 0x530:
                return "cyr"
            return "oth"
    return "none"


def word_features(word: str) -> list[list[str]]:
    """Feature strings of ``word`` for each window slot (see ``SLOT_*``)."""
    if word == BOS:
        return [["-2BOS"], ["-1BOS"], [], [], [], []]
    if word == EOS:
        return [[], [], [], [], ["+1EOS"], ["+2EOS"]]
    word = word[:MAX_TOKEN_CHARS]
    low = word.lower()
    shape = _shape(word)
    short = _short_shape(shape)
    cur = [
        "w=" + low,
        "sh=" + shape,
        "ss=" + short,
        "p2=" + low[:2],
        "p3=" + low[:3],
        "s2=" + low[-2:],
        "s3=" + low[-3:],
        "s4=" + low[-4:],
        "sc=" + _script(word),
        "len=" + str(min(len(word), 12)),
    ]
    if word != low:
        cur.append("W=" + word)
    if "-" in word:
        cur.append("hyph|" + short)
    mid = [*cur, "m.ss=" + short, "m.s3=" + low[-3:]]
    init = [*cur, "i.ss=" + short, "i.w=" + low]
    return [
        ["-2w=" + low, "-2ss=" + short],
        ["-1w=" + low, "-1ss=" + short, "-1s3=" + low[-3:]],
        mid,
        init,
        ["+1w=" + low, "+1ss=" + short, "+1s3=" + low[-3:]],
        ["+2w=" + low, "+2ss=" + short],
    ]


def hash_feature(feature: str) -> int:
    """Stable 32-bit key of a feature string (Python's hash() is salted per process)."""
    return zlib.crc32(feature.encode("utf-8", "surrogatepass"))


def word_feature_hashes(word: str) -> list[list[int]]:
    """``word_features`` hashed: what training and prediction both use."""
    return [[hash_feature(f) for f in slot] for slot in word_features(word)]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PerceptronTagger:
    """Hashed-feature linear BIO tagger (averaged-perceptron style weights).

    Instances are read-only apart from a bounded per-word memo of score vectors,
    which only makes repeated words cheaper; results never depend on it.
    """

    def __init__(
        self,
        keys: npt.NDArray[np.uint32],
        weights: FloatArray,
        intercept: FloatArray,
        warm_words: Sequence[str] = (),
    ) -> None:
        if weights.shape != (len(keys), N_TAGS) or intercept.shape != (N_TAGS,):
            raise ValueError("model arrays have inconsistent shapes")
        self._keys = keys
        # One extra zero row: features unknown to the model gather it.
        self._weights = np.vstack([weights.astype(np.float32), np.zeros((1, N_TAGS), np.float32)])
        self._intercept = intercept.astype(np.float32)
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((1024, N_SLOTS, N_TAGS), np.float32)
        # Fixed ids: padding and sentence-end punctuation come first so tag()
        # can find sentence ends with a range check on ids.
        self._add_words([BOS, EOS, *SENTENCE_END])
        self._pinned = len(self._index)
        self._add_words([w for w in dict.fromkeys(warm_words) if w not in self._index])
        self._pinned = len(self._index)

    @classmethod
    def load(cls, path: Path | None = None) -> PerceptronTagger:
        """Load a model file, verifying it against ``<file>.sha256`` beside it.

        Without ``path``, the model shipped inside the package is used.
        """
        if path is None:
            root = resources.files("newsflow.stages.entities").joinpath("model")
            data = root.joinpath(MODEL_FILE).read_bytes()
            recorded = root.joinpath(MODEL_FILE + ".sha256").read_text("ascii")
        else:
            data = path.read_bytes()
            recorded = path.with_name(path.name + ".sha256").read_text("ascii")
        expected = recorded.split()[0] if recorded.split() else ""
        actual = _sha256(data)
        if actual != expected:
            raise ModelChecksumError(f"NER model checksum mismatch: expected {expected or '(none)'}, got {actual}")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            keys = npz["keys"].astype(np.uint32)
            weights = npz["weights"].astype(np.float32) * np.float32(npz["scale"])
            intercept = npz["intercept"].astype(np.float32)
            warm = [str(w) for w in npz["warm_words"]]
        return cls(keys, weights, intercept, warm)

    # -- per-word score vectors -------------------------------------------------

    def _word_vectors(self, words: Sequence[str]) -> FloatArray:
        """Score contributions of each word in each slot: shape (len(words), N_SLOTS, N_TAGS)."""
        hashes: list[int] = []
        counts: list[int] = []
        for word in words:
            for slot in word_feature_hashes(word):
                hashes.extend(slot)
                counts.append(len(slot))
        out = np.zeros((len(words) * N_SLOTS, N_TAGS), np.float32)
        if hashes:
            h = np.fromiter(hashes, np.uint32, len(hashes))
            idx = np.searchsorted(self._keys, h)
            idx[idx >= len(self._keys)] = len(self._keys)
            known = idx < len(self._keys)
            known[known] = self._keys[idx[known]] == h[known]
            idx[~known] = len(self._keys)
            rows = self._weights[idx]
            group = np.repeat(np.arange(len(counts)), counts)
            np.add.at(out, group, rows)
        return out.reshape(len(words), N_SLOTS, N_TAGS)

    def _add_words(self, words: Sequence[str]) -> None:
        if not words:
            return
        n = len(self._index)
        if n + len(words) > _CACHE_LIMIT:
            # Bounded memory: forget everything but the pinned words.
            for w in list(self._index)[self._pinned :]:
                del self._index[w]
            n = self._pinned
            words = list(words)[: _CACHE_LIMIT - n]
        need = n + len(words)
        if need > len(self._vectors):
            grown = np.zeros((max(need, 2 * len(self._vectors)), N_SLOTS, N_TAGS), np.float32)
            grown[:n] = self._vectors[:n]
            self._vectors = grown
        self._vectors[n:need] = self._word_vectors(words)
        for i, w in enumerate(words, n):
            self._index[w] = i

    def _ids(self, words: list[str]) -> IntArray:
        get = self._index.get
        ids = [get(w, -1) for w in words]
        if -1 in ids:
            self._add_words(list(dict.fromkeys(w for w, i in zip(words, ids, strict=True) if i == -1)))
            ids = [get(w, -1) for w in words]
        arr = np.fromiter(ids, np.int64, len(ids))
        if (arr < 0).any():
            # Only after a cache reset within one call; score those words afresh.
            missing = np.flatnonzero(arr < 0)
            self._add_words(list(dict.fromkeys(words[i] for i in missing)))
            arr = np.fromiter((get(w, 0) for w in words), np.int64, len(words))
        return arr

    # -- tagging ------------------------------------------------------------------

    def scores(self, words: list[str]) -> FloatArray:
        """Tag scores (len(words), N_TAGS) for a token sequence."""
        n = len(words)
        ids = self._ids(words)
        bos, eos = 0, 1
        is_end = (ids >= 2) & (ids < 2 + len(SENTENCE_END))
        first = np.empty(n, bool)
        first[0] = True
        first[1:] = is_end[:-1]
        # Cap sentence length: a page without punctuation still gets BOS context
        # every MAX_SENTENCE_TOKENS tokens.
        positions = np.arange(n)
        start = np.maximum.accumulate(np.where(first, positions, 0))
        first |= (positions - start) % MAX_SENTENCE_TOKENS == 0
        last = np.empty(n, bool)
        last[-1] = True
        last[:-1] = first[1:]
        sid = np.cumsum(first) - 1
        pos = positions + 2 + 4 * sid
        padded = np.full(n + 4 * (int(sid[-1]) + 1), bos, np.int64)
        ends = pos[last]
        padded[ends + 1] = eos
        padded[ends + 2] = eos
        padded[pos] = ids
        v = self._vectors
        return (
            v[padded[pos - 2], SLOT_M2]
            + v[padded[pos - 1], SLOT_M1]
            + v[ids, SLOT_CUR + first]
            + v[padded[pos + 1], SLOT_P1]
            + v[padded[pos + 2], SLOT_P2]
            + self._intercept
        )

    def tag(self, tokens: list[Token], lang: str) -> list[tuple[int, int, str]]:
        """Entity spans ``(start_char, end_char, type)`` over ``tokens``.

        ``lang`` is accepted for the interface; the features are language-
        neutral. Inputs beyond ``MAX_TOKENS`` tokens are tagged only up to that
        point.
        """
        if not tokens:
            return []
        tokens = tokens[:MAX_TOKENS]
        return self._spans(tokens, self.scores([t.text for t in tokens]))

    @staticmethod
    def _spans(tokens: Sequence[Token], scores: FloatArray) -> list[tuple[int, int, str]]:
        """Runs of entity-tagged tokens, each typed by its summed per-type score.

        Independent per-token decisions often disagree inside one name
        ("Ferdinando/PER Vicentini/ORG"); a run of adjacent entity tokens is
        nearly always one name, so it becomes one span and the types vote.
        A B- tag still splits a run when it changes the vote's winner.
        """
        pred = scores.argmax(axis=1)
        is_ent = pred > 0
        if not is_ent.any():
            return []
        # Best of B-/I- per type, (n, 4).
        type_scores = np.maximum(scores[:, 1::2], scores[:, 2::2])
        idx = np.flatnonzero(is_ent)
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        spans: list[tuple[int, int, str]] = []
        for run in np.split(idx, breaks):
            lo, hi = int(run[0]), int(run[-1])
            etype = ENTITY_TYPES[int(type_scores[lo : hi + 1].sum(axis=0).argmax())]
            spans.append((tokens[lo].start, tokens[hi].end, etype))
        return spans
