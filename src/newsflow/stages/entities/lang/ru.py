"""Russian entity-extraction constants (folded). See ``lang/__init__.py``."""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "железнодорожный",
        "исток",
        "кампания",
        "мир",
        "ока",
        "сила",
        "тема",
        "центральная",
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"штат", "штата", "штате", "штату"})
# Titles stripped from the front of a person mention.
HONORIFICS = frozenset({"господин", "госпожа", "министр", "президент", "премьер"})
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset({"в", "для", "и", "на", "о", "об", "от", "по", "с"})
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
