"""Dutch entity-extraction constants (folded). See ``lang/__init__.py``."""

# Gazetteer names that are ordinary words here when capitalised.
STOP_NAMES = frozenset({"goes", "haar", "hem", "hof", "mei", "namen", "tan", "van", "veen", "vele", "wil", "zou"})
# Next to a city/state name ("Washington"), these pick the state.
STATE_CUES = frozenset({"deelstaat", "staat"})
# Titles stripped from the front of a person mention.
HONORIFICS = frozenset({"dhr", "dhr.", "meneer", "mevr.", "mevrouw", "minister", "premier", "president"})
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset({"de", "een", "en", "het", "in", "met", "of", "op", "van", "voor"})
