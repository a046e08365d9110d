"""French boilerplate phrases. Constants only; the patterns are built in ``boilerplate/__init__.py``."""

from __future__ import annotations

NAV_MARKERS: tuple[str, ...] = ("PRÉCÉDENT", "PRECEDENT", "SUIVANT")
NAV_PREFIXES: tuple[str, ...] = (
    "Lire aussi",
    "À lire aussi",
    "A lire aussi",
    "Lire également",
    "À lire également",
    "Lire la suite",
    "Voir aussi",
    "Article précédent",
    "Article suivant",
    "Articles liés",
    "Sur le même sujet",
    "Mots-clés :",
    "Mots-clés:",
)
NAV_LINES: tuple[str, ...] = (
    "Précédent",
    "Suivant",
    "Partager",
    "Partager cet article",
    "Imprimer",
    "Imprimer cet article",
    "Envoyer par e-mail",
    "Réagir",
    "Commenter",
    "Retour en haut",
    "Publicité",
)
CHROME_PREFIXES: tuple[str, ...] = (
    "Ce site utilise des cookies",
    "Ce site utilise les cookies",
    "Nous utilisons des cookies",
    "Nous utilisons les cookies",
    "Accepter les cookies",
    "Accepter tous les cookies",
    "Gérer les cookies",
    "Paramétrer les cookies",
    "Abonnez-vous",
    "Inscrivez-vous à notre newsletter",
    "Inscrivez-vous à la newsletter",
    "Partager sur",
    "Suivez-nous sur",
    "Tous droits réservés",
)
SHARE_WORDS: tuple[str, ...] = (
    "partager",
    "imprimer",
    "envoyer",
    "sur",
    "par",
    "cet",
    "article",
    "copier",
    "le",
    "lien",
)
POSTED_LEADS: tuple[str, ...] = (
    "Publié",
    "Publiée",
    "Posté",
    "Postée",
    "Mis à jour",
    "Mise à jour",
    "Actualisé",
    "Actualisée",
)
POSTED_LINKS: tuple[str, ...] = ("à", "le", "aujourd'hui à", "aujourd’hui à")
MONTHS: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
