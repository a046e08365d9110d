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
# Titles that also begin the names of organisations and places ("General Motors", "King's College"):
# a span the tagger typed ORG is not read as the titled person when it starts with one of these.
TITLES_IN_NAMES = frozenset(
    {
        "император",
        "императора",
        "императором",
        "императору",
        "императрица",
        "императрицы",
        "князь",
        "князю",
        "князя",
        "королева",
        "королевы",
        "королем",
        "король",
        "королю",
        "короля",
        "королём",
        "папа",
        "папе",
        "папой",
        "папы",
        "принц",
        "принца",
        "принцу",
        "царем",
        "царь",
        "царю",
        "царя",
        "царём",
    }
)
# Titles stripped from the front of a person mention.
HONORIFICS = (
    frozenset(
        {
            "господин",
            "госпожа",
            "еврокомиссар",
            "комиссар",
            "министр",
            "президент",
            "премьер",
        }
    )
    | TITLES_IN_NAMES
)
# Articles, prepositions and conjunctions: never a whole entity, never its last word.
FUNCTION_WORDS = frozenset({"в", "для", "и", "на", "о", "об", "от", "по", "с"})
# Frequent verb forms (and "same"): never the last word of a name ("Commissione sia" -> "Commissione").
VERB_FORMS = frozenset(
    {
        "будет",
        "был",
        "была",
        "были",
        "было",
        "должен",
        "должна",
        "должны",
        "может",
        "является",
    }
)
# Nationality words are lower-case in running text here; capitalised nouns ("Deutschen",
# "Franzosen") are left to the tagger, which has MISC for them.
DEMONYMS: frozenset[str] = frozenset()
# Case endings -> the nominative's ending, tried on a name the gazetteer does not
# know as written ("Москве" -> "Москва", "Вашингтона" -> "Вашингтон", "Северной
# Кореи" -> "Северная Корея"). A guess counts only if the gazetteer has it.
NAME_ENDINGS: tuple[tuple[str, str], ...] = (
    ("ией", "ия"),
    ("иею", "ия"),
    ("ии", "ия"),
    ("ию", "ия"),
    ("ой", "ая"),
    ("ую", "ая"),
    ("ого", "ый"),
    ("ого", "ий"),
    ("ом", "ый"),
    ("ою", "а"),
    ("ей", "я"),
    ("ёй", "я"),
    ("ею", "я"),
    ("ёю", "я"),
    ("ой", "а"),
    ("ом", ""),
    ("ым", ""),
    ("ем", "ь"),
    ("ем", "й"),
    ("ем", ""),
    ("ы", "а"),
    ("и", "а"),
    ("е", "а"),
    ("у", "а"),
    ("е", "я"),
    ("ю", "я"),
    ("и", "я"),
    ("я", "ь"),
    ("ю", "ь"),
    ("е", "ь"),
    ("и", "ь"),
    ("я", "й"),
    ("е", "й"),
    ("ю", "й"),
    ("а", ""),
    ("у", ""),
    ("е", ""),
    ("ов", "ы"),
)
# A name made of more than one word that starts (first set) or ends (second) with one
# of these is a place, whatever the tagger's type ("Black Sea", "Mar Nero", "Lake Geneva").
PLACE_HEADS_FIRST: frozenset[str] = frozenset(
    {"гора", "горы", "залив", "озера", "озеро", "остров", "полуостров", "пролив", "река", "реке", "реки"}
)
PLACE_HEADS_LAST: frozenset[str] = frozenset(
    {
        "залив",
        "залива",
        "заливе",
        "море",
        "морем",
        "морю",
        "моря",
        "океан",
        "океана",
        "океане",
        "океаном",
        "полуостров",
        "полуострова",
        "пролив",
        "пролива",
        "проливе",
    }
)
