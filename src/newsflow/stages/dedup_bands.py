"""Where the Deduper's LSH band lists live: in its store, or in compact arrays in memory.

A MinHash signature is cut into ``bands`` bands of ``rows`` slots; two articles that share a
band are compared. An index maps each band value to the articles that had it.

* :class:`StoreBandIndex` keeps the lists in a mapping (a Faust table in production), one key
  per band: durable, but ~32 changelog writes per original article and as many deletes when
  it expires. Those writes were ~60 % of a worker's CPU (docs/benchmarks/throughput.md).
* :class:`CompactBandIndex` keeps them in memory as derived state, rebuilt from the stored
  signatures when a worker takes a partition over: two numpy arrays sorted by band hash plus a
  small dict of recent additions (a log-structured merge), about 0.6 KB per article instead of the ~6 KB that Python
  lists in a dict cost.

Both answer :meth:`BandIndex.candidates` with the newest ``keep`` live members of each band.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import xxhash

__all__ = ["BandIndex", "CompactBandIndex", "StoreBandIndex"]


class BandIndex(Protocol):
    """The Deduper's view of its LSH index."""

    bands: int
    rows: int

    @property
    def durable(self) -> bool:
        """True when the lists live in the changelogged store (nothing to rebuild)."""
        ...

    def add(self, article_id: str, signature: bytes) -> None: ...
    def remove(self, article_id: str, signature: bytes) -> None: ...
    def candidates(self, signature: bytes) -> dict[str, int]:
        """Indexed articles sharing a band with ``signature``, with the number of bands shared."""
        ...


class _Mapping(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __delitem__(self, key: str) -> None: ...


class StoreBandIndex:
    """Band lists as ``b:<band>:<xxh3 of the band>`` keys of a mapping, newest ``keep`` members each."""

    def __init__(self, store: _Mapping, *, bands: int, rows: int, keep: int, durable: bool = True) -> None:
        self.store = store
        self.bands = bands
        self.rows = rows
        self.keep = keep
        self._durable = durable

    @property
    def durable(self) -> bool:
        return self._durable

    def keys(self, signature: bytes) -> list[str]:
        width = self.rows * 4
        return [
            f"b:{band}:{xxhash.xxh3_64_hexdigest(signature[band * width : (band + 1) * width])}"
            for band in range(self.bands)
        ]

    def add(self, article_id: str, signature: bytes) -> None:
        store = self.store
        for key in self.keys(signature):
            members = store.get(key) or []
            kept = [member for member in members if member != article_id][-(self.keep - 1) :]
            kept.append(article_id)
            store[key] = kept

    def remove(self, article_id: str, signature: bytes) -> None:
        store = self.store
        for key in self.keys(signature):
            members = store.get(key)
            if members is None:
                continue
            kept = [member for member in members if member != article_id]
            if not kept:
                del store[key]
            elif len(kept) != len(members):
                store[key] = kept

    def candidates(self, signature: bytes) -> dict[str, int]:
        store = self.store
        hits: dict[str, int] = {}
        for key in self.keys(signature):
            for member in store.get(key) or ():
                hits[member] = hits.get(member, 0) + 1
        return hits


_Run = tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32]]


class CompactBandIndex:
    """An in-memory band index in sorted arrays; derived state, never written to a changelog.

    Every indexed article gets a *slot*, a number that only grows, so slot order is arrival
    order. Band entries are ``(band hash, slot)`` pairs. The newest sit in a dict; every
    ``merge_entries`` entries they become a *run*, two numpy arrays sorted by hash then slot.
    Runs are kept in arrival order and a run is merged into the one before it while that one is
    at most twice its size, so there are O(log n) runs and each entry is copied O(log n) times
    (a log-structured merge). Removing an article only marks its slot dead; its entries go when
    their run is next merged. When most slots are dead, all runs are merged into one and the live
    articles get new slots, in the same order.

    Band hashes are 64-bit xxh3 digests seeded with the band number. Two different band values
    that collide only add a candidate, which the Deduper then compares by signature.
    """

    durable = False

    def __init__(self, *, bands: int, rows: int, keep: int, merge_entries: int = 1 << 14) -> None:
        self.bands = bands
        self.rows = rows
        self.keep = keep
        self.merge_entries = merge_entries
        self._ids: list[str | None] = []
        self._slot_of: dict[str, int] = {}
        self._alive = np.zeros(1024, dtype=np.bool_)
        self._runs: list[_Run] = []
        # The newest entries: a band's first recent member in _recent, any later ones in
        # _recent_more (rare: only copies and common phrases share a band value).
        self._recent: dict[int, int] = {}
        self._recent_more: dict[int, list[int]] = {}
        self._recent_entries = 0
        self._last: tuple[bytes, list[int]] = (b"", [])

    def __len__(self) -> int:
        """Live articles indexed."""
        return len(self._slot_of)

    def band_hashes(self, signature: bytes) -> list[int]:
        # The Deduper asks for candidates and then adds the same signature: hash it once.
        last_signature, last_hashes = self._last
        if signature == last_signature:
            return last_hashes
        width = self.rows * 4
        hashes = [
            xxhash.xxh3_64_intdigest(signature[band * width : (band + 1) * width], band) for band in range(self.bands)
        ]
        self._last = (signature, hashes)
        return hashes

    def add(self, article_id: str, signature: bytes) -> None:
        if article_id in self._slot_of:
            return  # a replay re-adds what is already there
        slot = len(self._ids)
        self._ids.append(article_id)
        self._slot_of[article_id] = slot
        if slot >= len(self._alive):
            self._alive = np.concatenate([self._alive, np.zeros(len(self._alive), dtype=np.bool_)])
        self._alive[slot] = True
        recent = self._recent
        hashes = self.band_hashes(signature)
        if recent.keys().isdisjoint(hashes):
            recent.update(zip(hashes, repeat(slot)))  # one C-level call: this runs per article
        else:
            more = self._recent_more
            for band_hash in hashes:
                if band_hash in recent:
                    more.setdefault(band_hash, []).append(slot)
                else:
                    recent[band_hash] = slot
        self._recent_entries += self.bands
        if self._recent_entries >= self.merge_entries:
            self._flush()

    def remove(self, article_id: str, signature: bytes) -> None:
        slot = self._slot_of.pop(article_id, None)
        if slot is not None:
            self._ids[slot] = None
            self._alive[slot] = False

    def candidates(self, signature: bytes) -> dict[str, int]:
        hashes = self.band_hashes(signature)
        # Slots per band, oldest first: runs in arrival order, then the recent dict.
        found: dict[int, list[int]] = {}
        if self._runs:
            wanted = np.array(hashes, dtype=np.uint64)
            window = 4 * self.keep  # dead entries wait for the next merge; a few times `keep` covers them
            for keys, slots in self._runs:
                # One binary search per band hash; each step of it is a cache miss on a large run,
                # so the end of a band's range is searched for only when the band is there at all.
                lows = np.searchsorted(keys, wanted, side="left")
                present = keys[np.minimum(lows, len(keys) - 1)] == wanted
                if not present.any():
                    continue
                for k in np.flatnonzero(present).tolist():
                    low = int(lows[k])
                    high = int(np.searchsorted(keys, wanted[k], side="right"))
                    found.setdefault(k, []).extend(slots[max(low, high - window) : high].tolist())
        recent, more = self._recent, self._recent_more
        if not recent.keys().isdisjoint(hashes):
            for k, band_hash in enumerate(hashes):
                first = recent.get(band_hash)
                if first is not None:
                    found.setdefault(k, []).extend([first, *more.get(band_hash, ())])
        ids, keep = self._ids, self.keep
        hits: dict[str, int] = {}
        for band_slots in found.values():
            live = [member for slot in band_slots if (member := ids[slot]) is not None]
            for member in live[-keep:]:
                hits[member] = hits.get(member, 0) + 1
        return hits

    def _flush(self) -> None:
        """Turn the recent entries into a run, then merge runs while the older is at most twice the newer."""
        recent, more = self._recent, self._recent_more
        keys = np.concatenate(
            [
                np.fromiter(recent.keys(), dtype=np.uint64, count=len(recent)),
                np.array([band_hash for band_hash, slots in more.items() for _ in slots], dtype=np.uint64),
            ]
        )
        slots = np.concatenate(
            [
                np.fromiter(recent.values(), dtype=np.int32, count=len(recent)),
                np.array([slot for slots in more.values() for slot in slots], dtype=np.int32),
            ]
        )
        self._recent, self._recent_more = {}, {}
        self._recent_entries = 0
        order = np.lexsort((slots, keys))
        self._runs.append((keys[order], slots[order]))
        runs = self._runs
        while len(runs) > 1 and len(runs[-2][0]) <= 2 * len(runs[-1][0]):
            newer = runs.pop()
            runs[-1] = self._merged(runs[-1], newer)
        if len(self._slot_of) * 2 < len(self._ids):
            self._compact()

    def _merged(self, older: _Run, newer: _Run) -> _Run:
        """One sorted run from two, without the dead entries: O(n), no sort."""
        # Every slot of the newer run is above every slot of the older, so it goes after its equals.
        at = np.searchsorted(older[0], newer[0], side="right")
        keys = np.insert(older[0], at, newer[0])
        slots = np.insert(older[1], at, newer[1])
        live = self._alive[slots]
        return keys[live], slots[live]

    def _compact(self) -> None:
        """Merge every run and give the live articles slots 0..n-1 in their old order.

        Called right after a flush, so there are no recent entries.

        Memory then follows the live articles, not all ever seen. The order is kept, so the run
        stays sorted by (hash, slot)."""
        runs = self._runs
        while len(runs) > 1:
            newer = runs.pop()
            runs[-1] = self._merged(runs[-1], newer)
        alive = self._alive[: len(self._ids)]
        new_slot = (np.cumsum(alive) - 1).astype(np.int32)
        if runs:
            keys, slots = runs[0]
            kept = alive[slots]  # a run made by _flush alone can still hold dead entries
            runs[0] = (keys[kept], new_slot[slots[kept]])
        live_ids = [article_id for article_id in self._ids if article_id is not None]
        self._slot_of = {article_id: slot for slot, article_id in enumerate(live_ids)}
        self._ids = list[str | None](live_ids)
        self._alive = np.zeros(max(1024, 2 * len(live_ids)), dtype=np.bool_)
        self._alive[: len(live_ids)] = True

    def memory_bytes(self) -> int:
        """Bytes held by the runs, the live mask and the slot list (not the id strings or the recent dict)."""
        runs = sum(keys.nbytes + slots.nbytes for keys, slots in self._runs)
        return int(runs + self._alive.nbytes + 8 * len(self._ids))
