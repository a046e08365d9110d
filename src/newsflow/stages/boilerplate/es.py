"""Spanish boilerplate phrases. Constants only; the patterns are built in ``boilerplate/__init__.py``."""

from __future__ import annotations

NAV_MARKERS: tuple[str, ...] = ("ANTERIOR", "SIGUIENTE")
NAV_PREFIXES: tuple[str, ...] = (
    "Lee también",
    "Lea también",
    "Leer también",
    "Te puede interesar",
    "Le puede interesar",
    "Ver también",
    "Leer más",
    "Sigue leyendo",
    "Artículo anterior",
    "Artículo siguiente",
    "Noticias relacionadas",
    "Artículos relacionados",
    "Etiquetas:",
    "Temas:",
)
NAV_LINES: tuple[str, ...] = (
    "Anterior",
    "Siguiente",
    "Compartir",
    "Compartir artículo",
    "Compartir este artículo",
    "Imprimir",
    "Imprimir artículo",
    "Enviar por correo",
    "Comentar",
    "Comentarios",
    "Volver arriba",
    "Publicidad",
)
CHROME_PREFIXES: tuple[str, ...] = (
    "Este sitio utiliza cookies",
    "Este sitio web utiliza cookies",
    "Este sitio usa cookies",
    "Utilizamos cookies",
    "Usamos cookies",
    "Aceptar cookies",
    "Aceptar todas las cookies",
    "Configurar cookies",
    "Suscríbete",
    "Suscríbase",
    "Compartir en",
    "Síguenos en",
    "Todos los derechos reservados",
)
SHARE_WORDS: tuple[str, ...] = (
    "compartir",
    "imprimir",
    "enviar",
    "en",
    "por",
    "correo",
    "este",
    "artículo",
    "copiar",
    "enlace",
)
POSTED_LEADS: tuple[str, ...] = ("Publicado", "Publicada", "Actualizado", "Actualizada")
POSTED_LINKS: tuple[str, ...] = ("a las", "a la", "el", "hoy a las")
MONTHS: tuple[str, ...] = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
