"""Interval estimates the figures draw: a binomial proportion's, and a mean's by the bootstrap."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["bootstrap_mean", "wilson"]


def wilson(k, n, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n (95 % by default); arrays broadcast.

    Unlike the normal interval it stays inside [0, 1] and is not empty at k = 0 or k = n.
    References: E. B. Wilson, JASA 22:209-212, 1927.
    """
    k, n = np.asarray(k, float), np.asarray(n, float)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"wilson: need 0 <= k <= n and n > 0, got k={k!r}, n={n!r}")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # exact at the edges: 0 of n admits rate 0 and n of n rate 1 (rounding must not exclude them)
    lo = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    hi = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    return lo, hi


def bootstrap_mean(x, *, level: float = 0.95, draws: int = 10_000, seed: int = 0):
    """Percentile bootstrap interval of the mean of x (1-D); (nan, nan) for an empty x."""
    x = np.asarray(x, float)
    if x.size == 0:
        return math.nan, math.nan
    means = np.random.default_rng(seed).choice(x, (draws, x.size)).mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
