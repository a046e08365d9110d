"""Clean-stage speed on ~5 KB articles, plain text and HTML, against baselines from the same run.

    /work/venv/bin/python benchmarks/clean.py [--articles N] [--rounds R] [--with-language]

Articles are real BBC texts (``../shared/data/news/bbc_news.jsonl``, read in place), sampled
with a fixed, printed seed and padded with following articles' paragraphs to about 5 KB.
Each gets the seed's scraped boilerplate: the headline three times, a ``-`` separator, a
"posted at" line after the first paragraph (rotating through it/en/fr/de/es phrasings), a
closing separator and ``PREV``/``NEXT`` lines. No ``title`` is given, so title detection runs.

1. Plain text: :class:`Cleaner` against a naive pass (``unicodedata.normalize("NFC")`` plus
   ``split``/``strip`` of every line), which removes nothing.
2. HTML: the same articles as pages with a cookie banner, navigation, share buttons, scripts,
   styles, entities and a footer; :class:`Cleaner` against ``trafilatura.extract`` with its
   defaults (text only, metadata not kept).
   Also: the same texts with mojibake (UTF-8 read as Latin-1), against ``ftfy.fix_text`` alone.
3. ``--with-language``: clean + :class:`LanguageTagger` combined, when
   ``newsflow.stages.language`` exists (target: <= 500 µs median per 5 KB article), and the
   tagger alone on the cleaned articles. Each is timed in its own pass over the articles, so
   no timed call sees an article the call before it just read (``--language-mode`` picks
   the tagger's ``short_text``; default ``accurate``, the stage's default).

Times are medians per article over ``R`` rounds, both CPU (``time.thread_time_ns``, robust to
other jobs on a shared machine) and wall clock (``time.perf_counter_ns``); targets are judged on CPU.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import platform
import random
import statistics
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsflow.models import Article
from newsflow.stages.clean import Cleaner

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BBC_NEWS = DATA / "news" / "bbc_news.jsonl"
SEED = 20261127
TARGET_BYTES = 5_000
POSTED = ("Inserito alle 6:48", "Posted at 6:48", "Publié à 6h48", "Veröffentlicht um 6:48", "Publicado a las 6:48")

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Daily Example</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2024-03-{day:02d}T07:45:00+00:00">
<style>body {{ font-family: serif; }} .cookie {{ position: fixed; }}</style>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
</head><body>
<div class="cookie"><p>We use cookies to improve your experience. By continuing to browse you accept our use of
cookies.</p><button>Accept all cookies</button></div>
<header><a href="/">The Daily Example</a><nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/business">Business</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter</p>
<div class="share"><a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">Email</a></div>
{paragraphs}
</article><aside><h2>Related stories</h2><ul><li><a href="/a">{other}</a></li></ul></aside></main>
<footer><p>Read more: <a href="/news">Latest news</a></p><p>&copy; 2024 The Daily Example. All rights reserved.</p>
</footer><script src="/app.js"></script></body></html>
"""


def load_bbc() -> list[dict[str, str]]:
    with BBC_NEWS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def build_articles(rows: list[dict[str, str]], count: int, rng: random.Random) -> list[tuple[str, list[str], str]]:
    """(title, paragraphs of ~5 KB, another article's title for the PREV/NEXT lines), sampled."""
    picks = rng.sample(range(len(rows)), count)
    articles = []
    for number, index in enumerate(picks):
        paragraphs: list[str] = []
        size = 0
        step = 0
        while size < TARGET_BYTES - 450:  # the boilerplate lines add the rest
            source = rows[(index + step) % len(rows)]["text"]
            for paragraph in (p.strip() for p in source.split("\n\n")):
                if paragraph and size < TARGET_BYTES - 450:
                    paragraphs.append(paragraph)
                    size += len(paragraph.encode("utf-8")) + 2
            step += 1
        other = rows[picks[(number + 1) % count]]["title"]
        articles.append((rows[index]["title"], paragraphs, other))
    return articles


def plain_text(title: str, paragraphs: list[str], other: str, number: int) -> str:
    head = f"{title}\n\n{title}\n{title}\n-\n\n{paragraphs[0]}\n\n\n{POSTED[number % len(POSTED)]}\n\n"
    tail = f"\n\n-\n\nPREV {other}\nNEXT {title}"
    return head + "\n\n".join(paragraphs[1:]) + tail


def html_page(title: str, paragraphs: list[str], other: str, number: int) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return PAGE.format(title=html.escape(title), paragraphs=body, other=html.escape(other), day=1 + number % 28)


def naive_clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def language_tagger(mode: str) -> Callable[[Article], Article] | None:
    if importlib.util.find_spec("newsflow.stages.language") is None:
        return None
    from newsflow.stages.language import LanguageTagger

    tagger: Callable[[Article], Article] = LanguageTagger(short_text=mode).load()  # type: ignore[arg-type]
    return tagger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--html-articles", type=int, default=100)
    parser.add_argument("--with-language", action="store_true", help="also time clean + LanguageTagger")
    parser.add_argument("--language-mode", default="accurate", choices=["accurate", "balanced", "fast", "off"])
    args = parser.parse_args()

    rng = random.Random(SEED)
    print(f"seed={SEED} articles={args.articles} rounds={args.rounds} python={platform.python_version()}")
    rows = load_bbc()
    samples = build_articles(rows, args.articles, rng)
    texts = [plain_text(*sample, number) for number, sample in enumerate(samples)]
    sizes = [len(text.encode("utf-8")) for text in texts]
    print(f"plain-text articles: median {statistics.median(sizes):.0f} bytes (min {min(sizes)}, max {max(sizes)})")

    cleaner = Cleaner()
    for number in range(min(len(texts), 20)):  # warm-up, and a check that the benchmark measures real work
        done = cleaner(Article(id=str(number), text=texts[number], ingested_at="2024-01-01T00:00:00Z"))
        assert [r.reason for r in done.boilerplate].count("repeated_headline") == 3, done.boilerplate
        assert done.posted_at in {"6:48", "6h48"} and "PREV" not in done.text, done.posted_at

    # Each Article is built outside the timed call: only the stage is measured.
    plain = Samples()
    naive = Samples()
    for _ in range(args.rounds):
        for number, text in enumerate(texts):
            article = Article(id=str(number), text=text, ingested_at="2024-01-01T00:00:00Z")
            plain.time(cleaner, article)
            naive.time(naive_clean, text)
    print(f"plain  Cleaner              {plain}")
    print(f"plain  naive NFC+strip      {naive}")
    verdict = "met" if plain.cpu_us <= 200 else "MISSED"
    print(f"plain  ratio Cleaner/naive  {plain.ratio(naive)}   target <= 200 µs (CPU median): {verdict}")

    # Mojibake (UTF-8 read as Latin-1) takes the ftfy path; ftfy.fix_text alone is its baseline.
    import ftfy

    broken = [text.encode("utf-8").decode("latin-1") for text in texts[:40]]
    assert sum(text != original for text, original in zip(broken, texts[:40], strict=True)) >= 20
    repaired = cleaner(Article(id="m", text=broken[0], ingested_at="2024-01-01T00:00:00Z"))
    assert "Ã" not in repaired.text and "â€" not in repaired.text
    mojibake = Samples()
    fix_text = Samples()
    for number, text in enumerate(broken):
        mojibake.time(cleaner, Article(id=str(number), text=text, ingested_at="2024-01-01T00:00:00Z"))
        fix_text.time(ftfy.fix_text, text)
    print(f"mojibake Cleaner            {mojibake}")
    print(f"mojibake ftfy.fix_text      {fix_text}")

    import trafilatura

    count = min(args.html_articles, len(samples))
    pages = [html_page(*samples[number], number) for number in range(count)]
    page_sizes = [len(page.encode("utf-8")) for page in pages]
    print(f"html pages: median {statistics.median(page_sizes):.0f} bytes")
    for number in range(min(count, 5)):
        done = cleaner(Article(id="w", text="", html=pages[number], ingested_at="2024-01-01T00:00:00Z"))
        assert done.title == samples[number][0] and done.published_at, (done.title, done.published_at)
        assert "cookies" not in done.text and html.unescape(samples[number][1][-1]) in done.text
    html_clean = Samples()
    traf = Samples()
    for _ in range(max(1, args.rounds // 2)):
        for number in range(count):
            article = Article(id=str(number), text="", html=pages[number], ingested_at="2024-01-01T00:00:00Z")
            html_clean.time(cleaner, article)
            traf.time(trafilatura.extract, pages[number])
    print(f"html   Cleaner              {html_clean}")
    print(f"html   trafilatura.extract  {traf}")
    print(f"html   ratio Cleaner/trafilatura.extract  {html_clean.ratio(traf)}")

    if args.with_language:
        tagger = language_tagger(args.language_mode)
        if tagger is None:
            print("--with-language: newsflow.stages.language not found; skipped")
            return
        for number in range(min(len(texts), 20)):
            tagger(cleaner(Article(id=str(number), text=texts[number], ingested_at="2024-01-01T00:00:00Z")))
        both = Samples()
        lang_only = Samples()
        # Separate passes, so that every timed call meets its article for the first time in the
        # pass, as a stream worker does: a second call on the same text finds fastText's rows
        # for its n-grams still in the CPU cache and runs ~1.5x faster (the old loop timed the
        # tagger right after clean+language on the same article).
        for _ in range(args.rounds):
            cleaned = [
                cleaner(Article(id=str(number), text=text, ingested_at="2024-01-01T00:00:00Z"))
                for number, text in enumerate(texts)
            ]
            for article in cleaned:
                lang_only.time(tagger, article)
            for number, text in enumerate(texts):
                article = Article(id=str(number), text=text, ingested_at="2024-01-01T00:00:00Z")
                both.time(lambda a: tagger(cleaner(a)), article)
        print(f"plain  LanguageTagger       {lang_only}   (short_text={args.language_mode})")
        verdict = "met" if both.cpu_us <= 500 else "MISSED"
        print(f"plain  clean+language       {both}   target <= 500 µs (CPU median): {verdict}")


class Samples:
    """Per-call wall-clock and CPU (thread) times; CPU time is what other jobs on a shared box disturb least."""

    def __init__(self) -> None:
        self.wall: list[int] = []
        self.cpu: list[int] = []

    def time(self, call: Callable[[Any], object], argument: Any) -> None:
        wall = time.perf_counter_ns()
        cpu = time.thread_time_ns()
        call(argument)
        self.cpu.append(time.thread_time_ns() - cpu)
        self.wall.append(time.perf_counter_ns() - wall)

    @property
    def cpu_us(self) -> float:
        return statistics.median(self.cpu) / 1000

    @property
    def wall_us(self) -> float:
        return statistics.median(self.wall) / 1000

    def ratio(self, baseline: Samples) -> str:
        return f"{self.cpu_us / baseline.cpu_us:.2f}x CPU, {self.wall_us / baseline.wall_us:.2f}x wall"

    def __str__(self) -> str:
        p90 = sorted(self.wall)[int(len(self.wall) * 0.9)] / 1000
        return (
            f"median {self.cpu_us:8.1f} µs CPU  {self.wall_us:8.1f} µs wall  (wall p90 {p90:.1f})  n={len(self.wall)}"
        )


if __name__ == "__main__":
    main()
