"""Shared fixtures, and a compilation cache shared by the test workers.

Many tests compile the same programs (the same cell, task and schedule built in different tests
or workers): XLA's persistent cache, keyed on the program itself, compiles each once per run. It
lives in .pytest_cache (empty in a fresh clone), so a run never reuses another checkout's state.
"""

import importlib
import json
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
# Synchronous CPU dispatch, as the commands run (experiments/common.py: a known JAX hang).
jax.config.update("jax_cpu_enable_async_dispatch", False)

# Compilation, not execution, is most of the suite's time (three compile-heavy tests, cold, one
# after the other on 2 cores: 72 s without this, 44 s with it), and the tests run small programs:
# LLVM compiles them without its optimisation passes. The programs XLA builds are the same; the machine code is less tuned and may
# round differently (e.g. no fused multiply-add), so each property must hold for any correct
# rounding, and a promise of equal bits between two programs (one device against four) is checked
# with the default code (tests/test_train.py). Set before the backend starts, so the test workers
# and the commands the tests start inherit it; an optimisation level set by hand is kept.
# XLA:CPU's newer fusion emitters cost a third of the compile time of compile-heavy tests (three
# tests, cold: 23.6 / 22.4 / 18.9 s with them, 15.6 / 14.3 / 12.8 s without, 2026-12-07); the
# kernels they emit run faster, which the tests' small programs do not need.
_FAST_COMPILE = (
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true",
    "--xla_cpu_use_fusion_emitters=false",
)
_FLAGS = os.environ.get("XLA_FLAGS", "")
if "xla_backend_optimization_level" not in _FLAGS:  # a level set by hand is kept
    os.environ["XLA_FLAGS"] = " ".join([_FLAGS, *_FAST_COMPILE]).strip()


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
def bench_error():
    """``bench_error(module, *args)``: ``python -m module args`` (a benchmark) in a new process must
    stop with an error and no traceback; returns (stderr, stdout) for the test's own checks."""

    def run(module, *args):
        out = subprocess.run(
            [sys.executable, "-m", module, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr[-500:]
        return out.stderr, out.stdout

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


# Tests start longest first, so that the two workers (which steal work from each other) finish
# together instead of one running a long test alone at the end. The order comes from measured
# durations (tests/durations.json: seconds per test, from a cold run), not a hand-kept list;
# `make test-durations` measures them again (REPRO_RECORD_DURATIONS=1). New tests start last.
_DURATIONS = Path(__file__).with_name("durations.json")
_RECORDED: dict[str, float] = {}


def pytest_collection_modifyitems(config, items):
    known = json.loads(_DURATIONS.read_text()) if _DURATIONS.exists() else {}
    items.sort(key=lambda item: -known.get(item.nodeid, 0.0))  # stable: ties keep their order


def pytest_runtest_logreport(report):
    if os.environ.get("REPRO_RECORD_DURATIONS") and report.when in ("setup", "call", "teardown"):
        _RECORDED[report.nodeid] = _RECORDED.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    if os.environ.get("REPRO_RECORD_DURATIONS") and not hasattr(session.config, "workerinput"):
        ordered = dict(
            sorted(((k, round(v, 2)) for k, v in _RECORDED.items()), key=lambda kv: -kv[1])
        )
        _DURATIONS.write_text(json.dumps(ordered, indent=0) + "\n")
