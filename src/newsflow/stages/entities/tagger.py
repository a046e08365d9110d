"""Statistical NER tagger: hashed-feature linear models over a ±2 token window.

Stage one scores the nine BIO tags of every token from features of the token
and its neighbours (word shape, capitalisation, affixes, lowercased words,
function-word classes, sentence-initial flag). Each feature depends on one
token only, so a word's contribution to any position in the window is a fixed
vector; the tagger memoises those vectors per word and scores a whole article
with a handful of numpy gathers. Stage two (stacking) rescores each token from
the stage-one scores of itself and its neighbours, standing in for tag
transitions. Adjacent entity tokens are then merged into spans.

``scripts/train_ner.py`` trains both with the feature code below (one
implementation for training and prediction) and writes ``model/ner_tagger.npz``
plus its SHA-256 file; see ``model/MODEL_CARD.md`` for the data and licences
and ``docs/ner-training.md`` for the method.

Features are language-neutral on purpose, apart from German capitalisation:
there is no Italian or Spanish training data, so shape, capitalisation and
context carry those languages.
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

__all__ = [
    "ENTITY_TYPES",
    "TAGS",
    "ModelChecksumError",
    "PerceptronTagger",
    "lang_group",
    "stack_features",
    "word_feature_hashes",
]

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
# Words pre-scored at load: the most frequent ones (the file stores more),
# capped so loading stays well under 2 s on a busy core.
_WARM_AT_LOAD: Final = 8_000
_BLAS_ROWS: Final = 256

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class ModelChecksumError(RuntimeError):
    """The model file does not match its recorded SHA-256 (corrupt or hand-edited)."""


# Function words mapped to shared classes, so context learned from the
# training languages carries over to languages with no training data
# ("a Mosca" looks like "em Lisboa" / "in Berlin"). Several words are
# ambiguous across languages; the first class listed wins. This is part of
# the model's feature definition: changing it requires retraining.
_CLASS_WORDS: Final = (
    ("loc", "in en em à a ad al allo alla nach в во w we at im nel nella nello negli nelle nei dans au aux ins zu"),
    ("from", "from aus dal dalla dallo dai desde из od vom bei presso near verso hacia para"),
    ("of", "of di del della dello dei degli delle de du des von do dos da das van в z ze"),
    ("det", "the il lo la i gli le el los las o os as der die den dem ein eine un una uno une an het l' il"),
    ("and", "and e ed y et und и oraz"),
    (
        "title",
        "mr mrs ms dr sir lord president presidente président präsident signor signora sig sr sra señor "
        "señora don herr frau monsieur madame mme pan pani господин minister ministro ministre king re rey "
        "roi papa pope san santo santa saint st general generale général cardinal premier premier-ministre",
    ),
)
WORD_CLASS: Final = {w: c for c, words in reversed(_CLASS_WORDS) for w in words.split()}


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
    out: list[str] = []
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


def lang_group(lang: str) -> str:
    """Feature group of a language: German capitalises every noun, so its
    capitalisation features are kept apart; every other language (including
    ones never seen in training) shares the common ones."""
    return "de" if lang[:2].lower() in ("de", "lb") else ""


def word_features(word: str, group: str = "") -> list[list[str]]:
    """Feature strings of ``word`` for each window slot (see ``SLOT_*``).

    With ``group`` set, capitalisation features are added again prefixed by
    the group, so the shared copies learn what capitals mean outside German.
    """
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
    cls = WORD_CLASS.get(low, "")
    if cls:
        cur.append("c=" + cls)
    mid = [*cur, "m.ss=" + short, "m.s3=" + low[-3:]]
    init = [*cur, "i.ss=" + short, "i.w=" + low]
    m1 = ["-1w=" + low, "-1ss=" + short, "-1s3=" + low[-3:], "-1c=" + (cls or short)]
    p1 = ["+1w=" + low, "+1ss=" + short, "+1s3=" + low[-3:], "+1c=" + (cls or short)]
    m2 = ["-2w=" + low, "-2ss=" + short]
    if cls:
        m2.append("-2c=" + cls)
    if group:
        g = group + "|"
        mid += [g + "m.ss=" + short, g + "sh=" + shape, g + "s3=" + low[-3:]]
        init += [g + "i.ss=" + short, g + "sh=" + shape]
        m1.append(g + "-1ss=" + short)
        p1.append(g + "+1ss=" + short)
    return [m2, m1, mid, init, p1, ["+2w=" + low, "+2ss=" + short]]


def hash_feature(feature: str) -> int:
    """Stable 32-bit key of a feature string (Python's hash() is salted per process)."""
    return zlib.crc32(feature.encode("utf-8", "surrogatepass"))


def word_feature_hashes(word: str, group: str = "") -> list[list[int]]:
    """``word_features`` hashed: what training and prediction both use."""
    return [[hash_feature(f) for f in slot] for slot in word_features(word, group)]


def stack_features(
    scores: FloatArray, caps: npt.NDArray[np.bool_], first: npt.NDArray[np.bool_], last: npt.NDArray[np.bool_]
) -> FloatArray:
    """Second-stage inputs: each token's first-stage scores next to its neighbours'.

    The first stage scores tokens independently; the second sees whether the
    tokens around are already in a name ("Choe Son" before "Hui"). Neighbours
    across a sentence boundary count as zeros. Used in training and prediction.
    """
    n = len(scores)
    cap = caps.astype(np.float32)

    def shifted(a: FloatArray, k: int) -> FloatArray:
        out = np.zeros_like(a)
        stop = first if k > 0 else last
        if k > 0:
            out[k:] = a[:-k] if n > k else out[k:]
        else:
            out[:k] = a[-k:] if n > -k else out[:k]
        # Zero whatever crossed a boundary: rows at or after a sentence start
        # (k>0) / at or before a sentence end (k<0), within |k| tokens.
        blocked = stop.copy()
        if abs(k) == 2:
            nb = np.zeros(n, bool)
            if k > 0:
                nb[1:] = stop[:-1]
            else:
                nb[:-1] = stop[1:]
            blocked |= nb
        out[blocked] = 0
        return out

    prev, nxt = shifted(scores, 1), shifted(scores, -1)
    prev2, nxt2 = shifted(scores, 2), shifted(scores, -2)
    cap_prev = shifted(cap[:, None], 1)
    cap_next = shifted(cap[:, None], -1)
    return np.hstack(
        [
            scores,
            prev,
            nxt,
            prev2,
            nxt2,
            cap[:, None] * prev,
            cap[:, None] * nxt,
            cap[:, None],
            cap_prev,
            cap_next,
            first[:, None].astype(np.float32),
            last[:, None].astype(np.float32),
        ]
    ).astype(np.float32)


N_STACK_FEATURES: Final = 7 * N_TAGS + 5


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Memo:
    """Per-word score vectors of one feature group, bounded in size."""

    __slots__ = ("caps", "group", "index", "pinned", "vectors")

    def __init__(self, group: str) -> None:
        self.group = group
        self.index: dict[str, int] = {}
        self.vectors = np.zeros((1024, N_SLOTS, N_TAGS), np.float32)
        self.caps = np.zeros(1024, bool)
        self.pinned = 0


class PerceptronTagger:
    """Hashed-feature linear BIO tagger (the name is the interface's; the weights
    come from logistic regression, see docs/ner-training.md).

    Instances are read-only apart from a bounded per-word memo of score vectors,
    which only makes repeated words cheaper; results never depend on it.
    """

    def __init__(
        self,
        keys: npt.NDArray[np.uint32],
        weights: FloatArray,
        intercept: FloatArray,
        threshold: float = 0.0,
        warm_words: Sequence[str] = (),
        weak_threshold: float | None = None,
        stack: tuple[FloatArray, FloatArray] | None = None,
    ) -> None:
        if weights.shape != (len(keys), N_TAGS) or intercept.shape != (N_TAGS,):
            raise ValueError("model arrays have inconsistent shapes")
        self._keys = keys
        # One extra zero row: features unknown to the model gather it.
        self._weights = np.vstack([weights.astype(np.float32), np.zeros((1, N_TAGS), np.float32)])
        self._intercept = intercept.astype(np.float32)
        self._threshold = float(threshold)
        if stack is not None and (stack[0].shape != (N_STACK_FEATURES, N_TAGS) or stack[1].shape != (N_TAGS,)):
            raise ValueError("second-stage arrays have inconsistent shapes")
        self._stack = None if stack is None else (stack[0].astype(np.float32), stack[1].astype(np.float32))
        self._weak = float(threshold if weak_threshold is None else min(weak_threshold, threshold))
        self._memos: dict[str, _Memo] = {}
        # Pre-score the most frequent training words so a fresh worker's first
        # articles do not pay for building their feature vectors.
        if warm_words:
            memo = self._memo("")
            self._add_words(memo, [w for w in dict.fromkeys(warm_words) if w not in memo.index])
            memo.pinned = len(memo.index)

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
            threshold = float(npz["threshold"]) if "threshold" in npz else 0.0
            warm = [str(w) for w in npz["warm_words"][:_WARM_AT_LOAD]] if "warm_words" in npz else []
            weak = float(npz["weak_threshold"]) if "weak_threshold" in npz else None
            stack = (npz["stack_w"], npz["stack_b"]) if "stack_w" in npz else None
        return cls(keys, weights, intercept, threshold, warm, weak, stack)

    # -- per-word score vectors -------------------------------------------------

    def _memo(self, group: str) -> _Memo:
        memo = self._memos.get(group)
        if memo is None:
            memo = _Memo(group)
            # Fixed ids: padding and sentence-end punctuation come first so
            # scores() can find sentence ends with a range check on ids.
            self._add_words(memo, [BOS, EOS, *SENTENCE_END])
            memo.pinned = len(memo.index)
            self._memos[group] = memo
        return memo

    def _word_vectors(self, words: Sequence[str], group: str) -> FloatArray:
        """Score contributions of each word in each slot: shape (len(words), N_SLOTS, N_TAGS)."""
        hashes: list[int] = []
        counts: list[int] = []
        for word in words:
            for slot in word_feature_hashes(word, group):
                hashes.extend(slot)
                counts.append(len(slot))
        n_keys = len(self._keys)
        h = np.fromiter(hashes, np.uint32, len(hashes))
        idx = np.minimum(np.searchsorted(self._keys, h), n_keys - 1) if n_keys else np.zeros(len(h), np.int64)
        hit = self._keys[idx] == h if n_keys else np.zeros(len(h), bool)
        idx = np.where(hit, idx, n_keys)
        # Group sums via a cumulative sum: slots may have no features (BOS/EOS),
        # which np.add.reduceat cannot express.
        csum = np.zeros((len(h) + 1, N_TAGS), np.float64)
        np.cumsum(self._weights[idx], axis=0, out=csum[1:])
        ends = np.cumsum(np.fromiter(counts, np.int64, len(counts)))
        starts = ends - np.fromiter(counts, np.int64, len(counts))
        out = (csum[ends] - csum[starts]).astype(np.float32)
        return out.reshape(len(words), N_SLOTS, N_TAGS)

    def _add_words(self, memo: _Memo, words: Sequence[str]) -> None:
        if not words:
            return
        n = len(memo.index)
        if n + len(words) > _CACHE_LIMIT:
            # Bounded memory: forget everything but the pinned words.
            for w in list(memo.index)[memo.pinned :]:
                del memo.index[w]
            n = memo.pinned
            words = list(words)[: _CACHE_LIMIT - n]
        need = n + len(words)
        if need > len(memo.vectors):
            grown = np.zeros((max(need, 2 * len(memo.vectors)), N_SLOTS, N_TAGS), np.float32)
            grown[:n] = memo.vectors[:n]
            memo.vectors = grown
            caps = np.zeros(len(grown), bool)
            caps[:n] = memo.caps[:n]
            memo.caps = caps
        memo.vectors[n:need] = self._word_vectors(words, memo.group)
        memo.caps[n:need] = [w[:1].isupper() for w in words]
        for i, w in enumerate(words, n):
            memo.index[w] = i

    def _ids(self, memo: _Memo, words: list[str]) -> IntArray:
        get = memo.index.get
        ids = [get(w, -1) for w in words]
        if -1 in ids:
            self._add_words(memo, list(dict.fromkeys(w for w, i in zip(words, ids, strict=True) if i == -1)))
            ids = [get(w, -1) for w in words]
        arr = np.fromiter(ids, np.int64, len(ids))
        if (arr < 0).any():
            # Only after a memo reset within one call: score those words afresh.
            self._add_words(memo, list(dict.fromkeys(words[i] for i in np.flatnonzero(arr < 0))))
            arr = np.fromiter((get(w, 0) for w in words), np.int64, len(words))
        return arr

    # -- tagging ------------------------------------------------------------------

    def scores(self, words: list[str], lang: str = "") -> FloatArray:
        """Tag scores (len(words), N_TAGS) for a non-empty token sequence."""
        return self._scores(words, lang)[0]

    def _scores(self, words: list[str], lang: str) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        first_stage, caps, first, last = self._first_stage(words, lang)
        if self._stack is None:
            return first_stage, caps
        w, b = self._stack
        feats = stack_features(first_stage, caps, first, last)
        out: FloatArray = np.empty((len(feats), N_TAGS), np.float32)
        # Row blocks keep each product under OpenBLAS's multithreading cut-off
        # (m*n*k <= 262144): waking BLAS threads on a busy 2-core box cost
        # ~7 ms per article, a hundred times the product itself.
        for i in range(0, len(feats), _BLAS_ROWS):
            np.matmul(feats[i : i + _BLAS_ROWS], w, out=out[i : i + _BLAS_ROWS])
        out += b
        return out, caps

    def _first_stage(
        self, words: list[str], lang: str
    ) -> tuple[FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        n = len(words)
        memo = self._memo(lang_group(lang))
        ids = self._ids(memo, words)
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
        v = memo.vectors
        out: FloatArray = (
            v[padded[pos - 2], SLOT_M2]
            + v[padded[pos - 1], SLOT_M1]
            + v[ids, SLOT_CUR + first]
            + v[padded[pos + 1], SLOT_P1]
            + v[padded[pos + 2], SLOT_P2]
            + self._intercept
        )
        return out, memo.caps[ids], first, last

    def tag(self, tokens: list[Token], lang: str) -> list[tuple[int, int, str]]:
        """Entity spans ``(start_char, end_char, type)`` over ``tokens``.

        ``lang`` only selects German capitalisation features; all other
        languages share language-neutral features. Inputs beyond ``MAX_TOKENS`` tokens are tagged only up to that
        point.
        """
        if not tokens:
            return []
        tokens = tokens[:MAX_TOKENS]
        scores, caps = self._scores([t.text for t in tokens], lang)
        return self._spans(tokens, scores, caps, self._threshold, self._weak)

    @staticmethod
    def _spans(
        tokens: Sequence[Token],
        scores: FloatArray,
        caps: npt.NDArray[np.bool_],
        threshold: float,
        weak: float,
    ) -> list[tuple[int, int, str]]:
        """Runs of entity-tagged tokens, each typed by its summed per-type score.

        Independent per-token decisions often disagree inside one name
        ("Ferdinando/PER Vicentini/ORG"); a run of adjacent entity tokens is
        nearly always one name, so it becomes one span and the types vote.
        """
        # A token is inside a name when its best entity tag beats O by more
        # than the model's tuned margin. Hysteresis: a capitalised token with a
        # weaker margin still joins when its run of such tokens touches a
        # confident one ("Choe Son Hui", "Meryl Streep"), because the per-token
        # model cannot see that its neighbour is already inside a name.
        margin = scores[:, 1:].max(axis=1) - scores[:, 0]
        strong = margin > threshold
        if not strong.any():
            return []
        cand = strong | ((margin > weak) & caps)
        idx = np.flatnonzero(cand)
        run_id = np.cumsum(np.diff(idx, prepend=-2) != 1) - 1
        keep = np.bincount(run_id, weights=strong[idx]) > 0
        idx = idx[keep[run_id]]
        # Runs of consecutive entity tokens; each run's type is the argmax of
        # its summed best-of-B/I score per type.
        run_start = np.flatnonzero(np.diff(idx, prepend=-2) != 1)
        run_last = np.append(run_start[1:], len(idx)) - 1
        type_scores = np.maximum(scores[idx, 1::2], scores[idx, 2::2])
        run_type = np.add.reduceat(type_scores, run_start, axis=0).argmax(axis=1)
        return [
            (tokens[lo].start, tokens[hi].end, ENTITY_TYPES[t])
            for lo, hi, t in zip(idx[run_start].tolist(), idx[run_last].tolist(), run_type.tolist(), strict=True)
        ]
