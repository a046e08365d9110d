"""Polish entity-extraction constants (folded). See ``lang/__init__.py``."""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "jej",
        "nowa",
        "pan",
        "pani",
        "tak",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"stan", "stanie", "stanu"})
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "cesarz",
        "cesarza",
        "król",
        "króla",
        "królowa",
        "książę",
        "księcia",
        "papież",
        "papieża",
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = (
    frozenset(
        {
            "komisarz",
            "minister",
            "pan",
            "pani",
            "premier",
            "prezydent",
        }
    )
    | TITLES_IN_NAMES
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset({"dla", "do", "i", "na", "o", "od", "w", "z"})
# Frequent verb forms (and "same"): never the last word of a name ("Commissione sia" -> "Commissione").
VERB_FORMS = frozenset(
    {
        "byli",
        "był",
        "była",
        "było",
        "będzie",
        "jest",
        "może",
        "musi",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# Case endings -> the nominative's ending, tried on a name the gazetteer does not
# know as written ("Warszawie" -> "Warszawa", "Rosji" -> "Rosja", "Krakowa" ->
# "Kraków"). A guess counts only if the gazetteer has it.
NAME_ENDINGS: tuple[tuple[str, str], ...] = (
    ("czech", "cy"),
    ("owie", "ów"),
    ("dzie", "da"),
    ("owa", "ów"),
    ("owi", ""),
    ("iego", "i"),
    ("iem", ""),
    ("im", "i"),
    ("iec", "cy"),
    ("iej", "a"),
    ("dze", "ga"),
    ("ii", "ia"),
    ("ią", "ia"),
    ("ię", "ia"),
    ("ji", "ja"),
    ("ce", "ka"),
    ("ie", "a"),
    ("ie", ""),
    ("em", ""),
    ("y", "a"),
    ("i", "a"),
    ("ę", "a"),
    ("ą", "a"),
    ("e", "a"),
    ("a", ""),
    ("u", ""),
)
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset(
    {
        "góry",
        "jeziora",
        "jezioro",
        "morza",
        "morze",
        "ocean",
        "oceanu",
        "półwysep",
        "rzeka",
        "wyspa",
        "wyspy",
        "zatoka",
        "zatoki",
    }
)
PLACE_HEADS_LAST: frozenset[str] = frozenset()
