"""bench/jacobians.py rejects a bad --pair_cells, --budget, --pairs_T, --blocks or --against in one
line, before any timing."""

import pytest


@pytest.mark.parametrize(
    "flag, value",
    [
        ("pair_cells", "gru"),
        ("pair_cells", ""),
        ("budget", "0"),
        ("budget", "inf"),
        ("T", "0"),
        ("n_pairs", "0"),
        ("n_last", "-1"),
        ("pairs_T", "0"),
        ("blocks", "4,x"),
        ("blocks", "0"),
        ("against", "no-such-commit"),
        ("against", "--version"),
    ],
)
def test_bad_flag_is_one_line_error(flag, value, bench_error):
    stderr, stdout = bench_error("bench.jacobians", f"--{flag}={value}", "--T=1")
    assert f"--{flag}" in stderr
    assert "products to the end" not in stdout  # nothing was timed


def test_two_modes_at_once_is_one_line_error(bench_error):
    """--against, --blocks and --lag_bands each print only their own tables: one at a time."""
    stderr, stdout = bench_error("bench.jacobians", "--blocks=4", "--lag_bands")
    assert "--lag_bands" in stderr
    assert "all-pairs" not in stdout  # nothing was timed
