"""French entity-extraction constants (folded). See ``lang/__init__.py``."""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "bon",
        "cela",
        "celle",
        "central",
        "eu",
        "gare",
        "mie",
        "mon",
        "muscat",
        "paix",
        "para",
        "pari",
        "pen",
        "police",
        "roman",
        "rugby",
        "seul",
        "sucre",
        "sur",
        "tango",
        "terme",
        "tour",
        "un",
        "union",
        "us",
        "vie",
        "vin",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"etat", "état"})
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "empereur",
        "impératrice",
        "pape",
        "prince",
        "princesse",
        "reine",
        "roi",
        "tsar",
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = (
    frozenset(
        {
            "commissaire",
            "docteur",
            "dr",
            "m.",
            "madame",
            "ministre",
            "mlle",
            "mme",
            "mme.",
            "monsieur",
            "président",
            "présidente",
        }
    )
    | TITLES_IN_NAMES
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset(
    {
        "ainsi",
        "alors",
        "après",
        "au",
        "aussi",
        "aux",
        "avant",
        "avec",
        "ce",
        "cependant",
        "ces",
        "cette",
        "comme",
        "contre",
        "dans",
        "de",
        "demain",
        "depuis",
        "des",
        "donc",
        "du",
        "déjà",
        "en",
        "encore",
        "entre",
        "et",
        "hier",
        "la",
        "le",
        "les",
        "maintenant",
        "mais",
        "ou",
        "où",
        "par",
        "pendant",
        "pour",
        "puis",
        "quand",
        "sans",
        "si",
        "sous",
        "sur",
        "un",
        "une",
        "vers",
    }
)
# Frequent verb forms (and "same"): never the last word of a name ("Commissione sia" -> "Commissione").
VERB_FORMS = frozenset(
    {
        "a",
        "dit",
        "doit",
        "doivent",
        "est",
        "fait",
        "même",
        "mêmes",
        "ont",
        "peut",
        "peuvent",
        "sera",
        "soit",
        "sont",
        "était",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset(
    {
        "baie",
        "cap",
        "désert",
        "détroit",
        "fleuve",
        "golfe",
        "lac",
        "massif",
        "mer",
        "mont",
        "monts",
        "océan",
        "péninsule",
        "vallée",
        "île",
        "îles",
    }
)
PLACE_HEADS_LAST: frozenset[str] = frozenset()
