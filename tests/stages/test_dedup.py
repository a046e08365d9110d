"""Dedup stage: one suite run against a plain dict and a JSON-round-tripping Table stand-in."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsflow.errors import MalformedRecord
from newsflow.models import Article
from newsflow.stages.dedup import (
    DEFAULT_BANDS,
    DEFAULT_ROWS,
    CompactBandIndex,
    Deduper,
    PrefixedStore,
    canonical_url,
    cluster_id_for,
    fingerprint,
    partition_key,
    shingles,
)

BBC = Path(__file__).resolve().parents[3] / "shared" / "data" / "news" / "bbc_news.jsonl"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class JsonTable:
    """Behaves like a Faust table with a JSON changelog: values are stored serialised,
    so a value mutated in place without being set again is lost, and anything that
    is not a JSON primitive fails at once."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        assert isinstance(key, str)
        raw = self.data.get(key)
        return default if raw is None else json.loads(raw)

    def __setitem__(self, key: str, value: Any) -> None:
        assert isinstance(key, str)
        self.data[key] = json.dumps(value, allow_nan=False)
        self.writes += 1

    def __delitem__(self, key: str) -> None:
        del self.data[key]

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)


@pytest.fixture(params=["dict", "table"])
def make_store(request: pytest.FixtureRequest) -> Callable[[], Any]:
    return dict if request.param == "dict" else JsonTable


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def art(article_id: str, text: str, seconds: float = 0.0, url: str | None = None) -> Article:
    return Article(id=article_id, text=text, ingested_at=at(seconds), url=url)


@pytest.fixture(scope="module")
def bbc() -> list[dict[str, str]]:
    with BBC.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def perturbed_seed(seed_text: str) -> str:
    """An aggregator copy: one headline instead of three, a new time stamp, no PREV/NEXT
    navigation, a trimmed last paragraph and a few copy edits."""
    lines = seed_text.splitlines()
    headline = lines[0]
    body = [ln for ln in lines if ln != headline and not ln.startswith(("PREV ", "NEXT "))]
    text = "\n".join([headline, *body])
    text = text.replace("Inserito alle 6:48", "Aggiornato alle 19:02")
    text = text.replace("ha dichiarato", "ha detto").replace("migliaia", "decine di migliaia")
    text = text.replace("Vladimir Putin", "Putin")
    return text + "\nCondividi questo articolo\n© 2025 Aggregatore"


# -- exact duplicates ------------------------------------------------------------------


def test_first_article_is_original_with_its_own_cluster(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    result = dedup(art("a", seed_text)).dedup
    assert result is not None
    assert result.status == "original"
    assert result.duplicate_of is None
    assert result.cluster_id == cluster_id_for("a")
    assert dedup.copies_seen(result.cluster_id) == 1


def test_same_text_under_another_id_is_exact_duplicate(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    first = dedup(art("a", seed_text)).dedup
    # Case and whitespace differences are normalised away before hashing.
    second = dedup(art("b", "  " + seed_text.upper().replace("\n\n", "\n"), 5)).dedup
    assert first is not None and second is not None
    assert second.status == "exact_duplicate"
    assert second.duplicate_of == "a"
    assert second.similarity == 1.0
    assert second.cluster_id == first.cluster_id
    assert second.content_hash == first.content_hash


def test_resent_id_is_exact_duplicate(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    dedup(art("a", seed_text))
    # Same id, edited text: still the same article delivered twice.
    again = dedup(art("a", seed_text + "\nAggiornamento.", 60)).dedup
    assert again is not None
    assert again.status == "exact_duplicate"
    assert again.duplicate_of == "a"


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example.com/world/story-1?utm_source=twitter&utm_medium=social",
        "http://example.com/world/story-1/",
        "https://EXAMPLE.com/world/story-1#comments",
        "https://example.com/world/story-1?fbclid=IwAR0abc&gclid=xyz",
    ],
)
def test_url_variant_is_exact_duplicate(make_store: Callable[[], Any], bbc: list[dict[str, str]], variant: str) -> None:
    dedup = Deduper(make_store())
    dedup(art("a", bbc[0]["text"], url="https://example.com/world/story-1"))
    # Different text (a different article body) but the same canonical URL.
    result = dedup(art("b", bbc[1]["text"], 10, url=variant)).dedup
    assert result is not None
    assert result.status == "exact_duplicate"
    assert result.duplicate_of == "a"


def test_canonical_url_keeps_what_identifies_the_page() -> None:
    assert canonical_url("https://www.Example.com/a/b/?utm_campaign=x&id=7#top") == "example.com/a/b?id=7"
    assert canonical_url("https://example.com/a/b?id=7") == canonical_url("http://www.example.com/a/b/?id=7")
    assert canonical_url("https://example.com/a/b?id=7") != canonical_url("https://example.com/a/b?id=8")
    assert canonical_url("https://example.com/a/b") != canonical_url("https://example.org/a/b")
    assert canonical_url(None) is None
    assert canonical_url("not a url") is None


# -- near duplicates -------------------------------------------------------------------


def test_perturbed_seed_is_near_duplicate(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    dedup(art("seed", seed_text))
    copy = perturbed_seed(seed_text)
    assert fingerprint(art("x", copy)).content_hash != fingerprint(art("y", seed_text)).content_hash
    result = dedup(art("copy", copy, 30)).dedup
    assert result is not None
    assert result.status == "near_duplicate"
    assert result.duplicate_of == "seed"
    assert result.similarity is not None and result.similarity >= dedup.threshold
    assert result.cluster_id == cluster_id_for("seed")


def test_clearly_different_articles_are_not_flagged(make_store: Callable[[], Any], bbc: list[dict[str, str]]) -> None:
    # Same category, same period, same outlet: the hard case for false positives.
    # Articles in the derived duplicate groups are left out.
    derived = json.loads(BBC.with_name("bbc_duplicates_derived.json").read_text())
    known = {x for group in derived["exact_dup_groups"] for x in group}
    known |= {x for a, b, _ in derived["near_dup_pairs_jaccard5"] for x in (a, b)}
    dedup = Deduper(make_store())
    items = [a for a in bbc if a["id"] not in known]
    sample = [a for a in items if a["category"] == "business"][:30] + [a for a in items if a["category"] == "sport"][
        :30
    ]
    for i, item in enumerate(sample):
        result = dedup(art(item["id"], item["text"], i)).dedup
        assert result is not None
        assert result.status == "original", item["id"]


def test_fingerprint_is_pure_and_deterministic(seed_text: str) -> None:
    a = fingerprint(art("a", seed_text))
    b = fingerprint(art("b", seed_text, 99))
    assert a == b
    assert len(a.minhash) == 128
    assert all(isinstance(x, int) and 0 <= x < 2**32 for x in a.minhash)
    assert fingerprint(art("c", "too short")).minhash == []
    # Digits and punctuation do not make new shingles: a new time stamp changes nothing here.
    assert shingles("Posted at 6:48. Prices rose") == shingles("Posted at 19:02 - prices rose!")


def test_deduper_fills_missing_fingerprint_and_keeps_given_one(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    article = dedup(art("a", seed_text))
    assert article.fingerprint == fingerprint(art("a", seed_text))
    given = art("b", "completely different words " * 10)
    given.fingerprint = fingerprint(art("a", seed_text))
    # The stage trusts the clean agent's fingerprint rather than recomputing it.
    assert dedup(given).dedup is not None
    assert given.dedup is not None and given.dedup.status == "exact_duplicate"


# -- clusters --------------------------------------------------------------------------


def test_copies_seen_counts_every_copy(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    cluster = dedup(art("seed", seed_text)).dedup.cluster_id  # type: ignore[union-attr]
    assert cluster is not None
    dedup(art("exact", seed_text, 1))
    dedup(art("near", perturbed_seed(seed_text), 2))
    dedup(art("seed", seed_text, 3))  # re-send
    assert dedup.copies_seen(cluster) == 4
    assert dedup.copies_seen("no-such-cluster") == 0


def test_duplicate_of_points_at_the_original_never_a_copy(make_store: Callable[[], Any], seed_text: str) -> None:
    dedup = Deduper(make_store())
    dedup(art("orig", seed_text))
    near = perturbed_seed(seed_text)
    first = dedup(art("copy1", near, 1)).dedup
    assert first is not None and first.duplicate_of == "orig"
    # Copies of the copy: exact text of copy1, a re-send of copy1's id, and a copy of copy1
    # edited further, all point at the original.
    exact_of_copy = dedup(art("copy2", near, 2)).dedup
    resent_copy = dedup(art("copy1", near, 3)).dedup
    edited = near.replace("Corea del Nord", "Nord Corea").replace("Kursk", "regione di Kursk")
    near_of_copy = dedup(art("copy3", edited, 4)).dedup
    for result in (exact_of_copy, resent_copy, near_of_copy):
        assert result is not None
        assert result.status in ("exact_duplicate", "near_duplicate")
        assert result.duplicate_of == "orig"
        assert result.cluster_id == cluster_id_for("orig")


# -- window ----------------------------------------------------------------------------


def test_window_expiry_deletes_keys_and_forgets_articles(
    make_store: Callable[[], Any], bbc: list[dict[str, str]]
) -> None:
    store = make_store()
    window = 600.0
    dedup = Deduper(store, window_seconds=window, bucket_seconds=60.0, chunk_size=4)
    old = bbc[100:140]
    for i, item in enumerate(old):
        dedup(art(item["id"], item["text"], i))
    filled = len(store)
    assert store.get(f"m:{old[0]['id']}") is not None
    assert any(key.startswith("b:") for key in store)

    # Within the window: still a duplicate.
    assert dedup(art("dup", old[0]["text"], window - 100)).dedup.status == "exact_duplicate"  # type: ignore[union-attr]

    # Event time moves past the window; new articles arrive and sweep a little each.
    fresh = bbc[200:215]
    for i, item in enumerate(fresh):
        dedup(art(item["id"], item["text"], 3 * window + i))
    assert len(store) < filled
    for item in old:
        assert f"m:{item['id']}" not in store
        assert f"i:{item['id']}" not in store
    old_keys = [k for k in store if k.startswith(("m:", "i:")) and k[2:] in {o["id"] for o in old}]
    assert old_keys == []
    # Every LSH bucket left refers only to live articles.
    live = {f["id"] for f in fresh}
    for key in [k for k in store if k.startswith("b:")]:
        assert set(store.get(key)) <= live, key
    # An old article seen again after the window is a new original.
    again = dedup(art("again", old[1]["text"], 3 * window + 100)).dedup
    assert again is not None and again.status == "original"


def test_store_stays_bounded_in_steady_state(make_store: Callable[[], Any], bbc: list[dict[str, str]]) -> None:
    store = make_store()
    dedup = Deduper(store, window_seconds=20.0, bucket_seconds=2.0)
    sizes = []
    for i, item in enumerate(bbc[:300]):
        dedup(art(item["id"], item["text"], i))
        if i % 50 == 49:
            sizes.append(len(store))
    # One article per second, 20 s window: the store holds ~20-25 articles' keys, not 300.
    assert max(sizes[1:]) < 1.3 * sizes[1]
    assert sum(1 for k in store if k.startswith("m:")) <= 30


def test_late_article_does_not_resurrect_expired_state(make_store: Callable[[], Any], seed_text: str) -> None:
    store = make_store()
    dedup = Deduper(store, window_seconds=100.0, bucket_seconds=10.0)
    dedup(art("new", "fresh text about something else entirely " * 5, 1000))
    # Ingested long ago but arriving now: judged against what is in the store, and its
    # keys go to the newest bucket so the sweep can still find them.
    late = dedup(art("late", seed_text, 0)).dedup
    assert late is not None and late.status == "original"
    newest = int((T0 + timedelta(seconds=1000)).timestamp() // 10)
    own = int(T0.timestamp() // 10)
    assert store.get("m:late")[1] == newest
    assert f"t:{own}" not in store
    assert store.get("t:live") == [newest]


def test_prefixed_store_keeps_shards_apart(seed_text: str) -> None:
    shared: dict[str, Any] = {}
    left = Deduper(PrefixedStore(shared, "p0/"))
    right = Deduper(PrefixedStore(shared, "p1/"))
    left(art("a", seed_text))
    result = right(art("b", seed_text, 1)).dedup
    assert result is not None and result.status == "original"
    assert all(key.startswith(("p0/", "p1/")) for key in shared)


def test_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError):
        Deduper({}, threshold=0.0)
    with pytest.raises(ValueError):
        Deduper({}, bands=100, rows=2)
    with pytest.raises(ValueError):
        Deduper({}, window_seconds=0)


def test_bad_ingested_at_is_a_malformed_record(seed_text: str) -> None:
    with pytest.raises(MalformedRecord):
        Deduper({})(Article(id="a", text=seed_text, ingested_at="yesterday"))


def test_naive_ingested_at_is_utc(seed_text: str) -> None:
    store: dict[str, Any] = {}
    Deduper(store, window_seconds=3600)(Article(id="a", text=seed_text, ingested_at="2025-03-01T12:00:00"))
    aware: dict[str, Any] = {}
    Deduper(aware, window_seconds=3600)(Article(id="a", text=seed_text, ingested_at="2025-03-01T12:00:00+00:00"))
    assert store == aware


def test_a_replayed_input_record_gets_its_first_verdict_back(seed_text: str) -> None:
    """Reprocessing the same input record (same origin) must not turn an original into its own duplicate."""
    from newsflow.models import Article

    deduper = Deduper({})
    first = Article(id="a", text=seed_text, ingested_at="2026-11-27T20:00:00Z", origin="news.raw/0/7")
    assert deduper(first).dedup is not None and first.dedup.status == "original"
    replay = Article(id="a", text=seed_text, ingested_at="2026-11-27T20:00:05Z", origin="news.raw/0/7")
    assert deduper(replay).dedup == first.dedup
    resend = Article(id="a", text=seed_text, ingested_at="2026-11-27T20:00:09Z", origin="news.raw/1/3")
    verdict = deduper(resend).dedup
    assert verdict is not None and verdict.status == "exact_duplicate" and verdict.duplicate_of == "a"


def test_a_replayed_original_is_original_even_if_its_verdict_record_was_lost(seed_text: str) -> None:
    """The verdict key can be lost with a rolled-back transaction while the id key survives."""
    from newsflow.models import Article

    store: dict[str, object] = {}
    deduper = Deduper(store)  # type: ignore[arg-type]
    first = Article(id="a", text=seed_text, ingested_at="2026-11-27T20:00:00Z", origin="news.raw/0/7")
    deduper(first)
    del store["v:a"]
    replay = Article(id="a", text=seed_text, ingested_at="2026-11-27T20:00:05Z", origin="news.raw/0/7")
    verdict = deduper(replay).dedup
    assert verdict is not None and verdict.status == "original" and verdict.duplicate_of is None
    resend = Article(id="a", text=seed_text, ingested_at="2026-11-27T20:00:09Z", origin="news.raw/2/1")
    assert deduper(resend).dedup.status == "exact_duplicate"  # type: ignore[union-attr]


# -- band index as derived state -------------------------------------------------------


def _stream(bbc: list[dict[str, str]], seed_text: str) -> list[Article]:
    """Originals, near copies and exact copies, interleaved, one per second."""
    items = [art(item["id"], item["text"], i) for i, item in enumerate(bbc[300:360])]
    items.insert(10, art("seed", seed_text, 10.5))
    items.insert(20, art("seed-copy", perturbed_seed(seed_text), 20.5))
    items.insert(30, art("bbc-copy", bbc[305]["text"], 30.5))
    return items


def _verdicts(dedup: Deduper, articles: list[Article]) -> list[tuple[str, str | None]]:
    out = []
    for article in articles:
        result = dedup(Article(id=article.id, text=article.text, ingested_at=article.ingested_at)).dedup
        assert result is not None
        out.append((result.status, result.duplicate_of))
    return out


def test_band_index_kept_apart_gives_the_same_verdicts_and_keeps_bands_out_of_the_store(
    bbc: list[dict[str, str]], seed_text: str
) -> None:
    stream = _stream(bbc, seed_text)
    together = JsonTable()
    apart = JsonTable()
    index: dict[str, Any] = {}
    expected = _verdicts(Deduper(together), stream)
    assert _verdicts(Deduper(apart, band_index=index), stream) == expected
    assert ("near_duplicate", "seed") in expected and ("exact_duplicate", bbc[305]["id"]) in expected
    assert not any(key.startswith("b:") for key in apart)
    assert index == {key: together.get(key) for key in together if key.startswith("b:")}
    # The point of keeping them apart: far fewer durable writes per article.
    assert apart.writes < together.writes / 4


def compact_index() -> CompactBandIndex:
    # Merging every few articles puts most lookups on the sorted arrays, not the recent dict.
    return CompactBandIndex(bands=DEFAULT_BANDS, rows=DEFAULT_ROWS, keep=8, merge_entries=4 * DEFAULT_BANDS)


def test_compact_band_index_gives_the_same_verdicts_with_a_fifth_of_the_writes(
    bbc: list[dict[str, str]], seed_text: str
) -> None:
    stream = _stream(bbc, seed_text)
    together = JsonTable()
    apart = JsonTable()
    expected = _verdicts(Deduper(together), stream)
    assert _verdicts(Deduper(apart, band_index=compact_index()), stream) == expected
    assert ("near_duplicate", "seed") in expected
    assert not any(key.startswith("b:") for key in apart)
    assert apart.writes < together.writes / 4


def test_compact_band_index_forgets_expired_articles(seed_text: str) -> None:
    index = compact_index()
    dedup = Deduper({}, band_index=index, window_seconds=3600)  # type: ignore[arg-type]
    first = dedup(art("seed", seed_text, 0.0)).dedup
    assert first is not None and first.status == "original" and len(index) == 1
    # Articles two windows later sweep the expired buckets, the seed's signature with them.
    for k in range(40):
        dedup(art(f"later-{k}", f"unrelated story number {k} " * 20, 7300.0 + k))
    assert "seed" not in index._slot_of
    copy = dedup(art("copy", perturbed_seed(seed_text), 7400.0)).dedup
    assert copy is not None and copy.status == "original"


def test_a_band_index_cut_differently_from_the_deduper_is_refused() -> None:
    index = CompactBandIndex(bands=16, rows=4, keep=8)
    with pytest.raises(ValueError, match="16 bands of 4 rows"):
        Deduper({}, band_index=index)  # type: ignore[arg-type]


@pytest.mark.parametrize("make_index", [dict, compact_index], ids=["mapping", "compact"])
def test_band_index_rebuilt_from_the_store_finds_the_same_copies(
    bbc: list[dict[str, str]], seed_text: str, make_index: Callable[[], Any]
) -> None:
    stream = _stream(bbc, seed_text)
    store = JsonTable()
    live = Deduper(store, band_index=make_index())
    _verdicts(live, stream[:15])  # the seed is in the store now
    later = [art("late-copy", perturbed_seed(seed_text), 100.0), *stream[15:]]
    # A worker that takes the partition over has the store (from the changelog) but no index.
    not_rebuilt_store = JsonTable()
    not_rebuilt_store.data = dict(store.data)
    assert _verdicts(Deduper(not_rebuilt_store, band_index=make_index()), later[:1]) == [("original", None)]
    rebuilt = Deduper(store, band_index=make_index())
    assert rebuilt.rebuild_band_index((key, store.get(key)) for key in store) == 15
    assert _verdicts(rebuilt, later)[0] == ("near_duplicate", "seed")


def test_rebuild_refuses_when_the_index_is_the_store(seed_text: str) -> None:
    with pytest.raises(ValueError, match="nothing to rebuild"):
        Deduper({}).rebuild_band_index([])


# -- routing to dedup partitions -----------------------------------------------------------


def with_words_swapped(text: str, swaps: int, rng: random.Random) -> str:
    """A copy edited as the throughput benchmark's near copies are: a few pairs of words swapped."""
    words = text.split(" ")
    for _ in range(swaps):
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    return " ".join(words)


def test_exact_and_near_copies_are_routed_to_the_original_s_dedup_partition(bbc: list[dict[str, str]]) -> None:
    # With several dedup partitions an article meets only its own partition's articles. Keyed by
    # the content hash, no near copy shared its original's key (1 in P landed together by chance).
    # Keyed by the first MinHash value, a copy shares it with probability = its Jaccard similarity.
    rng = random.Random(20261130)
    originals = [item["text"] for item in bbc[:300]]
    same_key = same_content_hash = 0
    similarities = []
    for index, text in enumerate(originals):
        original = fingerprint(art(f"o{index}", text))
        assert partition_key(fingerprint(art(f"x{index}", text)), f"x{index}") == partition_key(original, f"o{index}")
        near = fingerprint(art(f"n{index}", with_words_swapped(text, rng.randint(3, 8), rng)))
        same_key += partition_key(near, f"n{index}") == partition_key(original, f"o{index}")
        same_content_hash += near.content_hash == original.content_hash
        similarities.append(sum(a == b for a, b in zip(near.minhash, original.minhash, strict=True)) / 128)
    mean_similarity = sum(similarities) / len(similarities)
    assert same_content_hash == 0
    assert same_key / len(originals) >= 0.75, same_key
    assert abs(same_key / len(originals) - mean_similarity) < 0.06, (same_key, mean_similarity)


def test_a_text_too_short_for_a_signature_is_routed_by_its_content_hash() -> None:
    short = fingerprint(art("s", "Breaking news."))
    assert short.minhash == []
    assert partition_key(short, "s") == short.content_hash
    assert partition_key(None, "the-id") == "the-id"
