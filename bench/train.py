"""Benchmark of training throughput: our LSTM against flax and PyTorch, and the H97 engine.

Table 1, one training step (forward, backward, optimiser update) on the adding problem (H97 Exp. 4):
T = 100 (sequences padded to 110 steps), batch 32, 64 hidden units, a linear readout of 1 unit,
the squared error at each sequence's last step (``problems.squared_error``: ½ Σ (y − d)², mean over
the batch), Adam (lr 1e-3) after global-norm clipping at 1.0, float32, CPU.
  (a) ours     ``cells.Readout(cells.LSTM(64), n_out=1)`` unrolled by ``problems.unroll`` (its
               fused LSTM kernel), optax ``train.make_optimizer("adam", 1e-3, clip_norm=1.0)``, one
               jitted step.
  (a')         the same through the generic scan of ``cell.apply`` steps (``unroll(fused=False)``).
  (b) flax     ``nn.RNN(nn.OptimizedLSTMCell(64))`` + ``nn.Dense(1)``, the same optax optimiser.
  (c) PyTorch  ``torch.nn.LSTM(2, 64, batch_first=True)`` + ``nn.Linear(64, 1)``, ``torch.optim.Adam``,
               ``clip_grad_norm_``, ``torch.set_num_threads`` = cores (only if ``import torch`` works).
All start from the same weights (ours, copied into flax and PyTorch) and see the same numpy data, so
their initial losses agree; the benchmark checks that once. Each implementation is timed in its own
block of steps, blocks alternating over ``--rounds`` rounds; the table gives the median and the
interquartile range of all timed steps.

Table 2, the 1997 LSTM (H97 adding, 2 blocks of 2 cells) trained by online SGD through the real
engine, ``train.Trainer``: 10 trials vmapped, chunks of eval_every x evals_per_chunk updates. It
reports sequences per second (all trials, and per trial), time steps per second (steps computed:
the padded length T + T/10 per sequence) and the projected wall time of the paper's mean 74,000
sequences (T = 100) for every trial.

Table 3 (claim S1-cost, seeds.md): the 1997 LSTM's cost per time step and weight as the network
grows. One jitted online update (forward, truncated backward, SGD step) on one H97 adding sequence
of T = 100 (110 steps) for 1 ... 128 memory blocks of 2 cells; the paper's O(1) per weight and step
shows as a flat ns/(step·weight) once the matrix products, not the per-step overhead, dominate.

Table 4 (claim S0): one Adam update of S0's BiLSTM-last regression net (experiments/questions/s0.py) on a
batch of 32 signals of 10,000 samples (and the downsampled lengths), float32: the rate at which the
10,000-step net trains here.

Usage: python -m bench.train [--repeats 30] [--rounds 3] [--tables step,h97,cost,s0] [--h97_T 100,1000]
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import app, flags

from bench import cpu_model
from experiments.h97 import paper
from repro import cells, problems, results, train
from repro.tasks import hochreiter1997 as h97

_T = flags.DEFINE_integer("T", 100, "Minimal sequence length of the adding problem (table 1).")
_BATCH = flags.DEFINE_integer("batch", 32, "Batch size (table 1).")
_HIDDEN = flags.DEFINE_integer("hidden", 64, "LSTM units (table 1).")
_REPEATS = flags.DEFINE_integer("repeats", 30, "Timed steps per implementation and round.")
_ROUNDS = flags.DEFINE_integer("rounds", 3, "Rounds of alternating timing blocks (table 1).")
_WARMUP = flags.DEFINE_integer("warmup", 5, "Untimed steps after compilation, per block.")
_TORCH_THREADS = flags.DEFINE_integer("torch_threads", 0, "PyTorch threads; 0: the CPU count.")
_TABLES = flags.DEFINE_list(
    "tables", ["step", "h97", "cost", "s0"], "Tables to run: step, h97, cost, s0."
)
_S0_HIDDEN = flags.DEFINE_list("s0_hidden", ["16", "64"], "LSTM units per direction (table 4).")
_COST_OUT = flags.DEFINE_string(
    "cost_out",
    "bench/results/s1_cost.json",
    "Table 3's rows, with the CPU and provenance, as JSON (the docs cite S1-cost from it); '' = none.",
)
_COST_BLOCKS = flags.DEFINE_list(
    "cost_blocks", ["1", "4", "16", "64", "128"], "Memory blocks (2 cells each) for table 3."
)
_H97_T = flags.DEFINE_list("h97_T", ["100", "1000"], "Minimal lengths T for table 2.")
_H97_CHUNKS = flags.DEFINE_integer("h97_chunks", 2, "Timed chunks per T (table 2).")
_H97_EVALS = flags.DEFINE_integer("h97_evals_per_chunk", 10, "Log points per chunk (table 2).")
_H97_EVERY = flags.DEFINE_integer("h97_eval_every", 100, "Updates per log point (table 2).")

# H97 Table 7, adding problem at T = 100: mean sequences to success
H97_MEAN_SEQUENCES = paper.TABLES["H97-T7"]["T100"]["after"]


# ----------------------------------------------------------------------------- table 1: pieces


class Data(NamedTuple):
    """One adding-problem batch as numpy arrays: inputs (B, L, 2), targets (B, L, 1), mask (B, L)."""

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray


class Impl(NamedTuple):
    """A training step on fixed data: ``state = init()``, ``state, loss = step(state)``; ``step``
    returns after the update is done (the loss is a Python float)."""

    init: Callable[[], Any]
    step: Callable[[Any], tuple[Any, float]]


def make_data(batch: int, T: int, seed: int = 0) -> Data:
    b = h97.adding(jax.random.key(seed), batch, T)
    return Data(*(np.asarray(a, np.float32) for a in (b.inputs, b.targets, b.mask)))


def _loss(y, targets, mask):
    """½ Σ_t mask·(y − d)², mean over the batch: ``problems.squared_error``'s loss."""
    return 0.5 * jnp.mean(jnp.sum(mask[..., None] * (y - targets) ** 2, axis=(1, 2)))


def ours_model(hidden: int) -> nn.Module:
    return cells.Readout(cells.LSTM(hidden), n_out=1)


def ours_params(hidden: int, n_in: int = 2, seed: int = 1):
    model = ours_model(hidden)
    return model.init(jax.random.key(seed), model.initialize_carry(), jnp.zeros((n_in,)))


def make_optimizer() -> optax.GradientTransformation:
    return train.make_optimizer("adam", 1e-3, clip_norm=1.0)


def _jax_impl(apply: Callable, params, data: Data) -> Impl:
    """A jitted step (value_and_grad, optax update) of ``apply(params, inputs) -> y``."""
    tx = make_optimizer()
    x, d, m = (jnp.asarray(a) for a in data)

    def step(params, opt_state, x, d, m):
        loss, grads = jax.value_and_grad(lambda p: _loss(apply(p, x), d, m))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    step = jax.jit(step, donate_argnums=(0, 1))

    def init():
        p = jax.tree.map(jnp.array, params)  # fresh buffers: the step donates them
        return p, tx.init(p)

    def run(state):
        p, o, loss = step(*state, x, d, m)
        return (p, o), float(loss)

    return Impl(init, run)


def ours_impl(params, data: Data, *, fused: bool = True) -> Impl:
    """(a): ``Readout(LSTM)`` through ``problems.unroll``."""
    model = ours_model(params["params"]["cell"]["W_rec"].shape[1])
    return _jax_impl(lambda p, x: problems.unroll(model, p, x, fused=fused), params, data)


class FlaxLSTM(nn.Module):
    hidden: int

    @nn.compact
    def __call__(self, x):
        return nn.Dense(1)(nn.RNN(nn.OptimizedLSTMCell(self.hidden))(x))


def flax_params(ours) -> dict:
    """Our ``Readout(LSTM)`` weights in ``FlaxLSTM``'s layout (kernels are (in, out); gates i, f, g, o)."""
    p = ours["params"]
    cell = p["cell"]
    w_in, w_rec, b = (np.asarray(cell[k]) for k in ("W_in", "W_rec", "b"))
    n = w_rec.shape[1]
    lstm = {}
    for k, g in enumerate("ifgo"):
        rows = slice(k * n, (k + 1) * n)
        lstm[f"i{g}"] = {"kernel": jnp.asarray(w_in[rows].T)}
        lstm[f"h{g}"] = {"kernel": jnp.asarray(w_rec[rows].T), "bias": jnp.asarray(b[rows])}
    dense = {"kernel": jnp.asarray(np.asarray(p["W_y"]).T), "bias": jnp.asarray(p["b_y"])}
    return {"params": {"OptimizedLSTMCell_0": lstm, "Dense_0": dense}}


def flax_impl(params, data: Data) -> Impl:
    """(b): flax ``nn.RNN(nn.OptimizedLSTMCell)`` + ``nn.Dense``, from ``flax_params(ours)``."""
    model = FlaxLSTM(params["params"]["cell"]["W_rec"].shape[1])
    return _jax_impl(model.apply, flax_params(params), data)


def torch_impl(params, data: Data, threads: int) -> Impl:
    """(c): ``torch.nn.LSTM`` + ``nn.Linear``, Adam, ``clip_grad_norm_`` (needs torch)."""
    import torch

    torch.set_num_threads(threads)
    p = params["params"]
    cell = {k: np.array(v) for k, v in p["cell"].items()}  # writable copies for torch
    n_in, n = cell["W_in"].shape[1], cell["W_rec"].shape[1]
    x, d, m = (torch.from_numpy(np.array(a)) for a in data)

    def init():
        lstm = torch.nn.LSTM(n_in, n, batch_first=True)
        lin = torch.nn.Linear(n, 1)
        with torch.no_grad():  # torch's gate order is ours: i, f, g, o
            lstm.weight_ih_l0.copy_(torch.from_numpy(cell["W_in"]))
            lstm.weight_hh_l0.copy_(torch.from_numpy(cell["W_rec"]))
            lstm.bias_ih_l0.copy_(torch.from_numpy(cell["b"]))
            lstm.bias_hh_l0.zero_()
            lin.weight.copy_(torch.from_numpy(np.array(p["W_y"])))
            lin.bias.copy_(torch.from_numpy(np.array(p["b_y"])))
        params_ = [*lstm.parameters(), *lin.parameters()]
        return lstm, lin, params_, torch.optim.Adam(params_, lr=1e-3)

    def run(state):
        lstm, lin, params_, opt = state
        opt.zero_grad()
        y = lin(lstm(x)[0])
        loss = 0.5 * (m[..., None] * (y - d) ** 2).sum(dim=(1, 2)).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params_, 1.0)
        opt.step()
        return state, float(loss.detach())

    return Impl(init, run)


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- table 1


def _time_block(impl: Impl, state, warmup: int, repeats: int):
    for _ in range(warmup):
        state, _ = impl.step(state)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state, _ = impl.step(state)
        times.append(time.perf_counter() - t0)
    return state, times


def bench_step(impls: dict[str, Impl], rounds: int, warmup: int, repeats: int):
    """Initial loss and step times (s) of each implementation; blocks alternate over rounds."""
    states, first, times = {}, {}, {name: [] for name in impls}
    for name, impl in impls.items():  # compile, and the initial loss (checked finite)
        states[name], first[name] = impl.step(impl.init())
    for _ in range(rounds):
        for name, impl in impls.items():
            states[name], t = _time_block(impl, states[name], warmup, repeats)
            times[name] += t
            time.sleep(0.2)  # let another library's idle worker threads go to sleep
    return first, times


def _step_table(labels: dict[str, str], times: dict[str, list[float]]) -> None:
    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    q = {k: 1e3 * np.percentile(v, [25, 75]) for k, v in times.items()}
    ref_torch, ref_flax = med.get("torch"), med.get("flax")
    print(
        f"| {'implementation':44s} | {'ms/step':>7s} | {'IQR (ms)':>13s} | {'/ PyTorch':>9s} | {'/ flax':>6s} |"
    )
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 15}|{'-' * 11}|{'-' * 8}|")
    for name, label in labels.items():
        vs_t = f"{med[name] / ref_torch:9.2f}" if ref_torch else f"{'-':>9s}"
        vs_f = f"{med[name] / ref_flax:6.2f}" if ref_flax else f"{'-':>6s}"
        iqr = f"{q[name][0]:5.2f} - {q[name][1]:5.2f}"
        print(f"| {label:44s} | {med[name]:7.2f} | {iqr:>13s} | {vs_t} | {vs_f} |")


def table_step() -> None:
    T, B, n = _T.value, _BATCH.value, _HIDDEN.value
    threads = _TORCH_THREADS.value or os.cpu_count() or 1
    data = make_data(B, T)
    params = ours_params(n, data.inputs.shape[-1])
    impls = {"ours": ours_impl(params, data), "generic": ours_impl(params, data, fused=False)}
    impls["flax"] = flax_impl(params, data)
    labels = {
        "ours": "(a) ours: Readout(LSTM), problems.unroll",
        "generic": "(a') ours, generic scan (unroll fused=False)",
        "flax": "(b) flax: nn.RNN(OptimizedLSTMCell) + Dense",
    }
    if torch_available():
        import torch

        impls["torch"] = torch_impl(params, data, threads)
        labels["torch"] = f"(c) PyTorch {torch.__version__}: nn.LSTM, {threads} threads"
    else:
        print("PyTorch: skipped (import torch failed; `pip install torch==2.13.0` or .[bench])")
    L = data.inputs.shape[1]
    print(
        f"\none training step, adding problem: T = {T} (padded to {L}), batch {B}, {n} units, "
        f"Adam 1e-3 + clip 1.0, float32, {os.cpu_count()} CPU cores; "
        f"{_ROUNDS.value} rounds x {_REPEATS.value} steps each"
    )
    first, times = bench_step(impls, _ROUNDS.value, _WARMUP.value, _REPEATS.value)
    bad = [name for name, v in first.items() if not np.isfinite(v)]
    if bad:
        raise RuntimeError(f"initial loss not finite: {bad} ({first})")
    print(
        "initial losses (same weights and data): "
        + ", ".join(f"{k} {v:.6f}" for k, v in first.items())
    )
    _step_table(labels, times)


# ----------------------------------------------------------------------------- table 2


def h97_trainer(T: int, eval_every: int = 100, evals_per_chunk: int = 10) -> train.Trainer:
    """The H97 adding reproduction's engine (Exp. 4): 1997 LSTM, online SGD (lr 0.5), 10 trials."""
    model = cells.LSTM1997(
        n_out=1, blocks=2, block_size=2, in_gate_bias=(-3.0, -6.0), init_scale=0.1
    )
    obj = problems.squared_error(0.04)
    prob = problems.sequence_problem(model, lambda k: h97.adding(k, 1, T), obj, n_in=2)
    sch = train.Schedule(
        trials=10, max_sequences=10**9, eval_every=eval_every, evals_per_chunk=evals_per_chunk
    )
    return train.Trainer(prob, train.make_optimizer("sgd", 0.5), sch)


def bench_h97(T: int, chunks: int, eval_every: int, evals_per_chunk: int) -> dict:
    tr = h97_trainer(T, eval_every, evals_per_chunk)
    trials = jnp.arange(tr.schedule.trials)
    st = tr.init(trials)
    st, m = jax.block_until_ready(tr.chunk(st, trials))  # compile + first chunk
    seqs, t_total = 0, 0.0
    for _ in range(chunks):
        t0 = time.perf_counter()
        st, m = jax.block_until_ready(tr.chunk(st, trials))
        t_total += time.perf_counter() - t0
        seqs += int(np.sum(m["train/sequences"]))
    rate = seqs / t_total
    per_trial = rate / tr.schedule.trials
    return {
        "T": T,
        "seq_per_s": rate,
        "seq_per_s_trial": per_trial,
        "steps_per_s": rate * (T + T // 10),
        "projected_s": H97_MEAN_SEQUENCES / per_trial,
        "trace_count": tr.trace_count,
    }


def table_h97() -> None:
    every, evals = _H97_EVERY.value, _H97_EVALS.value
    print(
        f"\n1997 LSTM (2 blocks x 2 cells), online SGD, train.Trainer, 10 trials vmapped, "
        f"{every * evals} updates per trial per chunk, {_H97_CHUNKS.value} timed chunks"
    )
    print(
        f"| {'T':>5s} | {'seq/s (10 trials)':>17s} | {'seq/s per trial':>15s} | "
        f"{'steps/s':>10s} | {f'{H97_MEAN_SEQUENCES:,} seq x 10 trials':>24s} |"
    )
    print(f"|{'-' * 7}|{'-' * 19}|{'-' * 17}|{'-' * 12}|{'-' * 26}|")
    for T in (int(v) for v in _H97_T.value):
        r = bench_h97(T, _H97_CHUNKS.value, every, evals)
        print(
            f"| {T:5d} | {r['seq_per_s']:17,.0f} | {r['seq_per_s_trial']:15,.0f} | "
            f"{r['steps_per_s']:10.3g} | {train._fmt_time(r['projected_s']):>24s} |"
        )
    print("steps/s counts the steps computed: the padded length T + T/10 per sequence.")


# ----------------------------------------------------------------------------- table 3


def _median_step_time(step, state, repeats: int) -> float:
    """Median wall seconds of ``repeats`` calls of a jitted ``step`` (after one untimed call)."""
    state = jax.block_until_ready(step(state))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state = jax.block_until_ready(step(state))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def cost_step(blocks: int, T: int = 100):
    """(jitted online update of the 1997 LSTM with ``blocks`` blocks of 2 cells, its state, W)."""
    model = cells.LSTM1997(n_out=1, blocks=blocks, block_size=2, init_scale=0.1)
    obj = problems.squared_error(0.04)
    prob = problems.sequence_problem(model, lambda k: h97.adding(k, 1, T), obj, n_in=2)
    tx = train.make_optimizer("sgd", 0.5)
    params = prob.init(jax.random.key(0))
    batch = prob.sample(jax.random.key(1))

    @jax.jit
    def step(state):
        p, opt = state
        grads = jax.grad(lambda q: prob.loss(q, batch)[0])(p)
        updates, opt = tx.update(grads, opt, p)
        return optax.apply_updates(p, updates), opt

    return step, (params, tx.init(params)), cells.count_params(params), batch.inputs.shape[1]


def table_cost() -> None:
    if _COST_OUT.value:  # before minutes of timing
        from experiments import common

        common.check_writable(_COST_OUT.value)
    print(
        "\n1997 LSTM truncated online update (S1-cost): one sequence, H97 adding T = 100, "
        f"median of {_REPEATS.value} steps"
    )
    print(f"| {'blocks':>6s} | {'weights W':>9s} | {'µs / update':>11s} | {'ns / (step·W)':>13s} |")
    print(f"|{'-' * 8}|{'-' * 11}|{'-' * 13}|{'-' * 15}|")
    rows = []
    for blocks in (int(b) for b in _COST_BLOCKS.value):
        step, state, W, steps = cost_step(blocks)
        t = _median_step_time(step, state, _REPEATS.value)
        print(f"| {blocks:6d} | {W:9,d} | {t * 1e6:11,.0f} | {t * 1e9 / (steps * W):13.3g} |")
        rows.append({"blocks": blocks, "weights": W, "us_per_update": t * 1e6,
                     "ns_per_step_weight": t * 1e9 / (steps * W)})  # fmt: skip
    if _COST_OUT.value:
        saved = {"rows": rows, "repeats": _REPEATS.value, "cpu": cpu_model(), "steps": steps}
        results.atomic_write_json(_COST_OUT.value, {**saved, "provenance": results.provenance()})
    print(
        "Flat ns/(step·W) = O(1) per weight and step (H97 §4); small nets pay a fixed per-step cost."
    )


# ----------------------------------------------------------------------------- table 4


def s0_step(hidden: int, length: int, batch: int = 32):
    """(jitted Adam update of S0's BiLSTM-last net on one batch, its state)."""
    from experiments.configs import s0_downsampling
    from experiments.questions import s0

    c = s0_downsampling.get_config("quick")
    c.hidden = hidden
    x = jax.random.normal(jax.random.key(0), (batch, length))
    y = jax.random.uniform(jax.random.key(1), (batch,))
    tx = optax.adam(1e-3)
    params = s0.init(c, jax.random.key(2))

    @jax.jit
    def step(state):
        p, o = state
        g = jax.grad(lambda q: jnp.mean((s0.predict(c, q, x) - y) ** 2))(p)
        u, o = tx.update(g, o, p)
        return optax.apply_updates(p, u), o

    return step, (params, tx.init(params))


def table_s0() -> None:
    print(
        f"\nS0's BiLSTM-last net, one Adam update of a batch of 32 signals, median of {_REPEATS.value}"
    )
    print(f"| {'units':>5s} | {'length':>6s} | {'ms / update':>11s} | {'signal steps / s':>16s} |")
    print(f"|{'-' * 7}|{'-' * 8}|{'-' * 13}|{'-' * 18}|")
    for hidden in (int(h) for h in _S0_HIDDEN.value):
        for length in (10_000, 2_000, 200):
            t = _median_step_time(*s0_step(hidden, length), _REPEATS.value)
            print(f"| {hidden:5d} | {length:6,d} | {t * 1e3:11.1f} | {32 * length / t:16,.0f} |")


def main(argv):
    del argv
    sys.stdout.reconfigure(line_buffering=True)  # each table shows as it finishes, piped or not
    print(
        f"{datetime.date.today()}, {cpu_model()}, {os.cpu_count()} cores; devices: {jax.devices()}; "
        f"jax {jax.__version__}, flax {flax.__version__}, optax {optax.__version__}; float32"
    )
    if "step" in _TABLES.value:
        table_step()
    if "h97" in _TABLES.value:
        table_h97()
    if "cost" in _TABLES.value:
        table_cost()
    if "s0" in _TABLES.value:
        table_s0()


if __name__ == "__main__":
    app.run(main)
