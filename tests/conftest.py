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
