"""The entities stage: mentions from a tagger and the gazetteer, linked and grouped.

For each field (title, then text) the stage

1. gets typed spans from the NER backend: the shipped statistical tagger by
   default, or a spaCy pipeline named in ``NEWSFLOW_NER_MODELS`` for the
   article's language;
2. finds gazetteer names (countries, states, cities, continents, a few curated
   organisations and people) with :meth:`Gazetteer.find`;
3. composes the two (rules below and in docs/entities.md), links what it can
   to a knowledge-base id, ties later surname-only person mentions to the
   earlier full name, and
4. groups mentions into :class:`EntityGroup` records with a salience score.

Composition rules, in order, for a gazetteer match ``g`` and an overlapping
tagger span ``t``:

* same boundaries (ignoring articles the tagger took in front, "Gli Stati
  Uniti"): the gazetteer entity wins (it carries an id), unless ``t`` is
  PER and the entity is a non-capital city under a million people ("Bush"),
  or ORG and a non-capital city under 200 k ("Monsanto"), or ``t`` is a
  one-word PER that is the first or last name of a full name elsewhere in
  the article;
* ``t`` strictly contains ``g``: ``t`` wins if it is PER/ORG/MISC and ``g``'s
  entity is of another type ("Antony Blinken" is not the town of Antony,
  "Federazione Russa" is not Russia); otherwise ``g`` wins;
* ``g`` contains or crosses ``t``: ``g`` wins unless ``t`` is PER/ORG and
  crosses it.

Tagger spans left over are linked through the gazetteer's name index when a
candidate has a compatible type; the rest keep ``kb_id=None``.
"""

from __future__ import annotations

import bisect
import importlib.util
import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, Literal, Protocol, cast

import ahocorasick

from newsflow.errors import ConfigError
from newsflow.models import Article, EntityGroup, EntityMention, EntityType
from newsflow.stages.entities.gazetteer import GazEntry, Gazetteer, GazMatch, fold, load_gazetteer
from newsflow.stages.entities.lang import LangData, for_language
from newsflow.stages.entities.tokenize import Token, token_spans, tokenize

__all__ = ["MAX_CHARS", "EntityExtractor", "parse_ner_models", "salience"]

log = logging.getLogger(__name__)

Field = Literal["text", "title"]

# Only this many characters of a field are searched: a 1 MB page is either a
# scrape gone wrong or a document whose entities show up early anyway, and the
# record timeout must hold. Documented in docs/entities.md.
MAX_CHARS = 200_000
# A tagger span longer than this is a run of text, not a name ("Roma Roma Roma …" over a whole
# title); of 217,811 names in the training and WikiNEuRal sets the longest has 158. Dropping such
# spans also keeps composition linear: each gazetteer name inside a span looks at the span's rest.
MAX_NAME_CHARS = 200
# Characters × names up to which surnames are searched for with one str.find scan per name.
_FIND_WORK_LIMIT = 2_000_000

_SPACY_LABELS: dict[str, EntityType] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "FAC": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
_ENTITY_TYPES = frozenset({"PER", "ORG", "LOC", "MISC"})
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_STATE_WINDOW = 24
# Gazetteer kinds whose names double as first names or as parts of
# organisation names often enough to need the next-word check.
_NAME_LIKE_KINDS = frozenset({"city", "state"})
# When the tagger says PER/ORG on exactly a non-capital city's name, the tagger
# wins below these sizes: many towns are named like people ("Bush", "Clinton",
# "George"), fewer like firms ("Monsanto", "Honda"), and the tagger's ORG on a
# real place ("nella regione di Kursk") is a commoner mistake than its PER.
_MINOR_CITY_POPULATION = {"PER": 1_000_000, "ORG": 200_000}
# Answers per language in the extractor's span cache before it starts afresh.
_SPAN_CACHE_LIMIT = 100_000
# Words of a date that the tagger takes for names: era markers read as acronyms
# ("550 BC" -> ORG) and capitalised months that are also first names ("June 5"
# -> PER; only English and German capitalise months). Dropped only next to a
# number or a century: "BC" alone is also British Columbia, "June" a person.
_DATE_WORDS = frozenset(
    {"BC", "BCE", "AD", "CE", "B.C.", "A.D.", "B.C.E.", "C.E.", "B.C", "A.D"}
    | {"January", "February", "March", "April", "May", "June", "July", "August"}
    | {"September", "October", "November", "December", "Sept"}
    | {"Januar", "Februar", "März", "Mai", "Juni", "Juli", "Oktober", "Dezember"}
)
_CENTURY_WORDS = ("century", "centuries", "millennium", "millennia")
# Lower-case particles inside surnames ("von der Leyen", "da Silva"): a full name's surname starts at the first.
_PARTICLES = frozenset(
    {"da", "de", "del", "della", "den", "der", "di", "dos", "du", "la", "le", "ten", "ter", "van", "von", "zu"}
)
_VON_VAN_BEFORE_RE = re.compile(r"(?:(?<=\s)|^)((?:von|van)(?: (?:de|den|der|ten|ter|zu))?) $")
# A capitalised particle opening a surname ("De Gaulle", "Di Maio", "Van Gogh", "Von Beust"). The
# tagger starts the person at the next capital, or reads the particle as a sentence's first word.
_CAPITALISED_PARTICLE_RE = re.compile(r"(?:(?<=\s)|^)(?:De|Di|Da|Del|Della|Van|Von|Dos)(?= \w)")
# Languages in which "von" and "van" are also prepositions ("von Berlin", "van Amsterdam").
_PARTICLES_ARE_PREPOSITIONS = frozenset({"de", "nl"})
# Inflected names ("Северной Кореи"): words per name, guesses per name, shortest stem.
_MAX_INFLECTED_WORDS = 3
_MAX_INFLECTION_GUESSES = 64
_MIN_STEM = 3
# "not cached yet" for caches whose answers include None
_UNSEEN: Any = object()


class SpanTagger(Protocol):
    """What the stage needs from a statistical tagger."""

    def tag(self, tokens: list[Token], lang: str) -> list[tuple[int, int, str]]: ...


def parse_ner_models(spec: str) -> dict[str, str]:
    """``"it:it_core_news_lg,en:/path/to/model"`` -> ``{"it": ..., "en": ...}``."""
    models: dict[str, str] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        lang, sep, name = item.partition(":")
        if not sep or not lang.strip() or not name.strip():
            raise ConfigError(f"NEWSFLOW_NER_MODELS item {item!r}: expected <language>:<spaCy pipeline name or path>")
        models[lang.strip().lower()] = name.strip()
    return models


def salience(count: int, max_count: int, first_position: float, in_title: bool) -> float:
    """``0.5·count/max_count + 0.3·(1 − first offset/len) + 0.2·in_title``, in [0, 1].

    ``first_position`` is 1.0 for a mention in the title or at the very start
    of the text and falls linearly to 0.0 at its end.
    """
    freq = count / max_count if max_count else 0.0
    value = 0.5 * freq + 0.3 * min(max(first_position, 0.0), 1.0) + 0.2 * (1.0 if in_title else 0.0)
    return round(min(max(value, 0.0), 1.0), 4)


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    type: EntityType
    canonical: str
    kb_id: str | None
    field: Field
    tagger_type: str | None = None  # what the NER backend said, if it saw this span


class _SpanAnswers:
    """Answers that depend only on a span's text, its type and the language data, for one language.

    ``trimmed[type][text]``: ``_demonym_as_misc(_trim(...))`` of a tagger span
    with offsets relative to its start (``None``: dropped).
    ``linked[type][text]``: a leftover tagger span's whitespace-normalised
    surface and the gazetteer entry it links to, if any (the gazetteer is
    fixed per extractor). Only a cache: every answer is recomputed the same
    way when missing.
    """

    __slots__ = ("linked", "size", "trimmed")

    def __init__(self) -> None:
        self.trimmed: dict[str, dict[str, tuple[int, int, EntityType] | None]] = {}
        self.linked: dict[str, dict[str, tuple[str, GazEntry | None]]] = {}
        self.size = 0


class EntityExtractor:
    """``Article -> Article`` filling ``entities`` and ``entity_groups``."""

    name = "entities"

    def __init__(
        self,
        ner_models: str = "",
        *,
        gazetteer: Gazetteer | None = None,
        tagger: SpanTagger | None = None,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self._spacy_names = parse_ner_models(ner_models)
        if self._spacy_names and importlib.util.find_spec("spacy") is None:
            raise ConfigError(
                "NEWSFLOW_NER_MODELS names spaCy pipelines but spaCy is not installed: "
                "pip install 'newsflow[spacy]' and the pipelines, or unset NEWSFLOW_NER_MODELS"
            )
        self._spacy: dict[str, Any] = {}
        self._gazetteer = gazetteer
        self._tagger = tagger
        self._tagger_loaded = tagger is not None
        self._max_chars = max_chars
        # Per-span answers by span text, per language data: the same names
        # ("US", "Donald Trump") come back article after article. Bounded; a
        # cache only (see _SpanAnswers).
        self._span_answers: dict[LangData, _SpanAnswers] = {}

    # -- resources -----------------------------------------------------------------

    def warm_up(self) -> None:
        """Load the gazetteer and the default tagger now (about 1-3 s) instead of on the first article.

        A worker can call this at start-up so the first record does not pay
        for it inside its timeout. spaCy pipelines stay lazy.
        """
        _ = self.gazetteer
        self._statistical_tagger()

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    def _statistical_tagger(self) -> SpanTagger | None:
        if not self._tagger_loaded:
            self._tagger_loaded = True
            try:
                # lazy: numpy and the model load only when the default backend is used
                from newsflow.stages.entities.tagger import PerceptronTagger

                self._tagger = PerceptronTagger.load()
            except (ImportError, FileNotFoundError) as exc:
                log.warning("NER tagger unavailable (%s); using the capitalised-sequence fallback", exc)
                self._tagger = _CapitalisedSequenceTagger()
        return self._tagger

    def _spacy_pipeline(self, lang: str) -> Any:
        nlp = self._spacy.get(lang)
        if nlp is None:
            # lazy: the default backend must never import spaCy
            import spacy

            name = self._spacy_names[lang]
            try:
                nlp = spacy.load(name)
            except OSError as exc:
                raise ConfigError(
                    f"NEWSFLOW_NER_MODELS: cannot load spaCy pipeline {name!r} for {lang!r}: {exc}"
                ) from exc
            self._spacy[lang] = nlp
        return nlp

    # -- NER backends --------------------------------------------------------------

    def _ner_spans(self, text: str, lang: str) -> list[tuple[int, int, EntityType]]:
        return self._ner_spans_many([(text, lang)])[0]

    def _ner_spans_many(self, fields: list[tuple[str, str]]) -> list[list[tuple[int, int, EntityType]]]:
        """Typed NER spans of each ``(text, language)``, in order.

        The shipped tagger scores all of them in one numpy pass (same result as
        one call per text); a spaCy pipeline or an injected tagger is called
        per text.
        """
        found: list[list[tuple[int, int, str]]] = [[] for _ in fields]
        statistical: list[int] = []
        for k, (text, lang) in enumerate(fields):
            if lang in self._spacy_names:
                doc = self._spacy_pipeline(lang)(text)
                found[k] = [
                    (ent.start_char, ent.end_char, _SPACY_LABELS[ent.label_])
                    for ent in doc.ents
                    if ent.label_ in _SPACY_LABELS
                ]
            else:
                statistical.append(k)
        tagger = self._statistical_tagger() if statistical else None
        if tagger is not None:
            by_text = getattr(tagger, "tag_texts", None)
            many = getattr(tagger, "tag_many", None)
            if by_text is not None:
                # the shipped tagger tokenizes through its chunk memo (the same tokens, faster)
                tagged = cast(
                    list[list[tuple[int, int, str]]],
                    by_text([fields[k][0] for k in statistical], [fields[k][1] for k in statistical]),
                )
                for k, spans in zip(statistical, tagged, strict=True):
                    found[k] = spans
            elif many is not None:
                # the shipped tagger takes parallel lists: no Token per word
                tagged = cast(
                    list[list[tuple[int, int, str]]],
                    many([token_spans(fields[k][0]) for k in statistical], [fields[k][1] for k in statistical]),
                )
                for k, spans in zip(statistical, tagged, strict=True):
                    found[k] = spans
            else:
                for k in statistical:
                    found[k] = tagger.tag(tokenize(fields[k][0]), fields[k][1])
        return [[(s, e, cast(EntityType, t)) for s, e, t in spans if t in _ENTITY_TYPES] for spans in found]

    # -- the stage -----------------------------------------------------------------

    def __call__(self, article: Article) -> Article:
        return self.extract_many([article])[0]

    def extract_many(self, articles: list[Article]) -> list[Article]:
        """The stage over several articles: the same result as calling it on each in turn.

        The statistical tagger then scores every title and text in one numpy
        pass, which saves its fixed per-call cost; everything else runs per
        article. Articles are filled in place and returned in order.
        """
        plans: list[tuple[Article, str, LangData, list[tuple[Field, str]]]] = []
        ner_inputs: list[tuple[str, str]] = []
        for article in articles:
            code = article.language.code if article.language else None
            lang = code if code and code != "und" else "und"
            ld = for_language(lang)
            fields: list[tuple[Field, str]] = []
            if article.title:
                fields.append(("title", article.title[: self._max_chars]))
            fields.append(("text", article.text[: self._max_chars]))
            fields = [(field, text) for field, text in fields if text.strip()]
            ner_inputs += [(text, lang) for _, text in fields]
            plans.append((article, lang, ld, fields))
        ner = iter(self._ner_spans_many(ner_inputs))
        for article, _, ld, fields in plans:
            mentions: list[_Mention] = []
            for field, text in fields:
                mentions += self._field_mentions(text, field, ld, next(ner))
            _link_person_parts(mentions, article, ld)
            mentions = _add_surname_mentions(mentions, article)
            _one_type_per_name(mentions)
            title, body = article.title or "", article.text
            # positional arguments (text, type, start, end, canonical, kb_id, field): ~100 per article
            article.entities = [
                EntityMention(
                    (title if m.field == "title" else body)[m.start : m.end],
                    m.type,
                    m.start,
                    m.end,
                    m.canonical,
                    m.kb_id,
                    m.field,
                )
                for m in mentions
            ]
            article.entity_groups = _groups(mentions, len(article.text))
        return articles

    def _field_mentions(
        self, text: str, field: Field, ld: LangData, ner_spans: list[tuple[int, int, EntityType]]
    ) -> list[_Mention]:
        answers = self._span_answers.get(ld)
        if answers is None or answers.size >= _SPAN_CACHE_LIMIT:
            answers = self._span_answers[ld] = _SpanAnswers()
        spans = _trimmed_spans(text, ner_spans, ld, answers)
        matches = self.gazetteer.find(text, ld.words_not_names)
        if field == "text":
            spans = [_extend_person(text, s, self.gazetteer, ld) for s in spans]
        if "von " in text or "van " in text:
            spans = [_with_particles(text, s, ld) for s in spans]
        if _CAPITALISED_PARTICLE_RE.search(text):
            spans = _with_capitalised_particles(text, spans, ld)
        return self._compose(text, field, spans, matches, ld, answers)

    def _compose(
        self,
        text: str,
        field: Field,
        spans: list[tuple[int, int, EntityType]],
        matches: list[GazMatch],
        ld: LangData,
        answers: _SpanAnswers | None = None,
    ) -> list[_Mention]:
        spans.sort()
        used = [False] * len(spans)
        out: list[_Mention] = []
        j0 = 0
        gaz = self.gazetteer
        if answers is None:
            answers = _SpanAnswers()
        for m in matches:
            entry = _choose(m.candidates, text, m.start, m.end, ld)
            if (
                field == "text"
                and entry.kind in _NAME_LIKE_KINDS
                and (_followed_by_name(text, m.end, gaz, ld) or _preceded_by_name(text, m.start, gaz, ld))
            ):
                # "Antony Blinken", "Washington Post", "Great White Fleet": a
                # place name glued to a capitalised non-place word is part of
                # another name.
                continue
            while j0 < len(spans) and spans[j0][1] <= m.start:
                j0 += 1
            overlapping = []
            j = j0
            while j < len(spans) and spans[j][0] < m.end:
                if spans[j][1] > m.start:
                    overlapping.append(j)
                j += 1
            keep_gaz = True
            tagger_type: str | None = None
            for k in overlapping:
                s, e, t = spans[k]
                if (s, e) == (m.start, m.end) or (e == m.end and _only_function_words(text[s : m.start], ld)):
                    # same name, or the tagger also took a leading article ("Gli Stati Uniti")
                    if t in _MINOR_CITY_POPULATION and _minor_city(entry, _MINOR_CITY_POPULATION[t]):
                        # "Bush", "Toyota", "Monsanto": towns named like people and firms
                        keep_gaz = False
                        continue
                    tagger_type = t
                    used[k] = True
                elif s <= m.start and m.end <= e:  # tagger span contains the name
                    if t in {"PER", "ORG", "MISC"} and entry.type != t:
                        keep_gaz = False
                    elif t == "LOC" and _has_other_name_word(text[s : m.start] + " " + text[m.end : e], ld):
                        # "Irlanda del Nord", "Rio Mississippi", "Baixa Áustria": the
                        # longer name is the place, and the shorter one's id is not its id
                        keep_gaz = False
                    else:
                        used[k] = True
                elif m.start <= s and e <= m.end:  # name contains the tagger span
                    used[k] = True
                elif t in {"PER", "ORG"}:  # crossing
                    keep_gaz = False
                else:
                    used[k] = True
            if keep_gaz:
                out.append(_Mention(m.start, m.end, entry.type, entry.canonical, entry.kb_id, field, tagger_type))
        # Leftover tagger spans, in start order, each kept unless it overlaps a
        # kept gazetteer name or an earlier kept span. Both sets are disjoint
        # and sorted, so a sweep answers what an interval set would: a pointer
        # into the names (``out``, sorted by start, as ``find`` returns them)
        # and the end of the last kept span (the largest end so far).
        gaz_starts = [o.start for o in out]
        gaz_ends = [o.end for o in out]
        n_gaz = len(out)
        i = 0
        last_end = -1
        for k, (s, e, t) in enumerate(spans):
            if used[k]:
                continue
            while i < n_gaz and gaz_ends[i] <= s:
                i += 1
            if last_end > s or (i < n_gaz and gaz_starts[i] < e):
                continue
            last_end = e
            raw = text[s:e]
            by_raw = answers.linked.get(t)
            if by_raw is None:
                by_raw = answers.linked[t] = {}
            known = by_raw.get(raw)
            if known is None:
                surface = " ".join(raw.split())
                linked = None
                if surface.lower() not in ld.stop_names:
                    linked = _compatible(gaz.lookup(surface), t) or _link_inflected(surface, t, gaz, ld)
                known = by_raw[raw] = (surface, linked)
                answers.size += 1
            surface, linked = known
            if linked is not None:
                out.append(_Mention(s, e, linked.type, linked.canonical, linked.kb_id, field, t))
            else:
                out.append(_Mention(s, e, t, surface, None, field, t))
        out.sort(key=attrgetter("start"))
        return out


class _Intervals:
    """Disjoint half-open intervals kept sorted, for overlap tests in O(log n)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        # What add() would build from the spans in sorted order (it inserts
        # before equal starts, so those end up longest first), built directly.
        pairs = sorted(sorted(spans, key=itemgetter(1), reverse=True), key=itemgetter(0))
        self._starts: list[int] = [start for start, _ in pairs]
        self._ends: list[int] = [end for _, end in pairs]

    def overlaps(self, start: int, end: int) -> bool:
        # only the last interval starting before ``end`` can reach past ``start``
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, end)


def _trim(text: str, start: int, end: int, etype: EntityType, ld: LangData) -> tuple[int, int, EntityType] | None:
    """Drop surrounding punctuation, leading honorifics of people, trailing function words."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == "."):
        end -= 1
    end = _without_full_stop(text, start, end)
    if etype == "ORG" and _titled_person(text[start:end], ld):
        etype = "PER"  # "Commissario Monti", which the tagger took for an office
    if etype == "PER":
        while True:
            word = _WORD_RE.match(text, start)
            if word is None or word.end() >= end:
                break
            w_end = word.end() + (1 if text[word.end()] == "." else 0)
            if text[start:w_end].lower() not in ld.honorifics and word.group().lower() not in ld.honorifics:
                break
            start = w_end
            while start < end and not text[start].isalnum():
                start += 1
    # "The European Commission" -> "European Commission", as annotators write it.
    if etype in ("ORG", "LOC"):
        word = _WORD_RE.match(text, start)
        if (
            word is not None
            and word.end() + 1 < end
            and word.group().lower() in ld.leading_articles
            and text[word.end()] == " "
            and text[word.end() + 1].isupper()
        ):
            start = word.end() + 1
    # "tra Commissione" -> "Commissione": a lower-case article or preposition does not
    # start a name. (People keep theirs: "de Palacio", "von Wogau".)
    if etype != "PER":
        while True:
            word = _WORD_RE.match(text, start)
            if word is None or word.end() >= end or not word.group().islower():
                break
            if word.group() not in ld.function_words:
                break
            start = word.end()
            while start < end and not text[start].isalnum():
                start += 1
    # "Giorno della" -> "Giorno", "Commissione sia" -> "Commissione"; a span of nothing but "Gli" is no entity.
    while start < end:
        cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        last = (text[cut + 1 : end] if cut >= 0 else text[start:end]).lower()
        if last not in ld.function_words and last not in ld.verb_forms:
            break
        if cut < 0:
            return None
        end = cut
        while end > start and not text[end - 1].isalnum():
            end -= 1
    # "Protection Agency alerted" -> "Protection Agency": where every word of a name is
    # capitalised, a trailing lower-case word is the sentence going on (4 of 1,075 English
    # and 2 of 1,040 German PUD names end in one).
    while ld.names_end_capitalised and start < end:
        cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        if cut < 0 or not text[cut + 1 : end].isalpha() or not text[cut + 1 : end].islower():
            break
        end = cut
        while end > start and not text[end - 1].isalnum():
            end -= 1
    # (a leading letter, the usual case, settles it without the scan)
    if start >= end or not (text[start].isalpha() or any(ch.isalpha() for ch in text[start:end])):
        return None
    # No capital anywhere ("lavoro", "concorrenza"): in a cased script that is no name.
    if text[start:end].islower():
        return None
    # A title alone ("el Comisario", "the President") is no person.
    if etype == "PER" and text[start:end].lower() in ld.honorifics:
        return None
    return start, end, etype


def _titled_person(span: str, ld: LangData) -> bool:
    """``span`` is a title and one or more capitalised words ("Commissioner Monti", not "General Motors")."""
    words = _WORD_RE.findall(span)
    if len(words) < 2:
        return False
    title = words[0].lower()
    return title in ld.honorifics and title not in ld.titles_in_names and all(word[0].isupper() for word in words[1:])


def _without_full_stop(text: str, start: int, end: int) -> int:
    """``end`` less a sentence's full stop ("School." -> "School"), keeping an abbreviation's ("Inc.", "U.S.")."""
    if end <= start or text[end - 1] != ".":
        return end
    chunk_start = max(text.rfind(" ", start, end), text.rfind("\n", start, end)) + 1
    words, _, _ = token_spans(text[max(start, chunk_start) : end])
    if not words or words[-1] != ".":
        return end
    end -= 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return end


def _demonym_as_misc(text: str, span: tuple[int, int, EntityType], ld: LangData) -> tuple[int, int, EntityType]:
    """A mention that is only a nationality word ("Dutch", "South Koreans") is MISC, whatever the tagger said."""
    start, end, etype = span
    if etype != "MISC" and end - start <= 24 and " ".join(fold(text[start:end]).split()) in ld.demonyms:
        return start, end, "MISC"
    return span


def _place_by_its_head(text: str, span: tuple[int, int, EntityType], ld: LangData) -> tuple[int, int, EntityType]:
    """A longer name headed by a word for a sea, lake, mountain or island is a place ("Black Sea", not ORG).

    MISC is left alone: a work's title may be named after a place ("Swan Lake").
    """
    start, end, etype = span
    if etype not in ("ORG", "PER"):
        return span
    words = fold(text[start:end]).split()
    if len(words) > 1 and (words[0] in ld.place_heads_first or words[-1] in ld.place_heads_last):
        return start, end, "LOC"
    return span


def _trimmed_spans(
    text: str, ner_spans: list[tuple[int, int, EntityType]], ld: LangData, answers: _SpanAnswers
) -> list[tuple[int, int, EntityType]]:
    """``_place_by_its_head(_demonym_as_misc(_trim(span)))`` of each span, dropping the ``None`` ones.

    Both read nothing outside ``text[start:end]`` (``_trim``'s word match
    stops at ``end`` either way), so the answer for a span is its answer on
    the span text alone, shifted by ``start``, and is cached by text and type.
    """
    out: list[tuple[int, int, EntityType]] = []
    for start, end, etype in ner_spans:
        if end - start > MAX_NAME_CHARS:
            continue
        by_surface = answers.trimmed.get(etype)
        if by_surface is None:
            by_surface = answers.trimmed[etype] = {}
        surface = text[start:end]
        hit = by_surface.get(surface, _UNSEEN)
        if hit is _UNSEEN:
            trimmed = _trim(surface, 0, len(surface), etype, ld)
            hit = by_surface[surface] = (
                None if trimmed is None else _place_by_its_head(surface, _demonym_as_misc(surface, trimmed, ld), ld)
            )
            answers.size += 1
        if hit is not None and not (surface in _DATE_WORDS and _part_of_a_date(text, start, end)):
            out.append((start + hit[0], start + hit[1], hit[2]))
    return out


def _part_of_a_date(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` ("BC", "June") follows a number or a century, or precedes a number ("AD 79", "June 5")."""
    before = text[max(0, start - 16) : start].rstrip().rstrip(".")
    after = text[end : end + 4].lstrip()
    return before[-1:].isdigit() or before.lower().endswith(_CENTURY_WORDS) or after[:1].isdigit()


def _with_particles(text: str, span: tuple[int, int, EntityType], ld: LangData) -> tuple[int, int, EntityType]:
    """Take in "von" or "van" and the particles after it before a surname: "von der Leyen", "von Wogau".

    The tagger starts the name at the capital ("Leyen", often typed LOC after "von"). In German and
    Dutch both words are also prepositions ("von Berlin", "van Amsterdam"), so there a title must
    come first ("Herr von Weizsäcker"). "de" and "di" alone are prepositions everywhere
    ("presidente della Commissione"), and are left out.
    """
    start, end, _ = span
    if start < 4 or text[start - 1] != " ":
        return span
    window = text[max(0, start - 16) : start]
    if "von " not in window and "van " not in window:  # most spans: no regex search
        return span
    found = _VON_VAN_BEFORE_RE.search(text, max(0, start - 16), start)
    if found is None:
        return span
    if ld.code in _PARTICLES_ARE_PREPOSITIONS:
        before = _PREV_WORD_RE.search(text, max(0, found.start(1) - 40), found.start(1))
        if before is None or fold(before.group(1)) not in ld.honorifics:
            return span
    return found.start(1), end, "PER"


def _with_capitalised_particles(
    text: str, spans: list[tuple[int, int, EntityType]], ld: LangData
) -> list[tuple[int, int, EntityType]]:
    """Take a capitalised particle into the person that follows it: "De Gaulle", "Di Maio".

    A first name right before the particle joins too ("Luigi" + "Di Maio"). At the start of a
    sentence in German and Dutch, "Von", "Van" and "De" are the preposition or the article.
    """
    out: list[tuple[int, int, EntityType]] = []
    for span in spans:
        start, end, kind = span
        if kind != "PER" or start < 3 or text[start - 1] != " ":
            out.append(span)
            continue
        found = _CAPITALISED_PARTICLE_RE.search(text, max(0, start - 6), start + 1)
        if found is None or found.end() != start - 1:
            out.append(span)
            continue
        before = text[: found.start()].rstrip()
        if ld.code in _PARTICLES_ARE_PREPOSITIONS and (not before or before[-1] in '.!?:"“”«»'):
            out.append(span)
            continue
        if out and out[-1][2] == "PER" and out[-1][1] == found.start() - 1:
            out[-1] = (out[-1][0], end, "PER")
        else:
            out.append((found.start(), end, "PER"))
    return out


def _extend_person(
    text: str, span: tuple[int, int, EntityType], gaz: Gazetteer, ld: LangData
) -> tuple[int, int, EntityType]:
    """Grow a PER span over up to two directly following capitalised words ("Choe Son" + "Hui").

    Not in languages that capitalise every noun ("Trumps Ehefrau").
    """
    start, end, etype = span
    if etype != "PER" or ld.capitalises_nouns:
        return span
    for _ in range(2):
        if not _followed_by_name(text, end, gaz, ld):
            break
        word = _WORD_RE.match(text, end + 1)
        assert word is not None
        end = word.end()
    return start, end, etype


def _minor_city(entry: GazEntry, limit: int) -> bool:
    """A city too small for its name to outweigh the tagger calling it a person or an organisation."""
    return entry.kind == "city" and not entry.capital and entry.population < limit


def _has_other_name_word(rest: str, ld: LangData) -> bool:
    """True when ``rest`` holds a capitalised word that is not a function word."""
    return any(w[0].isupper() and fold(w) not in ld.function_words for w in _WORD_RE.findall(rest))


def _only_function_words(gap: str, ld: LangData) -> bool:
    words = _WORD_RE.findall(fold(gap))
    return bool(words) and all(w in ld.function_words for w in words)


def _followed_by_name(text: str, end: int, gaz: Gazetteer, ld: LangData) -> bool:
    """True when the next word, after a single space, is capitalised and not itself a known name."""
    if end >= len(text) - 1 or text[end] != " ":
        return False
    word = _WORD_RE.match(text, end + 1)
    if word is None or not word.group()[0].isupper() or word.group().isupper():
        return False
    folded = fold(word.group())
    return folded not in ld.function_words and not gaz.lookup(word.group())


_PREV_WORD_RE = re.compile(r"(\w+) $")


def _preceded_by_name(text: str, start: int, gaz: Gazetteer, ld: LangData) -> bool:
    """True when the previous word, one space before, is capitalised, mid-sentence and not a known name."""
    prev = _PREV_WORD_RE.search(text, max(0, start - 40), start)
    if prev is None:
        return False
    word = prev.group(1)
    if not word[0].isupper() or word.isupper():
        return False
    folded = fold(word)
    if folded in ld.function_words or folded in ld.honorifics or gaz.lookup(word):
        return False
    # the last character before the word other than spaces and tabs, found
    # without copying the text up to it (text[:i].rstrip(" \t")[-1])
    i = prev.start()
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    # a capitalised word that opens a sentence or line ("Yesterday Moscow said") says nothing
    return i > 0 and text[i - 1] not in '.!?:;"“”«»|-–—(\n'


def _choose(candidates: tuple[GazEntry, ...], text: str, start: int, end: int, ld: LangData) -> GazEntry:
    """Best candidate by prior, except that a state cue next to the name picks the state.

    "Washington" alone is the city (it outranks the state by prior); "Washington
    state", "state of Washington", "stato di Washington" are the state.
    """
    if len(candidates) > 1 and any(c.kind == "state" for c in candidates):
        before = _WORD_RE.findall(fold(text[max(0, start - _STATE_WINDOW) : start]))[-2:]
        after = _WORD_RE.findall(fold(text[end : end + _STATE_WINDOW]))[:1]
        if any(w in ld.state_cues for w in before + after):
            return next(c for c in candidates if c.kind == "state")
    return candidates[0]


def _link_inflected(surface: str, etype: EntityType, gaz: Gazetteer, ld: LangData) -> GazEntry | None:
    """The entry of an inflected name through its nominative: "в Москве" is Moscow, "w Rosji" is Russia.

    Each word gets its base-form guesses from ``ld.name_endings`` (the word
    itself first); the first combination the gazetteer knows, with a type the
    tagger agrees with, wins. The guesses only ever reach names the gazetteer
    already holds, so a wrong guess is a non-name and finds nothing.
    """
    words = surface.split()
    if not ld.name_endings or not 1 <= len(words) <= _MAX_INFLECTED_WORDS:
        return None
    for guess in _inflection_guesses(words, ld.name_endings):
        found = _compatible(gaz.lookup(guess), etype)
        if found is not None:
            return found
    return None


def _inflection_guesses(words: list[str], endings: tuple[tuple[str, str], ...]) -> Iterator[str]:
    """The name with its words' case endings replaced by nominative ones, every
    combination but the name as written (which callers have tried), at most
    ``_MAX_INFLECTION_GUESSES`` - 1 of them."""
    guesses = [_base_forms(word, endings) for word in words]
    for combination in itertools.islice(itertools.product(*guesses), 1, _MAX_INFLECTION_GUESSES):
        yield " ".join(combination)


def _base_forms(word: str, endings: tuple[tuple[str, str], ...]) -> list[str]:
    forms = [word]
    for ending, nominative in endings:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            form = word[: len(word) - len(ending)] + nominative
            if form not in forms:
                forms.append(form)
    return forms


def _compatible(candidates: tuple[GazEntry, ...], etype: EntityType) -> GazEntry | None:
    for cand in candidates:
        if cand.type == etype or (etype == "MISC" and cand.type == "LOC" and cand.kind != "city"):
            return cand
    return None


def _link_person_parts(mentions: list[_Mention], article: Article, ld: LangData) -> None:
    """Tie "Lavrov" (or "Sergei") to an earlier or later "Sergei Lavrov" in the same article.

    A one-word mention is linked when exactly one multi-word person in the
    article has it as first or last name; it takes that person's canonical
    name and id. Only mentions the tagger called PER, or unlinked one-word
    mentions of another type, are re-linked, so "Washington" the city stays a
    city unless the tagger saw a person there.
    """
    full: dict[str, tuple[str, str | None]] = {}
    for m in mentions:
        if m.type == "PER" and len(m.canonical.split()) >= 2:
            full.setdefault(m.canonical, (m.canonical, m.kb_id))
            if m.kb_id is not None:
                full[m.canonical] = (m.canonical, m.kb_id)
    if not full:
        return
    if ld.name_endings:
        _merge_inflected_people(mentions, full, ld)
    # The names as written count too: a linked "Владимир Путин" has the canonical
    # "Vladimir Putin", and a later "Путин" must still find it.
    fields = {"text": article.text, "title": article.title or ""}
    written = {
        (m.canonical, fields[m.field][m.start : m.end]) for m in mentions if m.type == "PER" and m.canonical in full
    }
    parts: dict[str, set[str]] = {}
    for canonical, name in [(c, c) for c in full] + sorted(written):
        words = name.split()
        if len(words) < 2:
            continue
        # "von der Leyen" of "Ursula von der Leyen": the surname with its particles
        particle = next((i for i, word in enumerate(words[1:-1], 1) if word in _PARTICLES), None)
        if particle is not None:
            parts.setdefault(fold(" ".join(words[particle:])), set()).add(canonical)
        for word in {words[0], words[-1]}:
            # A full name written only in another case ("с Энтони Блинкеном") also
            # owns its guessed nominatives, so a later "Блинкен" finds it.
            for form in _base_forms(word, ld.name_endings) if ld.name_endings else (word,):
                folded = fold(form)
                if folded not in ld.honorifics:
                    parts.setdefault(folded, set()).add(canonical)
    for m in mentions:
        # (the attribute tests are cheaper than the split, so they go first)
        if not (m.tagger_type == "PER" or m.type == "PER" or m.kb_id is None):
            continue
        if len(m.canonical.split()) != 1 and m.canonical.split(maxsplit=1)[0] not in _PARTICLES:
            continue
        owners = parts.get(fold(m.canonical))
        if not owners and ld.name_endings:
            # "Лаврова", "Лавровым": the surname in another case
            for form in _base_forms(m.canonical, ld.name_endings)[1:]:
                owners = parts.get(fold(form))
                if owners:
                    break
        if owners and len(owners) == 1:
            canonical, kb_id = full[next(iter(owners))]
            m.type, m.canonical, m.kb_id = "PER", canonical, kb_id


def _merge_inflected_people(mentions: list[_Mention], full: dict[str, tuple[str, str | None]], ld: LangData) -> None:
    """Give "Сергея Лаврова" the canonical of the article's "Сергей Лавров", and drop it from ``full``.

    Only onto a name written in the article in another form, so the person is
    one group whatever case each mention is in.
    """
    by_folded = {fold(canonical): canonical for canonical in full}
    nominative: dict[str, str] = {}
    for canonical in full:
        words = canonical.split()
        if len(words) > _MAX_INFLECTED_WORDS:
            continue
        for guess in _inflection_guesses(words, ld.name_endings):
            other = by_folded.get(fold(guess))
            if other is not None and other != canonical:
                nominative[canonical] = other
                break
    for inflected, other in nominative.items():
        if other not in nominative:  # not a chain of guesses
            full.pop(inflected)
    for m in mentions:
        if m.type == "PER" and m.canonical in nominative and m.canonical not in full:
            m.canonical, m.kb_id = full[nominative[m.canonical]]


def _occurrences(text: str, names: list[str], find_limit: int = _FIND_WORK_LIMIT) -> dict[str, list[int]]:
    """Where each of ``names`` occurs in ``text``: the starts ``str.find`` gives, left to right,
    each search resuming after the previous hit.

    One ``find`` scan per name is fastest for an article's few people, but a 200 KB list of
    thousands of names made that names × text (3 s a field); past ``find_limit`` one
    Aho-Corasick pass over the text finds them all.
    """
    hits: dict[str, list[int]] = {name: [] for name in names}
    if len(names) * len(text) <= find_limit:
        for name in names:
            starts = hits[name]
            start = text.find(name)
            while start != -1:
                starts.append(start)
                start = text.find(name, start + len(name))
        return hits
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, name)
    automaton.make_automaton()
    for last, name in automaton.iter(text):
        start = last - len(name) + 1
        starts = hits[name]
        if not starts or start >= starts[-1] + len(name):
            starts.append(start)
    return hits


def _add_surname_mentions(mentions: list[_Mention], article: Article) -> list[_Mention]:
    """Find bare surnames (and full names) of the article's multi-word people that no backend tagged.

    "ha aggiunto Blinken." after "Antony Blinken": the surname, capitalised
    and on word boundaries, becomes a mention of the same person.
    """
    people: dict[str, tuple[str, str | None]] = {}
    for m in mentions:
        if m.type != "PER":
            continue
        words = m.canonical.split()
        if len(words) >= 2 and len(words[-1]) >= 3 and words[-1][0].isupper():
            # the full name too, so an untagged "Choe Son Hui" is not found as just "Hui"
            people.setdefault(m.canonical, (m.canonical, m.kb_id))
            people.setdefault(words[-1], (m.canonical, m.kb_id))
    if not people:
        return mentions
    # Longest names first, so "Choe Son Hui" claims its span before "Hui" is tried.
    names = sorted(people, key=len, reverse=True)
    fields: list[tuple[Field, str]] = [("title", article.title or ""), ("text", article.text)]
    added = list(mentions)
    for field, text in fields:
        taken = _Intervals((m.start, m.end) for m in mentions if m.field == field)
        found = _occurrences(text, names)
        for name in names:
            for start in found[name]:
                end = start + len(name)
                boundary = (start == 0 or not text[start - 1].isalnum()) and (
                    end == len(text) or not text[end].isalnum()
                )
                if boundary and not taken.overlaps(start, end):
                    canonical, kb_id = people[name]
                    added.append(_Mention(start, end, "PER", canonical, kb_id, field, None))
                    taken.add(start, end)
    # by (field != "title", start) in two stable C-keyed sorts: "title" > "text"
    added.sort(key=attrgetter("start"))
    added.sort(key=attrgetter("field"), reverse=True)
    return added


def _one_type_per_name(mentions: list[_Mention]) -> None:
    """Give every unlinked mention of the same name in an article the same type.

    The tagger types each mention from its own few words of context, so
    "Yukos" can come out ORG, PER and LOC in one article, and then counts as
    three entities. Within one news article a name nearly always means one
    thing ("one sense per discourse"), so the type most of its mentions got
    wins; a tie goes to the first mention's type. Linked mentions keep the type
    of their knowledge-base entry and are left alone.
    """
    types: dict[str, list[EntityType]] = {}
    for m in mentions:
        if m.kb_id is None:
            types.setdefault(m.canonical, []).append(m.type)
    winners: dict[str, EntityType] = {}
    for name, seen in types.items():
        if len(set(seen)) > 1:
            counts = Counter(seen)
            best = max(counts.values())
            # the first mention's type among the most frequent ones (a stable tie-break)
            winners[name] = next(t for t in seen if counts[t] == best)
    if winners:
        for m in mentions:
            if m.kb_id is None and m.canonical in winners:
                m.type = winners[m.canonical]


def _groups(mentions: list[_Mention], text_len: int) -> list[EntityGroup]:
    # per key: [first mention, count, in title, best position]
    acc: dict[tuple[str | None, ...], list[Any]] = {}
    length = max(text_len, 1)
    for m in mentions:
        key = ("kb", m.kb_id) if m.kb_id else ("name", m.type, m.canonical)
        in_title = m.field == "title"
        position = 1.0 if in_title else 1.0 - m.start / length
        g = acc.get(key)
        if g is None:
            acc[key] = [m, 1, in_title, position]
        else:
            g[1] += 1
            g[2] = g[2] or in_title
            g[3] = max(g[3], position)
    if not acc:
        return []
    max_count = max(g[1] for g in acc.values())
    # Sort plain tuples, then build the records in order: the same order as
    # sorting the records by (-salience, canonical) (the index keeps ties in
    # insertion order, as the stable sort did), without a Python key call or
    # attribute reads per comparison. ~40 groups per article.
    ranked = sorted(
        (-salience(count, max_count, pos, title), m.canonical, k)
        for k, (m, count, title, pos) in enumerate(acc.values())
    )
    rows = list(acc.values())
    # positional: (canonical, kb_id, type, mention_count, in_title, salience)
    return [
        EntityGroup(canonical, rows[k][0].kb_id, rows[k][0].type, rows[k][1], rows[k][2], -neg_salience)
        for neg_salience, canonical, k in ranked
    ]


class _CapitalisedSequenceTagger:
    """Fallback when the statistical model is not installed: runs of capitalised words.

    Two or more capitalised words in a row (allowing lower-case particles such
    as "de", "von", "bin" inside) are guessed PER, less a sentence's first word
    when the run has three or more; a single capitalised word that does not
    start a sentence is MISC. Crude by design: it keeps the
    stage useful, and the gazetteer still supplies places and their ids.
    """

    _PARTICLES = frozenset({"de", "del", "della", "di", "da", "van", "von", "der", "bin", "al", "la", "le", "du"})

    def tag(self, tokens: list[Token], lang: str) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        run: list[Token] = []
        sentence_start = True

        def flush() -> None:
            while run and run[-1].text.lower() in self._PARTICLES:
                run.pop()
            if run_started_sentence[0] and len(run) >= 3:
                # "Ieri Sergei Lavrov": the capital of a sentence's first word says nothing
                del run[0]
                run_started_sentence[0] = False
            if len(run) >= 2:
                out.append((run[0].start, run[-1].end, "PER"))
            elif len(run) == 1 and not run_started_sentence[0]:
                out.append((run[0].start, run[0].end, "MISC"))
            run.clear()

        run_started_sentence = [False]
        for tok in tokens:
            word = tok.text
            if word[:1].isupper() and any(ch.islower() for ch in word):
                if not run:
                    run_started_sentence[0] = sentence_start
                run.append(tok)
            elif run and word.lower() in self._PARTICLES:
                run.append(tok)
            else:
                flush()
            sentence_start = word in {".", "!", "?", "…", '"', "“", ":", "|", "(", "-"}
        flush()
        return out
