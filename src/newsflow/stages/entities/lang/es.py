"""Spanish entity-extraction constants (folded). See ``lang/__init__.py``.

Hand-written (no permissively licensed Spanish NER set is available).
"""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "como",
        "esperanza",
        "este",
        "libertad",
        "mar",
        "marca",
        "nada",
        "ora",
        "para",
        "paz",
        "sierra",
        "sol",
        "toda",
        "uma",
        "victoria",
        "vida",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"estado"})
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "emperador",
        "emperatriz",
        "papa",
        "princesa",
        "príncipe",
        "reina",
        "rey",
        "zar",
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = (
    frozenset(
        {
            "comisaria",
            "comisario",
            "don",
            "doña",
            "ministra",
            "ministro",
            "presidenta",
            "presidente",
            "señor",
            "señora",
            "sr",
            "sr.",
            "sra",
            "sra.",
        }
    )
    | TITLES_IN_NAMES
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset(
    {
        "además",
        "ahora",
        "al",
        "antes",
        "así",
        "aunque",
        "ayer",
        "bajo",
        "como",
        "con",
        "contra",
        "cuando",
        "de",
        "del",
        "desde",
        "después",
        "donde",
        "durante",
        "el",
        "en",
        "entre",
        "esta",
        "este",
        "hacia",
        "hasta",
        "hoy",
        "la",
        "las",
        "los",
        "luego",
        "mañana",
        "mientras",
        "o",
        "para",
        "pero",
        "por",
        "porque",
        "si",
        "sin",
        "sobre",
        "también",
        "tras",
        "un",
        "una",
        "unas",
        "unos",
        "y",
        "ya",
    }
)
# Frequent verb forms (and "same"): never the last word of a name ("Commissione sia" -> "Commissione").
VERB_FORMS = frozenset(
    {
        "debe",
        "deben",
        "dice",
        "era",
        "es",
        "ha",
        "hace",
        "han",
        "haya",
        "misma",
        "mismas",
        "mismo",
        "mismos",
        "puede",
        "pueden",
        "sea",
        "sean",
        "será",
        "son",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset(
    {
        "bahía",
        "cabo",
        "cordillera",
        "desierto",
        "estrecho",
        "golfo",
        "isla",
        "islas",
        "lago",
        "mar",
        "monte",
        "montes",
        "océano",
        "península",
        "río",
        "sierra",
        "valle",
    }
)
PLACE_HEADS_LAST: frozenset[str] = frozenset()
