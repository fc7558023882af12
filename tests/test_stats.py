"""Interval estimates against textbook values and brute-force coverage."""

import numpy as np
import pytest

from repro import stats


def test_wilson_matches_scipy():
    """Against scipy's Wilson interval (without continuity correction) for every k of n = 1, 7, 20,
    100; e.g. 81/100 → [0.7222, 0.8749], 0/10 → [0, 0.2775]."""
    from scipy.stats import binomtest

    for n in (1, 7, 20, 100):
        lo, hi = stats.wilson(np.arange(n + 1), n)
        for k in range(n + 1):
            want = binomtest(k, n).proportion_ci(method="wilson")
            np.testing.assert_allclose([lo[k], hi[k]], [want.low, want.high], atol=1e-12)
    with pytest.raises(ValueError, match="wilson"):
        stats.wilson(3, 2)


def test_wilson_covers_about_95_percent():
    """Brute force: for n = 20 and p = 0.3, the interval holds p in 93–98 % of 20,000 draws."""
    k = np.random.default_rng(0).binomial(20, 0.3, 20_000)
    lo, hi = stats.wilson(k, 20)
    assert 0.93 < np.mean((lo <= 0.3) & (0.3 <= hi)) < 0.98


def test_bootstrap_mean_interval_holds_the_mean_and_shrinks():
    x = np.random.default_rng(1).normal(2.0, 1.0, 400)
    lo, hi = stats.bootstrap_mean(x, draws=2000)
    assert lo < x.mean() < hi and 0.15 < hi - lo < 0.25  # ≈ 2·1.96/√400 = 0.196
    assert np.isnan(stats.bootstrap_mean([])[0])
