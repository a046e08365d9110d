"""Two cheap extra opinions for the language stage when fastText is unsure: CLD2 and py3langid.

Both ship their models inside their wheels (nothing downloads) and cost 20-140 µs a sentence,
against ~1 ms for lingua, which stays the main short-text detector. They are asked only on the
path where lingua is asked too. On lines 0-299 of the langid sentences they fix different
mistakes than lingua does (py3langid: af, ga, sl, nb/nn, bs; CLD2: cs, nn, id), so a weighted
vote beats every detector alone; see docs/benchmarks/langid.md for the numbers and the weights.

A voter only speaks for the languages it has a label for: a text in Tswana must not lose to
Sotho because py3langid has no Tswana and gives Sotho the mass (:attr:`Voter.known`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from newsflow.stages.language_data import CORE_LANGUAGES, VOTER_CODE_MAP


def _core_distribution(scores: Mapping[str, float]) -> dict[str, float]:
    """Map labels to our codes, keep the 75 core languages, renormalise (empty if nothing is left)."""
    kept: dict[str, float] = {}
    for label, score in scores.items():
        code = VOTER_CODE_MAP.get(label, label)
        if code in CORE_LANGUAGES and score > 0.0:
            kept[code] = kept.get(code, 0.0) + score
    total = sum(kept.values())
    return {code: score / total for code, score in kept.items()} if total > 0.0 else {}


class Voter(Protocol):
    known: frozenset[str]

    def __call__(self, cleaned: str) -> dict[str, float]: ...


class Cld2Voter:
    """Compact Language Detector 2 (pycld2): the share of the text's bytes per language."""

    def __init__(self) -> None:
        import pycld2

        self._cld2: Any = pycld2
        self.known = frozenset(VOTER_CODE_MAP.get(code, code) for _, code in pycld2.LANGUAGES) & CORE_LANGUAGES

    def __call__(self, cleaned: str) -> dict[str, float]:
        try:
            _, _, details = self._cld2.detect(cleaned, bestEffort=True)
        except (self._cld2.error, UnicodeError):  # CLD2 refuses some input; then it has no opinion
            return {}
        return _core_distribution({code: float(percent) for _, code, percent, _ in details if code != "un"})


class LangidVoter:
    """py3langid (langid.py's naive Bayes over byte n-grams, 97 languages), normalised probabilities."""

    def __init__(self, top: int = 5) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._top = top
        self.known = frozenset(VOTER_CODE_MAP.get(code, code) for code in self._identifier.nb_classes) & CORE_LANGUAGES

    def __call__(self, cleaned: str) -> dict[str, float]:
        try:
            ranked = self._identifier.rank(cleaned)
        except UnicodeError:  # lone surrogates; the stage's cleaning removes them before this
            return {}
        return _core_distribution(dict(ranked[: self._top]))
