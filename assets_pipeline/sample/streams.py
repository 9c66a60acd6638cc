"""Random streams: every draw keyed by what it is for, so the same seed gives the same files."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np


def stream(seed: int, *keys: int | str) -> np.random.Generator:
    """An independent random stream per (seed, purpose, county, year).

    Keying every draw by what it is for keeps a county's files identical whatever else is generated (but for which
    of its grassland parcels without inventory are state land: the year's ``UnpricedBudget`` counts the counties
    written before it), and lets later years be derived without replaying earlier draws.
    """
    words = [int(seed)] + [k if isinstance(k, int) else zlib.crc32(k.encode("utf-8")) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))


def choose(rng: np.random.Generator, shares: Sequence[float], size: int) -> np.ndarray:
    """Indices drawn with the given (not necessarily normalised) shares."""
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """floor(x) or ceil(x) with the right odds, so small files get dirty rows in the right proportion."""
    return int(np.floor(x + rng.random()))
