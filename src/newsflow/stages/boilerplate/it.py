"""Italian boilerplate phrases. Constants only; the patterns are built in ``boilerplate/__init__.py``."""

from __future__ import annotations

NAV_MARKERS: tuple[str, ...] = ("PRECEDENTE", "SUCCESSIVO", "SUCCESSIVA", "INDIETRO", "AVANTI")
NAV_PREFIXES: tuple[str, ...] = (
    "Leggi anche",
    "Leggi pure",
    "Leggi l'articolo",
    "Leggi l’articolo",
    "Leggi tutto",
    "Leggi di più",
    "Continua a leggere",
    "Potrebbe interessarti",
    "Ti potrebbe interessare",
    "Vedi anche",
    "Guarda anche",
    "Articolo precedente",
    "Articolo successivo",
    "Articoli correlati",
    "Notizie correlate",
    "Tag:",
    "Argomenti:",
)
NAV_LINES: tuple[str, ...] = (
    "Precedente",
    "Successivo",
    "Condividi",
    "Condividi l'articolo",
    "Condividi l’articolo",
    "Condividi questo articolo",
    "Stampa",
    "Stampa l'articolo",
    "Stampa l’articolo",
    "Stampa questo articolo",
    "Invia per email",
    "Commenta",
    "Torna su",
    "Torna all'inizio",
    "Torna all’inizio",
    "Pubblicità",
)
CHROME_PREFIXES: tuple[str, ...] = (
    "Questo sito utilizza cookie",
    "Questo sito utilizza i cookie",
    "Questo sito usa cookie",
    "Questo sito usa i cookie",
    "Utilizziamo i cookie",
    "Utilizziamo cookie",
    "Usiamo i cookie",
    "Accetta i cookie",
    "Accetta tutti i cookie",
    "Iscriviti alla newsletter",
    "Iscriviti alla nostra newsletter",
    "Abbonati a",
    "Condividi su",
    "Seguici su",
    "Riproduzione riservata",
    "© Riproduzione riservata",
    "Tutti i diritti riservati",
)
SHARE_WORDS: tuple[str, ...] = ("condividi", "stampa", "invia", "su", "per", "questo", "articolo", "copia", "link")
POSTED_LEADS: tuple[str, ...] = (
    "Inserito",
    "Inserita",
    "Pubblicato",
    "Pubblicata",
    "Aggiornato",
    "Aggiornata",
    "Ultimo aggiornamento",
)
POSTED_LINKS: tuple[str, ...] = ("alle ore", "alle", "ore", "il", "in data")
MONTHS: tuple[str, ...] = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)
