"""Shared fixtures, and a compilation cache shared by the test workers.

Many tests compile the same programs (the same cell, task and schedule built in different tests
or workers): XLA's persistent cache, keyed on the program itself, compiles each once per run. It
lives in .pytest_cache (empty in a fresh clone), so a run never reuses another checkout's state.
"""

from pathlib import Path

import jax
import pytest

_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "jax-compilation"
jax.config.update("jax_compilation_cache_dir", str(_CACHE))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


@pytest.fixture
def x64():
    """Run a test in float64 (references at 1e-6 need it); float32 stays the library default."""
    with jax.enable_x64(True):
        yield
