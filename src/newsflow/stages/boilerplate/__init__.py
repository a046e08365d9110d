"""Boilerplate phrases for the clean stage, one module per language.

Each language module holds constants only (the layout of spaCy's ``lang/<xx>``):

``NAV_MARKERS``
    Upper-case words that open a link line to another article (``PREV …``,
    ``NEXT …``). Matched case-sensitively at the start of a line, so ``Next
    year …`` in running text is safe.
``NAV_PREFIXES``
    Phrases that open a link line (``Leggi anche …``, ``Read more: …``).
    Matched case-insensitively at the start of a line; the whole line goes.
``NAV_LINES``
    Phrases that are page chrome when they fill a whole line (``Share``,
    ``Stampa``), ignoring surrounding punctuation and arrows.
``CHROME_PREFIXES``
    Openings of cookie, newsletter, share-bar and copyright lines.
``SHARE_WORDS``
    Words that, with :data:`SHARE_NETWORKS`, make up a share bar
    (``Condividi su Facebook Twitter WhatsApp``).
``POSTED_LEADS`` / ``POSTED_LINKS``
    ``Inserito`` + ``alle`` + time stamp: a "posted at" line.
``MONTHS``
    Month names (lower case) that make a word date a time stamp.

The clean stage does not know the language yet (that stage runs later), so it
applies the union of all languages below. Add a language by adding a module
and listing it in :data:`LANGUAGE_MODULES`.
"""

from __future__ import annotations

from types import ModuleType

from newsflow.stages.boilerplate import de, en, es, fr, it, pt

LANGUAGE_MODULES: tuple[ModuleType, ...] = (en, it, fr, de, es, pt)
LANGUAGES: tuple[str, ...] = tuple(module.__name__.rsplit(".", 1)[1] for module in LANGUAGE_MODULES)

# A line made only of these (and spaces) is a separator: "-", "***", "—", "* * *", "• • •", "=====".
SEPARATOR_CHARS = frozenset("-‐‑‒–—―−_=*~#•·.+|/\\<>^°∙◦■□▪▫●○◆◇★☆❖✦✧※⁂§¤ ")
# Share-bar words that are the same in every language.
SHARE_NETWORKS: tuple[str, ...] = (
    "facebook",
    "twitter",
    "x",
    "whatsapp",
    "telegram",
    "linkedin",
    "pinterest",
    "reddit",
    "messenger",
    "flipboard",
    "threads",
    "bluesky",
    "instagram",
    "tumblr",
    "email",
    "e-mail",
    "mail",
    "sms",
    "rss",
)


def _union(attribute: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for module in LANGUAGE_MODULES:
        for phrase in getattr(module, attribute):
            seen.setdefault(phrase, None)
    return tuple(seen)


NAV_MARKERS: tuple[str, ...] = _union("NAV_MARKERS")
NAV_PREFIXES: tuple[str, ...] = _union("NAV_PREFIXES")
NAV_LINES: tuple[str, ...] = _union("NAV_LINES")
CHROME_PREFIXES: tuple[str, ...] = _union("CHROME_PREFIXES")
SHARE_WORDS: frozenset[str] = frozenset(_union("SHARE_WORDS")) | frozenset(SHARE_NETWORKS)
# Words that make a line a share bar on their own; the rest of SHARE_WORDS only fill one in.
SHARE_VERBS: frozenset[str] = frozenset(
    ("share", "tweet", "condividi", "partager", "teilen", "compartir", "compartilhar", "compartilhe", "partilhar")
)
POSTED_LEADS: tuple[str, ...] = _union("POSTED_LEADS")
POSTED_LINKS: tuple[str, ...] = _union("POSTED_LINKS")
MONTHS: tuple[str, ...] = _union("MONTHS")

__all__ = [
    "CHROME_PREFIXES",
    "LANGUAGES",
    "LANGUAGE_MODULES",
    "MONTHS",
    "NAV_LINES",
    "NAV_MARKERS",
    "NAV_PREFIXES",
    "POSTED_LEADS",
    "POSTED_LINKS",
    "SEPARATOR_CHARS",
    "SHARE_NETWORKS",
    "SHARE_VERBS",
    "SHARE_WORDS",
]
