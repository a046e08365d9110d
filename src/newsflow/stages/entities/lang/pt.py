"""Portuguese entity-extraction constants (folded). See ``lang/__init__.py``."""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "campanha",
        "como",
        "domingo",
        "esse",
        "este",
        "fala",
        "feira",
        "fria",
        "greve",
        "man",
        "marca",
        "nada",
        "natal",
        "ora",
        "para",
        "paz",
        "plano",
        "príncipe",
        "reunião",
        "seria",
        "sim",
        "sol",
        "toda",
        "uma",
        "us",
        "volta",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"estado"})
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "czar",
        "imperador",
        "imperatriz",
        "papa",
        "princesa",
        "príncipe",
        "rainha",
        "rei",
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = (
    frozenset(
        {
            "comissária",
            "comissário",
            "dom",
            "dona",
            "ministra",
            "ministro",
            "presidenta",
            "presidente",
            "senhor",
            "senhora",
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
        "a",
        "agora",
        "ainda",
        "amanhã",
        "antes",
        "após",
        "as",
        "assim",
        "até",
        "com",
        "como",
        "contra",
        "da",
        "das",
        "de",
        "depois",
        "desde",
        "do",
        "dos",
        "durante",
        "e",
        "em",
        "entre",
        "então",
        "hoje",
        "já",
        "mas",
        "na",
        "nas",
        "no",
        "nos",
        "o",
        "onde",
        "ontem",
        "os",
        "ou",
        "para",
        "por",
        "porque",
        "porém",
        "quando",
        "se",
        "sem",
        "sob",
        "sobre",
        "também",
        "um",
        "uma",
    }
)
# Frequent verb forms (and "same"): never the last word of a name ("Commissione sia" -> "Commissione").
VERB_FORMS = frozenset(
    {
        "deve",
        "devem",
        "diz",
        "era",
        "faz",
        "foi",
        "mesma",
        "mesmo",
        "pode",
        "podem",
        "seja",
        "será",
        "são",
        "tem",
        "têm",
        "é",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset(
    {
        "baía",
        "cabo",
        "deserto",
        "estreito",
        "golfo",
        "ilha",
        "ilhas",
        "lago",
        "mar",
        "monte",
        "oceano",
        "península",
        "serra",
        "vale",
    }
)
PLACE_HEADS_LAST: frozenset[str] = frozenset()
