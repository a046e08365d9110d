"""The in-memory band index answers like the band lists kept in a store."""

from __future__ import annotations

import random
from array import array

import pytest

from newsflow.stages.dedup_bands import CompactBandIndex, StoreBandIndex

BANDS, ROWS = 8, 2


def signature(rng: random.Random, alphabet: int) -> bytes:
    """A packed signature whose slots come from a small alphabet, so that bands collide often."""
    return array("I", [rng.randrange(alphabet) for _ in range(BANDS * ROWS)]).tobytes()


@pytest.mark.parametrize("merge_entries", [BANDS, 5 * BANDS, 1 << 20])
def test_candidates_match_the_store_lists_through_adds_and_removes(merge_entries: int) -> None:
    rng = random.Random(merge_entries)
    # keep is larger than any band gets here, so both keep every live member.
    store = StoreBandIndex({}, bands=BANDS, rows=ROWS, keep=10_000, durable=False)
    compact = CompactBandIndex(bands=BANDS, rows=ROWS, keep=10_000, merge_entries=merge_entries)
    live: dict[str, bytes] = {}
    for step in range(1500):
        if live and rng.random() < 0.4:
            article_id = rng.choice(sorted(live))
            sig = live.pop(article_id)
            store.remove(article_id, sig)
            compact.remove(article_id, sig)
        else:
            article_id = f"a{step}"
            live[article_id] = signature(rng, 3)
            store.add(article_id, live[article_id])
            compact.add(article_id, live[article_id])
        probe = signature(rng, 3)
        assert compact.candidates(probe) == store.candidates(probe), step
    assert len(compact) == len(live)


def test_a_band_gives_its_newest_live_members_only() -> None:
    index = CompactBandIndex(bands=BANDS, rows=ROWS, keep=3, merge_entries=2 * BANDS)
    same = bytes(4 * BANDS * ROWS)
    for k in range(6):
        index.add(f"a{k}", same)
    assert index.candidates(same) == {"a3": BANDS, "a4": BANDS, "a5": BANDS}
    index.remove("a5", same)
    assert index.candidates(same) == {"a2": BANDS, "a3": BANDS, "a4": BANDS}
    index.add("a3", same)  # already there: no change of place
    assert index.candidates(same) == {"a2": BANDS, "a3": BANDS, "a4": BANDS}


def test_memory_follows_the_live_articles_not_all_ever_seen() -> None:
    rng = random.Random(7)
    index = CompactBandIndex(bands=BANDS, rows=ROWS, keep=8, merge_entries=64 * BANDS)
    kept: dict[str, bytes] = {}
    for k in range(20_000):
        sig = signature(rng, 1 << 30)
        index.add(f"a{k}", sig)
        if k % 50 == 0:
            kept[f"a{k}"] = sig
        else:
            index.remove(f"a{k}", sig)
    assert len(index) == len(kept) == 400
    # Merges drop dead entries and renumber: a few thousand slots, not 20,000.
    assert len(index._ids) < 3_000
    assert index.memory_bytes() < 200_000
    for article_id, sig in kept.items():
        assert index.candidates(sig) == {article_id: BANDS}


def test_the_compact_index_is_derived_state() -> None:
    assert not CompactBandIndex(bands=BANDS, rows=ROWS, keep=8).durable
    assert StoreBandIndex({}, bands=BANDS, rows=ROWS, keep=8).durable
