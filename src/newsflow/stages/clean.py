"""Clean stage: raw text or HTML in, one clean text (the single source of truth for offsets) out.

What :class:`Cleaner` does to an :class:`~newsflow.models.Article`, in order:

1. **Size.** ``text`` or ``html`` over ``max_article_bytes`` UTF-8 bytes raises
   :class:`~newsflow.errors.TooLarge`.
2. **HTML.** When the record brings ``html`` and no usable ``text`` (a bare
   payload that starts with ``<!doctype html`` or ``<html`` counts as HTML),
   trafilatura extracts the main text (fast mode, no comments, no network; its
   loggers are quietened, see :func:`_html_tools`). Each extracted block becomes
   a paragraph. The page's title and date fill ``title`` and ``published_at``
   only when the record has none; the date is ``YYYY-MM-DD`` (htmldate, from
   meta tags and ``<time>`` elements, no guessing from the running text). When
   the record brings both ``text`` and ``html``, the producer's ``text`` wins and
   the HTML only supplies missing metadata. ``html`` is ``None`` afterwards.
   What trafilatura drops (menus, footers, banners) is not itemised in
   ``boilerplate``: only the line-level removals below are.
3. **Characters.** HTML character references (``&amp;`` ``&#8217;``, with
   the closing semicolon) are decoded; mojibake (``Ã©`` for ``é``) is repaired
   with ftfy, but only when a cheap check finds its markers, because ftfy costs
   ~1.4 ms per 5 KB; line breaks (``\\r\\n``, ``\\r``, U+2028 …) become ``\\n``;
   control characters (category Cc except ``\\n``), bidi embeddings, overrides
   and isolates (U+202A–U+202E, U+2066–U+2069), LRM/RLM/ALM, zero-width space,
   word joiner, BOM, soft hyphen, invisible operators, lone surrogates and
   U+FFFE/U+FFFF are dropped (ZWJ/ZWNJ stay: scripts and emoji need them);
   runs of blanks (spaces, tabs, NBSP and the other Unicode spaces) become one
   space; lines are stripped; the text is NFC.
4. **Boilerplate.** Whole lines are removed and listed in ``boilerplate`` as
   :class:`~newsflow.models.Removal` ``(text, reason)`` in text order, with
   ``reason`` one of :data:`REASONS`:

   ``repeated_headline``
       A copy of the headline in the *leading block*: the short lines (at most
       :data:`MAX_HEADLINE_LINE` characters, no final ``.``/``,``/``;``/``:``)
       before the first body paragraph, up to :data:`HEADLINE_WINDOW` of them.
       The headline lives in ``title``, so *every* copy leaves the text,
       including the first, and so does a single copy of a producer or HTML
       title. Repeated lines further down (a fixture list) are content. If the
       copies were all the text there is, the first copy stays.
   ``navigation``
       Page chrome: links to other articles (``PREV …``, ``NEXT …``,
       ``Leggi anche …``, ``Read more: …``), share / print / subscribe /
       cookie / copyright lines and share bars, in the languages of
       :mod:`newsflow.stages.boilerplate`. Words that only appear on these lines
       (``Israele`` in the seed's ``PREV`` line) therefore never reach the
       entity stage.
   ``separator``
       A line made only of dashes, asterisks, bullets and the like (``-``,
       ``***``, ``—``, ``* * *``).
   ``posted_at``
       A "posted at" line (``Inserito alle 6:48``, ``Posted at 6:48``,
       ``Publié à 6h48``, ``Veröffentlicht um 6:48``, ``Publicado a las 6:48``).

   Removed lines also end a paragraph; runs of blank lines collapse to one.
   At most :data:`MAX_LISTED_REMOVALS` removals are listed (a pathological
   page of half a million ``-`` lines would otherwise make a huge record);
   lines past that are still removed.
5. **Title.** The producer's ``title`` (normalised like the text) when given,
   else the HTML title, else detected from the text: the line repeated most
   often in the leading block, or else a first line that looks like a headline
   (at most :data:`MAX_TITLE_CHARS` characters and :data:`MAX_TITLE_WORDS`
   words, no final ``.``/``,``/``;``/``:``, not starting in lower case, with
   more text after it). No headline found: ``title`` stays ``None``. A lead
   paragraph without a final stop can be taken for a headline (23 of 2,225 BBC
   texts when their title is withheld); records that bring a title avoid this.
6. **posted_at.** The time stamp of the first ``posted_at`` line exactly as
   written after the lead-in words and their preposition, trailing punctuation
   trimmed: ``Inserito alle 6:48`` gives ``"6:48"``, ``Publié le 3 novembre
   2024 à 6h48`` gives ``"3 novembre 2024 à 6h48"``. It is not parsed: the time
   zone is unknown and the date is often missing. ``None`` when there is no such
   line.
7. **Empty.** No letter left in the text raises
   :class:`~newsflow.errors.EmptyText`.

Any other exception inside the stage comes out as
:class:`~newsflow.errors.StageFailure`; a :class:`~newsflow.errors.RecordError`
raised from outside (the pipeline's :class:`~newsflow.errors.StageTimeout`)
passes through untouched.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from newsflow.errors import EmptyText, RecordError, StageFailure, TooLarge
from newsflow.models import Article, Removal
from newsflow.stages import boilerplate as bp

REPEATED_HEADLINE = "repeated_headline"
NAVIGATION = "navigation"
SEPARATOR = "separator"
POSTED_AT = "posted_at"
REASONS: tuple[str, ...] = (REPEATED_HEADLINE, NAVIGATION, SEPARATOR, POSTED_AT)

HEADLINE_WINDOW = 8
MAX_TITLE_CHARS = 150
MAX_TITLE_WORDS = 25
# Longer lines are running text, never chrome: skipping them keeps long paragraphs cheap.
MAX_BOILERPLATE_LINE = 400
MAX_HEADLINE_LINE = 300
MAX_SEPARATOR_LINE = 80
MAX_POSTED_LINE = 120
MAX_SHARE_LINE = 200
# A pathological page (500k "-" lines) must not turn into a 20 MB record: lines past this are
# still removed, but only the first ones are listed.
MAX_LISTED_REMOVALS = 1000
# trafilatura and the libraries it calls; quietened unless the operator set a level.
HTML_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "readability")

_T = TypeVar("_T")

_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Lead characters of UTF-8 read as Latin-1/cp1252; a hint only, _MOJIBAKE_RE confirms.
_MOJIBAKE_HINTS = ("Ã", "Â", "â€", "â\x80", "Ð", "Ñ", "Î", "Ï", "Ø", "Ù", "×", "Å", "Ä")
_MOJIBAKE_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# \t \n \v \f \r \x1c-\x1e \x85 are line breaks or blanks, handled by splitlines()/split().
_JUNK_RE = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)
# Terminal colour codes that scrapers of console output leave behind ("\x1b[0m").
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_RE = re.compile(r"\w+")
_LEAD_RE = re.compile(r"[^\w©]*(©|\w+)")
_TITLE_SPLIT_RE = re.compile(r"\s+[|:·•–—-]{1,2}\s+")
_HTML_START = ("<!doctype html", "<html")
# Latin-1 bytes of the characters a line may hold without needing _clean_line: the printable ones and "\n"
# (the only line break that leaves nothing in a line). Deleting them leaves the bytes that need work.
_PLAIN_LATIN1 = bytes(c for c in range(256) if chr(c).isprintable() or c == 0x0A)


@dataclass(frozen=True, slots=True)
class _Patterns:
    """The compiled boilerplate rules, grouped by a line's first word so most lines cost one dict lookup."""

    by_word: dict[str, tuple[tuple[str, re.Pattern[str]], ...]]
    stamp: re.Pattern[str]
    separator_chars: frozenset[str]
    share_words: frozenset[str]
    share_verbs: frozenset[str]
    share_networks: frozenset[str]


def _first_word(phrase: str) -> str:
    match = _LEAD_RE.match(phrase)
    return match.group(1).lower() if match else ""


def _alternation(phrases: list[str]) -> str:
    # Longest first so "alle ore" wins over "alle"; a word boundary after phrases that end in a letter.
    parts = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        escaped = re.escape(phrase).replace(r"\ ", r"\s+")
        parts.append(escaped + (r"(?!\w)" if phrase[-1].isalnum() else ""))
    return "(?:" + "|".join(parts) + ")"


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    lead = r"[^\w©]*"
    links = _alternation(list(bp.POSTED_LINKS))
    groups: dict[str, dict[str, list[str]]] = {}
    for kind, phrases in (
        ("marker", bp.NAV_MARKERS),
        ("prefix", bp.NAV_PREFIXES + bp.CHROME_PREFIXES),
        ("line", bp.NAV_LINES),
        ("posted", bp.POSTED_LEADS),
    ):
        for phrase in phrases:
            groups.setdefault(_first_word(phrase), {}).setdefault(kind, []).append(phrase)
    by_word: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
    for word, kinds in groups.items():
        checks: list[tuple[str, re.Pattern[str]]] = []
        # Order matters: a posted-at line wins over navigation ("Updated …" vs nothing else).
        if "posted" in kinds:
            source = lead + _alternation(kinds["posted"]) + r"\s*:?\s*(?:" + links + r"\s+)?(?P<stamp>\S.{0,79}?)\s*\Z"
            checks.append(("posted", re.compile(source, re.IGNORECASE)))
        if "marker" in kinds:
            checks.append(("marker", re.compile(lead + _alternation(kinds["marker"]))))
        if "line" in kinds:
            checks.append(("line", re.compile(lead + _alternation(kinds["line"]) + r"[\W_]*\Z", re.IGNORECASE)))
        if "prefix" in kinds:
            checks.append(("prefix", re.compile(lead + _alternation(kinds["prefix"]), re.IGNORECASE)))
        by_word[word] = tuple(checks)
    share_gate = {_first_word(word) for word in bp.SHARE_WORDS if _first_word(word)}
    for word in share_gate:
        by_word.setdefault(word, ())
    months = _alternation(list(bp.MONTHS))
    stamp = re.compile(
        r"\d{1,2}\s?[:.hH]\s?\d{2}(?!\d)"  # 6:48, 6h48, 18.30
        r"|\d{1,4}[./-]\d{1,2}[./-]\d{2,4}"  # 01.11.2024, 2024-11-01
        rf"|\d{{1,2}}\.?\s+{months}|{months}\.?\s+\d{{1,2}}(?!\d)",  # 3 novembre, November 1
        re.IGNORECASE,
    )
    return _Patterns(
        by_word=by_word,
        stamp=stamp,
        separator_chars=bp.SEPARATOR_CHARS,
        share_words=bp.SHARE_WORDS,
        share_verbs=bp.SHARE_VERBS,
        share_networks=frozenset(bp.SHARE_NETWORKS),
    )


@dataclass(frozen=True, slots=True)
class _HtmlTools:
    """trafilatura's entry points, imported on first use (the import costs ~0.3 s)."""

    load_html: Callable[[str], Any]
    bare_extraction: Callable[..., Any]
    html2txt: Callable[..., str]
    extract_title: Callable[[Any], str | None]
    find_date: Callable[..., str | None]


@lru_cache(maxsize=1)
def _html_tools() -> _HtmlTools:
    """Import trafilatura lazily and keep its logging out of a stream worker's logs.

    trafilatura logs a warning or an error for every page it cannot use
    ("discarding data", "parsed tree length …"); a worker reports those outcomes
    itself (empty text, dead letters), so per-record library logs would only be
    noise. Loggers whose level the operator set are left alone. trafilatura's
    own ``EXTRACTION_TIMEOUT`` applies to its CLI only, so nothing here installs
    signal handlers; the pipeline's per-record deadline bounds the stage.
    """
    for name in HTML_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.CRITICAL)
    from htmldate import find_date
    from trafilatura import bare_extraction, html2txt
    from trafilatura.metadata import extract_title
    from trafilatura.utils import load_html

    return _HtmlTools(
        load_html=load_html,
        bare_extraction=bare_extraction,
        html2txt=html2txt,
        extract_title=extract_title,
        find_date=find_date,
    )


def _quietly(call: Callable[[], _T], default: _T) -> _T:
    """A library call whose failure only costs us an optional result; our own RecordErrors pass through."""
    try:
        return call()
    except RecordError:
        raise
    except Exception:
        return default


def _utf8_size_over(value: str, limit: int) -> int | None:
    """UTF-8 size of ``value`` if it is over ``limit``, else None; avoids encoding when length decides."""
    chars = len(value)
    if chars * 4 <= limit:
        return None
    size = chars if chars > limit else len(value.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def _has_letter(text: str) -> bool:
    """A letter (category L*); ``\\w`` alone would also accept "²" and other non-decimal numbers."""
    first = _LETTER_RE.search(text)
    if first is None:
        return False
    if first.group(0).isalpha():
        return True
    return any(match.group(0).isalpha() for match in _LETTER_RE.finditer(text, first.end()))


def _looks_like_html(text: str) -> bool:
    return text[:200].lstrip().lower().startswith(_HTML_START)


def _fix_mojibake(text: str) -> str:
    if any(hint in text for hint in _MOJIBAKE_HINTS) and _MOJIBAKE_RE.search(text):
        return _quietly(lambda: _ftfy_fix_encoding(text), text)
    return text


def _ftfy_fix_encoding(text: str) -> str:
    import ftfy

    fixed: str = ftfy.fix_encoding(text)
    return fixed


def _normalize_chars(text: str) -> str:
    """Character-level fixes on the whole text; line-level ones happen in :func:`_clean_line`."""
    if "&" in text and _ENTITY_RE.search(text):
        text = _ENTITY_RE.sub(lambda match: html_lib.unescape(match.group(0)), text)
    if not text.isascii():
        text = _fix_mojibake(text)
        # A string of Latin-1 characters is always NFC (none combines or decomposes): the
        # encode is a copy, the NFC check a Unicode-database look-up per character (~8 µs per 5 KB).
        if not _is_latin1(text) and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    return text


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _plain_lines(text: str) -> bool:
    """True when no line of ``text`` can need :func:`_clean_line`: all printable, ``\\n`` breaks, no double space.

    One pass in C over the whole text instead of ``isprintable()`` and a double-space search on
    every line (~20 µs of a 5 KB article). Only for text Latin-1 can hold (ASCII news, most
    Western European text); anything else keeps the per-line checks.
    """
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not data.translate(None, _PLAIN_LATIN1) and b"  " not in data


def _clean_line(line: str) -> str:
    """The slow path for a stripped line with odd characters or blank runs."""
    if _JUNK_RE.search(line):
        if "\x1b" in line:
            line = _ANSI_RE.sub("", line)
        line = _JUNK_RE.sub("", line)
    return " ".join(line.split())


def _nfc(text: str) -> str:
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _key(text: str) -> str:
    """Comparison key for headline copies: case and punctuation ignored."""
    return " ".join(_WORD_RE.findall(text.lower()))


def _keys(text: str) -> set[str]:
    """The line's key and that of its longest part, so "Section | Headline" matches "Headline"."""
    keys = {_key(text)}
    parts = _TITLE_SPLIT_RE.split(text)
    if len(parts) > 1:
        keys.add(_key(max(parts, key=len)))
    keys.discard("")
    return keys


def _headline_like(line: str) -> bool:
    if len(line) > MAX_TITLE_CHARS or line[-1] in ".,;:" or len(line.split()) > MAX_TITLE_WORDS:
        return False
    first = next((ch for ch in line if ch.isalpha()), None)
    return first is not None and not first.islower()


@dataclass(slots=True)
class _Cleaned:
    text: str
    title: str | None
    removals: list[Removal]
    posted_at: str | None


class Cleaner:
    """Turn a raw article into clean text, title and time stamp, and list what was removed.

    See the module docstring for every rule. ``max_html_bytes`` (default
    ``max_article_bytes``) bounds the ``html`` field separately, for deployments
    that accept pages larger than their text limit.
    """

    name = "clean"

    def __init__(self, max_article_bytes: int = 1_000_000, *, max_html_bytes: int | None = None) -> None:
        if max_article_bytes < 1:
            raise ValueError("max_article_bytes must be at least 1")
        self.max_article_bytes = max_article_bytes
        self.max_html_bytes = max_html_bytes if max_html_bytes is not None else max_article_bytes
        self._patterns = _patterns()

    def __call__(self, article: Article) -> Article:
        try:
            return self._clean(article)
        except RecordError:
            raise
        except Exception as exc:
            detail = str(exc)[:200]
            raise StageFailure(f"clean stage failed: {type(exc).__name__}: {detail}") from exc

    # -- steps ---------------------------------------------------------------------------------------

    def _clean(self, article: Article) -> Article:
        text = article.text or ""
        page = article.html
        over = _utf8_size_over(text, self.max_article_bytes)
        if over is not None:
            raise TooLarge(f"text is {over} bytes, over the {self.max_article_bytes} byte limit")
        if page is not None:
            over = _utf8_size_over(page, self.max_html_bytes)
            if over is not None:
                raise TooLarge(f"html is {over} bytes, over the {self.max_html_bytes} byte limit")
        if page is None and _looks_like_html(text):
            page, text = text, ""

        given_title = _normalize_title(article.title)
        page_title: str | None = None
        page_date: str | None = None
        from_html = False
        if page is not None and page.strip():
            if _has_letter(text):
                if given_title is None or not article.published_at:
                    page_title, page_date = self._page_metadata(page)
            else:
                text, page_title, page_date = self._extract(page)
                from_html = True

        if given_title is None:
            given_title = _normalize_title(page_title)
        cleaned = self._clean_text(text, given_title, paragraphs=from_html)
        if not _has_letter(cleaned.text):
            if not text.strip():
                raise EmptyText("html has no extractable text" if from_html else "text is empty")
            raise EmptyText("no letters left after cleaning")
        # The record changes only on success: a dead letter keeps what came in.
        article.html = None
        article.text = cleaned.text
        article.title = cleaned.title
        article.boilerplate = cleaned.removals
        if cleaned.posted_at is not None:
            article.posted_at = cleaned.posted_at
        if not article.published_at and page_date:
            article.published_at = page_date
        return article

    def _parse(self, page: str) -> Any:
        tools = _html_tools()
        # trafilatura rejects a bare fragment ("<p>x</p>") as dubious HTML; a wrapper makes it a page.
        if "<html" not in page[:4096].lower():
            page = f"<html><body>{page}</body></html>"
        return tools.load_html(page)

    def _page_metadata(self, page: str) -> tuple[str | None, str | None]:
        tools = _html_tools()
        tree = _quietly(lambda: self._parse(page), None)
        if tree is None:
            return None, None
        return self._metadata(tools, tree)

    @staticmethod
    def _metadata(tools: _HtmlTools, tree: Any) -> tuple[str | None, str | None]:
        title = _quietly(lambda: tools.extract_title(tree), None)
        # extensive_search would guess dates from the running text: slower and often the wrong date.
        date = _quietly(lambda: tools.find_date(tree, extensive_search=False, original_date=True), None)
        return title, date

    def _extract(self, page: str) -> tuple[str, str | None, str | None]:
        """Main text, title and date of a page; an unusable page gives its visible text, or ""."""
        tools = _html_tools()
        tree = _quietly(lambda: self._parse(page), None)
        if tree is None:
            return "", None, None
        document = _quietly(
            lambda: tools.bare_extraction(
                tree,
                fast=True,
                include_comments=False,
                include_tables=True,
                with_metadata=False,
                deduplicate=False,
            ),
            None,
        )
        text = getattr(document, "text", None) or ""
        if not text.strip():
            # Nothing trafilatura calls an article: fall back to all visible text and let the line rules sift it.
            text = _quietly(lambda: tools.html2txt(tree), "")
        title, date = self._metadata(tools, tree)
        return text, title, date

    def _clean_text(self, text: str, given_title: str | None, *, paragraphs: bool) -> _Cleaned:
        text = _normalize_chars(text)
        pats = self._patterns
        by_word = pats.by_word
        # One entry per line: (line, reason) with reason None for kept text and "" for a blank line.
        entries: list[tuple[str, str | None]] = []
        posted_at: str | None = None
        changed = False
        blank = ("", "")
        sep = pats.separator_chars
        check_lines = not _plain_lines(text)
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                entries.append(blank)
                continue
            if check_lines and (not line.isprintable() or "  " in line):
                line = _clean_line(line)
                changed = True
                if not line:
                    entries.append(blank)
                    continue
            reason: str | None = None
            if line[0] in sep and len(line) <= MAX_SEPARATOR_LINE and sep.issuperset(line):
                reason = SEPARATOR
            elif len(line) <= MAX_BOILERPLATE_LINE:
                lead = _LEAD_RE.match(line)
                if lead is not None:
                    checks = by_word.get(lead.group(1).lower())
                    if checks is not None:
                        reason, stamp = self._classify(line, checks)
                        if stamp is not None and posted_at is None:
                            posted_at = stamp
            entries.append((line, reason))
            if paragraphs:
                entries.append(("", ""))

        title, copies = self._headline(entries, given_title)
        removals: list[Removal] = []
        parts: list[str] = []
        pending_break = False
        for index, (line, line_reason) in enumerate(entries):
            reason = REPEATED_HEADLINE if index in copies else line_reason
            if reason is None:
                if parts:
                    parts.append("\n\n" if pending_break else "\n")
                parts.append(line)
                pending_break = False
            else:
                if reason and len(removals) < MAX_LISTED_REMOVALS:
                    removals.append(Removal(text=line, reason=reason))
                pending_break = True
        cleaned = "".join(parts)
        if changed:
            # Dropping a control character can bring a base letter and a combining mark together.
            cleaned = _nfc(cleaned)
        return _Cleaned(text=cleaned, title=title, removals=removals, posted_at=posted_at)

    def _classify(self, line: str, checks: tuple[tuple[str, re.Pattern[str]], ...]) -> tuple[str | None, str | None]:
        """Reason to remove a line whose first word opens some boilerplate phrase, and a posted-at stamp."""
        pats = self._patterns
        for kind, pattern in checks:
            if kind == "posted":
                if len(line) > MAX_POSTED_LINE:
                    continue
                match = pattern.match(line)
                if match is not None and pats.stamp.search(match.group("stamp")):
                    return POSTED_AT, match.group("stamp").rstrip(".,;")
            elif kind == "line":
                if pattern.match(line):
                    return NAVIGATION, None
            elif pattern.match(line):
                return NAVIGATION, None
        if len(line) <= MAX_SHARE_LINE:
            words = _WORD_RE.findall(line.lower().replace("e-mail", "email"))
            if words and all(word in pats.share_words for word in words):
                networks = sum(word in pats.share_networks for word in words)
                if networks >= 2 or any(word in pats.share_verbs for word in words):
                    return NAVIGATION, None
        return None, None

    @staticmethod
    def _headline(entries: list[tuple[str, str | None]], given_title: str | None) -> tuple[str | None, set[int]]:
        """The title and the entry indices of the headline copies to remove from the text.

        Only the leading block is searched: the content lines before the first body line, a body line
        being one longer than MAX_HEADLINE_LINE or ending in ``.``/``,``/``;``/``:`` that is not a copy
        of the given title. A fixture list further down ("Winners meet in final match" ×3) is left alone.
        """
        title_keys = _keys(given_title) if given_title is not None else set()
        longest = 2 * len(given_title) + 10 if given_title is not None else 0
        block: list[int] = []
        copies: set[int] = set()
        body_found = False
        for index, (line, reason) in enumerate(entries):
            if reason is not None or not _has_letter(line):
                continue
            if title_keys and len(line) <= longest and _keys(line) & title_keys:
                copies.add(index)
            elif len(line) > MAX_HEADLINE_LINE or line[-1] in ".,;:":
                body_found = True
                break
            block.append(index)
            if len(block) >= HEADLINE_WINDOW:
                body_found = True  # as far as copies go: a window's worth of short lines is the text
                break
        title = given_title
        counts = Counter(entries[index][0] for index in block if index not in copies)
        repeated = [line for line, count in counts.items() if count >= 2]
        if repeated:
            best = max(repeated, key=lambda line: counts[line])
            copies.update(index for index in block if entries[index][0] == best)
            if title is None:
                title = best
        elif title is None and block and not copies:
            first = block[0]
            if _headline_like(entries[first][0]) and (len(block) > 1 or body_found):
                title = entries[first][0]
                copies.add(first)
        if copies and not body_found and all(index in copies for index in block):
            # Headline copies are all the text there is: keep the first one as the text.
            copies.discard(min(copies))
        return title, copies


def _normalize_title(title: str | None) -> str | None:
    if not title:
        return None
    title = _normalize_chars(title)
    title = " ".join(_JUNK_RE.sub("", title).split())
    title = _nfc(title)
    return title if _has_letter(title) else None
