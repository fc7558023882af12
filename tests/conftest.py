"""Shared fixtures."""

import jax
import pytest


@pytest.fixture
def x64():
    """Run a test in float64 (references at 1e-6 need it); float32 stays the library default."""
    with jax.enable_x64(True):
        yield
