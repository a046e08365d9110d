"""Statistical NER tagger: hashed features over a ±2 token window, a small network.

Stage one scores the nine BIO tags of every token from features of the token
and its neighbours (word shape, capitalisation, affixes, lowercased words,
function-word classes, sentence-initial flag). It is a one-hidden-layer
network: each feature has an embedding, a token's hidden layer is the ReLU of
the sum of its window's feature embeddings, and a linear layer maps that to
tag scores. (A model file without the output layer is a plain linear model:
the embeddings are the tag scores.) Each feature depends on one token only, so
a word's contribution to any position in the window is a fixed vector; the
tagger memoises those vectors per word and scores a whole article with a
handful of numpy gathers and one small product. Stage two (stacking) rescores
each token from the stage-one scores of itself and its neighbours, standing in
for tag transitions. Adjacent entity tokens are then merged into spans.

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
import itertools
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from itertools import repeat
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from newsflow.stages.entities.tokenize import Token, token_spans

__all__ = [
    "ENTITY_TYPES",
    "TAGS",
    "ModelChecksumError",
    "PerceptronTagger",
    "lang_group",
    "stack_features",
    "word_feature_hashes",
    "word_hash_slots",
]

TAGS: Final = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
ENTITY_TYPES: Final = ("PER", "ORG", "LOC", "MISC")
N_TAGS: Final = len(TAGS)
_PER: Final = ENTITY_TYPES.index("PER")

# Window slots: where a word sits relative to the token being scored. The
# current token has two slots so capitalisation can mean something different
# at the start of a sentence.
SLOT_M2, SLOT_M1, SLOT_CUR, SLOT_INIT, SLOT_P1, SLOT_P2 = range(6)
N_SLOTS: Final = 6

# Pseudo-words padding every sentence; control characters never occur as tokens.
BOS: Final = "\x02"
EOS: Final = "\x03"
# Their memo ids (every memo adds them first, see PerceptronTagger._memo).
BOS_ID: Final = 0
EOS_ID: Final = 1
# Tokens that end a sentence. Training splits the unsegmented corpora with the
# same rule, so BOS context means the same thing in training and prediction.
SENTENCE_END: Final = (".", "!", "?", "…")
MAX_SENTENCE_TOKENS: Final = 200
MAX_TOKENS: Final = 300_000
MAX_TOKEN_CHARS: Final = 64

MODEL_FILE: Final = "ner_tagger.npz"
# A token inside a run starts a person's name of its own when its best B- score beats its best I- score
# by this much, B-PER is its best B- tag, and the token before is not typed PER: "Президент [России]
# [Владимир Путин]" (tags B-LOC, B-PER, I-PER). Chosen on development sets (docs/ner-training.md).
NEW_NAME_MARGIN: Final = 1.0
_CACHE_LIMIT: Final = 400_000
# The memo's vectors are N_SLOTS x (hidden size) floats per word; this bounds
# their bytes too, so a wider hidden layer means fewer remembered words.
_CACHE_BYTES: Final = 64 * 2**20
# Words pre-scored at load: the most frequent ones (the file stores more),
# capped so loading stays well under 2 s on a busy core.
_WARM_AT_LOAD: Final = 8_000
_BLAS_ROWS: Final = 256
# Words whose feature vectors are built in one go (bounds the temporary arrays).
_WORD_BLOCK: Final = 1024
_BUCKET_BITS: Final = 20
# _score_ids: the slot of each neighbour row (-2, -1, 0, +1, +2), and the order
# of those rows in the stacked features (0, -1, +1, -2, +2).
_WINDOW_SLOTS: Final = np.array([[SLOT_M2], [SLOT_M1], [SLOT_CUR], [SLOT_P1], [SLOT_P2]], np.int64)
_STACK_ORDER: Final = np.array([2, 1, 3, 0, 4])
_WINDOW_SLOTS.flags.writeable = False
_STACK_ORDER.flags.writeable = False
_BUCKET_SHIFT: Final = 32 - _BUCKET_BITS
# Whitespace-separated chunks whose token ids a memo keeps (see tag_texts).
_CHUNK_CACHE_LIMIT: Final = 100_000
# str.isspace() of the ASCII code points (str.split() and the tokenizer's \s agree with it).
_ASCII_SPACE: Final = np.array([chr(c).isspace() for c in range(128)], bool)
_ASCII_SPACE.flags.writeable = False

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
# Lowercased word -> the name lists it is in (codes such as "L" for a one-word
# place name; see scripts/train_ner.py). It ships inside the model file, so
# training and prediction see the same lists.
Lexicon = Mapping[str, tuple[str, ...]]


class ModelChecksumError(RuntimeError):
    """The model file does not match its recorded SHA-256 (corrupt or hand-edited)."""


# Function words mapped to shared classes, so context learned from the
# training languages carries over to languages with no training data
# ("a Mosca" looks like "em Lisboa" / "in Berlin"). Several words are
# ambiguous across languages; the first class listed wins. This is part of
# the model's feature definition: changing it requires retraining.
_CLASS_WORDS: Final = (
    (
        "loc",
        "in en em à a ad al allo alla nach в во w we at im nel nella nello negli nelle nei dans au aux ins zu "
        "nell' all' sull'",
    ),
    ("from", "from aus dal dalla dallo dai dall' desde из od vom bei presso near verso hacia para"),
    ("of", "of di del della dello dei degli delle dell' degl' d' de du des von do dos da das van в z ze"),
    ("det", "the il lo la i gli le el los las o os as der die den dem ein eine un una uno une un' an het l' il"),
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


def word_features(word: str, group: str = "", lexicon: Lexicon | None = None) -> list[list[str]]:
    """Feature strings of ``word`` for each window slot (see ``SLOT_*``).

    With ``group`` set, capitalisation features are added again prefixed by
    the group, so the shared copies learn what capitals mean outside German.
    ``lexicon`` adds the name lists a capitalised word is in, for the word
    and its neighbours: that is what carries "Stoccarda" or "Moscou" in
    languages the training data lacks.
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
    # Lower-case words are left out: the lists hold names, and "nice" or
    # "bath" in running text are not the towns.
    lex = lexicon.get(low, ()) if lexicon and word != low else ()
    cur += ["gz=" + code for code in lex]
    mid = [*cur, "m.ss=" + short, "m.s3=" + low[-3:]]
    init = [*cur, "i.ss=" + short, "i.w=" + low]
    m1 = ["-1w=" + low, "-1ss=" + short, "-1s3=" + low[-3:], "-1c=" + (cls or short)]
    p1 = ["+1w=" + low, "+1ss=" + short, "+1s3=" + low[-3:], "+1c=" + (cls or short)]
    m1 += ["-1gz=" + code for code in lex]
    p1 += ["+1gz=" + code for code in lex]
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


def word_feature_hashes(word: str, group: str = "", lexicon: Lexicon | None = None) -> list[list[int]]:
    """``word_features`` hashed: what training and prediction both use."""
    return [[hash_feature(f) for f in slot] for slot in word_features(word, group, lexicon)]


# Fast path of the feature hashes (word_hash_slots).
# crc32(prefix + value) == crc32(value, crc32(prefix)), so each feature is one
# C call on bytes encoded once per word, with no feature string built.
_ASCII_CLASSES = str.maketrans(
    {
        **{chr(c): "X" for c in range(ord("A"), ord("Z") + 1)},
        **{chr(c): "x" for c in range(ord("a"), ord("z") + 1)},
        **{chr(c): "d" for c in range(ord("0"), ord("9") + 1)},
    }
)
_PREFIXES = (
    "w=", "sh=", "ss=", "p2=", "p3=", "s2=", "s3=", "s4=", "sc=", "W=", "hyph|", "c=",
    "m.ss=", "m.s3=", "i.ss=", "i.w=", "-1w=", "-1ss=", "-1s3=", "-1c=",
    "+1w=", "+1ss=", "+1s3=", "+1c=", "-2w=", "-2ss=", "-2c=", "+2w=", "+2ss=",
    "gz=", "-1gz=", "+1gz=",
)  # fmt: skip
_GROUP_PREFIXES = ("m.ss=", "sh=", "s3=", "i.ss=", "-1ss=", "+1ss=")
_SCRIPT_CRC: Final = {has_letter: zlib.crc32(b"sc=" + s) for has_letter, s in ((True, b"lat"), (False, b"none"))}
_LEN_CRC: Final = tuple(zlib.crc32(f"len={n}".encode()) for n in range(13))
_SHAPE_CACHE_LIMIT: Final = 50_000


def _prefix_crcs(group: str) -> dict[str, int]:
    crcs = {p: zlib.crc32(p.encode()) for p in _PREFIXES}
    if group:
        g = group + "|"
        crcs.update({g + p: zlib.crc32((g + p).encode("utf-8", "surrogatepass")) for p in _GROUP_PREFIXES})
    return crcs


_GROUP_CRCS: Final = {"": _prefix_crcs(""), "de": _prefix_crcs("de")}


def word_hash_slots(
    word: str,
    group: str = "",
    shapes: dict[str, tuple[str, str]] | None = None,
    lexicon: Lexicon | None = None,
) -> tuple[list[int], list[int]]:
    """``word_feature_hashes`` flattened: ``(hashes of every slot in order, count per slot)``.

    The same numbers, computed about three times faster: every feature is
    ``crc32(value, crc32(prefix))`` over bytes encoded once, and the features
    shared by the two current-token slots are hashed once. ``shapes`` is an
    optional cache from a word's characters with A-Z, a-z and 0-9 replaced by
    their classes (X, x, d) to ``(shape, short shape)``, which depend on
    nothing else.
    """
    if word in (BOS, EOS):
        slots = word_feature_hashes(word, group, lexicon)
        return [h for slot in slots for h in slot], [len(slot) for slot in slots]
    word = word[:MAX_TOKEN_CHARS]
    low = word.lower()
    classes = word.translate(_ASCII_CLASSES)
    cached = shapes.get(classes) if shapes is not None else None
    if cached is None:
        shape = _shape(word)
        cached = (shape, _short_shape(shape))
        if shapes is not None:
            if len(shapes) >= _SHAPE_CACHE_LIMIT:
                shapes.clear()
            shapes[classes] = cached
    shape, short = cached
    crc = zlib.crc32
    pre = _GROUP_CRCS.get(group) or _prefix_crcs(group)
    if word.isascii():
        # one byte per character: slices of the encoded word are the encoded slices
        lowb = low.encode()
        p2b, p3b, s2b, s3b, s4b = lowb[:2], lowb[:3], lowb[-2:], lowb[-3:], lowb[-4:]
        # the first letter, if any, is Latin
        script = _SCRIPT_CRC["X" in classes or "x" in classes]
    else:
        lowb = low.encode("utf-8", "surrogatepass")
        p2b, p3b, s2b, s3b, s4b = (
            low[:2].encode("utf-8", "surrogatepass"),
            low[:3].encode("utf-8", "surrogatepass"),
            low[-2:].encode("utf-8", "surrogatepass"),
            low[-3:].encode("utf-8", "surrogatepass"),
            low[-4:].encode("utf-8", "surrogatepass"),
        )
        script = crc(_script(word).encode(), pre["sc="])
    shapeb = shape.encode("utf-8", "surrogatepass")
    shortb = short.encode("utf-8", "surrogatepass")
    cur = [
        crc(lowb, pre["w="]),
        crc(shapeb, pre["sh="]),
        crc(shortb, pre["ss="]),
        crc(p2b, pre["p2="]),
        crc(p3b, pre["p3="]),
        crc(s2b, pre["s2="]),
        crc(s3b, pre["s3="]),
        crc(s4b, pre["s4="]),
        script,
        _LEN_CRC[min(len(word), 12)],
    ]
    if word != low:
        cur.append(crc(word.encode("utf-8", "surrogatepass"), pre["W="]))
    if "-" in word:
        cur.append(crc(shortb, pre["hyph|"]))
    cls = WORD_CLASS.get(low, "")
    clsb = cls.encode()
    if cls:
        cur.append(crc(clsb, pre["c="]))
    lex = lexicon.get(low, ()) if lexicon and word != low else ()
    lexb = [code.encode() for code in lex]
    cur += [crc(code, pre["gz="]) for code in lexb]
    ctx = clsb or shortb
    mid = [crc(shortb, pre["m.ss="]), crc(s3b, pre["m.s3="])]
    init = [crc(shortb, pre["i.ss="]), crc(lowb, pre["i.w="])]
    m1 = [crc(lowb, pre["-1w="]), crc(shortb, pre["-1ss="]), crc(s3b, pre["-1s3="]), crc(ctx, pre["-1c="])]
    p1 = [crc(lowb, pre["+1w="]), crc(shortb, pre["+1ss="]), crc(s3b, pre["+1s3="]), crc(ctx, pre["+1c="])]
    m1 += [crc(code, pre["-1gz="]) for code in lexb]
    p1 += [crc(code, pre["+1gz="]) for code in lexb]
    m2 = [crc(lowb, pre["-2w="]), crc(shortb, pre["-2ss="])]
    if cls:
        m2.append(crc(clsb, pre["-2c="]))
    if group:
        g = group + "|"
        mid += [crc(shortb, pre[g + "m.ss="]), crc(shapeb, pre[g + "sh="]), crc(s3b, pre[g + "s3="])]
        init += [crc(shortb, pre[g + "i.ss="]), crc(shapeb, pre[g + "sh="])]
        m1.append(crc(shortb, pre[g + "-1ss="]))
        p1.append(crc(shortb, pre[g + "+1ss="]))
    p2 = [crc(lowb, pre["+2w="]), crc(shortb, pre["+2ss="])]
    hashes = m2 + m1 + cur + mid + cur + init + p1 + p2
    return hashes, [len(m2), len(m1), len(cur) + len(mid), len(cur) + len(init), len(p1), len(p2)]


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


def _run_breaks(idx: IntArray) -> npt.NDArray[np.bool_]:
    """Where a run of consecutive indexes starts: ``np.diff(idx, prepend=-2) != 1`` without
    np.diff's Python-level wrapper (a third of the span step's time)."""
    out = np.empty(len(idx), bool)
    if len(idx):
        out[0] = True
        np.not_equal(idx[1:] - idx[:-1], 1, out=out[1:])
    return out


def _longest_run(first: npt.NDArray[np.bool_]) -> int:
    """Length of the longest sentence, each starting where ``first`` is set (``first[0]`` must be)."""
    starts = np.flatnonzero(first)
    lengths = np.empty(len(starts), np.int64)
    lengths[:-1] = starts[1:] - starts[:-1]
    lengths[-1] = len(first) - starts[-1]
    return int(lengths.max())


class PackedLexicon(Mapping[str, tuple[str, ...]]):
    """The model file's lexicon packed into arrays: ~38 bytes per word (17.6 MiB for 479 k), against ~90 in a dict.

    Every worker holds the lexicon for its whole life, next to a 1 GiB memory
    budget. A word is found by its string hash in a sorted array, and its stored
    UTF-8 bytes confirm the match, so the answers are exactly the dict's. Each
    word stores the index of its tuple of codes; many words share a tuple.
    """

    __slots__ = ("_blob", "_bounds", "_code_sets", "_hashes", "_set_ids")

    def __init__(
        self, blob: bytes, set_ids: Sequence[int] | npt.NDArray[np.uint32], code_sets: Sequence[tuple[str, ...]]
    ) -> None:
        # Words are separated by newlines (tokens never hold whitespace).
        newlines = np.flatnonzero(np.frombuffer(blob, np.uint8) == ord("\n"))
        starts = np.concatenate([[0], newlines + 1]) if blob else np.zeros(0, np.int64)
        ends = np.concatenate([newlines, [len(blob)]]) if blob else np.zeros(0, np.int64)
        if len(starts) != len(set_ids):
            raise ValueError(f"lexicon has {len(starts)} words but {len(set_ids)} code sets")
        ids = np.asarray(set_ids, np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= len(code_sets)):
            raise ValueError(f"lexicon refers to code sets outside the {len(code_sets)} it has")
        # bytes hashes are salted per process, which is fine for a table built at load.
        hashes = np.fromiter(map(hash, blob.split(b"\n")), np.int64, len(starts)) if blob else starts
        order = np.argsort(hashes, kind="stable")
        self._blob = blob
        self._hashes = array("q", hashes[order].astype(np.int64).tobytes())
        # Start and end byte offset of each word, interleaved (the blob is far below 2 GiB).
        self._bounds = array("i", np.stack([starts[order], ends[order]], 1).astype(np.int32).ravel().tobytes())
        self._set_ids = array("I", ids[order].astype(np.uint32).tobytes())
        self._code_sets = [tuple(codes) for codes in code_sets]

    @classmethod
    def from_masks(cls, blob: bytes, masks: Sequence[int], code_names: Sequence[str]) -> PackedLexicon:
        """The lexicon of a model file that stores a bit mask per word (at most 16 codes; before 2026-11-29 14:00)."""
        distinct = sorted(set(masks))
        index = {m: i for i, m in enumerate(distinct)}
        code_sets = [tuple(c for i, c in enumerate(code_names) if m >> i & 1) for m in distinct]
        return cls(blob, [index[m] for m in masks], code_sets)

    def get(self, word: str, default: Any = None) -> Any:
        encoded = word.encode("utf-8", "surrogatepass")
        h = hash(encoded)
        hashes = self._hashes
        i = bisect_left(hashes, h)
        while i < len(hashes) and hashes[i] == h:
            if self._blob[self._bounds[2 * i] : self._bounds[2 * i + 1]] == encoded:
                return self._code_sets[self._set_ids[i]]
            i += 1
        return default

    def __getitem__(self, word: str) -> tuple[str, ...]:
        codes: tuple[str, ...] | None = self.get(word)
        if codes is None:
            raise KeyError(word)
        return codes

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __len__(self) -> int:
        return len(self._hashes)

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self._hashes)):
            yield self._blob[self._bounds[2 * i] : self._bounds[2 * i + 1]].decode("utf-8", "surrogatepass")


def _read_lexicon(npz: Any) -> PackedLexicon:
    """The model file's lexicon: words (a newline-separated UTF-8 blob) and the codes of each.

    Each word has the index of its code set; a set is a run of indexes into the
    code names (``lexicon_set_members`` from ``lexicon_set_starts[k]`` to the next start).
    """
    blob = npz["lexicon_words"].tobytes()
    names = npz["lexicon_code_names"].tolist()
    if "lexicon_masks" in npz:
        return PackedLexicon.from_masks(blob, npz["lexicon_masks"].tolist(), names)
    members = npz["lexicon_set_members"].tolist()
    bounds = [*npz["lexicon_set_starts"].tolist(), len(members)]
    code_sets = [tuple(names[m] for m in members[a:b]) for a, b in itertools.pairwise(bounds)]
    return PackedLexicon(blob, npz["lexicon_set_ids"], code_sets)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunk_starts(text: str) -> list[int]:
    """Offset of each whitespace-separated chunk of ``text``, in ``text.split()`` order."""
    if text.isascii():
        space = _ASCII_SPACE[np.frombuffer(text.encode("ascii"), np.uint8)]
    else:
        # surrogatepass: a lone surrogate is one code point, as it is one character
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        space = _ASCII_SPACE[np.minimum(codes, 127)]
        wide = np.flatnonzero(codes >= 128)
        space[wide] = [text[i].isspace() for i in wide.tolist()]
    begins = np.empty(len(space), bool)
    begins[0] = not space[0]
    np.greater(space[:-1], space[1:], out=begins[1:])  # a space, then a non-space
    starts: list[int] = np.flatnonzero(begins).tolist()
    return starts


class _ListOffsets:
    """Character span of tokens ``lo..hi`` from the tokenizer's offset lists."""

    __slots__ = ("ends", "starts")

    def __init__(self, starts: Sequence[int], ends: Sequence[int]) -> None:
        self.starts = starts
        self.ends = ends

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        return self.starts[lo], self.ends[hi]


class _ChunkOffsets:
    """Character span of tokens ``lo..hi`` of a text tokenized chunk by chunk.

    Tokens never cross whitespace, so a token's offset is its chunk's offset
    plus its offset inside the chunk. Only the first and last token of each
    entity run are ever asked for, so the chunk offsets are found on first use.
    """

    __slots__ = ("chunk_ends", "chunks", "first", "starts", "text")

    def __init__(self, text: str, chunks: list[str], first: list[int], chunk_ends: dict[str, tuple[int, ...]]) -> None:
        self.text = text
        self.chunks = chunks
        self.first = first  # index of each chunk's first token, then the token count
        self.chunk_ends = chunk_ends  # token ends inside multi-token chunks (a cache)
        self.starts: list[int] | None = None

    def _ends(self, c: int) -> tuple[int, ...]:
        """Where each token of multi-token chunk ``c`` ends inside it."""
        chunk = self.chunks[c]
        ends = self.chunk_ends.get(chunk)
        return tuple(token_spans(chunk)[2]) if ends is None else ends

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        if self.starts is None:
            self.starts = _chunk_starts(self.text)
        first = self.first
        # tokens tile their chunk: each starts where the one before ends
        c = bisect_right(first, lo) - 1
        start = self.starts[c]
        if lo > first[c]:
            start += self._ends(c)[lo - first[c] - 1]
        c = bisect_right(first, hi, lo=c) - 1
        end = self.starts[c]
        if hi + 1 == first[c + 1]:  # the chunk's last token
            end += len(self.chunks[c])
        else:
            end += self._ends(c)[hi - first[c]]
        return start, end


_Offsets = _ListOffsets | _ChunkOffsets


class _Memo:
    """Per-word score vectors of one feature group, bounded in size."""

    __slots__ = ("caps", "chunk_ends", "chunks", "group", "index", "pinned", "resets", "vectors")

    def __init__(self, group: str, dim: int) -> None:
        self.group = group
        self.index: dict[str, int] = {}
        self.vectors = np.zeros((1024, N_SLOTS, dim), np.float32)
        self.caps = np.zeros(1024, bool)
        self.pinned = 0
        # how often the memo forgot its unpinned words: ids found before a reset may be stale
        self.resets = 0
        # token ids of whitespace-separated chunks ("said,", "Trump's"), valid
        # until the next reset; bounded (see tag_texts)
        self.chunks: dict[str, tuple[int, ...]] = {}
        # and, for those of several tokens ("Trump's"), where each token ends in it
        self.chunk_ends: dict[str, tuple[int, ...]] = {}


def _indices_by_group(present: Sequence[bool], langs: Sequence[str]) -> dict[str, list[int]]:
    """Indices of the non-empty inputs, by the language group whose memo tags them, in input order."""
    by_group: dict[str, list[int]] = {}
    for k, nonempty in enumerate(present):
        if nonempty:
            by_group.setdefault(lang_group(langs[k]), []).append(k)
    return by_group


class PerceptronTagger:
    """Hashed-feature BIO tagger (the name is the interface's; the weights come
    from a small network or logistic regression, see docs/ner-training.md).

    Instances are read-only apart from a bounded per-word memo of score vectors
    and a bounded cache of word shapes, which only make repeated words cheaper;
    results never depend on them.
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
        lexicon: Lexicon | None = None,
        output: tuple[FloatArray, FloatArray] | None = None,
        row_scale: FloatArray | None = None,
    ) -> None:
        """``weights`` are one row per feature key. Without ``output`` they are tag
        scores and ``intercept`` their bias; with it they are hidden-layer
        embeddings, ``intercept`` the hidden bias, and ``output`` the
        (weights, bias) of the layer from the hidden units to the tags.
        With ``row_scale``, ``weights`` are int8 and row ``i`` means
        ``weights[i] * row_scale[i]``; they stay int8 in memory."""
        dim = weights.shape[1] if weights.ndim == 2 else -1
        if (
            weights.shape != (len(keys), dim)
            or intercept.shape != (dim,)
            or (output is None and dim != N_TAGS)
            or (output is not None and (output[0].shape != (dim, N_TAGS) or output[1].shape != (N_TAGS,)))
            or (row_scale is not None and (row_scale.shape != (len(keys),) or weights.dtype != np.int8))
        ):
            raise ValueError("model arrays have inconsistent shapes")
        self._dim = dim
        self._output = None if output is None else (output[0].astype(np.float32), output[1].astype(np.float32))
        self._cache_limit = min(_CACHE_LIMIT, _CACHE_BYTES // (N_SLOTS * dim * 4))
        self._keys = keys
        # _rows(): index of the first key in each bucket of the top _BUCKET_BITS bits
        self._bucket_start = np.searchsorted(
            keys, np.arange(2**_BUCKET_BITS + 1, dtype=np.uint64) << np.uint64(_BUCKET_SHIFT)
        ).astype(np.int64)
        # One extra zero row: features unknown to the model gather it.
        # The network's rows stay int8 (17 MB, not 69 MB as float32): they are
        # only read when a new word's vectors are built.
        self._weights = np.empty((len(keys) + 1, dim), np.int8 if row_scale is not None else np.float32)
        self._weights[:-1] = weights
        self._weights[-1] = 0
        self._row_scale = None
        if row_scale is not None:
            self._row_scale = np.zeros(len(keys) + 1, np.float32)
            self._row_scale[:-1] = row_scale
        self._intercept = intercept.astype(np.float32)
        self._threshold = float(threshold)
        if stack is not None and (stack[0].shape != (N_STACK_FEATURES, N_TAGS) or stack[1].shape != (N_TAGS,)):
            raise ValueError("second-stage arrays have inconsistent shapes")
        self._stack = None if stack is None else (stack[0].astype(np.float32), stack[1].astype(np.float32))
        self._weak = float(threshold if weak_threshold is None else min(weak_threshold, threshold))
        self._lexicon = lexicon or None
        self._memos: dict[str, _Memo] = {}
        # ASCII character classes -> (shape, short shape): bounded, and only a cache
        self._shapes: dict[str, tuple[str, str]] = {}
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
            # int8 rows: one scale per row (the network's, kept as int8), or
            # one for all (the small linear model's, expanded at load)
            row_scale = npz["row_scale"].astype(np.float32) if "row_scale" in npz else None
            weights = npz["weights"]
            if row_scale is None:
                weights = np.multiply(weights, np.float32(npz["scale"]), dtype=np.float32)
            intercept = npz["intercept"].astype(np.float32)
            threshold = float(npz["threshold"]) if "threshold" in npz else 0.0
            warm = [str(w) for w in npz["warm_words"][:_WARM_AT_LOAD]] if "warm_words" in npz else []
            weak = float(npz["weak_threshold"]) if "weak_threshold" in npz else None
            stack = (npz["stack_w"], npz["stack_b"]) if "stack_w" in npz else None
            lexicon = _read_lexicon(npz) if "lexicon_words" in npz else None
            output = (npz["out_w"], npz["out_b"]) if "out_w" in npz else None
        return cls(keys, weights, intercept, threshold, warm, weak, stack, lexicon, output, row_scale)

    # -- per-word score vectors -------------------------------------------------

    def _memo(self, group: str) -> _Memo:
        memo = self._memos.get(group)
        if memo is None:
            memo = _Memo(group, self._dim)
            # Fixed ids: padding and sentence-end punctuation come first so
            # scores() can find sentence ends with a range check on ids.
            self._add_words(memo, [BOS, EOS, *SENTENCE_END])
            memo.pinned = len(memo.index)
            self._memos[group] = memo
        return memo

    def _word_vectors(self, words: Sequence[str], group: str) -> FloatArray:
        """Contributions of each word in each slot: shape (len(words), N_SLOTS, hidden size or N_TAGS)."""
        hashes: list[int] = []
        counts: list[int] = []
        for word in words:
            # The training corpora write the apostrophe straight; news sites mostly curly.
            # Scored as the corpora write it, "Scholz’" and "l’" read as "Scholz'" and "l'".
            as_in_corpora = word if word.isascii() else word.replace("\u2019", "'")
            word_hashes, slot_counts = word_hash_slots(as_in_corpora, group, self._shapes, self._lexicon)
            hashes += word_hashes
            counts += slot_counts
        h = np.fromiter(hashes, np.uint32, len(hashes))
        idx = self._rows(h)
        # Group sums via a cumulative sum: slots may have no features (BOS/EOS),
        # which np.add.reduceat cannot express.
        csum = np.zeros((len(h) + 1, self._dim), np.float64)
        rows = self._weights[idx]
        if self._row_scale is not None:
            rows = np.multiply(rows, self._row_scale[idx, None], dtype=np.float32)
        np.cumsum(rows, axis=0, out=csum[1:])
        ends = np.cumsum(np.fromiter(counts, np.int64, len(counts)))
        starts = ends - np.fromiter(counts, np.int64, len(counts))
        out = (csum[ends] - csum[starts]).astype(np.float32)
        return out.reshape(len(words), N_SLOTS, self._dim)

    def _rows(self, h: npt.NDArray[np.uint32]) -> IntArray:
        """Weight row of each feature hash, or ``len(keys)`` (the zero row) when unknown.

        The same rows as an exact-match ``np.searchsorted`` on the sorted,
        distinct keys, but a bucket table on the top bits narrows each look-up
        to the one to few keys that share them: binary search over 0.5 M keys
        missed the cache on every step and cost ~5 µs per word.
        """
        keys = self._keys
        n_keys = len(keys)
        out = np.full(len(h), n_keys, np.int64)
        if not n_keys or not len(h):
            return out
        bucket = (h >> _BUCKET_SHIFT).astype(np.int64)
        lo = self._bucket_start[bucket]
        count = self._bucket_start[bucket + 1] - lo
        todo = np.flatnonzero(count)
        j = 0
        while len(todo):
            cand = lo[todo] + j
            match = keys[cand] == h[todo]
            out[todo[match]] = cand[match]
            j += 1
            # keys are distinct: a matched hash is done, and so is a bucket with no more keys
            todo = todo[~match & (count[todo] > j)]
        return out

    def _add_words(self, memo: _Memo, words: Sequence[str]) -> None:
        if not words:
            return
        n = len(memo.index)
        if n + len(words) > self._cache_limit:
            # Bounded memory: forget everything but the pinned words.
            memo.resets += 1
            memo.chunks.clear()
            memo.chunk_ends.clear()
            for w in list(memo.index)[memo.pinned :]:
                del memo.index[w]
            n = memo.pinned
            words = list(words)[: self._cache_limit - n]
        need = n + len(words)
        if need > len(memo.vectors):
            grown = np.zeros((max(need, 2 * len(memo.vectors)), N_SLOTS, self._dim), np.float32)
            grown[:n] = memo.vectors[:n]
            memo.vectors = grown
            caps = np.zeros(len(grown), bool)
            caps[:n] = memo.caps[:n]
            memo.caps = caps
        # In blocks: the feature rows gathered for 8,000 warm words at once
        # would take ~300 MB at the network's hidden size.
        for lo in range(0, len(words), _WORD_BLOCK):
            block = words[lo : lo + _WORD_BLOCK]
            memo.vectors[n + lo : n + lo + len(block)] = self._word_vectors(block, memo.group)
        memo.caps[n:need] = [w[:1].isupper() for w in words]
        for i, w in enumerate(words, n):
            memo.index[w] = i

    def _ids(self, memo: _Memo, words: list[str]) -> IntArray:
        get = memo.index.get
        # map() with a default keeps the ~1000 dict look-ups per article in C.
        arr = np.fromiter(map(get, words, repeat(-1)), np.int64, len(words))
        if arr.size and arr.min() < 0:
            missing = np.flatnonzero(arr < 0).tolist()
            resets = memo.resets
            self._add_words(memo, list(dict.fromkeys(words[i] for i in missing)))
            if memo.resets == resets:
                # The ids already found still hold: look up only the new
                # words, not all ~1000 again (a new word per article is usual).
                arr[missing] = [get(words[i], -1) for i in missing]
                return arr
            return self._ids_after_reset(memo, words)
        return arr

    def _ids_after_reset(self, memo: _Memo, words: list[str]) -> IntArray:
        """The ids of ``words`` once adding their new words has reset the memo."""
        get = memo.index.get
        arr = np.fromiter(map(get, words, repeat(-1)), np.int64, len(words))
        if arr.min() < 0:
            # Only after a memo reset within one call: score those words afresh.
            self._add_words(memo, list(dict.fromkeys(words[i] for i in np.flatnonzero(arr < 0))))
            arr = np.fromiter((get(w, 0) for w in words), np.int64, len(words))
        return arr

    # -- tagging ------------------------------------------------------------------

    def scores(self, words: list[str], lang: str = "") -> FloatArray:
        """Tag scores (len(words), N_TAGS) for a non-empty token sequence."""
        return self._scores(words, lang)[0]

    def _scores(self, words: list[str], lang: str) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        memo = self._memo(lang_group(lang))
        return self._score_ids(memo, self._ids(memo, words), [0])

    def _score_ids(
        self, memo: _Memo, ids: IntArray, seg_starts: Sequence[int]
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Both stages in one pass over one or more token sequences laid end to end.

        ``seg_starts`` are the offsets where each sequence begins; a sequence
        start is a sentence start, so no window reaches across two sequences,
        and the product runs in row blocks counted from each sequence's start:
        every row comes out exactly as if its sequence were scored alone.

        The arithmetic is the one ``stack_features`` and the padded-sentence
        gathers of training define, operation for operation (same float32
        additions in the same order, the same feature matrix and the same
        row blocks for the product), so scores are bit-identical to it; only
        the bookkeeping around it is cheaper: neighbours are found by index
        arithmetic and every gather is a single ``take`` on a flat view.
        """
        n = len(ids)
        is_end = (ids >= 2) & (ids < 2 + len(SENTENCE_END))
        first = np.empty(n, bool)
        first[0] = True
        first[1:] = is_end[:-1]
        if len(seg_starts) > 1:
            first[np.asarray(seg_starts)] = True
        if n > MAX_SENTENCE_TOKENS and _longest_run(first) > MAX_SENTENCE_TOKENS:
            # Cap sentence length: a page without punctuation still gets BOS
            # context every MAX_SENTENCE_TOKENS tokens. (A no-op when no
            # sentence is longer, the usual case, hence the test first.)
            positions = np.arange(n)
            start = np.maximum.accumulate(np.where(first, positions, 0))
            first |= (positions - start) % MAX_SENTENCE_TOKENS == 0
        last = np.empty(n, bool)
        last[-1] = True
        last[:-1] = first[1:]
        # Positions of the -2, -1, 0, +1, +2 neighbours inside the sentence;
        # where the window leaves it, n (before) or n + 1 (after): padding
        # rows that stand for BOS / EOS in the first stage and zeros in the second.
        nb = np.empty((5, n), np.int64)
        m2, m1, cur, p1, p2 = nb
        cur[:] = np.arange(n)
        m1[0] = n
        m1[1:] = cur[:-1]
        m1[first] = n
        m2[:2] = n
        m2[2:] = m1[1:-1]
        m2[first] = n
        m2[1:][first[:-1]] = n
        p1[-1] = n + 1
        p1[:-1] = cur[1:]
        p1[last] = n + 1
        p2[-2:] = n + 1
        p2[:-2] = p1[1:-1]
        p2[last] = n + 1
        p2[:-1][last[1:]] = n + 1
        # First stage: per-word slot vectors, summed left to right as
        # v[m2] + v[m1] + v[cur] + v[p1] + v[p2] + intercept.
        ids_ext = np.empty(n + 2, np.int64)
        ids_ext[:n] = ids
        ids_ext[n] = BOS_ID
        ids_ext[n + 1] = EOS_ID
        rows = ids_ext[nb]
        rows *= N_SLOTS
        rows += _WINDOW_SLOTS
        rows[2] += first
        g = memo.vectors.reshape(-1, self._dim).take(rows.ravel(), axis=0).reshape(5, n, self._dim)
        first_stage: FloatArray = g[0] + g[1]
        first_stage += g[2]
        first_stage += g[3]
        first_stage += g[4]
        first_stage += self._intercept
        if self._output is not None:
            hidden = np.maximum(first_stage, np.float32(0), out=first_stage)
            first_stage = self._blocked_product(hidden, self._output[0], seg_starts)
            first_stage += self._output[1]
        caps = memo.caps[ids]
        if self._stack is None:
            return first_stage, caps
        # Second stage: the 68 columns of stack_features. Columns 0-62 are nine-
        # wide blocks, each a row of the first-stage scores (a zero row where
        # the window leaves the sentence) or, for cap·prev and cap·next, that
        # row times 0 or 1; 0·x is precomputed as a second copy of the rows, so
        # one take() fills all seven blocks with exactly the values (zero signs
        # included) that stack_features computes.
        rows_src = np.zeros((2 * (n + 2), N_TAGS), np.float32)
        rows_src[:n] = first_stage
        np.multiply(rows_src[: n + 2], np.float32(0), out=rows_src[n + 2 :])
        uncapped = np.where(caps, 0, n + 2)
        blocks = np.empty((7, n), np.int64)
        blocks[:5] = nb[_STACK_ORDER]
        np.add(m1, uncapped, out=blocks[5])
        np.add(p1, uncapped, out=blocks[6])
        feats = np.empty((n, N_STACK_FEATURES), np.float32)
        # straight into the first 63 columns (a (n, 7, 9) view); the indexes
        # are all in range, so mode="clip" changes nothing but skips the
        # bounds-checked buffered copy
        rows_src.take(blocks.T, axis=0, out=feats[:, : 7 * N_TAGS].reshape(n, 7, N_TAGS), mode="clip")
        cap_ext = np.zeros(n + 2, np.float32)
        cap_ext[:n] = caps
        tail = feats[:, 7 * N_TAGS :]
        tail[:, 0] = cap_ext[:n]
        tail[:, 1] = cap_ext[m1]
        tail[:, 2] = cap_ext[p1]
        tail[:, 3] = first
        tail[:, 4] = last
        w, b = self._stack
        out = self._blocked_product(feats, w, seg_starts)
        out += b
        return out, caps

    @staticmethod
    def _blocked_product(a: FloatArray, w: FloatArray, seg_starts: Sequence[int]) -> FloatArray:
        """``a @ w`` in row blocks counted from each sequence's start, so every
        row comes out as if its sequence were scored alone.

        Row blocks also keep each product under OpenBLAS's multithreading
        cut-off (m*n*k <= 262144): waking BLAS threads on a busy 2-core box
        cost ~7 ms per article, a hundred times the product itself.
        """
        n = len(a)
        out: FloatArray = np.empty((n, w.shape[1]), np.float32)
        for lo, hi in itertools.pairwise([*seg_starts, n]):
            for i in range(lo, hi, _BLAS_ROWS):
                j = min(i + _BLAS_ROWS, hi)
                np.matmul(a[i:j], w, out=out[i:j])
        return out

    def tag(self, tokens: list[Token], lang: str) -> list[tuple[int, int, str]]:
        """Entity spans ``(start_char, end_char, type)`` over ``tokens``.

        ``lang`` only selects German capitalisation features; all other
        languages share language-neutral features. Inputs beyond ``MAX_TOKENS`` tokens are tagged only up to that
        point.
        """
        tokens = tokens[:MAX_TOKENS]
        return self.tag_spans([t.text for t in tokens], [t.start for t in tokens], [t.end for t in tokens], lang)

    def tag_spans(
        self, words: list[str], starts: Sequence[int], ends: Sequence[int], lang: str
    ) -> list[tuple[int, int, str]]:
        """:meth:`tag` over parallel lists (what :func:`~newsflow.stages.entities.tokenize.token_spans` returns)."""
        return self.tag_many([(words, starts, ends)], [lang])[0]

    def tag_many(
        self, sequences: Sequence[tuple[list[str], Sequence[int], Sequence[int]]], langs: Sequence[str]
    ) -> list[list[tuple[int, int, str]]]:
        """:meth:`tag_spans` of each ``(words, starts, ends)`` with its language, in one numpy pass per feature group.

        The result equals tagging the sequences one by one in this order,
        including the per-word memo's state afterwards: words new to the memo
        are added sequence by sequence, as separate calls would add them.
        """
        out: list[list[tuple[int, int, str]]] = [[] for _ in sequences]
        by_group = _indices_by_group([bool(words) for words, _, _ in sequences], langs)
        for group, members in by_group.items():
            memo = self._memo(group)
            pending: list[int] = []
            id_parts: list[IntArray] = []
            offsets = {k: _ListOffsets(sequences[k][1], sequences[k][2]) for k in members}
            for k in members:
                words = sequences[k][0][:MAX_TOKENS]
                if pending and len(memo.index) + len(words) > self._cache_limit:
                    # this sequence may reset the memo, which would reuse rows
                    # the pending ids point at: score those first
                    self._tag_batch(memo, offsets, pending, id_parts, out)
                    pending, id_parts = [], []
                pending.append(k)
                id_parts.append(self._ids(memo, words))
            self._tag_batch(memo, offsets, pending, id_parts, out)
        return out

    def tag_texts(self, texts: Sequence[str], langs: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """``tag_many([token_spans(text) for text in texts], langs)``: the same spans and memo state, faster.

        A text is split at whitespace (``str.split``, in C) instead of by the
        token regex, and each memo keeps the token ids of the chunks it has
        seen ("said,", "Trump's"): news text repeats its chunks, so most of an
        article is a few ~1000-entry look-ups and no regex. Tokens never cross
        whitespace, so a text's tokens are its chunks' tokens in order; a
        chunk not seen before is tokenized alone. Words new to the memo are
        added per text, in the order of first appearance, as ``tag_many`` adds
        them. Offsets are worked out only for the entity spans found.
        """
        out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        split = [text.split() for text in texts]
        by_group = _indices_by_group([bool(chunks) for chunks in split], langs)
        for group, members in by_group.items():
            memo = self._memo(group)
            pending: list[int] = []
            id_parts: list[IntArray] = []
            offsets: dict[int, _Offsets] = {}
            for k in members:
                chunks = split[k]
                if len(memo.chunks) >= _CHUNK_CACHE_LIMIT:
                    memo.chunks.clear()
                    memo.chunk_ends.clear()
                # per chunk: its token ids or, for a chunk not seen yet, its
                # words (as many) until they have ids
                found: list[Any] = list(map(memo.chunks.get, chunks))
                fresh: dict[int, list[str]] = {}
                if None in found:
                    for c, hit in enumerate(found):
                        if hit is None:
                            words, _, ends = token_spans(chunks[c])
                            found[c] = fresh[c] = words
                            if len(words) > 1:
                                memo.chunk_ends[chunks[c]] = tuple(ends)
                # index of each chunk's first token, then the token count
                first = list(itertools.accumulate(map(len, found), initial=0))
                n_tokens = first[-1]
                if n_tokens > MAX_TOKENS:
                    # rare enough to take the plain path
                    words, starts, ends = token_spans(texts[k])
                    words, chunk_path = words[:MAX_TOKENS], False
                else:
                    words, chunk_path = [], True
                if pending and len(memo.index) + (n_tokens if chunk_path else len(words)) > self._cache_limit:
                    # as in tag_many: a reset would reuse rows the pending ids point at
                    self._tag_batch(memo, offsets, pending, id_parts, out)
                    pending, id_parts, offsets = [], [], {}
                pending.append(k)
                if not chunk_path:
                    id_parts.append(self._ids(memo, words))
                    offsets[k] = _ListOffsets(starts, ends)
                    continue
                if fresh:
                    index = memo.index
                    new = [w for ws in fresh.values() for w in ws if w not in index]
                    resets = memo.resets
                    self._add_words(memo, list(dict.fromkeys(new)))
                    if memo.resets != resets:
                        # The memo forgot the words of the chunks seen before:
                        # go on as _ids does after a reset, on the plain tokens.
                        words, starts, ends = token_spans(texts[k])
                        id_parts.append(self._ids_after_reset(memo, words))
                        offsets[k] = _ListOffsets(starts, ends)
                        continue
                    for c, ws in fresh.items():
                        found[c] = memo.chunks[chunks[c]] = tuple(map(index.__getitem__, ws))
                id_parts.append(np.fromiter(itertools.chain.from_iterable(found), np.int64, n_tokens))
                offsets[k] = _ChunkOffsets(texts[k], chunks, first, memo.chunk_ends)
            self._tag_batch(memo, offsets, pending, id_parts, out)
        return out

    def _tag_batch(
        self,
        memo: _Memo,
        offsets: Mapping[int, _Offsets],
        members: list[int],
        id_parts: list[IntArray],
        out: list[list[tuple[int, int, str]]],
    ) -> None:
        if not members:
            return
        lengths = [len(ids) for ids in id_parts]
        seg_starts = list(itertools.accumulate(lengths, initial=0))[:-1]
        ids = id_parts[0] if len(id_parts) == 1 else np.concatenate(id_parts)
        scores, caps = self._score_ids(memo, ids, seg_starts)
        runs = self._runs(scores, caps, self._threshold, self._weak, seg_starts)
        if runs is None:
            return
        lo_idx, hi_idx, types = runs
        seg_of = np.searchsorted(np.asarray(seg_starts), lo_idx, side="right") - 1
        bases = np.asarray(seg_starts)[seg_of]
        local_lo = (lo_idx - bases).tolist()
        local_hi = (hi_idx - bases).tolist()
        for seg, lo, hi, t in zip(seg_of.tolist(), local_lo, local_hi, types, strict=True):
            k = members[seg]
            start, end = offsets[k].span(lo, hi)
            out[k].append((start, end, ENTITY_TYPES[t]))

    @staticmethod
    def _runs(
        scores: FloatArray,
        caps: npt.NDArray[np.bool_],
        threshold: float,
        weak: float,
        seg_starts: Sequence[int],
    ) -> tuple[IntArray, IntArray, list[int]] | None:
        """Runs of entity-tagged tokens ``(first token, last token, type index)``, each
        typed by its summed per-type score; ``None`` when there is none.

        Independent per-token decisions often disagree inside one name
        ("Ferdinando/PER Vicentini/ORG"); a run of adjacent entity tokens is
        nearly always one name, so it becomes one span and the types vote,
        unless a token in it is clearly the beginning of another name.
        """
        # A token is inside a name when its best entity tag beats O by more
        # than the model's tuned margin. Hysteresis: a capitalised token with a
        # weaker margin still joins when its run of such tokens touches a
        # confident one ("Choe Son Hui", "Meryl Streep"), because the per-token
        # model cannot see that its neighbour is already inside a name.
        # (max over the eight entity columns one column at a time: the same
        # values as scores[:, 1:].max(axis=1), several times faster for 9 columns)
        best = np.maximum(scores[:, 1], scores[:, 2])
        for k in range(3, N_TAGS):
            np.maximum(best, scores[:, k], out=best)
        margin = best - scores[:, 0]
        strong = margin > threshold
        if not strong.any():
            return None
        cand = strong | ((margin > weak) & caps)
        idx = np.flatnonzero(cand)
        # A run never continues from one sequence into the next. With one
        # sequence there is nothing to add: its start can only be idx[0],
        # which _run_breaks marks anyway.
        seg_first = None
        if len(seg_starts) > 1:
            seg_first = np.zeros(len(scores), bool)
            seg_first[np.asarray(seg_starts)] = True
        breaks = _run_breaks(idx)
        if seg_first is not None:
            breaks |= seg_first[idx]
        run_id = np.cumsum(breaks) - 1
        keep = np.bincount(run_id, weights=strong[idx]) > 0
        idx = idx[keep[run_id]]
        # Runs of consecutive entity tokens; each run's type is the argmax of
        # its summed best-of-B/I score per type.
        breaks = _run_breaks(idx)
        if seg_first is not None:
            breaks |= seg_first[idx]
        # A person named right after a place or an organisation ("США Дональд Трамп", "prezydent Francji
        # Nicolas Sarkozy"): the person's first token says B-PER, not I-. Only into a person: other pairs
        # are more often one name ("VfL Osnabrück", "Deutschen Theater Berlin").
        type_scores = np.maximum(scores[idx, 1::2], scores[idx, 2::2])
        b_scores = scores[idx, 1::2]
        token_type = type_scores.argmax(axis=1)
        breaks[1:] |= (
            (b_scores[1:].max(axis=1) - scores[idx[1:], 2::2].max(axis=1) > NEW_NAME_MARGIN)
            & (b_scores[1:].argmax(axis=1) == _PER)
            & (token_type[:-1] != _PER)
        )
        run_start = np.flatnonzero(breaks)
        run_last = np.append(run_start[1:], len(idx)) - 1
        run_type = np.add.reduceat(type_scores, run_start, axis=0).argmax(axis=1)
        return idx[run_start], idx[run_last], run_type.tolist()
