"""Shared fixtures, and a compilation cache shared by the test workers.

Many tests compile the same programs (the same cell, task and schedule built in different tests
or workers): XLA's persistent cache, keyed on the program itself, compiles each once per run. It
lives in .pytest_cache (empty in a fresh clone), so a run never reuses another checkout's state.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest

ROOT = Path(__file__).resolve().parents[1]

_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "jax-compilation"
jax.config.update("jax_compilation_cache_dir", str(_CACHE))
# ... and the drivers run by the tests (in-process or as commands) use it too (common.setup).
os.environ["JAX_COMPILATION_CACHE_DIR"] = str(_CACHE)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


@pytest.fixture
def x64():
    """Run a test in float64 (references at 1e-6 need it); float32 stays the library default."""
    with jax.enable_x64(True):
        yield


def _with_outputs(args, tmp_path) -> list[str]:
    """``args`` with the outputs sent under ``tmp_path`` (the --config file stays first)."""
    first = [a for a in args if a.startswith("--config=")]  # the file comes before overrides
    outputs = [f"--config.out_dir={tmp_path / 'out'}", f"--config.figure={tmp_path / 'fig'}"]
    return [*first, *outputs, *(a for a in args if a not in first)]


@pytest.fixture
def cli(tmp_path):
    """``cli(module, *args)``: ``python -m module args`` in a new process, outputs under tmp_path
    (what a user types: the flag wiring, the exit status and what is printed)."""

    def run(module, *args):
        return subprocess.run(
            [sys.executable, "-m", module, *_with_outputs(args, tmp_path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )

    return run


@pytest.fixture
def driver_error(tmp_path):
    """``driver_error(module, *args)``: the one-line error the command ``python -m module args``
    prints, checked in this process (``experiments.common.call``: the same parsing, validation and
    checks, without starting a Python and JAX per case); asserts it is one line and that nothing
    was written."""
    from experiments import common

    def check(module, *args):
        with pytest.raises(ValueError) as err:
            common.call(importlib.import_module(module), *_with_outputs(args, tmp_path))
        message = str(err.value)
        assert message and "\n" not in message, message
        assert not (tmp_path / "out").exists() and not list(tmp_path.glob("fig*"))
        return message

    return check


# The longest tests (tens of seconds, mostly compilation), started first: with two workers that
# steal work from each other, a long test left for the end would keep one worker busy alone.
_LONGEST = (
    "test_h97_flow_in_trained_networks",
    "test_certified_norms_match_the_svd_on_hard_families",
    "test_f7_and_s1_run_end_to_end",
    "test_s0_runs_end_to_end_and_resumes",
    "test_s2_runs_end_to_end_with_symptoms",
    "test_gradient_flow_runs_end_to_end_and_caches",
    "test_log_norms_match_svd_of_reference",
    "test_h97_configs_run_end_to_end_with_table_and_figure",
    "test_h97_gate_trace_and_after_stop_continue_the_runs",
    "test_gradient_is_the_sum_of_temporal_contributions",
    "test_block_selectors_pick_blocks",
    "test_all_pairs_independent_of_chunking",
    "test_a_killed_run_resumes",
    "test_pascanu_bound_holds",
    "test_f2b_frozen_w_has_its_ceiling",
    "test_h97_reber_readings",
    "test_diverged_trials_are_frozen",
    "test_trial_blocks_merge_by_id",
    "test_t1_runs_end_to_end_resumes",
    "test_h97_probe_changes_nothing",
)


def pytest_collection_modifyitems(config, items):
    rank = lambda item: next(
        (i for i, name in enumerate(_LONGEST) if item.name.startswith(name)), len(_LONGEST)
    )
    items.sort(key=rank)  # stable: the others keep their order
