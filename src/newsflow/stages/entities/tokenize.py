"""A fast, Unicode-aware regex tokenizer with character offsets.

It splits the way the NER training corpora were split closely enough for the
tagger: words (letters and digits, joined by inner hyphens; numbers keep their
decimal/thousands separators), Romance elisions kept with their apostrophe
(``dell'``, ``l'``, ``d'``) so the following name stands alone, initials and
dotted abbreviations with their dots (``W.``, ``U.S.``, ``Jr.``, ``Mr.``),
Irish ``O'`` names whole (``O'Brien``), and every other non-space character as
its own token. Offsets index into the original string,
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


# Abbreviations that keep their dot, as the training corpora write them: with
# the dot split off, "Mr. Smith" and "George W. Bush" would read as a sentence
# end followed by a sentence-initial name, which the tagger never saw in training.
# Initials are capital letters ("W.", "U.S.", "А."): a lower-case letter and a
# dot is more often a word ending a sentence ("don't.").
_ABBREVIATIONS = (
    *("Mrs", "Mr", "Ms", "Mme", "Mlle", "Messrs", "Dr", "Prof", "Rev", "Hon", "Sen", "Rep", "Gov", "Gen"),
    *("Lt", "Col", "Capt", "Sgt", "Adm", "Cmdr", "Pres", "Sr", "Sra", "Srta", "Jr", "St", "Ste", "Sta"),
    *("Mt", "Ft", "Inc", "Corp", "Co", "Ltd", "Bros", "Dott", "Avv", "Ing", "Sig", "Hr", "Fr", "Nr"),
)


def _upper_class() -> str:
    """A regex character class of the Basic Multilingual Plane's capital letters, as ranges."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if chr(code).isupper():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges) + "]"


def _dot_suffix(possessive: str) -> str:
    """What may follow a word: its dot, when the word is an initial or one of the abbreviations.

    Tried only when a dot follows (the lookahead fails at once on nearly every
    token); the look-behinds then check the word, one fixed width at a time,
    as Python's look-behinds need.
    """
    by_width: dict[int, list[str]] = {}
    for word in _ABBREVIATIONS:
        by_width.setdefault(len(word), []).append(word)
    abbreviation = "|".join(f"(?<=(?<!\\w)(?:{'|'.join(words)}))" for _, words in sorted(by_width.items()))
    initial = f"(?<=(?<![\\w.-]){_upper_class()})"
    return rf"(?:(?=\.)(?:{initial}\.(?:[^\W\d_]\.)*{possessive}|(?:{abbreviation})\.))?{possessive}"


# One alternation, words first: Python's re tries alternatives at every
# position, so a cheap leading branch keeps the scan near 0.5 µs per token.
# A word may end in an apostrophe when a letter follows; _split_elisions
# keeps that only for real elisions.
_TOKEN_RE = re.compile(rf"\w+(?:[-‐‑]\w+)*(?:[.,]\d+)*(?:['’](?=[^\W\d_]))?{_dot_suffix('')}|[^\w\s]")
# The same tokens from one capturing group: split() then returns
# [gap, token, gap, token, ..., gap] and the offsets follow from the lengths
# alone, in C, with no str.find per token. The quantifiers are possessive:
# every part after the first \w+ is optional, so the greedy path always
# matches and backtracking never changes a token; not recording it makes the
# scan ~15% faster.
_SPLIT_RE = re.compile(rf"(\w++(?:[-‐‑]\w++)*+(?:[.,]\d++)*+(?:['’](?=[^\W\d_]))?+{_dot_suffix('+')}|[^\w\s])")

# Elided articles and prepositions (it, fr, ca) that keep their apostrophe.
_ELISIONS = frozenset(
    {
        *("l", "d", "dell", "dall", "nell", "sull", "all", "coll", "quell", "quest", "un", "tutt", "nessun"),
        *("c", "j", "m", "n", "s", "t", "qu", "lorsqu", "jusqu", "puisqu"),
    }
)

# English clitics after an apostrophe: they stay one token with it ("'s", "'m", "n't").
_CLITICS = frozenset({"s", "t", "d", "m", "ll", "re", "ve"})

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

    An English clitic takes the apostrophe instead ("Obama" "'s", "do" "n't"), and a capital
    letter and its apostrophe join the word after ("O'Brien").

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
        # The regex only keeps an apostrophe when a letter follows, so token i + 1 is that word.
        after = words[i + 1]
        if after in _CLITICS:
            # "Obama's" -> "Obama" "'s", "don't" -> "do" "n't", as the English training corpora split them
            cut = 2 if after == "t" and word[-2:-1] == "n" and len(word) > 3 else 1
            words[i : i + 2] = [word[:-cut], word[-cut:] + after]
            starts[i + 1] = end - cut
            ends[i] = end - cut
            continue
        if len(word) == 2 and word[0].isupper():
            words[i : i + 2] = [word + after]  # O'Brien
            ends[i : i + 2] = [ends[i + 1]]
            del starts[i + 1]
            continue
        words[i : i + 1] = [word[:-1], word[-1]]
        starts[i : i + 1] = [starts[i], end - 1]
        ends[i : i + 1] = [end - 1, end]


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens with offsets; never raises on ``str`` input."""
    return list(map(_token, *token_spans(text)))
