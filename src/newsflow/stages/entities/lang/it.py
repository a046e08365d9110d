"""Italian entity-extraction constants (folded). See ``lang/__init__.py``.

No permissively licensed Italian NER set is available, so the stop list is
hand-written: towns of 15 k+ people whose names are common Italian words.
"""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "bella",
        "bra",
        "come",
        "corte",
        "dove",
        "este",
        "fondi",
        "fortuna",
        "gelo",
        "giorno",
        "libertà",
        "mare",
        "marina",
        "mira",
        "monte",
        "noto",
        "nove",
        "ora",
        "pace",
        "piano",
        "ponte",
        "porto",
        "sale",
        "santa",
        "sole",
        "speranza",
        "stella",
        "tempio",
        "terra",
        "venere",
        "vico",
        "vita",
        "vittoria",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"stato"})
# Titles stripped from the front of a person mention.
HONORIFICS = frozenset(
    {
        "commissaria",
        "commissario",
        "dott",
        "dott.",
        "dottor",
        "dottore",
        "dottoressa",
        "imperatore",
        "imperatrice",
        "ministra",
        "ministro",
        "on.",
        "onorevole",
        "papa",
        "presidente",
        "principe",
        "principessa",
        "prof",
        "prof.",
        "re",
        "regina",
        "senatore",
        "senatrice",
        "sig",
        "sig.",
        "signor",
        "signora",
        "signore",
        "zar",
    }
)
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "imperatore",
        "imperatrice",
        "papa",
        "principe",
        "principessa",
        "re",
        "regina",
        "zar",
    }
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset(
    {
        "a",
        "agli",
        "ai",
        "al",
        "alla",
        "alle",
        "allo",
        "che",
        "con",
        "da",
        "dagli",
        "dai",
        "dal",
        "dalla",
        "dalle",
        "dallo",
        "degli",
        "dei",
        "del",
        "della",
        "delle",
        "dello",
        "di",
        "e",
        "ed",
        "fra",
        "gli",
        "i",
        "il",
        "in",
        "la",
        "le",
        "lo",
        "ma",
        "negli",
        "nei",
        "nel",
        "nella",
        "nelle",
        "nello",
        "non",
        "o",
        "per",
        "quella",
        "quello",
        "questa",
        "questo",
        "su",
        "sugli",
        "sui",
        "sul",
        "sulla",
        "sulle",
        "sullo",
        "tra",
        "un",
        "una",
        "uno",
    }
)
# Frequent verb forms (and "same"): never the last word of a name ("Commissione sia" -> "Commissione").
VERB_FORMS = frozenset(
    {
        "abbia",
        "deve",
        "devono",
        "dice",
        "era",
        "erano",
        "fa",
        "fanno",
        "ha",
        "hanno",
        "ho",
        "possono",
        "può",
        "saranno",
        "sarà",
        "sia",
        "siano",
        "sono",
        "stessa",
        "stesse",
        "stessi",
        "stesso",
        "vuole",
        "è",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset(
    {
        "baia",
        "deserto",
        "fiume",
        "golfo",
        "isola",
        "isole",
        "lago",
        "mar",
        "mare",
        "massiccio",
        "monte",
        "monti",
        "oceano",
        "penisola",
        "stretto",
        "valle",
    }
)
PLACE_HEADS_LAST: frozenset[str] = frozenset()
