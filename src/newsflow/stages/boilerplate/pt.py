"""Portuguese boilerplate phrases. Constants only; the patterns are built in ``boilerplate/__init__.py``."""

from __future__ import annotations

NAV_MARKERS: tuple[str, ...] = ("ANTERIOR", "PRÓXIMO", "PRÓXIMA", "SEGUINTE")
NAV_PREFIXES: tuple[str, ...] = (
    "Leia também",
    "Leia mais",
    "Veja também",
    "Saiba mais",
    "Artigo anterior",
    "Próximo artigo",
    "Notícias relacionadas",
    "Tags:",
)
NAV_LINES: tuple[str, ...] = (
    "Anterior",
    "Próximo",
    "Compartilhar",
    "Partilhar",
    "Imprimir",
    "Comentários",
    "Voltar ao topo",
    "Publicidade",
)
CHROME_PREFIXES: tuple[str, ...] = (
    "Este site utiliza cookies",
    "Este site usa cookies",
    "Utilizamos cookies",
    "Usamos cookies",
    "Aceitar cookies",
    "Aceitar todos os cookies",
    "Assine a newsletter",
    "Assine nossa newsletter",
    "Compartilhar no",
    "Compartilhe no",
    "Siga-nos no",
    "Todos os direitos reservados",
)
SHARE_WORDS: tuple[str, ...] = (
    "compartilhar",
    "compartilhe",
    "partilhar",
    "imprimir",
    "enviar",
    "no",
    "por",
    "este",
    "artigo",
)
POSTED_LEADS: tuple[str, ...] = ("Publicado", "Publicada", "Atualizado", "Atualizada", "Postado", "Postada")
POSTED_LINKS: tuple[str, ...] = ("às", "em", "a")
MONTHS: tuple[str, ...] = (
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
