"""Per-language constants for entity extraction, kept apart from the logic.

Each ``<xx>.py`` module defines three frozensets of *folded* strings (see
:func:`newsflow.stages.entities.gazetteer.fold`):

``STOP_NAMES``
    gazetteer names that are ordinary words in that language when capitalised
    (sentence starts, German nouns, headlines): "Auch" is a French town but a
    German adverb. Found by running the gazetteer over the permissively
    licensed NER training sets in ``shared/data/ner-train`` and keeping names
    tagged O more often than as entities, plus hand additions (Italian and
    Spanish have no such set).
``STATE_CUES``
    words that, next to a name shared by a city and a state ("Washington"),
    select the state.
``HONORIFICS``
    titles stripped from the front of a person mention. A title alone is no person ("the
    Commissioner"), and a span typed ORG that is a title and capitalised words ("Commissario
    Monti") is the person, unless the title is one of ``TITLES_IN_NAMES`` ("General Motors").
``FUNCTION_WORDS``
    articles and prepositions a tagger span may not end with or consist of.
``VERB_FORMS`` (optional)
    frequent verb forms a tagger span may not end with either ("Commissione sia"), in the
    languages whose names may end in a lower-case word (English and German drop any).
``DEMONYMS``
    nationality and religion words ("Dutch", "Ukrainians"): a mention that is
    nothing else is typed MISC, never linked as a place.

Languages that inflect names also define ``NAME_ENDINGS``: (case ending,
nominative ending) pairs, tried in order on a name the gazetteer does not know
as written ("Москве" -> "Москва").

An unknown language (``None``/``"und"``/not listed) gets the union of all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from newsflow.stages.entities.lang import de, en, es, fr, it, nl, pl, pt, ru

__all__ = ["LangData", "for_language"]

_MODULES = {"de": de, "en": en, "es": es, "fr": fr, "it": it, "nl": nl, "pl": pl, "pt": pt, "ru": ru}


@dataclass(frozen=True, slots=True)
class LangData:
    code: str
    stop_names: frozenset[str]
    state_cues: frozenset[str]
    honorifics: frozenset[str]
    function_words: frozenset[str]
    demonyms: frozenset[str]
    # German capitalises every noun, so a capital after a name says nothing.
    capitalises_nouns: bool = False
    # Every word of a name is capitalised ("Environmental Protection Agency", not "Parti socialiste").
    names_end_capitalised: bool = False
    # Inflected names are linked through their nominative; none when the language is unknown.
    name_endings: tuple[tuple[str, str], ...] = ()
    # First and last words that make a longer name a place ("Lake …", "… Sea").
    place_heads_first: frozenset[str] = frozenset()
    place_heads_last: frozenset[str] = frozenset()
    verb_forms: frozenset[str] = frozenset()
    # What a gazetteer match may never be: stop names, function words, verb forms ("Una" is a town).
    words_not_names: frozenset[str] = frozenset()
    # Honorifics that also begin organisations' names ("General Motors"): see TITLES_IN_NAMES.
    titles_in_names: frozenset[str] = frozenset()
    # Capitalised articles dropped from the front of an ORG or LOC span ("The European Commission").
    leading_articles: frozenset[str] = frozenset()


@lru_cache(maxsize=64)
def for_language(code: str | None) -> LangData:
    """Constants for ISO 639-1 ``code``; the union of every language's when unknown."""
    module = _MODULES.get((code or "").lower())
    if module is not None:
        verb_forms: frozenset[str] = getattr(module, "VERB_FORMS", frozenset())
        return LangData(
            code or "und",
            module.STOP_NAMES,
            module.STATE_CUES,
            module.HONORIFICS,
            module.FUNCTION_WORDS,
            module.DEMONYMS,
            getattr(module, "CAPITALISES_NOUNS", False),
            getattr(module, "NAMES_END_CAPITALISED", False),
            getattr(module, "NAME_ENDINGS", ()),
            module.PLACE_HEADS_FIRST,
            module.PLACE_HEADS_LAST,
            verb_forms,
            module.STOP_NAMES | module.FUNCTION_WORDS | verb_forms,
            getattr(module, "TITLES_IN_NAMES", frozenset()),
            getattr(module, "LEADING_ARTICLES", frozenset()),
        )
    mods = _MODULES.values()
    stop_names = frozenset().union(*(m.STOP_NAMES for m in mods))
    return LangData(
        "und",
        stop_names,
        frozenset().union(*(m.STATE_CUES for m in mods)),
        frozenset().union(*(m.HONORIFICS for m in mods)),
        frozenset().union(*(m.FUNCTION_WORDS for m in mods)),
        frozenset().union(*(m.DEMONYMS for m in mods)),
        place_heads_first=frozenset().union(*(m.PLACE_HEADS_FIRST for m in mods)),
        place_heads_last=frozenset().union(*(m.PLACE_HEADS_LAST for m in mods)),
        # Only stop names: one language's function word is another's name ("Die", "Den").
        words_not_names=stop_names,
        titles_in_names=frozenset().union(*(getattr(m, "TITLES_IN_NAMES", frozenset()) for m in mods)),
    )
