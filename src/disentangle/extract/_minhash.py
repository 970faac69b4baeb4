"""Near-duplicate detection: MinHash signatures of word shingles, LSH banding, and clusters of agreements.

Small and dependency-free: 128 hash functions of the form (a*x + b) mod (2^61 - 1) over 64-bit shingle hashes;
32 bands of 4 rows put two documents in the same bucket with probability 1 - (1 - J^4)^32 (J = Jaccard
similarity), about 0.5 at J = 0.45 and 0.99 at J = 0.65.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MERSENNE = (1 << 61) - 1
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS


def shingles(words: list[str], size: int = 5) -> set[int]:
    """64-bit hashes of the document's overlapping word n-grams."""
    if len(words) < size:
        words = words + [""] * (size - len(words))
    return {
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + size]).encode(), digest_size=8).digest(), "big")
        for i in range(len(words) - size + 1)
    }


@dataclass(frozen=True, slots=True)
class MinHasher:
    """A fixed family of hash functions, so signatures made at different times compare."""

    coefficients: tuple[tuple[int, int], ...]

    @classmethod
    def create(cls, num_perm: int = NUM_PERM, seed: int = 287) -> MinHasher:
        rng = random.Random(seed)
        return cls(tuple((rng.randrange(1, MERSENNE), rng.randrange(0, MERSENNE)) for _ in range(num_perm)))

    def signature(self, hashes: Iterable[int]) -> tuple[int, ...]:
        values = list(hashes)
        if not values:
            return tuple([MERSENNE] * len(self.coefficients))
        return tuple(min((a * x + b) % MERSENNE for x in values) for a, b in self.coefficients)


def estimate(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def candidate_pairs(signatures: Mapping[str, tuple[int, ...]], bands: int = BANDS) -> set[tuple[str, str]]:
    """Pairs of documents that share at least one LSH band bucket."""
    rows = len(next(iter(signatures.values()))) // bands if signatures else ROWS
    pairs: set[tuple[str, str]] = set()
    for band in range(bands):
        buckets: dict[tuple[int, ...], list[str]] = defaultdict(list)
        for key, signature in signatures.items():
            buckets[signature[band * rows : (band + 1) * rows]].append(key)
        for members in buckets.values():
            members.sort()
            for i, first in enumerate(members):
                for second in members[i + 1 :]:
                    pairs.add((first, second))
    return pairs


def clusters(signatures: Mapping[str, tuple[int, ...]], threshold: float = 0.6) -> list[list[str]]:
    """Groups of near-duplicates: LSH candidates joined when their estimated Jaccard is at least `threshold`
    (union-find), largest group first; a document with no near-duplicate is a group of one."""
    parent = {key: key for key in signatures}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in candidate_pairs(signatures):
        if estimate(signatures[a], signatures[b]) >= threshold:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for key in signatures:
        groups[root(key)].append(key)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g[0]))
