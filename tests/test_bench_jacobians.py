"""bench/jacobians.py rejects a bad --pair_cells in one line, before any timing."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("value", ["gru", ""])
def test_bad_pair_cells_is_one_line_error(value):
    out = subprocess.run(
        [sys.executable, "-m", "bench.jacobians", f"--pair_cells={value}", "--T=1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "--pair_cells" in out.stderr and "Traceback" not in out.stderr
    assert "products to the end" not in out.stdout  # nothing was timed
