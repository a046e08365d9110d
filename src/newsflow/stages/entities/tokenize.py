"""A fast, Unicode-aware regex tokenizer with character offsets.

It splits the way the NER training corpora were split closely enough for the
tagger: words (letters and digits, joined by inner hyphens; numbers keep their
decimal/thousands separators), Romance elisions kept with their apostrophe
(``dell'``, ``l'``, ``d'``) so the following name stands alone, and every other
non-space character as its own token. Offsets index into the original string,
so ``text[t.start:t.end] == t.text`` always holds.

:func:`token_spans` is the fast form the stage uses: parallel lists of words,
start and end offsets, with no per-token object. :func:`tokenize` wraps it in
:class:`Token` records for callers that want them (training, tests, the
fallback tagger).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["Token", "token_spans", "tokenize"]


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its text and the half-open character span ``[start, end)``."""

    text: str
    start: int
    end: int


# One alternation, words first: Python's re tries alternatives at every
# position, so a cheap leading branch keeps the scan near 0.5 µs per token.
# A word may end in an apostrophe when a letter follows; _split_elisions
# keeps that only for real elisions.
_TOKEN_RE = re.compile(r"\w+(?:[-‐‑]\w+)*(?:[.,]\d+)*(?:['’](?=[^\W\d_]))?|[^\w\s]")
# The same tokens from one capturing group: split() then returns
# [gap, token, gap, token, ..., gap] and the offsets follow from the lengths
# alone, in C, with no str.find per token. The quantifiers are possessive:
# every part after the first \w+ is optional, so the greedy path always
# matches and backtracking never changes a token; not recording it makes the
# scan ~15% faster.
_SPLIT_RE = re.compile(r"(\w++(?:[-‐‑]\w++)*+(?:[.,]\d++)*+(?:['’](?=[^\W\d_]))?+|[^\w\s])")

# Elided articles and prepositions (it, fr, ca) that keep their apostrophe.
_ELISIONS = frozenset(
    {
        *("l", "d", "dell", "dall", "nell", "sull", "all", "coll", "quell", "quest", "un", "tutt", "nessun"),
        *("c", "j", "m", "n", "s", "t", "qu", "lorsqu", "jusqu", "puisqu"),
    }
)

# The generated __init__ of a frozen dataclass goes through object.__setattr__
# per field, which doubles the cost of building ~1000 tokens per article; the
# slot descriptors set the same fields directly.
_new = object.__new__
_set_text = Token.__dict__["text"].__set__
_set_start = Token.__dict__["start"].__set__
_set_end = Token.__dict__["end"].__set__


def _token(text: str, start: int, end: int) -> Token:
    tok: Token = _new(Token)
    _set_text(tok, text)
    _set_start(tok, start)
    _set_end(tok, end)
    return tok


def token_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    """``(words, starts, ends)``: the tokens of :func:`tokenize` as parallel lists."""
    parts = _SPLIT_RE.split(text)
    words = parts[1::2]
    n = len(words)
    cum = list(accumulate(map(len, parts)))
    starts = cum[0 : 2 * n : 2]
    ends = cum[1::2]
    if "'" in text or "’" in text:
        _split_elisions(text, words, starts, ends)
    return words, starts, ends


def _split_elisions(text: str, words: list[str], starts: list[int], ends: list[int]) -> None:
    """Split a trailing apostrophe off every word that is not an elision, in place.

    Only words whose last character is an apostrophe can need it, and an
    apostrophe is rarer than a word, so look from each apostrophe to its token.
    """
    found: list[int] = []
    for mark in "'’":
        pos = text.find(mark)
        while pos != -1:
            i = bisect_right(ends, pos)
            # the token holding pos ends right after it and is longer than the mark
            if i < len(ends) and ends[i] == pos + 1 and starts[i] < pos:
                found.append(i)
            pos = text.find(mark, pos + 1)
    # from the back, so inserting does not move the indexes still to do
    for i in sorted(found, reverse=True):
        word = words[i]
        if word[:-1].lower() in _ELISIONS:
            continue
        end = ends[i]
        words[i : i + 1] = [word[:-1], word[-1]]
        starts[i : i + 1] = [starts[i], end - 1]
        ends[i : i + 1] = [end - 1, end]


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens with offsets; never raises on ``str`` input."""
    return list(map(_token, *token_spans(text)))
