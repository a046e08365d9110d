"""German boilerplate phrases. Constants only; the patterns are built in ``boilerplate/__init__.py``."""

from __future__ import annotations

NAV_MARKERS: tuple[str, ...] = ("ZURÜCK", "WEITER", "VORHERIGER", "NÄCHSTER")
NAV_PREFIXES: tuple[str, ...] = (
    "Lesen Sie auch",
    "Lesen Sie mehr",
    "Auch interessant",
    "Das könnte Sie auch interessieren",
    "Mehr zum Thema",
    "Weiterlesen",
    "Siehe auch",
    "Vorheriger Artikel",
    "Nächster Artikel",
    "Verwandte Artikel",
    "Schlagwörter:",
    "Themen:",
)
NAV_LINES: tuple[str, ...] = (
    "Zurück",
    "Weiter",
    "Teilen",
    "Artikel teilen",
    "Drucken",
    "Artikel drucken",
    "Per E-Mail versenden",
    "Kommentieren",
    "Kommentare",
    "Nach oben",
    "Anzeige",
    "Werbung",
)
CHROME_PREFIXES: tuple[str, ...] = (
    "Diese Website verwendet Cookies",
    "Diese Webseite verwendet Cookies",
    "Wir verwenden Cookies",
    "Wir nutzen Cookies",
    "Alle Cookies akzeptieren",
    "Cookies akzeptieren",
    "Cookie-Einstellungen",
    "Newsletter abonnieren",
    "Melden Sie sich für unseren Newsletter an",
    "Jetzt abonnieren",
    "Teilen auf",
    "Auf Facebook teilen",
    "Auf Twitter teilen",
    "Folgen Sie uns auf",
    "Alle Rechte vorbehalten",
)
SHARE_WORDS: tuple[str, ...] = ("teilen", "drucken", "versenden", "auf", "per", "artikel", "link", "kopieren")
POSTED_LEADS: tuple[str, ...] = ("Veröffentlicht", "Aktualisiert", "Zuletzt aktualisiert", "Erstellt", "Stand")
POSTED_LINKS: tuple[str, ...] = ("um", "am")
MONTHS: tuple[str, ...] = (
    "januar",
    "jänner",
    "februar",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
)
