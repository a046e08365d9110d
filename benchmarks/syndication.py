"""Build a syndication test set: real BBC articles re-published the way aggregators do it.

Every copy keeps the original's text but gets a seeded mix of the changes seen on
aggregator sites: the headline repeated above the body, navigation and footer lines,
a new time stamp, the tail cut off, the lead sentence trimmed and light copy edits.
Used by ``benchmarks/dedup.py``; run this file alone to print a few examples.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news"
BBC_NEWS = DATA / "bbc_news.jsonl"

NAV_LINES = (
    "Share this article",
    "Share on Facebook Share on Twitter Share by email",
    "PREV Markets close higher NEXT Weather warning for the weekend",
    "Related stories",
    "Read more:",
    "Advertisement",
    "Subscribe to our newsletter for the latest headlines",
    "Most read",
    "Follow us on social media",
)
FOOTER_LINES = (
    "© 2025 NewsWire Aggregator. All rights reserved.",
    "This article was originally published by BBC News.",
    "Copyright BBC. Reproduced under licence.",
    "Terms of use | Privacy policy | Contact us",
    "Read the full story at the source.",
)
STAMPS = (
    "Posted at {h}:{m:02d}",
    "Updated {h}:{m:02d} GMT",
    "Published {d} March 2025, {h}:{m:02d}",
    "Inserito alle {h}:{m:02d}",
    "{d}/03/2025 {h}:{m:02d}",
)
# Light copy edits an editor or a localising aggregator makes.
SWAPS = (
    ("said", "says"),
    ("says", "said"),
    ("per cent", "%"),
    ("Mr ", "Mr. "),
    ("Ms ", "Ms. "),
    ("programme", "program"),
    ("organisation", "organization"),
    ("colour", "color"),
    ("whilst", "while"),
    ("the firm", "the company"),
    ("however", "but"),
    ("also ", ""),
    ("very ", ""),
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    text: str
    title: str | None
    group: str  # the BBC id this item was made from (itself for an original)


def load_bbc(path: Path = BBC_NEWS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def perturb(title: str, text: str, rng: random.Random) -> tuple[str, list[str]]:
    """One aggregator copy of ``text``; returns the new text and the changes made."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    changes: list[str] = []
    if rng.random() < 0.5 and len(paragraphs) > 3:
        keep = max(2, round(len(paragraphs) * rng.uniform(0.5, 0.9)))
        paragraphs = paragraphs[:keep]
        changes.append(f"truncate:{keep}")
    if rng.random() < 0.4:
        sentences = SENTENCE_END.split(paragraphs[0], maxsplit=1)
        if len(sentences) == 2:
            paragraphs[0] = sentences[1]
        elif len(paragraphs) > 2:
            paragraphs = paragraphs[1:]
        changes.append("trim_lead")
    if rng.random() < 0.7:
        edits = 0
        for _ in range(rng.randint(2, 6)):
            old, new = rng.choice(SWAPS)
            idx = rng.randrange(len(paragraphs))
            if old in paragraphs[idx]:
                paragraphs[idx] = paragraphs[idx].replace(old, new, 1)
                edits += 1
        # Drop or double a few words, as hurried re-keying does.
        for _ in range(rng.randint(1, 4)):
            idx = rng.randrange(len(paragraphs))
            words = paragraphs[idx].split()
            if len(words) > 5:
                pos = rng.randrange(len(words))
                if rng.random() < 0.5:
                    del words[pos]
                else:
                    words.insert(pos, words[pos])
                paragraphs[idx] = " ".join(words)
                edits += 1
        changes.append(f"edits:{edits}")
    head: list[str] = []
    if rng.random() < 0.6:
        repeats = rng.randint(1, 3)
        head.extend([title] * repeats)
        changes.append(f"headline:{repeats}")
    if rng.random() < 0.6:
        head.append(rng.choice(STAMPS).format(h=rng.randint(0, 23), m=rng.randint(0, 59), d=rng.randint(1, 28)))
        changes.append("stamp")
    if rng.random() < 0.5:
        nav = rng.sample(NAV_LINES, rng.randint(1, 3))
        for line in nav:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), line)
        changes.append(f"nav:{len(nav)}")
    tail: list[str] = []
    if rng.random() < 0.5:
        tail = rng.sample(FOOTER_LINES, rng.randint(1, 2))
        changes.append(f"footer:{len(tail)}")
    if not changes:
        head.append(title)
        changes.append("headline:1")
    return "\n\n".join([*head, *paragraphs, *tail]), changes


def build(
    articles: list[dict[str, str]],
    *,
    seed: int,
    n_originals: int,
    exclude: set[str] | frozenset[str] = frozenset(),
    max_copies: int = 3,
) -> tuple[list[Item], dict[str, list[str]]]:
    """Originals (every usable BBC article) plus 1..max_copies perturbed copies of ``n_originals`` of them.

    ``exclude`` drops BBC articles that are already duplicates of each other, so the only
    positive pairs are the ones made here. Returns the items in a seeded shuffled order,
    and the changes applied to each copy.
    """
    rng = random.Random(seed)
    pool = [a for a in articles if a["id"] not in exclude]
    chosen = rng.sample(pool, n_originals)
    items = [Item(a["id"], a["text"], a.get("title"), a["id"]) for a in pool]
    changes: dict[str, list[str]] = {}
    for art in chosen:
        for k in range(rng.randint(1, max_copies)):
            text, what = perturb(art.get("title") or "", art["text"], rng)
            copy_id = f"{art['id']}#copy{k}"
            items.append(Item(copy_id, text, art.get("title"), art["id"]))
            changes[copy_id] = what
    rng.shuffle(items)
    return items, changes


def main() -> None:
    seed = 20251127
    print(f"seed={seed}")
    items, changes = build(load_bbc(), seed=seed, n_originals=3)
    for item in items:
        if item.id in changes:
            print(f"--- {item.id} {changes[item.id]}\n{item.text[:600]}\n")


if __name__ == "__main__":
    main()
