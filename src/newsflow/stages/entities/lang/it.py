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
        "dott",
        "dott.",
        "dottor",
        "dottore",
        "dottoressa",
        "ministra",
        "ministro",
        "on.",
        "onorevole",
        "papa",
        "presidente",
        "prof",
        "prof.",
        "senatore",
        "senatrice",
        "sig",
        "sig.",
        "signor",
        "signora",
        "signore",
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
