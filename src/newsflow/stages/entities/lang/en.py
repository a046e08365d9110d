"""English entity-extraction constants (folded). See ``lang/__init__.py``."""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset(
    {
        "along", "and", "annex", "are", "bar", "bath", "best", "can", "deal", "green", "hope", "hurricane",
        "imperial", "independence", "liberty", "man", "march", "mesa", "metra", "metro", "mine", "mission",
        "mobile", "most", "name", "okay", "olympic", "opportunity", "orange", "police", "reading", "rest", "say",
        "soul", "split", "temple", "tire", "truth", "union"
    }
)
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset(
    {
        "state"
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = frozenset(
    {
        "chancellor", "dame", "dr", "dr.", "gen.", "general", "gov.", "governor", "judge", "justice", "lady",
        "lord", "minister", "miss", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "president", "prof", "prof.", "rep.",
        "secretary", "sen.", "senator", "sir"
    }
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset(
    {
        "a", "an", "and", "at", "but", "by", "for", "from", "in", "of", "on", "or", "that", "the", "these", "this",
        "those", "to", "with"
    }
)
