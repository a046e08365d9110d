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
# Titles stripped from the front of a person mention.
HONORIFICS = frozenset({"minister", "pan", "pani", "premier", "prezydent"})
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset({"dla", "do", "i", "na", "o", "od", "w", "z"})
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
