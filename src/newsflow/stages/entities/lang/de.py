"""German entity-extraction constants (folded). See ``lang/__init__.py``.

German capitalises every noun, so many towns named like nouns collide.
"""

# Every noun is capitalised: "Trumps Ehefrau" is not a longer name.
CAPITALISES_NOUNS = True
# Every word of a name is capitalised, so a name never ends in a lower-case word.
NAMES_END_CAPITALISED = True
# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "au",
        "auch",
        "bau",
        "berg",
        "boden",
        "bon",
        "bor",
        "dabei",
        "dort",
        "eisen",
        "ende",
        "essen",
        "feld",
        "gold",
        "hausen",
        "hof",
        "ihren",
        "kanton",
        "keller",
        "kilo",
        "kirchen",
        "lage",
        "loch",
        "löwen",
        "mai",
        "male",
        "man",
        "mann",
        "mark",
        "marken",
        "mission",
        "mitte",
        "mon",
        "mut",
        "name",
        "namen",
        "norden",
        "rest",
        "roman",
        "stadt",
        "stein",
        "tor",
        "tour",
        "von",
        "wald",
        "waren",
        "wetter",
        "zug",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"bundesstaat", "staat", "us-bundesstaat", "us-staat"})
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "kaiser",
        "kaiserin",
        "könig",
        "königin",
        "papst",
        "prinz",
        "prinzessin",
        "zar",
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = (
    frozenset(
        {
            "bundeskanzler",
            "bundeskanzlerin",
            "dr",
            "dr.",
            "eu-kommissar",
            "eu-kommissarin",
            "frau",
            "herr",
            "kanzler",
            "kanzlerin",
            "kommissar",
            "kommissarin",
            "minister",
            "ministerin",
            "prof",
            "prof.",
            "präsident",
            "präsidentin",
        }
    )
    | TITLES_IN_NAMES
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset(
    {
        "am",
        "an",
        "auf",
        "das",
        "dem",
        "den",
        "der",
        "des",
        "die",
        "ein",
        "eine",
        "einem",
        "einen",
        "einer",
        "für",
        "im",
        "in",
        "mit",
        "oder",
        "und",
        "von",
        "zu",
        "zum",
        "zur",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# The genitive's -s or -es, tried on a name the gazetteer does not know as
# written ("Deutschlands", "Russlands", "des Iraks"). A guess counts only if the
# gazetteer has it.
NAME_ENDINGS: tuple[tuple[str, str], ...] = (("es", ""), ("s", ""))
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset({"golf", "insel", "kap"})
PLACE_HEADS_LAST: frozenset[str] = frozenset(
    {
        "bucht",
        "gebirge",
        "gebirges",
        "halbinsel",
        "insel",
        "inseln",
        "meer",
        "meeres",
        "ozean",
        "ozeans",
        "see",
        "tal",
        "wüste",
    }
)
