"""The P13 protocol: a row's config → (model, train.Problem, train.Schedule, optimiser).

A row trains the experiment form h_t = φ(W_rec h_{t−1} + W_in u_t + b) with 50 units and a
readout (spec §1.1) from one of the paper's initialisations (§1.6) on a ``p13_*`` task, by
minibatch SGD (batch 20, lr 0.01); the "models" of a row are the paper's methods:

  msgd     plain SGD                          msgd_c   gradient-norm clipping (Algorithm 1)
  msgd_cr  clipping and Ω (α = 4, eq. 9-10)   msgd_r   Ω without clipping (P13-C3, footnote 4)

Every ``eval_every`` updates the frozen weights are validated on ``eval_sequences`` fresh
sequences in chunks of 1000 (each chunk its own length in variable-length rows); a trial succeeds
at the first validation with fewer than 1% wrong (``success = "zero"``: none wrong, the code's rule)
and stops there. Budgets and times count updates (each update is one minibatch of ``batch``).
At each validation we also log ρ(W_rec) and, from the Jacobian engine, log₁₀‖∂h_T/∂h_t‖ from the
task's first informative step t to the last step T, averaged over a few validation sequences
(beyond the paper: the gradient flow each trial had when it succeeded or gave up).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from experiments import common
from experiments.claims import rows as rows_lib
from experiments.claims import updates
from experiments.claims.protocol import Column, Protocol, Trials, check_chunked, wrong_count
from experiments.claims.table import fmt, stats
from experiments.p13 import figures, paper
from repro import cells, problems, train
from repro import initializers as inits
from repro.tasks import pascanu2013 as p13

METHODS = {  # name: (clips, weights Ω)
    "msgd": (False, False),
    "msgd_c": (True, False),
    "msgd_cr": (True, True),
    "msgd_r": (False, True),
}
INITS = ("sigmoid", "basic_tanh", "smart_tanh")
SUCCESS = ("lt1pct", "zero")
LENGTH_RANGES = ("inclusive", "code")


@dataclasses.dataclass(frozen=True)
class Task:
    """A p13 task: sizes, generator, objective and the first step that carries information."""

    io: Callable  # c -> (n_in, n_out)
    sample: Callable  # (c, key, batch, L, max_len) -> Batch
    objective: Callable  # c -> problems.Objective
    extra: Callable = lambda L: 0  # how far past L a sequence of nominal length L may run
    first: Callable = lambda L: 0  # the first input step whose content the target needs
    steps: Callable = lambda c, L: L  # steps of a sequence of nominal length L that surely exist
    min_length: int = 1
    why: str = ""


def _gen(name: str) -> Callable:
    return lambda c, k, n, L, m: p13.TASKS[name](k, n, L, max_len=m)


TASKS = {
    "p13_temporal_order": Task(
        lambda c: (6, 4), _gen("p13_temporal_order"), lambda c: problems.last_softmax(),
        first=lambda L: L // 10, min_length=10, why="its positions are drawn from ⌊0.1 L⌋-wide ranges",
    ),
    "p13_temporal_order_3bit": Task(
        lambda c: (6, 8), _gen("p13_temporal_order_3bit"), lambda c: problems.last_softmax(),
        first=lambda L: L // 10, min_length=10, why="its positions are drawn from ⌊0.1 L⌋-wide ranges",
    ),
    "p13_addition": Task(
        lambda c: (2, 1), _gen("p13_addition"), lambda c: problems.last_linear(0.04),
        extra=lambda L: L // 10, min_length=10, why="the first marker is drawn from {0..⌊0.1 l⌋-1}",
    ),
    "p13_multiplication": Task(
        lambda c: (2, 1), _gen("p13_multiplication"), lambda c: problems.last_linear(0.04),
        extra=lambda L: L // 10, min_length=10, why="the first marker is drawn from {0..⌊0.1 l⌋-1}",
    ),
    "p13_random_permutation": Task(
        lambda c: (100, 100), _gen("p13_random_permutation"), lambda c: problems.last_softmax(),
        min_length=2, why="the bit sits at positions 0 and L",
    ),
    "p13_memorization": Task(
        lambda c: (c.memo_K + 2, c.memo_K + 1),
        lambda c, k, n, L, m: p13.memorization(k, n, L, K=c.memo_K, P=c.memo_P, max_len=m),
        lambda c: problems.last_softmax(),
        steps=lambda c, L: L + 2 * c.memo_P, min_length=1,
    ),
}  # fmt: skip


def lengths(c, name: str = "test_lengths") -> list[int]:
    """A comma-separated list of lengths ("50,100"), each at least the task's minimum."""
    out = []
    for item in common.items(c, name):
        try:
            out.append(int(item))
        except ValueError:
            raise ValueError(
                f"config.{name}={c[name]!r}: must be comma-separated integers"
            ) from None
    task = TASKS[c.task]
    bad = [L for L in out if L < task.min_length]
    if bad:
        raise ValueError(
            f"config.{name}={c[name]!r}: {c.task} needs lengths >= {task.min_length} ({task.why})"
        )
    return out


def validate(c) -> None:
    """Every check that can fail, before any compute (one-line ValueErrors naming the field)."""
    common.positive(c, "trials", "max_updates", "hidden", "batch", "eval_every", "evals_per_chunk")
    common.positive(c, "eval_sequences", "test_sequences", "L", "memo_K", "memo_P")
    common.at_most(c, "eval_every", "max_updates")
    common.one_of(c, "task", TASKS)
    common.one_of(c, "init", INITS)
    common.one_of(c, "success", SUCCESS)
    common.one_of(c, "length_range", LENGTH_RANGES)
    common.one_of(c, "smart_sparsity", ("incoming", "outgoing"))
    common.one_of(c, "omega_form", ("code", "eq9"))
    models = rows_lib.models_of(c)
    if not models or len(set(models)) < len(models) or any(m not in METHODS for m in models):
        raise ValueError(
            f"config.models={c.models!r}: must list distinct methods of {list(METHODS)}"
        )
    for name in ("lr", "clip"):
        if not (isinstance(c[name], int | float) and 0 < c[name] < float("inf")):
            raise ValueError(f"config.{name}={c[name]!r}: must be a finite number > 0")
    if not (isinstance(c.alpha, int | float) and 0 <= c.alpha < float("inf")):
        raise ValueError(f"config.alpha={c.alpha!r}: must be a finite number >= 0")
    task = TASKS[c.task]
    if c.L < task.min_length:
        raise ValueError(f"config.L={c.L}: {c.task} needs L >= {task.min_length} ({task.why})")
    if c.L_max and c.L_max < c.L + (c.length_range == "code"):  # negative ones too
        raise ValueError(
            f"config.L_max={c.L_max}: must be >= L={c.L} (0: every sequence has length L)"
        )
    if c.task == "p13_memorization" and c.L_max:
        raise ValueError("config.L_max: p13_memorization trains one model per length (L_max=0)")
    check_chunked(c, "validated")
    lengths(c)


def model_for(c, n_out: int) -> cells.Readout:
    """50 units in the experiment form with the row's initialisation (spec §1.6); biases 0."""
    std = 0.1 if c.init == "basic_tanh" else 0.01
    rec = inits.normal(std)
    if c.init == "smart_tanh":
        rec = inits.sparse_spectral(15, 0.95, std=0.01, direction=c.smart_sparsity)
    cell = cells.SimpleRNN(
        c.hidden,
        "sigmoid" if c.init == "sigmoid" else "tanh",
        recurrent_init=rec,
        input_init=inits.normal(std),
        bias_init=inits.constant(0.0),
        param_dtype=jnp.dtype(c.dtype),
    )
    return cells.Readout(
        cell, n_out, "linear", kernel_init=inits.normal(std), bias_init=inits.constant(0.0),
        param_dtype=jnp.dtype(c.dtype),
    )  # fmt: skip


def _span(c) -> tuple[int, int]:
    """The nominal lengths a minibatch may draw: L..hi (inclusive)."""
    if not c.L_max:
        return c.L, c.L
    return c.L, c.L_max - (c.length_range == "code")  # the code draws 50 + U{0..149}


def sampler(c, task: Task, lo: int, hi: int) -> Callable:
    """``(key, n) -> Batch`` of n sequences of one nominal length drawn from {lo..hi}."""
    bucket = hi + task.extra(hi) + (2 * c.memo_P if c.task == "p13_memorization" else 0)

    def sample(key, n):
        if lo == hi:
            return task.sample(c, key, n, lo, None)
        k_len, k = jax.random.split(key)
        return task.sample(c, k, n, jax.random.randint(k_len, (), lo, hi + 1), bucket)

    return sample


def flow(model, task: Task, c, sample: Callable) -> Callable:
    """``(params, key) -> (log₁₀‖∂h_T/∂h_t‖ averaged over FLOW_SEQUENCES, ρ(W_rec))``: t is the
    state that first holds the task's first informative input, T the last step every sequence of
    nominal length c.L has (the spectral norm by the SVD at every step: exact, from the Jacobian
    engine)."""
    t = task.first(c.L) + 1  # input position p is read by step p + 1

    def measure(params, key):
        batch = sample(key, updates.FLOW_SEQUENCES)
        one = lambda xs: updates.state_flow(model, params, xs, t)
        logs = jax.vmap(one)(batch.inputs[:, : task.steps(c, c.L)])
        rho = inits.spectral_radius(params["params"]["cell"]["W_rec"], in_program=True)
        return jnp.mean(logs) / jnp.log(10.0), rho

    return measure


def build(c, method: str, part: int = 0) -> Trials:
    """The trials of one row and method."""
    task = TASKS[c.task]
    n_in, n_out = task.io(c)
    model = model_for(c, n_out)
    objective = task.objective(c)
    lo, hi = _span(c)
    sample = sampler(c, task, lo, hi)
    check_wrong = wrong_count(model, objective, sample, c.eval_sequences)
    measure = flow(model, task, c, sampler(c, task, c.L, c.L))
    limit = 0.01 if c.success == "lt1pct" else 1.0 / c.eval_sequences

    # Ω and the share of its valid terms, logged at every validation (spec §2.1, the authors' log),
    # on one fresh minibatch whatever the method (α only weighs Ω into the update)
    omega_of = problems.omega_grad(model, objective, 0.0, form=c.omega_form)

    def evaluate(params, key):
        wrong = check_wrong(params, key)
        log_flow, rho = measure(params, jax.random.fold_in(key, 1))
        (_, stats), _ = omega_of(params, sample(jax.random.fold_in(key, 2), c.batch))
        rate = wrong / c.eval_sequences
        out = {"error_rate": rate, "passed": rate < limit, "log10_flow": log_flow, "rho": rho}
        out |= {"omega": stats["omega"], "omega_valid": stats["omega_valid"]}
        return {**out, "lt1pct": rate < 0.01}

    tests = {f"L{L}": sampler(c, task, L, L) for L in lengths(c)}
    counts = {k: wrong_count(model, objective, s, c.test_sequences) for k, s in tests.items()}

    def test(params, key):
        out = {"wrong": check_wrong(params, key)}
        for i, (name, count) in enumerate(counts.items()):
            out[f"wrong@{name}"] = count(params, jax.random.fold_in(key, i + 1))
        out["log10_flow"], out["rho"] = measure(params, jax.random.fold_in(key, 99))
        return out

    clips, weighted = METHODS[method]
    problem = problems.sequence_problem(
        model, lambda k: sample(k, c.batch), objective, n_in=n_in, evaluate=evaluate, test=test
    )
    if weighted and c.alpha > 0:
        grad = problems.omega_grad(model, objective, c.alpha, form=c.omega_form)
        problem = dataclasses.replace(problem, grad=grad)
    guard = None
    if c.nan_guard and clips:
        shrink = jax.tree.map(lambda p: 0.0, jax.eval_shape(problem.init, jax.random.key(0)))
        shrink["params"]["cell"]["W_rec"] = 0.02
        guard = train.nan_guard(shrink)
    schedule = updates.schedule(c, milestones(c))
    tx = train.make_optimizer("sgd", c.lr, clip_norm=c.clip if clips else None, guard=guard)
    return Trials(model, problem, schedule, tx)


def milestones(c) -> tuple[train.Milestone, ...]:
    """Under the code's rule (0 wrong), also record when < 1% was first reached (spec §3.4)."""
    lt1pct = train.Milestone("lt1pct", entry="lt1pct", label="< 1% wrong")
    return (lt1pct,) if c.success == "zero" else ()


def summarize(c, r: dict) -> dict:
    """P13's entry fields: median updates to success, the final validation, generalisation."""
    test = {k: np.asarray(v, float) for k, v in r["test"].items()}
    out = {
        **updates.summary(c, r),
        "log10_flow": test["log10_flow"].tolist(),
        "rho": test["rho"].tolist(),
    }
    gen = {k.removeprefix("wrong@"): v for k, v in test.items() if k.startswith("wrong@")}
    if gen:
        out["test_sequences"] = c.test_sequences
        out["generalisation"] = {k: v.tolist() for k, v in gen.items()}
    if "lt1pct" in r["milestones"]:  # the code's rule: when < 1% was first reached, in updates
        m = r["milestones"]["lt1pct"]
        first = np.asarray(m["at"], float)[np.asarray(m["reached"], bool)] / c.batch
        out["lt1pct"] = {**stats(first), "reached": int(first.size)}
    return out


def _gen_cell(e: dict, p: dict) -> str:
    gen = e.get("generalisation")
    if not gen:
        return ""
    worst = {k: max(v) for k, v in sorted(gen.items(), key=lambda kv: int(kv[0][1:]))}
    text = ", ".join(f"{k[1:]}: {fmt(w)}" for k, w in worst.items())
    return f"most wrong of {fmt(e['test_sequences'])}: {text} / {p.get('generalisation', '–')}"


COLUMNS = (
    updates.SOLVED,
    updates.MEDIAN,
    updates.final_error_column("final validation error % (per trial)"),
    Column("generalisation", _gen_cell),
    Column("paper", lambda e, p: p.get("statement", "–")),
)


PROTOCOL = Protocol(
    validate=validate,
    build=build,
    paper=paper.TABLES,
    summarize=summarize,
    milestones=milestones,
    columns=COLUMNS,
    unit="updates",
    per_unit=lambda c: c.batch,
    budget=lambda c: c.max_updates,
    table_note="success: < 1% of the validation sequences wrong (P13 §4.1)",
    figures=figures.FIGURES,
)
