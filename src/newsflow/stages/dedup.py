"""Deduplication: exact keys plus MinHash/LSH near-duplicate search over a windowed store.

Two halves, split so the expensive part scales out:

* :func:`fingerprint` is pure and cheap (~0.2 ms of CPU for 5 KB of text). It runs in the
  parallel analyse agents and fills ``article.fingerprint``.
* :class:`Deduper` only looks things up in a :class:`SeenStore` (a Faust table in
  production, a dict in tests) and decides ``original`` / ``exact_duplicate`` /
  ``near_duplicate``. The first copy of a story to reach it is the original; every later
  copy points at that original (``duplicate_of``), never at another copy.

Store layout (keys are str, values JSON primitives; ``B`` is the time bucket of the write)::

    i:<article id>         [original id, B, origin]            re-send of an id (origin: replay check)
    v:<article id>         [origin, B, status, duplicate of, similarity, cluster id]
                                                               verdict, replayed for the same origin
    h:<content hash>       [original id, B]                    same normalised text
    u:<xxh3(url key)>      [original id, B]                    same canonical URL
    m:<article id>         [original id, B, text length, signature (base64), content hash, url store key]
    b:<band>:<band hash>   [article id, ...]                   LSH bucket (newest few only)
    c:<cluster id>         [original id, copies seen, B]
    t:live                 [B, ...]                            buckets that still hold keys
    t:<B>                  number of chunks in bucket B
    t:<B>:<k>              [article id, ...]                   articles written in bucket B

Expiry is judged on event time (``ingested_at``), so verdicts depend only on the order of
the log and the articles in it. A value carries the bucket of its last write, and a key is
deleted when that bucket has left the window; the sweep runs a bounded amount of work
inside each call, because a Faust table can only be changed while processing an event.
"""

from __future__ import annotations

import base64
import operator
import sys
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import xxhash
from courlan import normalize_url
from rensa import RMinHash

from newsflow.errors import MalformedRecord
from newsflow.models import Article, DedupResult, DedupStatus, Fingerprint
from newsflow.stages.dedup_bands import BandIndex, CompactBandIndex, StoreBandIndex

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_BAND_MEMBERS",
    "DEFAULT_CONTAINMENT",
    "DEFAULT_NUM_PERM",
    "DEFAULT_ROWS",
    "DEFAULT_SHINGLE_SIZE",
    "DEFAULT_THRESHOLD",
    "BandIndex",
    "CompactBandIndex",
    "Deduper",
    "PrefixedStore",
    "SeenStore",
    "StoreBandIndex",
    "canonical_url",
    "cluster_id_for",
    "fingerprint",
    "shingles",
]

DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE_SIZE = 3
DEFAULT_SEED = 1
# Two-row bands: a pair at Jaccard 0.3 shares a band with probability 1 - (1 - 0.3**2)**32 = 95 %,
# which truncated re-publications (Jaccard 0.2-0.4, containment > 0.8) need. 64 bands gain
# 0.2 points of recall on the syndication set for twice the store writes.
DEFAULT_BANDS = 32
DEFAULT_ROWS = 2
# A band value shared by many articles (a common phrase) points at its newest few only.
DEFAULT_BAND_MEMBERS = 8
# Word 3-shingles on BBC: labelled duplicates have Jaccard >= 0.60, the closest distinct
# stories (follow-ups that reuse background paragraphs) 0.52. See docs/dedup.md.
DEFAULT_THRESHOLD = 0.5
# Containment of the shorter text in the longer catches truncated re-publications whose
# Jaccard falls under the threshold.
DEFAULT_CONTAINMENT = 0.8
# Fewer word shingles than this give a signature too noisy to call anything a near duplicate.
MIN_SHINGLES = 8

# Bytes-level tables are ~10x faster than Unicode regexes on 5 KB of text.
_DROP = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~0123456789"
_TO_SPACE = bytes(32 if b in _DROP else b for b in range(256))
_UNICODE_PUNCT = "“”‘’«»„‚‹›–—…•·¡¿"


class SeenStore(Protocol):
    """What :class:`Deduper` needs from its state: a Faust Table, or a dict in tests."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __delitem__(self, key: str) -> None: ...
    def __contains__(self, key: object) -> bool: ...


@dataclass(frozen=True, slots=True)
class PrefixedStore:
    """Namespace a shared store, e.g. one prefix per dedup partition when there are several.

    A Faust worker keeps one table for all the partitions it owns; without a prefix, shards
    would see each other's keys only while they happen to share a worker.
    """

    store: SeenStore
    prefix: str

    def get(self, key: str, default: Any = None) -> Any:
        return self.store.get(self.prefix + key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.store[self.prefix + key] = value

    def __delitem__(self, key: str) -> None:
        del self.store[self.prefix + key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (self.prefix + key) in self.store


def _words(lowered: str) -> list[bytes]:
    for char in _UNICODE_PUNCT:
        if char in lowered:
            lowered = lowered.replace(char, " ")
    return lowered.encode("utf-8", "surrogatepass").translate(_TO_SPACE).split()


def shingles(text: str, size: int = DEFAULT_SHINGLE_SIZE, *, lowered: bool = False) -> list[bytes]:
    """Word ``size``-grams of ``text`` after case folding and removing punctuation and digits.

    Digits go so that a new time stamp or a corrected figure does not change many shingles.
    """
    words = _words(text if lowered else text.lower())
    if len(words) < size:
        return [b" ".join(words)] if words else []
    return list(map(b" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


_WHITESPACE = b" \t\n\r\x0b\x0c"


def content_hash(text: str, *, lowered: bool = False) -> str:
    """xxh3-128 of the text, case-folded and with all ASCII whitespace removed.

    Removing rather than collapsing whitespace makes re-wrapped and re-spaced copies hash alike
    at a quarter of the cost (bytes.translate instead of split and join over ~800 words); two
    texts that differ only in where the spaces fall are the same article anyway.
    """
    data = (text if lowered else text.lower()).encode("utf-8", "surrogatepass")
    return xxhash.xxh3_128_hexdigest(data.translate(None, _WHITESPACE))


def canonical_url(url: str | None) -> str | None:
    """``host/path?query`` with tracking parameters, ``www.``, scheme, fragment and trailing slash removed.

    courlan drops the tracking parameters (utm_*, fbclid, gclid, ...), sorts the rest and
    lower-cases the host; the scheme goes because http and https copies are the same page.
    """
    if not url or not url.strip():
        return None
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(normalize_url(url, strict=False, trailing_slash=False))
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or "." not in host:
        return None
    host = host.removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    return f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"


def fingerprint(
    article: Article,
    *,
    num_perm: int = DEFAULT_NUM_PERM,
    shingle_size: int = DEFAULT_SHINGLE_SIZE,
    seed: int = DEFAULT_SEED,
) -> Fingerprint:
    """Exact keys and a MinHash signature for ``article``. Pure; the same in every process.

    The signature is empty when the text has fewer than ``MIN_SHINGLES`` shingles: too
    little to judge a near duplicate, so only the exact keys apply.
    """
    # NFC so that composed and decomposed accents give one hash; cheap on text already in NFC.
    lowered = unicodedata.normalize("NFC", article.text).lower()
    tokens = shingles(lowered, shingle_size, lowered=True)
    signature: list[int] = []
    if len(tokens) >= MIN_SHINGLES:
        sketch = RMinHash(num_perm=num_perm, seed=seed)
        sketch.update(tokens)
        signature = sketch.digest()
    return Fingerprint(
        content_hash=content_hash(lowered, lowered=True), url_key=canonical_url(article.url), minhash=signature
    )


def partition_key(fingerprint: Fingerprint | None, fallback: str) -> str:
    """The key that routes an article to its dedup partition, chosen so that copies meet.

    Only matters with more than one dedup partition: each partition's Deduper compares an article
    with the articles of that partition alone. Keyed by the content hash, only exact copies met; a
    near duplicate landed with its original with probability 1/P. The first MinHash value is equal
    for two texts with probability equal to their Jaccard similarity (the MinHash property), so
    near duplicates (J ~0.9 for a few words changed) nearly always meet, and exact copies always do.
    Texts too short for a signature fall back to the content hash, then to ``fallback`` (the id).
    """
    if fingerprint is None:
        return fallback
    if fingerprint.minhash:
        return f"m{fingerprint.minhash[0]:x}"
    return fingerprint.content_hash


def cluster_id_for(original_id: str) -> str:
    """Stable cluster id of the group whose original is ``original_id``."""
    return xxhash.xxh3_64_hexdigest(original_id.encode("utf-8", "surrogatepass"))


def _event_seconds(ingested_at: str) -> float:
    try:
        stamp = datetime.fromisoformat(ingested_at)
    except (TypeError, ValueError):
        raise MalformedRecord(f"ingested_at {ingested_at!r} is not an ISO 8601 time") from None
    if stamp.tzinfo is None:
        # Naive times are UTC, never the host's zone: verdicts must not depend on the machine.
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _pack(signature: list[int]) -> bytes:
    packed = array("I", signature)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


class Deduper:
    """Decides whether an article was seen before, within ``window_seconds`` of event time.

    ``threshold`` is the estimated Jaccard of word-shingle sets at or above which an LSH
    candidate is a near duplicate; ``containment`` is the same for the estimated share of
    the shorter text's shingles found in the longer one. ``bands`` LSH bands of
    ``rows`` signature slots each decide which stored signatures are compared at all.
    """

    name = "dedup"

    def __init__(
        self,
        store: SeenStore,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        window_seconds: float = 7 * 24 * 3600,
        containment: float = DEFAULT_CONTAINMENT,
        num_perm: int = DEFAULT_NUM_PERM,
        bands: int = DEFAULT_BANDS,
        rows: int = DEFAULT_ROWS,
        max_candidates: int = 32,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
        seed: int = DEFAULT_SEED,
        bucket_seconds: float | None = None,
        bucket_members: int = DEFAULT_BAND_MEMBERS,
        chunk_size: int = 16,
        sweep_chunks: int = 1,
        band_index: BandIndex | SeenStore | None = None,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if not 0.0 < containment <= 1.0:
            raise ValueError("containment must be in (0, 1]")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        if bands < 1 or rows < 1 or bands * rows > num_perm:
            raise ValueError("bands * rows must not exceed num_perm")
        self.store = store
        # Where the LSH band lists live: the store itself (durable, ~32 writes per original), or
        # derived state (a CompactBandIndex, or any separate mapping) rebuilt from the stored
        # signatures with rebuild_band_index() (see docs/dedup.md).
        self.band_index: BandIndex
        if band_index is None:
            self.band_index = StoreBandIndex(store, bands=bands, rows=rows, keep=bucket_members)
        elif hasattr(band_index, "candidates"):
            self.band_index = cast(BandIndex, band_index)
            if (self.band_index.bands, self.band_index.rows) != (bands, rows):
                # The index cuts signatures itself: another layout would compare other bands.
                raise ValueError(
                    f"band index has {self.band_index.bands} bands of {self.band_index.rows} rows, "
                    f"the Deduper {bands} of {rows}"
                )
        else:
            # A plain mapping kept apart from the store: the lists, as derived state.
            self.band_index = StoreBandIndex(band_index, bands=bands, rows=rows, keep=bucket_members, durable=False)
        self.threshold = threshold
        self.containment = containment
        self.window_seconds = float(window_seconds)
        self.num_perm = num_perm
        self.max_candidates = max_candidates
        self.shingle_size = shingle_size
        self.seed = seed
        # 48 buckets per window: keys outlive the window by at most ~2 %.
        self.bucket_seconds = float(bucket_seconds or self.window_seconds / 48)
        self.chunk_size = chunk_size
        self.sweep_chunks = sweep_chunks

    # -- public -----------------------------------------------------------------------

    def __call__(self, article: Article) -> Article:
        fp = article.fingerprint
        if fp is None or (fp.minhash and len(fp.minhash) != self.num_perm):
            fp = fingerprint(article, num_perm=self.num_perm, shingle_size=self.shingle_size, seed=self.seed)
            article.fingerprint = fp
        now = _event_seconds(article.ingested_at)
        # Anything written in a bucket at or below this one is outside the window.
        expired = int((now - self.window_seconds) // self.bucket_seconds) - 1
        self._sweep(expired)
        bucket = self._write_bucket(now)
        article.dedup = self._decide(article, fp, expired, bucket)
        return article

    def copies_seen(self, cluster_id: str) -> int:
        """Articles seen so far in the cluster, the original included (0 if unknown or expired)."""
        record = self.store.get(f"c:{cluster_id}")
        return int(record[1]) if record else 0

    # -- decision ---------------------------------------------------------------------

    def _live(self, key: str, expired: int) -> list[Any] | None:
        value = self.store.get(key)
        if value is None or value[1] <= expired:
            return None
        return list(value)

    def _decide(self, article: Article, fp: Fingerprint, expired: int, bucket: int) -> DedupResult:
        """The verdict, and the same verdict again when the same input record is processed twice.

        A stream processor may see one input twice (a crash between its outputs and its offset
        commit). ``article.origin`` names the input record (topic/partition/offset), so a second
        pass over it is a replay and gets its first verdict back, while the same id arriving in
        another record is a re-send and an exact duplicate.
        """
        verdict_key = f"v:{article.id}"
        if article.origin is not None:
            seen = self._live(verdict_key, expired)
            if seen is not None and seen[0] == article.origin:
                _, _, status, duplicate_of, similarity, cluster = seen
                self._rewrite(article.id, cluster)
                return DedupResult(
                    status=status,
                    content_hash=fp.content_hash,
                    duplicate_of=duplicate_of,
                    similarity=similarity,
                    cluster_id=cluster,
                )
        result = self._judge(article, fp, expired, bucket)
        if article.origin is not None:
            self.store[verdict_key] = [
                article.origin,
                bucket,
                result.status,
                result.duplicate_of,
                result.similarity,
                result.cluster_id,
            ]
        return result

    def _rewrite(self, article_id: str, cluster: str | None) -> None:
        """Write this article's keys again, unchanged.

        A replay usually means the first pass's writes were rolled back with its transaction
        (a crash or a rebalance) while this worker's local copy kept them. Writing them again
        puts them back into the table's changelog, so a worker that rebuilds from it agrees.
        """
        store = self.store
        meta = store.get(f"m:{article_id}")
        keys = [f"i:{article_id}", f"v:{article_id}", f"m:{article_id}"]
        if cluster is not None:
            keys.append(f"c:{cluster}")
        if meta is not None:
            _, _, _, encoded, chash, url_key = meta
            keys += [f"h:{chash}", *([url_key] if url_key else [])]
            if encoded:
                self.band_index.add(article_id, base64.b64decode(encoded))
        for key in keys:
            value = store.get(key)
            if value is not None:
                store[key] = value

    def _judge(self, article: Article, fp: Fingerprint, expired: int, bucket: int) -> DedupResult:
        store = self.store
        id_key = f"i:{article.id}"
        hash_key = f"h:{fp.content_hash}"
        url_key = f"u:{xxhash.xxh3_64_hexdigest(fp.url_key.encode())}" if fp.url_key else None

        hit = self._live(id_key, expired)
        if hit is not None:
            if str(hit[0]) == article.id and len(hit) > 2 and hit[2] is not None and hit[2] == article.origin:
                # This very record again, judged original before, and its verdict record is gone
                # (written in a transaction that was rolled back): the original it was.
                return DedupResult(
                    status="original", content_hash=fp.content_hash, cluster_id=cluster_id_for(article.id)
                )
            # A re-send: its keys are already stored, only the cluster count changes.
            return self._duplicate("exact_duplicate", fp, str(hit[0]), 1.0, bucket)
        hash_hit = self._live(hash_key, expired)
        url_hit = self._live(url_key, expired) if url_key else None
        hit = hash_hit or url_hit
        if hit is not None and str(hit[0]) == article.id:
            # Its own text or URL, stored by an earlier pass over this article whose id key was
            # lost: nothing can be a duplicate of itself, so it stays the original.
            return DedupResult(status="original", content_hash=fp.content_hash, cluster_id=cluster_id_for(article.id))
        if hit is not None:
            original = str(hit[0])
            # Remember the id (and a new URL) so a re-send of this copy is caught too.
            self._remember(
                article,
                fp,
                original=original,
                bucket=bucket,
                id_key=id_key,
                hash_key=None,
                url_key=url_key if url_hit is None else None,
                signature=None,
            )
            return self._duplicate("exact_duplicate", fp, original, 1.0, bucket)

        signature = _pack(fp.minhash) if fp.minhash else None
        if signature is not None:
            match = self._best_candidate(article, signature, expired)
            if match is not None:
                original, similarity = match
                self._remember(
                    article,
                    fp,
                    original=original,
                    bucket=bucket,
                    id_key=id_key,
                    hash_key=hash_key,
                    url_key=url_key,
                    signature=signature,
                )
                return self._duplicate("near_duplicate", fp, original, similarity, bucket)

        self._remember(
            article,
            fp,
            original=article.id,
            bucket=bucket,
            id_key=id_key,
            hash_key=hash_key,
            url_key=url_key,
            signature=signature,
        )
        cluster = cluster_id_for(article.id)
        store[f"c:{cluster}"] = [article.id, 1, bucket]
        return DedupResult(status="original", content_hash=fp.content_hash, cluster_id=cluster)

    def _duplicate(
        self, status: DedupStatus, fp: Fingerprint, original: str, similarity: float, bucket: int
    ) -> DedupResult:
        cluster = cluster_id_for(original)
        key = f"c:{cluster}"
        record = self.store.get(key)
        count = int(record[1]) if record else 1
        self.store[key] = [original, count + 1, bucket]
        return DedupResult(
            status=status,
            content_hash=fp.content_hash,
            duplicate_of=original,
            similarity=round(similarity, 4),
            cluster_id=cluster,
        )

    def _best_candidate(self, article: Article, signature: bytes, expired: int) -> tuple[str, float] | None:
        store = self.store
        hits = self.band_index.candidates(signature)
        hits.pop(article.id, None)
        if not hits:
            return None
        # Candidates sharing more bands are likelier duplicates; checking only the top few
        # bounds the work when a common phrase puts many unrelated articles in one band.
        ranked = sorted(hits, key=hits.__getitem__, reverse=True)[: self.max_candidates]
        mine = array("I", signature)
        length = len(article.text)
        best: tuple[float, str] | None = None
        for member in ranked:
            record = store.get(f"m:{member}")
            if record is None or record[1] <= expired or not record[3]:
                continue
            theirs = array("I", base64.b64decode(record[3]))
            if sys.byteorder == "big":
                theirs.byteswap()
            jaccard = sum(map(operator.eq, mine, theirs)) / self.num_perm
            score = self._score(jaccard, length, int(record[2]))
            if score is not None and (best is None or score > best[0]):
                best = (score, str(record[0]))
        return None if best is None else (best[1], best[0])

    def _score(self, jaccard: float, length: int, other_length: int) -> float | None:
        if jaccard >= self.threshold:
            return jaccard
        if jaccard <= 0.0:
            return None
        # |A∩B| = J(|A|+|B|)/(1+J); text length stands in for the shingle count.
        small, large = sorted((max(length, 1), max(other_length, 1)))
        contained = min(1.0, jaccard * (1.0 + large / small) / (1.0 + jaccard))
        return contained if contained >= self.containment else None

    # -- writes -----------------------------------------------------------------------

    def _remember(
        self,
        article: Article,
        fp: Fingerprint,
        *,
        original: str,
        bucket: int,
        id_key: str,
        hash_key: str | None,
        url_key: str | None,
        signature: bytes | None,
    ) -> None:
        store = self.store
        meta_key = f"m:{article.id}"
        stale = store.get(meta_key)
        if stale is not None:
            # Same id seen before the window: clear what it left before writing anew.
            self._forget(article.id, int(stale[1]))
        store[id_key] = [original, bucket, article.origin]
        if hash_key is not None:
            store[hash_key] = [original, bucket]
        if url_key is not None:
            store[url_key] = [original, bucket]
        encoded = base64.b64encode(signature).decode("ascii") if signature else ""
        store[meta_key] = [original, bucket, len(article.text), encoded, fp.content_hash, url_key]
        if signature:
            self.band_index.add(article.id, signature)
        self._index(article.id, bucket)

    def rebuild_band_index(self, stored: Iterable[tuple[str, Any]]) -> int:
        """Fill a separate band index from the store's ``(key, value)`` pairs; returns articles indexed.

        Band lists are rebuilt oldest bucket first. Within a bucket the order of arrival is not
        stored, so a band with more members than it keeps may keep others than the live index
        did: the candidates of a very common band can differ after a rebuild, the verdicts of
        articles already judged cannot (they are stored).
        """
        if self.band_index.durable:
            raise ValueError("the band index is the store itself: nothing to rebuild")
        signatures = sorted(
            (int(value[1]), key[2:], value[3]) for key, value in stored if key.startswith("m:") and value[3]
        )
        for _, article_id, encoded in signatures:
            self.band_index.add(article_id, base64.b64decode(encoded))
        return len(signatures)

    def _write_bucket(self, now: float) -> int:
        """Bucket for this call's writes: never older than the newest live bucket, so a late
        article cannot write into a bucket the sweep has already passed."""
        own = int(now // self.bucket_seconds)
        live: list[int] = self.store.get("t:live") or []
        if live and live[-1] >= own:
            return int(live[-1])
        self.store["t:live"] = [*live, own]
        self.store[f"t:{own}"] = 0
        return own

    def _index(self, article_id: str, bucket: int) -> None:
        store = self.store
        chunks = int(store.get(f"t:{bucket}") or 0)
        if chunks:
            last_key = f"t:{bucket}:{chunks - 1}"
            last: list[str] = store.get(last_key) or []
            if len(last) < self.chunk_size:
                store[last_key] = [*last, article_id]
                return
        store[f"t:{bucket}:{chunks}"] = [article_id]
        store[f"t:{bucket}"] = chunks + 1

    # -- expiry -----------------------------------------------------------------------

    def _sweep(self, expired: int) -> None:
        """Forget at most ``sweep_chunks`` chunks of articles from buckets at or below ``expired``.

        A call writes at most one index entry and sweeps up to ``chunk_size`` of them, so
        the backlog shrinks whenever there is one, and no call does unbounded work.
        """
        store = self.store
        budget = self.sweep_chunks
        while budget > 0:
            live: list[int] = store.get("t:live") or []
            if not live or live[0] > expired:
                return
            oldest = int(live[0])
            chunks = int(store.get(f"t:{oldest}") or 0)
            if chunks == 0:
                if f"t:{oldest}" in store:
                    del store[f"t:{oldest}"]
                store["t:live"] = live[1:]
                continue
            chunk_key = f"t:{oldest}:{chunks - 1}"
            for article_id in store.get(chunk_key) or []:
                self._forget(str(article_id), oldest)
            del store[chunk_key]
            store[f"t:{oldest}"] = chunks - 1
            budget -= 1

    def _drop_if_old(self, key: str, bucket: int) -> None:
        value = self.store.get(key)
        if value is not None and value[-1 if key.startswith("c:") else 1] <= bucket:
            del self.store[key]

    def _forget(self, article_id: str, bucket: int) -> None:
        store = self.store
        meta_key = f"m:{article_id}"
        record = store.get(meta_key)
        self._drop_if_old(f"i:{article_id}", bucket)
        self._drop_if_old(f"v:{article_id}", bucket)
        if record is None:
            return
        original, written, _, encoded, chash, url_key = record
        if written > bucket:
            return  # re-written later (a re-send after expiry): its own bucket will sweep it
        self._drop_if_old(f"h:{chash}", bucket)
        if url_key:
            self._drop_if_old(url_key, bucket)
        self._drop_if_old(f"c:{cluster_id_for(original)}", bucket)
        if encoded:
            self.band_index.remove(article_id, base64.b64decode(encoded))
        del store[meta_key]
