"""Clean stage: the seed, boilerplate rules, HTML extraction, normalisation and hostile input."""

from __future__ import annotations

import logging
import socket
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsflow.errors import EmptyText, RecordError, StageFailure, StageTimeout, TooLarge
from newsflow.models import Article, Removal
from newsflow.stages import clean
from newsflow.stages.clean import REASONS, Cleaner

HTML_DIR = Path(__file__).parent / "html"
SEED_HEADLINE = "Guerra in Ucraina | La Corea del Nord si schiererà con la Russia fino alla “vittoria”"
SEED_PREV = "PREV Sotto Trump e “con l’aiuto di Dio”, Israele annetterà la Cisgiordania, promette il ministro"
SEED_NEXT = "NEXT “Il corpo del bambino era estremamente magro”"
BIDI_CONTROLS = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def make(text: str = "", **fields: Any) -> Article:
    return Article(id="t-1", text=text, ingested_at="2024-11-01T06:50:00.000Z", **fields)


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner()


@pytest.fixture(scope="module")
def seed_article(cleaner: Cleaner, seed_text: str) -> Article:
    return cleaner(make(seed_text))


def html_page(name: str) -> str:
    return (HTML_DIR / name).read_text(encoding="utf-8")


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


# -- the seed -----------------------------------------------------------------------------------


def test_seed_headline_becomes_title_and_leaves_the_text(seed_article: Article) -> None:
    assert seed_article.title == SEED_HEADLINE
    assert SEED_HEADLINE not in seed_article.text
    assert "Guerra in Ucraina |" not in seed_article.text
    assert seed_article.text.startswith("(Mosca) La Corea del Nord sarà al fianco della Russia")


def test_seed_posted_at_is_captured_and_removed(seed_article: Article) -> None:
    assert seed_article.posted_at == "6:48"
    assert "Inserito alle" not in seed_article.text
    assert Removal("Inserito alle 6:48", "posted_at") in seed_article.boilerplate


def test_seed_navigation_lines_and_their_entities_are_gone(seed_article: Article) -> None:
    assert "PREV" not in seed_article.text and "NEXT" not in seed_article.text
    # Israele and Cisgiordania appear only in the PREV line: they must not reach the entity stage.
    assert "Israele" not in seed_article.text
    assert "Cisgiordania" not in seed_article.text
    assert "estremamente magro" not in seed_article.text
    assert seed_article.text.endswith("stabilire la pace in Ucraina.")


def test_seed_separators_are_removed(seed_article: Article) -> None:
    assert "-" not in lines_of(seed_article.text)
    assert [r for r in seed_article.boilerplate if r.reason == "separator"] == [Removal("-", "separator")] * 2


def test_seed_french_fragment_stays(seed_article: Article) -> None:
    assert "[nord-coréennes]" in seed_article.text
    assert "“Non abbiamo ancora visto queste truppe [nord-coréennes] schierarsi" in seed_article.text


def test_seed_boilerplate_lists_every_removal_in_text_order(seed_article: Article) -> None:
    assert seed_article.boilerplate == [
        Removal(SEED_HEADLINE, "repeated_headline"),
        Removal(SEED_HEADLINE, "repeated_headline"),
        Removal(SEED_HEADLINE, "repeated_headline"),
        Removal("-", "separator"),
        Removal("Inserito alle 6:48", "posted_at"),
        Removal("-", "separator"),
        Removal(SEED_PREV, "navigation"),
        Removal(SEED_NEXT, "navigation"),
    ]


def test_seed_keeps_every_body_paragraph(seed_article: Article, seed_text: str) -> None:
    removed = {r.text for r in seed_article.boilerplate}
    expected = [line.strip() for line in seed_text.split("\n") if line.strip() and line.strip() not in removed]
    assert seed_article.text.split("\n\n") == expected
    assert "\n\n\n" not in seed_article.text


def test_seed_with_producer_title_keeps_it_and_still_drops_the_copies(cleaner: Cleaner, seed_text: str) -> None:
    article = cleaner(make(seed_text, title="  La Corea del Nord  con la Russia "))
    assert article.title == "La Corea del Nord con la Russia"
    assert SEED_HEADLINE not in article.text
    assert [r.reason for r in article.boilerplate].count("repeated_headline") == 3


def test_seed_bytes_with_crlf_give_the_same_text(cleaner: Cleaner, seed_text: str, seed_article: Article) -> None:
    article = cleaner(make(seed_text.replace("\n", "\r\n")))
    assert article.text == seed_article.text
    assert article.title == seed_article.title


# -- boilerplate rules ----------------------------------------------------------------------------

BODY = "Il consiglio comunale ha approvato il bilancio dopo una lunga discussione in aula."


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("Inserito alle 6:48", "6:48"),
        ("Posted at 6:48", "6:48"),
        ("Publié à 6h48", "6h48"),
        ("Veröffentlicht um 6:48", "6:48"),
        ("Publicado a las 6:48", "6:48"),
        ("Pubblicato il 3 novembre 2024 alle 18.30", "3 novembre 2024 alle 18.30"),
        ("Publié le 3 novembre 2024 à 6h48", "3 novembre 2024 à 6h48"),
        ("Veröffentlicht am 01.11.2024 um 6:48 Uhr", "01.11.2024 um 6:48 Uhr"),
        ("Updated: November 1, 2024", "November 1, 2024"),
    ],
)
def test_posted_at_lines(cleaner: Cleaner, line: str, stamp: str) -> None:
    article = cleaner(make(f"{BODY}\n\n{line}\n\n{BODY}"))
    assert article.posted_at == stamp
    assert article.boilerplate == [Removal(line, "posted_at")]
    assert article.text == f"{BODY}\n\n{BODY}"


def test_first_posted_at_wins_and_all_are_removed(cleaner: Cleaner) -> None:
    article = cleaner(make(f"{BODY}\nPosted at 6:48\nUpdated at 9:02\n{BODY}"))
    assert article.posted_at == "6:48"
    assert [r.reason for r in article.boilerplate] == ["posted_at", "posted_at"]


@pytest.mark.parametrize(
    "line",
    [
        "Leggi anche: Allerta meteo in tutta la regione",
        "Leggi anche Il sindaco si dimette",
        "À lire aussi : la réforme des retraites",
        "Lire aussi Le gouvernement recule",
        "Read more: Council approves the budget",
        "Lesen Sie auch: Der Haushalt ist beschlossen",
        "Lee también: El Gobierno aprueba los presupuestos",
        "NEXT Il corpo del bambino era estremamente magro",
        "« PREV",
        "Share",
        "Share this article",
        "Stampa",
        "Condividi su Facebook",
        "Facebook Twitter WhatsApp Email",
        "Partager sur Facebook",
        "We use cookies to improve your experience. By continuing to browse you accept our use of cookies.",
        "Questo sito utilizza cookie tecnici e di profilazione.",
        "Diese Website verwendet Cookies.",
        "Subscribe to our newsletter",
        "Iscriviti alla newsletter",
        "© 2024 The Coastal Courier. All rights reserved.",
        "© Riproduzione riservata",
    ],
)
def test_navigation_lines_are_removed(cleaner: Cleaner, line: str) -> None:
    article = cleaner(make(f"{BODY}\n{line}\n{BODY}"))
    assert article.boilerplate == [Removal(line, "navigation")]
    assert article.text == f"{BODY}\n\n{BODY}"


@pytest.mark.parametrize(
    "line",
    [
        "Next year the council will vote again on the plan.",
        "Share prices fell 3% on Monday.",
        "Print media revenue declined for the fifth year.",
        "Facebook said it would appeal the ruling.",
        "Read the statement carefully, the judge said.",
        "Copyright law is changing across Europe.",
        "Published by Penguin, the book sold well.",
        "Updated figures show the deficit grew.",
        "Le gouvernement a publié à nouveau le rapport.",
        "- 5 people were injured",
        "Posted at the border, the soldiers waited.",
    ],
)
def test_ordinary_sentences_are_kept(cleaner: Cleaner, line: str) -> None:
    article = cleaner(make(f"{BODY}\n{line}\n{BODY}"))
    assert article.boilerplate == []
    assert line in article.text.split("\n")


@pytest.mark.parametrize("line", ["-", "***", "—", "* * *", "• • •", "=====", "___", "~~~", "-- --"])
def test_separators(cleaner: Cleaner, line: str) -> None:
    article = cleaner(make(f"{BODY}\n{line}\n{BODY}"))
    assert article.boilerplate == [Removal(line, "separator")]
    assert article.text == f"{BODY}\n\n{BODY}"


def test_every_reason_is_documented(cleaner: Cleaner, seed_article: Article) -> None:
    assert set(REASONS) == {"repeated_headline", "navigation", "separator", "posted_at"}
    assert {r.reason for r in seed_article.boilerplate} == set(REASONS)
    for reason in REASONS:
        assert f"``{reason}``" in (clean.__doc__ or "")


# -- title ---------------------------------------------------------------------------------------


def test_single_headline_line_becomes_the_title(cleaner: Cleaner) -> None:
    article = cleaner(make(f"Il Comune approva il bilancio\n\n{BODY}\n\n{BODY}"))
    assert article.title == "Il Comune approva il bilancio"
    assert article.text == f"{BODY}\n\n{BODY}"
    assert article.boilerplate == [Removal("Il Comune approva il bilancio", "repeated_headline")]


def test_no_title_when_the_text_opens_with_a_sentence(cleaner: Cleaner) -> None:
    article = cleaner(make(f"{BODY}\n\n{BODY}"))
    assert article.title is None
    assert article.text == f"{BODY}\n\n{BODY}"


def test_producer_title_is_kept_and_its_copy_leaves_the_text(cleaner: Cleaner) -> None:
    article = cleaner(make(f"Bilancio approvato\n{BODY}", title="Bilancio approvato | Gazzetta"))
    assert article.title == "Bilancio approvato | Gazzetta"
    assert article.text == BODY
    assert article.boilerplate == [Removal("Bilancio approvato", "repeated_headline")]


def test_repeated_lines_below_the_first_paragraph_are_not_headlines(cleaner: Cleaner) -> None:
    # From a real BBC fixture list: the repeated line sits after body text, so it is content.
    text = f"{BODY}\n\nSeychelles v South Africa\n\nWinners meet in final match\n\nNamibia v Botswana\n\n"
    text += "Winners meet in final match"
    article = cleaner(make(text, title="SA return to Mauritius"))
    assert article.boilerplate == []
    assert article.text.count("Winners meet in final match") == 2


def test_text_made_only_of_headline_copies_keeps_one(cleaner: Cleaner) -> None:
    article = cleaner(make("Breaking news\nBreaking news\n"))
    assert article.title == "Breaking news"
    assert article.text == "Breaking news"


# -- normalisation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cafe\u0301 au lait", "Café au lait"),  # NFD -> NFC
        ("one\r\ntwo\rthree\u2028four\x85five", "one\ntwo\nthree\nfour\nfive"),
        ("Hello\x00 world\x01\x07\x1b[0m!", "Hello world!"),
        ("evil \u202egnp.exe\u202c file and \u2066isolated\u2069 words", "evil gnp.exe file and isolated words"),
        ("soft\u00adhyphen and zero\u200bwidth and \ufeffBOM", "softhyphen and zerowidth and BOM"),
        ("  many   spaces\t\ttabs\u00a0nbsp\u2003em  ", "many spaces tabs nbsp em"),
        ("para one\n\n\n\n\npara two", "para one\n\npara two"),
        ("Marlow &amp; Daughters&nbsp;said &#8220;yes&#x201D;", "Marlow & Daughters said “yes”"),
        ("R&D and AT&T and Tom &notes stay", "R&D and AT&T and Tom &notes stay"),
        ("Lâ€™Ã©tÃ© est chaud et le cafÃ© aussi.", "L’été est chaud et le café aussi."),
        ("São Paulo é ótima; ÀÉÎ stay as they are.", "São Paulo é ótima; ÀÉÎ stay as they are."),
        ("e\x00\u0301 after a control", "é after a control"),
        ("Москва, 東京, القاهرة, תל אביב and Paris", "Москва, 東京, القاهرة, תל אביב and Paris"),
        ("emoji 👩\u200d💻 keep their joiner", "emoji 👩\u200d💻 keep their joiner"),
    ],
)
def test_normalisation(cleaner: Cleaner, raw: str, expected: str) -> None:
    assert cleaner(make(raw)).text == expected


def test_producer_title_is_normalised(cleaner: Cleaner) -> None:
    article = cleaner(make(BODY, title="Cafe\u0301\u202e  news\x00"))
    assert article.title == "Café news"


# -- HTML ---------------------------------------------------------------------------------------


def test_html_article_without_title_gets_the_page_title_and_date(cleaner: Cleaner) -> None:
    article = cleaner(make(html=html_page("news_article_en.html")))
    assert article.html is None
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert article.published_at == "2024-03-14"
    assert article.text.startswith("The Harbour Bridge in Port Ellis reopened to traffic on Thursday morning")
    assert article.text.endswith("set aside money in next year’s budget for further maintenance.")
    assert "Engineers from Marlow & Daughters" in article.text
    assert "lanes. The council said the final bill came to £4.2m" in article.text  # &nbsp; became a space
    assert len(article.text.split("\n\n")) == 6  # one paragraph per <p>
    for chrome in (
        "cookies",
        "Accept all",
        "Subscribe",
        "Facebook",
        "Twitter",
        "gtag",
        "font-family",
        "Related stories",
        "All rights reserved",
        "Privacy policy",
        "Ferry timetable changes",
        "Harbour bridge reopens",
    ):
        assert chrome not in article.text, chrome
    assert article.boilerplate == [Removal("Harbour bridge reopens after storm repairs", "repeated_headline")]


def test_html_does_not_override_the_record_title_or_date(cleaner: Cleaner) -> None:
    article = cleaner(
        make(html=html_page("news_article_en.html"), title="Bridge open again", published_at="2024-03-15T10:00:00Z")
    )
    assert article.title == "Bridge open again"
    assert article.published_at == "2024-03-15T10:00:00Z"


def test_html_italian_page_with_time_element_and_inline_boilerplate(cleaner: Cleaner) -> None:
    article = cleaner(make(html=html_page("article_it_time.html")))
    assert article.title == "Maltempo, chiusa la statale del Passo per una frana"
    assert article.published_at == "2024-10-29"
    assert article.posted_at == "9:15"
    assert [(r.reason, r.text[:12]) for r in article.boilerplate] == [
        ("repeated_headline", "Maltempo, ch"),
        ("posted_at", "Inserito all"),
        ("navigation", "Leggi anche:"),
        ("separator", "***"),
        ("navigation", "© Riproduzio"),
    ]
    assert "il movimento franoso è stato innescato" in article.text
    assert "«Il Passo è l’unico collegamento rapido" in article.text
    for chrome in ("cookie", "Cronaca", "Condividi", "WhatsApp", "Allerta arancione", "P.IVA", "_paq"):
        assert chrome not in article.text, chrome


def test_producer_text_wins_over_html_but_html_fills_metadata(cleaner: Cleaner) -> None:
    article = cleaner(make(f"{BODY}\n\n{BODY}", html=html_page("news_article_en.html")))
    assert article.text == f"{BODY}\n\n{BODY}"
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert article.published_at == "2024-03-14"
    assert article.html is None


def test_bare_payload_that_is_a_page_is_extracted(cleaner: Cleaner) -> None:
    article = cleaner(make(html_page("news_article_en.html")))
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert "<p>" not in article.text and "Marlow & Daughters" in article.text


def test_html_fragment_without_html_tag(cleaner: Cleaner) -> None:
    article = cleaner(make(html=f"<p>{BODY}</p><p>Leggi anche: altro</p><p>Secondo paragrafo &amp; fine.</p>"))
    assert article.text == f"{BODY}\n\nSecondo paragrafo & fine."
    assert article.boilerplate == [Removal("Leggi anche: altro", "navigation")]


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Only chrome</title></head><body><nav><a href='/'>Home</a></nav></body></html>",
        "<html><body><script>var x = 1;</script><style>p{}</style></body></html>",
        "<<<>>>",
        "<html><body>" + "<div>" * 5000 + "</div>" * 5000 + "</body></html>",
    ],
)
def test_html_with_no_article_text_is_empty_or_sensible(cleaner: Cleaner, page: str) -> None:
    try:
        article = cleaner(make(html=page))
    except EmptyText:
        return
    assert article.html is None
    assert "<" not in article.text and "var x" not in article.text


def test_html_never_touches_the_network(cleaner: Cleaner, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    page = html_page("news_article_en.html").replace(
        "<head>", '<head><link rel="canonical" href="https://example.com/a">'
    )
    assert cleaner(make(html=page)).title == "Harbour bridge reopens after storm repairs"
    # htmldate downloads a *string* that looks like a URL; we only ever hand it a parsed tree.
    assert cleaner(make(html="https://example.com/news/2024/03/14/bridge")).text.startswith("https://example.com")
    assert attempts == []


def test_a_failed_record_is_left_as_it_came(cleaner: Cleaner) -> None:
    page = "<html><body><script>var x = 1;</script></body></html>"
    article = make(html=page, title="Kept")
    with pytest.raises(EmptyText, match="html has no extractable text"):
        cleaner(article)
    assert article.html == page and article.title == "Kept" and article.boilerplate == []


def test_mojibake_repair_failure_keeps_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("ftfy bug")

    monkeypatch.setattr(clean, "_ftfy_fix_encoding", broken)
    assert Cleaner()(make("Le cafÃ© est chaud.")).text == "Le cafÃ© est chaud."


def test_trafilatura_logs_stay_quiet(cleaner: Cleaner, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EmptyText):
        cleaner(make(html="<html><body><script>var x = 1;</script></body></html>"))
    cleaner(make(html="<p>x</p><p>Only a fragment of text here.</p>"))
    assert [r for r in caplog.records if r.name.split(".")[0] in clean.HTML_LOGGERS] == []


def test_extraction_failure_falls_back_to_the_visible_text(monkeypatch: pytest.MonkeyPatch) -> None:
    tools = clean._html_tools()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(
        clean,
        "_html_tools",
        lambda: clean._HtmlTools(
            load_html=tools.load_html,
            bare_extraction=broken,
            html2txt=tools.html2txt,
            extract_title=tools.extract_title,
            find_date=tools.find_date,
        ),
    )
    article = Cleaner()(make(html=html_page("news_article_en.html")))
    assert "Engineers from Marlow & Daughters" in article.text
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert "window.dataLayer" not in article.text


# -- size and hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   \n\t  \n", "!!! ??? ... ---", "😀😀🎉👍", "12345 67 890", "\x00\x01\x02", "\u202e\u202c"]
)
def test_no_letters_is_empty_text(cleaner: Cleaner, text: str) -> None:
    with pytest.raises(EmptyText):
        cleaner(make(text))


def test_only_boilerplate_is_empty_text(cleaner: Cleaner) -> None:
    with pytest.raises(EmptyText):
        cleaner(make("-\nPREV Israele annette\nNEXT Altro\nInserito alle 6:48\n***"))


def test_one_megabyte_of_one_word_within_the_limit(cleaner: Cleaner) -> None:
    article = cleaner(make("a" * 1_000_000))
    assert article.text == "a" * 1_000_000


def test_one_megabyte_of_one_word_over_the_limit(cleaner: Cleaner) -> None:
    with pytest.raises(TooLarge):
        cleaner(make("a" * 1_000_001))


def test_limit_counts_utf8_bytes_not_characters(cleaner: Cleaner) -> None:
    with pytest.raises(TooLarge):
        cleaner(make("é" * 500_001))  # 500,001 characters, 1,000,002 bytes
    assert len(cleaner(make("é" * 500_000)).text) == 500_000


def test_html_over_the_limit_is_too_large() -> None:
    page = "<html><body><p>" + "word " * 300 + "</p></body></html>"
    with pytest.raises(TooLarge):
        Cleaner(max_article_bytes=1_000)(make(html=page))
    assert Cleaner(max_article_bytes=1_000, max_html_bytes=10_000)(make(html=page)).text.startswith("word word")


def test_huge_numbers_of_lines(cleaner: Cleaner) -> None:
    assert cleaner(make("\n" * 500_000 + "finally some text" + "\r\n" * 200_000)).text == "finally some text"
    many = cleaner(make("Riga di testo.\n" * 60_000))
    assert many.text == "\n".join(["Riga di testo."] * 60_000)


def test_huge_numbers_of_boilerplate_lines_list_a_bounded_number(cleaner: Cleaner) -> None:
    article = cleaner(make("-\n" * 200_000 + BODY))
    assert article.text == BODY
    assert len(article.boilerplate) == clean.MAX_LISTED_REMOVALS
    assert {r.reason for r in article.boilerplate} == {"separator"}


def test_long_line_without_spaces_and_lone_surrogates(cleaner: Cleaner) -> None:
    assert cleaner(make("x" * 300_000 + "\ud800 tail")).text == "x" * 300_000 + " tail"


def test_unexpected_bug_becomes_stage_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str) -> str:
        raise ZeroDivisionError("division by zero in a helper")

    monkeypatch.setattr(clean, "_normalize_chars", boom)
    with pytest.raises(StageFailure, match="ZeroDivisionError"):
        Cleaner()(make(BODY))


def test_record_errors_from_outside_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def timeout(text: str) -> str:
        raise StageTimeout("stage exceeded 10 s")

    monkeypatch.setattr(clean, "_normalize_chars", timeout)
    with pytest.raises(StageTimeout):
        Cleaner()(make(BODY))


def test_stage_shape() -> None:
    assert Cleaner.name == "clean"
    with pytest.raises(ValueError):
        Cleaner(max_article_bytes=0)


# -- properties --------------------------------------------------------------------------------

ANY_CHAR = st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF, categories=None)
BOILERPLATE_LINES = st.sampled_from(
    [SEED_HEADLINE, SEED_PREV, SEED_NEXT, "-", "***", "Inserito alle 6:48", "Posted at 6:48", "Share", "", " ", "\t"]
)
TEXTS = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.lists(st.one_of(BOILERPLATE_LINES, st.text(ANY_CHAR, max_size=60)), max_size=25).map("\n".join),
    st.lists(st.one_of(BOILERPLATE_LINES, st.text(max_size=60)), max_size=25).map("\r\n".join),
)


def assert_clean(value: str) -> None:
    assert unicodedata.is_normalized("NFC", value)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n" for ch in value)
    assert not (set(value) & BIDI_CONTROLS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, title=st.one_of(st.none(), st.text(ANY_CHAR, max_size=40)))
def test_property_text_is_clean_or_a_record_error(text: str, title: str | None) -> None:
    try:
        article = Cleaner()(make(text, title=title))
    except RecordError as exc:
        assert isinstance(exc, EmptyText | TooLarge)
        return
    assert_clean(article.text)
    assert article.text == article.text.strip() and "\n\n\n" not in article.text
    assert any(ch.isalpha() for ch in article.text)
    if article.title is not None:
        assert_clean(article.title)
        assert "\n" not in article.title
    assert all(removal.reason in REASONS for removal in article.boilerplate)
    assert article.html is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.text(ANY_CHAR, max_size=200), wrap=st.booleans())
def test_property_html_is_clean_or_a_record_error(body: str, wrap: bool) -> None:
    page = f"<html><body><article><p>{body}</p></article></body></html>" if wrap else body
    try:
        article = Cleaner()(make(html=page))
    except RecordError as exc:
        assert isinstance(exc, EmptyText)
        return
    assert_clean(article.text)
    assert article.html is None


# -- fast paths: each must only skip work that would change nothing ------------------------------

LATIN1_LINES = st.lists(
    st.text(st.characters(min_codepoint=0, max_codepoint=0xFF), max_size=40) | st.sampled_from(["a  b", "a\tb", "é ü"]),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(lines=LATIN1_LINES, sep=st.sampled_from(["\n", "\r\n", "\u2028", "\x85"]), wide=st.booleans())
def test_plain_lines_gate_never_skips_a_line_that_needs_cleaning(lines: list[str], sep: str, wide: bool) -> None:
    text = sep.join(lines) + ("’" if wide else "")
    if clean._plain_lines(text):
        for raw in text.splitlines():
            line = raw.strip()
            assert line.isprintable() and "  " not in line
            assert clean._clean_line(line) == line


def test_plain_lines_gate_takes_ordinary_text_and_leaves_the_rest() -> None:
    assert clean._plain_lines("Plain news.\n\nÜber München, à Paris.")
    assert not clean._plain_lines("two  spaces")
    assert not clean._plain_lines("a tab\there")
    assert not clean._plain_lines("crlf\r\nline")
    assert not clean._plain_lines("soft\u00adhyphen")
    assert not clean._plain_lines("curly ’ quote")  # not Latin-1: the per-line checks run


def test_latin1_text_is_always_nfc() -> None:
    # _normalize_chars skips the NFC check for Latin-1 text on this ground: no Latin-1 character
    # combines with another or decomposes, so any sequence of them is already NFC.
    chars = [chr(c) for c in range(256)]
    assert all(unicodedata.combining(ch) == 0 for ch in chars)
    assert all(unicodedata.is_normalized("NFC", a + b) for a in chars for b in chars)
    assert clean._is_latin1("Ça va, Müller?") and not clean._is_latin1("e\u0301") and not clean._is_latin1("’")


def test_latin1_text_with_blank_runs_is_still_normalised(cleaner: Cleaner) -> None:
    out = cleaner(make("Première  ligne\tavec\u00a0espaces.\n\nDeuxième ligne."))
    assert out.text == "Première ligne avec espaces.\n\nDeuxième ligne."
