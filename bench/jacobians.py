"""Benchmark of the Jacobian engine against the other exact ways to get the same products.

Products to the end, ∂s_T/∂s_t for all t (n = 128, T = 1000):
  ours      repro.jacobians.products_to_last: cotangent matrix carried back by vmapped vjp, in log scale.
  (a)       jax.jacrev of the unrolled map s_t -> s_T, one call per t (the naive way).
  (b)       jax.jacrev of s_T with respect to zero perturbations added to every state, one scan.
  (c)       vmapped jax.jacfwd per step, then lax.associative_scan of the matrix products.
All-pairs matrix of log ‖∂s_k/∂s_t‖₂ (n = 64, T = 500: 125,250 pairs):
  ours      repro.jacobians.all_pairs_log_norms (Jacobians, products, renormalisation and norms).
  raw       only the T(T+1)/2 chained matrix products it needs (same batched lag schedule, no norms).
  ours, norm=frobenius: ours with the Frobenius norm (no certificate): the products, their
            renormalisation and the log-scales; ours minus this is what the certified norms cost.
  (a), (b), (c) as above, per end step k, with and without the spectral norms (by SVD) that turn
  their products into the same log-norm matrix.

--against COMMIT: ours on the all-pairs matrix against repro/jacobians.py at that commit, the two
calls interleaved (an A/B of a change, free of the drift between separate runs of this machine).
--lag_bands: where the certified norms spend their time, by band of lags (per pair, beside one SVD
and one product step of the same stack).

(a) and per-k variants take O(T) calls; they are timed on a sample of calls and summed by a linear
fit in the chain length, which is how their cost grows. Times are medians of up to --repeats calls
of the program compiled ahead of time (no call is spent warming up; a method whose calls have taken
--budget seconds is not repeated further, so a one-minute call is timed once).

Usage: python -m bench.jacobians [--T 1000] [--pairs_T 500] [--n_last 128] [--n_pairs 64] [--repeats 3]
       [--budget 20] [--pair_cells rnn_tanh,lstm] [--blocks 4,8,16] [--against COMMIT]
       [--lag_bands]
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from bench import cpu_model
from repro import cells
from repro import jacobians as jac

_T = flags.DEFINE_integer(
    "T", 1000, "Sequence length (steps) of the products to the end.", lower_bound=1
)
_PAIRS_T = flags.DEFINE_integer(
    "pairs_T",
    500,
    "Sequence length of the all-pairs tables (T(T+1)/2 pairs: the cost grows as T²).",
    lower_bound=1,
)
_N_LAST = flags.DEFINE_integer("n_last", 128, "Hidden size for products to the end.", lower_bound=1)
_N_PAIRS = flags.DEFINE_integer(
    "n_pairs", 64, "Hidden size for the all-pairs matrix.", lower_bound=1
)
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed repetitions (median reported).")
_SAMPLES = flags.DEFINE_integer("samples", 4, "Sampled calls for the O(T)-call methods.")
_BUDGET = flags.DEFINE_float(
    "budget", 20.0, "Seconds of timed calls per method after which no further repeat starts."
)
flags.register_validator(
    "budget", lambda v: 0 < v < float("inf"), "--budget: must be a finite number of seconds > 0"
)
_BLOCKS = flags.DEFINE_list(
    "blocks",
    [],
    "Block widths (all_pairs_log_norms' block=) to time ours at on the all-pairs matrix of each of "
    "--pair_cells; given, only these tables are printed (the default block is max(4, c // 8)).",
)
flags.register_validator(
    "blocks",
    lambda ws: all(w.isdigit() and int(w) > 0 for w in ws),
    "--blocks: a comma-separated list of positive integers",
)
_AGAINST = flags.DEFINE_string(
    "against",
    "",
    "A commit: time ours on the all-pairs matrix and the products to the end of each of "
    "--pair_cells against "
    "repro/jacobians.py as it was at that commit, the two calls interleaved for --repeats rounds "
    "(an A/B of a change, free of the drift between separate runs); given, only these tables are "
    "printed.",
)
flags.register_validator(
    "against",
    lambda commit: not commit or _source_at(commit) is not None,
    "--against: must name a commit of this repository that has repro/jacobians.py",
)
_LAG_BANDS = flags.DEFINE_bool(
    "lag_bands",
    False,
    "Where the certified norms of the all-pairs matrix spend their time: for each of --pair_cells, "
    "a stack of 250 start times carried through lags 1-250 as all_pairs_log_norms does (warm "
    "blocks), the certified norm's time per pair by band of lags, beside the SVD and the product "
    "step of the same stack; given, only these tables are printed.",
)
flags.register_multi_flags_validator(
    ["against", "blocks", "lag_bands"],
    lambda f: bool(f["against"]) + bool(f["blocks"]) + bool(f["lag_bands"]) <= 1,
    "--against, --blocks and --lag_bands: give at most one (each prints only its own tables)",
)
_PAIR_CELLS = flags.DEFINE_list(
    "pair_cells", ["rnn_tanh", "lstm"], "Cells of the all-pairs tables (rnn_tanh, lstm)."
)
flags.register_validator(
    "pair_cells",
    lambda names: bool(names) and set(names) <= {"rnn_tanh", "lstm"},
    "--pair_cells: a non-empty comma-separated list of rnn_tanh, lstm",
)


def _wall(compiled, *args):
    """(wall seconds, result) of one call of a compiled program, waited for."""
    t0 = time.perf_counter()
    out = jax.block_until_ready(compiled(*args))
    return time.perf_counter() - t0, out


def _time(fn, *args, repeats=None) -> float:
    """Median wall seconds of calls of the jitted ``fn``, compiled ahead of time (no untimed call):
    ``repeats`` calls, fewer once the calls have taken ``--budget`` seconds (at least one)."""
    repeats = repeats or _REPEATS.value
    compiled = fn.lower(*args).compile()
    times = []
    while len(times) < repeats and sum(times) < _BUDGET.value:
        times.append(_wall(compiled, *args)[0])
    return float(np.median(times))


def _setup(name: str, n: int, T: int):
    cell = cells.get(name, n)
    key_x, key_p = jax.random.split(jax.random.key(0))
    xs = jax.random.normal(key_x, (T, n))
    carry = cell.initialize_carry()
    params = cell.init(key_p, carry, xs[0])
    step = cells.step_fn(cell, params)
    f, s0, _ = jac.flatten_step(step, carry)
    return step, carry, xs, f, s0


def _sampled_total(make_fn, lengths_all, f, s0, xs) -> float:
    """Time calls at a few chain lengths, fit time = a + b·length, and sum over all lengths."""
    sample = np.unique(
        np.linspace(max(1, min(lengths_all)), max(lengths_all), _SAMPLES.value).astype(int)
    )
    times = [_time(make_fn(int(L)), s0, xs[:L], repeats=1) for L in sample]
    b, a = np.polyfit(sample, times, 1) if len(sample) > 1 else (times[0] / sample[0], 0.0)
    return float(np.sum(a + b * np.asarray(lengths_all)))


def _unrolled_jacrev(f):
    def make(L):
        def g(s, xs):
            return jax.lax.scan(lambda s, x: (f(s, x), None), s, xs)[0]

        return jax.jit(jax.jacrev(g))

    return make


def _perturbation_jacrev(f):
    def to_end(s0, xs):
        def g(eps):
            def body(s, inp):
                x, e = inp
                return f(s, x) + e, None

            return jax.lax.scan(body, s0, (xs, eps))[0]

        return jax.jacrev(g)(jnp.zeros((xs.shape[0], s0.shape[0]), s0.dtype))

    return to_end


def _jacfwd_assoc(f):
    def to_end(s0, xs):
        states = jax.lax.scan(lambda s, x: (f(s, x), s), s0, xs)[1]  # s_0..s_{T-1}
        js = jax.vmap(jax.jacfwd(f))(states, xs)
        # Suffix products J_T ... J_{t+1}: combine later-step matrices on the left.
        return jax.lax.associative_scan(lambda a, b: a @ b, js, reverse=True)

    return to_end


def _raw_all_pairs(jacs, T: int, chunks: int = 8):
    """Only the products of the all-pairs schedule: same lag chunks, no renormalisation, no norms."""
    n = jacs.shape[1]
    plan = jac._lag_chunks(T, chunks)
    pad = max(b - a for a, b in plan)
    jacs = jnp.concatenate([jacs, jnp.zeros((pad, n, n), jacs.dtype)])
    q = jnp.broadcast_to(jnp.eye(n, dtype=jacs.dtype), (T + 1, n, n))
    total = jnp.zeros((), jacs.dtype)
    for a, b in plan:
        size = T - a + 1
        q = q[:size]

        def step(q, d, size=size):
            j = jax.lax.dynamic_slice_in_dim(jacs, d - 1, size)
            q = jnp.einsum("tij,tjc->tic", j, q)
            return q, q[:, 0, 0]

        q, out = jax.lax.scan(step, q, jnp.arange(a, b))
        total = total + out.sum()
    return total


def bench_to_last(name: str, n: int, T: int) -> list[tuple[str, float]]:
    step, carry, xs, f, s0 = _setup(name, n, T)
    ours = jax.jit(lambda c, xs: jac.products_to_last(step, c, xs))
    t_ours = _time(ours, carry, xs)
    t_b = _time(jax.jit(_perturbation_jacrev(f)), s0, xs)
    t_c = _time(jax.jit(_jacfwd_assoc(f)), s0, xs)
    t_a = _sampled_total(_unrolled_jacrev(f), np.arange(1, T + 1), f, s0, xs)
    return [
        ("ours", t_ours),
        ("(a) jacrev per pair †", t_a),
        ("(b) jacrev + perturbations", t_b),
        ("(c) jacfwd + associative_scan", t_c),
    ]


def bench_all_pairs(name: str, n: int, T: int) -> list[tuple[str, float]]:
    step, carry, xs, f, s0 = _setup(name, n, T)
    ours = jax.jit(lambda c, xs: jac.all_pairs_log_norms(step, c, xs))
    t_ours = _time(ours, carry, xs)
    jacs = jax.jit(lambda c, xs: jac.step_jacobians(step, c, xs))(carry, xs)
    t_raw = _time(jax.jit(lambda j: _raw_all_pairs(j, T)), jacs)
    t_fro = _time(jax.jit(lambda c, xs: jac.all_pairs_log_norms(step, c, xs, norm="frobenius")),
                  carry, xs)  # fmt: skip
    ends = np.arange(1, T + 1)  # one call per end step k, chain length k
    lags = np.repeat(ends, T + 1 - ends)  # one call per pair: T + 1 - L pairs have lag L
    t_a = _sampled_total(_unrolled_jacrev(f), lags, f, s0, xs)
    t_b = _sampled_total(lambda L: jax.jit(_perturbation_jacrev(f)), ends, f, s0, xs)
    t_c = _sampled_total(lambda L: jax.jit(_jacfwd_assoc(f)), ends, f, s0, xs)
    # (a)-(c) give matrices; a log-norm matrix also needs their T(T+1)/2 spectral norms (SVD).
    t_svd = _time(jax.jit(lambda m: jnp.linalg.norm(m, 2, axis=(-2, -1))), jacs) / T
    t_norms = t_svd * T * (T + 1) / 2
    return [
        ("ours", t_ours),
        ("raw products only", t_raw),
        ("ours, norm=frobenius (uncertified)", t_fro),
        ("(a) jacrev per pair † + SVD norms", t_a + t_norms),
        ("(b) per k †, products only", t_b),
        ("(b) per k † + SVD norms", t_b + t_norms),
        ("(c) per k †, products only", t_c),
        ("(c) per k † + SVD norms", t_c + t_norms),
    ]


def bench_blocks(name: str, n: int, T: int, widths: list[int]) -> list[tuple[str, float]]:
    step, carry, xs, _, _ = _setup(name, n, T)
    return [
        (f"ours, block = {w}", _time(jax.jit(lambda c, xs, w=w: jac.all_pairs_log_norms(
            step, c, xs, block=w)), carry, xs))
        for w in widths
    ]  # fmt: skip


def _source_at(commit: str) -> str | None:
    """repro/jacobians.py as it was at ``commit`` (None if git, or such a file there, is missing)."""
    if commit.startswith("-"):  # not an option of git's
        return None
    try:
        out = subprocess.run(
            ["git", "show", f"{commit}:repro/jacobians.py"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
    except OSError:
        return None
    return out.stdout if out.returncode == 0 else None


def bench_against(
    name: str, n: int, T: int, commit: str, what: str = "all_pairs_log_norms"
) -> list[tuple[str, float]]:
    """Ours now and ours at ``commit`` (``what``: all_pairs_log_norms or products_to_last): calls
    interleaved (the order alternating from round to round), medians. The old file runs with
    today's other modules."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "jacobians_then.py"
        path.write_text(_source_at(commit))
        spec = importlib.util.spec_from_file_location("jacobians_then", path)
        then = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(then)
    step, carry, xs, _, _ = _setup(name, n, T)
    calls = [
        jax.jit(lambda c, xs, mod=mod: getattr(mod, what)(step, c, xs)).lower(carry, xs).compile()
        for mod in (jac, then)
    ]
    times = [[], []]
    for round_ in range(_REPEATS.value):
        order = (0, 1) if round_ % 2 == 0 else (1, 0)
        for i in order:
            times[i].append(_wall(calls[i], carry, xs)[0])
    return [("ours", float(np.median(times[0]))), (f"ours at {commit}", float(np.median(times[1])))]


_BANDS = ((1, 5), (5, 10), (10, 20), (20, 40), (40, 80), (80, 160), (160, 251))


def bench_lag_bands(name: str, n: int, starts: int = 250, lags: int = 250) -> list[str]:
    """Rows of the lag-band table: certified norm, SVD and product step, µs per pair."""
    step, carry, xs, _, _ = _setup(name, n, starts + lags)
    jacs = jax.jit(lambda c, xs: jac.step_jacobians(step, c, xs))(carry, xs)
    c = jacs.shape[1]
    p = max(4, c // 8)  # all_pairs_log_norms' default block
    stack = jnp.broadcast_to(jnp.eye(c, dtype=jacs.dtype), (starts, c, c))
    v = jnp.broadcast_to(jac._start_block(c, jacs.dtype, p), (starts, p, c))

    def advance(j, q):  # one lag more, each product scaled to largest |entry| 1
        q = jnp.einsum("tij,tjc->tic", j, q)
        return q / jnp.max(jnp.abs(q), axis=(-2, -1), keepdims=True)

    tol = jac._default_tol(jacs.dtype)
    advance = jax.jit(advance).lower(jacs[:starts], stack).compile()
    certify = jax.jit(lambda m, v: jac._certified_spectral(m, v, tol=tol, max_iters=100))
    certify = certify.lower(stack, v).compile()
    svd = jax.jit(lambda m: jnp.linalg.norm(m, 2, axis=(-2, -1))).lower(stack).compile()

    median5 = lambda compiled, *args: float(
        np.median([_wall(compiled, *args)[0] for _ in range(5)])
    )
    firsts = {a for a, _ in _BANDS}
    per_lag, svd_at, product_at = {}, {}, {}
    for d in range(1, lags + 1):
        j = jacs[d - 1 : d - 1 + starts]
        if d in firsts:
            product_at[d] = median5(advance, j, stack)
        stack = advance(j, stack)
        per_lag[d], (_, v) = _wall(certify, stack, v)
        if d in firsts:
            svd_at[d] = median5(svd, stack)
    us = 1e6 / starts
    rows = []
    for a, b in _BANDS:
        b = min(b, lags + 1)
        if a < b:
            cert = np.mean([per_lag[d] for d in range(a, b)]) * us
            rows.append(f"| {f'{a}-{b - 1}':>7s} | {cert:13.1f} | {svd_at[a] * us:12.1f} | "
                        f"{product_at[a] * us:12.1f} | {cert / (product_at[a] * us):9.2f} |")  # fmt: skip
    return rows


def _table(title: str, rows: list[tuple[str, float]]) -> None:
    ours = rows[0][1]
    print(f"\n{title}")
    print(f"| {'method':36s} | {'time (s)':>9s} | {'ours / method':>13s} |")
    print(f"|{'-' * 38}|{'-' * 11}|{'-' * 15}|")
    for label, t in rows:
        print(f"| {label:36s} | {t:9.3f} | {ours / t:13.3f} |")


def main(argv):
    del argv
    sys.stdout.reconfigure(line_buffering=True)  # each table shows as it finishes, piped or not
    T = _T.value
    print(f"{datetime.date.today()}, {cpu_model()}, {os.cpu_count()} cores; devices: {jax.devices()}; "
          f"jax {jax.__version__}; float32; T = {T} (all pairs: T = {_PAIRS_T.value}); † = timed on "
          f"{_SAMPLES.value} sampled calls, "
          "summed by a linear fit in the chain length")  # fmt: skip
    if _LAG_BANDS.value:
        for name in _PAIR_CELLS.value:
            print(f"\nall-pairs certified norms by lag, {name}, n = {_N_PAIRS.value}: 250 start times, "
                  "warm blocks carried as in all_pairs_log_norms; µs per pair (one call per lag; SVD "
                  "and product step: medians of 5 calls at the band's first lag)")  # fmt: skip
            print(f"| {'lags':>7s} | {'certified µs':>13s} | {'SVD µs':>12s} | {'product µs':>12s} | "
                  f"{'cert/prod':>9s} |\n|{'-' * 9}|{'-' * 15}|{'-' * 14}|{'-' * 14}|{'-' * 11}|")  # fmt: skip
            for row in bench_lag_bands(name, _N_PAIRS.value):
                print(row)
        return
    if _AGAINST.value:
        for name in _PAIR_CELLS.value:
            _table(
                f"all-pairs log-norm matrix, {name}, n = {_N_PAIRS.value}, T = {_PAIRS_T.value}: "
                f"ours against {_AGAINST.value}, {_REPEATS.value} interleaved rounds (medians)",
                bench_against(name, _N_PAIRS.value, _PAIRS_T.value, _AGAINST.value),
            )
            _table(
                f"products to the end, {name}, n = {_N_LAST.value}, T = {_T.value}: ours against "
                f"{_AGAINST.value}, {_REPEATS.value} interleaved rounds (medians)",
                bench_against(name, _N_LAST.value, _T.value, _AGAINST.value, "products_to_last"),
            )
        return
    if _BLOCKS.value:
        for name in _PAIR_CELLS.value:
            _table(
                f"all-pairs log-norm matrix, {name}, n = {_N_PAIRS.value}, T = {_PAIRS_T.value}: "
                "ours by block width (ratio: the first width's time / this one's)",
                bench_blocks(name, _N_PAIRS.value, _PAIRS_T.value, [int(w) for w in _BLOCKS.value]),
            )
        return
    for name in ("rnn_tanh", "lstm"):
        _table(
            f"products to the end, {name}, n = {_N_LAST.value}",
            bench_to_last(name, _N_LAST.value, T),
        )
    for name in _PAIR_CELLS.value:
        _table(
            f"all-pairs log-norm matrix, {name}, n = {_N_PAIRS.value}, T = {_PAIRS_T.value}",
            bench_all_pairs(name, _N_PAIRS.value, _PAIRS_T.value),
        )


if __name__ == "__main__":
    app.run(main)
