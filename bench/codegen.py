"""Which LLVM optimisation level the commands compile at (``experiments/common.py``: level 2).

For representative programs of ``make figures`` and of the library, the compile time and the run
time at XLA:CPU's default level 3, at 2 and at 1. Each level runs in its own fresh process with
``XLA_FLAGS=--xla_backend_optimization_level=L`` (the way the commands set it), one process per
level in each of ``--processes`` rounds, the order rotated from round to round so that the machine's
drift falls on all; a program's compile time is its median over processes, its run time the median
of every timed call (``--calls`` per process). The last column compares the outputs at levels 2
and 3 (the largest absolute difference of any finite float; whether the non-finite ones differ).

Programs (quick-profile configs, float32):
  S2 chunk, tanh + clip / attention: one training chunk of S2-ablation's recall_T10 row (its
    LSTM's chunk is left out: it stalled XLA's CPU runtime in two of two attempts here).
  P13-F7 chunk: one training chunk of P13-F7's basic_tanh_L10 row, MSGD-CR.
  H97-T7 chunk: one training chunk of H97-T7's T100 row, the 1997 LSTM (online SGD).
  S0 update: one Adam update of S0's BiLSTM-last net, 16 units, 32 signals of 10,000 samples.
  all pairs, tanh RNN / LSTM: ``jacobians.all_pairs_log_norms``, 32 units, T = 500.

Usage: python -m bench.codegen [--processes 2] [--calls 3]   (about 12 minutes on 2 cores)
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
from absl import app, flags

from bench import cpu_model
from experiments import common
from repro import results

# (not --rounds and --repeats: bench.train, imported for S0's update, defines those flags)
_PROCESSES = flags.DEFINE_integer(
    "processes", 2, "Fresh processes per level (rounds, the order rotated).", lower_bound=1
)
_CALLS = flags.DEFINE_integer("calls", 3, "Timed calls per program and process.", lower_bound=1)
_WORKER = flags.DEFINE_string("worker", "", "Internal: time every program, write outputs here.")

WORKER_S = 300  # a worker's time limit (its programs take about 2 minutes)
LEVELS = (3, 2, 1)  # XLA:CPU's default (3) first
# The commands' level (experiments/common.py): its ratios to 3 and its outputs' gap are printed.
CHOSEN = int(common.CODEGEN.rpartition("=")[2])


def _chunk(config: str, row: str, model: str):
    """(jitted training chunk, its arguments: fresh trial states) of one row and model of a
    config's quick profile, built by the protocol the config names."""
    import importlib

    from experiments import run
    from experiments.claims import rows as rows_lib
    from repro import train

    c = importlib.import_module(f"experiments.configs.{config}").get_config("quick")
    p = run.protocol_of(c)
    t = p.build({r.id: r for r in rows_lib.rows_of(c, p.validate)}[row].config, model)
    trainer = train.Trainer(t.problem, t.optimizer, t.schedule)
    ids = t.schedule.trial_ids
    return jax.jit(trainer.chunk), lambda: (trainer.init(ids), ids)


def _s0_update():
    from bench import train as bench_train

    step, state = bench_train.s0_step(16, 10_000)
    return step, lambda: (state,)


def _all_pairs(name: str, n: int = 32, T: int = 500):
    from repro import cells, jacobians

    cell = cells.get(name, n)  # as bench/jacobians.py's all-pairs table (not imported: its flags)
    key_x, key_p = jax.random.split(jax.random.key(0))
    xs = jax.random.normal(key_x, (T, n))
    carry = cell.initialize_carry()
    step = cells.step_fn(cell, cell.init(key_p, carry, xs[0]))
    return jax.jit(lambda c, xs: jacobians.all_pairs_log_norms(step, c, xs)), lambda: (carry, xs)


PROGRAMS = {
    "S2 chunk, tanh + clip": lambda: _chunk("s2_ablation", "recall_T10", "tanh_clip"),
    "S2 chunk, attention": lambda: _chunk("s2_ablation", "recall_T10", "attention"),
    "P13-F7 chunk, MSGD-CR": lambda: _chunk("p13_f7", "basic_tanh_L10", "msgd_cr"),
    "H97-T7 chunk, 1997 LSTM": lambda: _chunk("h97_t7", "T100", "lstm1997"),
    "S0 update, 10,000 samples": _s0_update,
    "all pairs, tanh RNN": lambda: _all_pairs("rnn_tanh"),
    "all pairs, LSTM": lambda: _all_pairs("lstm"),
}


def worker(out_dir: Path) -> None:
    """Compile and time every program in this process: out_dir/i.json (times) and i.npy (its
    outputs). XLA's CPU runtime can stall here as in the commands: the watch restarts the worker,
    which skips the programs it finished."""
    common.watch_for_stalls()
    for i, (name, make) in enumerate(PROGRAMS.items()):
        if (out_dir / f"{i}.json").exists():
            continue
        fn, fresh = make()
        lowered = fn.lower(*fresh())
        t0 = time.perf_counter()
        compiled = lowered.compile()
        compile_s = time.perf_counter() - t0
        runs = []
        for _ in range(_CALLS.value):
            args = jax.block_until_ready(fresh())
            t0 = time.perf_counter()
            out = jax.block_until_ready(compiled(*args))
            runs.append(time.perf_counter() - t0)
        leaves = [np.ravel(np.asarray(x)) for x in jax.tree_util.tree_leaves(out)]
        floats = [x.astype(np.float64) for x in leaves if x.dtype.kind == "f"]
        np.save(out_dir / f"{i}.npy", np.concatenate(floats) if floats else np.zeros(0))
        record = {"program": name, "compile_s": compile_s, "run_s": runs}
        results.atomic_write_json(out_dir / f"{i}.json", record)


def _run_level(level: int, out_dir: Path) -> list[dict]:
    """Run a worker at ``level`` in a fresh process writing to the empty ``out_dir``; its
    records."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_backend_optimization_level={level}"}
    cmd = [sys.executable, "-m", "bench.codegen", f"--worker={out_dir}"]
    cmd.append(f"--calls={_CALLS.value}")
    for attempt in range(1, 4):
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=WORKER_S)
        except subprocess.TimeoutExpired:  # a stall the worker's own watch missed
            print(
                f"(the level-{level} worker stopped after {WORKER_S} s, attempt {attempt}; rerun)"
            )
            continue
        if done.returncode:
            sys.exit(f"error: the level-{level} worker failed: {done.stderr.strip()[-400:]}")
        if "restarting the command" in done.stderr:
            print(f"(the level-{level} worker stalled and was restarted; finished programs kept)")
        break
    else:
        sys.exit(f"error: the level-{level} worker stalled three times; run the benchmark again")
    return [json.loads((out_dir / f"{i}.json").read_text()) for i in range(len(PROGRAMS))]


def main(argv):
    del argv
    if _WORKER.value:
        worker(Path(_WORKER.value))
        return
    sys.stdout.reconfigure(line_buffering=True)
    print(f"{datetime.date.today()}, {cpu_model()}, {os.cpu_count()} cores; jax {jax.__version__}")
    compile_s = {lv: {n: [] for n in PROGRAMS} for lv in LEVELS}
    run_s = {lv: {n: [] for n in PROGRAMS} for lv in LEVELS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(_PROCESSES.value):
            for level in LEVELS[round_ % len(LEVELS) :] + LEVELS[: round_ % len(LEVELS)]:
                out = Path(tmp) / f"{round_}_{level}"
                out.mkdir()
                for rec in _run_level(level, out):
                    compile_s[level][rec["program"]].append(rec["compile_s"])
                    run_s[level][rec["program"]].append(rec["run_s"])
                print(f"round {round_ + 1}/{_PROCESSES.value}, level {level}: done")
        diff = {}
        for i, name in enumerate(PROGRAMS):
            a, b = (np.load(Path(tmp) / f"0_{lv}" / f"{i}.npy") for lv in (LEVELS[0], CHOSEN))
            same_pattern = np.array_equal(np.isfinite(a), np.isfinite(b)) and np.array_equal(
                a[~np.isfinite(a)], b[~np.isfinite(b)], equal_nan=True
            )
            finite = np.isfinite(a) & np.isfinite(b)
            gap = float(np.max(np.abs(a[finite] - b[finite]), initial=0.0))
            diff[name] = f"{gap:.1e}" if same_pattern else f"{gap:.1e}, non-finite differ"
    med = lambda xs: float(np.median(np.ravel(xs)))
    print(
        f"\nXLA:CPU's LLVM optimisation levels 3 (its default), 2 (the commands') and 1, "
        f"{_PROCESSES.value} rounds of one fresh process per level, {_CALLS.value} timed calls each; "
        f"medians in seconds; ratios and max diff (outputs' largest gap): level {CHOSEN} against 3"
    )
    head = [f"compile, {lv}" for lv in LEVELS] + [f"run, {lv}" for lv in LEVELS]
    print(
        "| program | "
        + " | ".join(head)
        + f" | compile {CHOSEN} / 3 | run {CHOSEN} / 3 | max diff |"
    )
    print("|---" * (len(head) + 4) + "|")
    for name in PROGRAMS:
        c = [med(compile_s[lv][name]) for lv in LEVELS]
        r = [med(run_s[lv][name]) for lv in LEVELS]
        cells = [f"{x:.2f}" for x in c] + [f"{x:.3f}" for x in r]
        k = LEVELS.index(CHOSEN)
        ratios = f"{c[k] / c[0]:.2f} | {r[k] / r[0]:.2f}"
        print(f"| {name} | " + " | ".join(cells) + f" | {ratios} | {diff[name]} |")


if __name__ == "__main__":
    app.run(main)
