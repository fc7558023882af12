"""The protocol of the trained practitioners' questions (S2, S3): a row → (model, problem, schedule).

A row trains one cell with a linear readout on one long-lag task at one length; its "models" are
either the remedies of S2 (``models_are = "variants"``: cells, initialisations, clipping) under one
optimiser, or the optimisers of S3 (``models_are = "optimizers"``) on one variant. Every variant
gets the same optimiser, learning rate, batch and budget: nothing is tuned per variant.

Tasks (``repro.tasks``): ``s_recall`` (copy/recall: the marked symbol of a stream, marker
anywhere, so lags 0..L−1; last-step softmax), ``s_adding`` (P13's adding problem at a fixed length, wrong when the
squared error exceeds 0.04), ``s_delayed_recall`` (y_k = u_0 with u = ±1, linear output, wrong when |y − u_0| ≥ 0.5;
``L`` is the lag k). Every ``eval_every`` updates the frozen weights are checked on ``eval_sequences``
fresh sequences; a trial succeeds at the first check with fewer than 1% wrong and stops there.

At each check (``flow_at_checks``; always after stopping) we also log, from the Jacobian engine, log₁₀‖∂s_T/∂s_t‖ (the whole state s, t the
state that first holds the informative input, T the last step; NaN for the attention RNN, whose
state holds every past state) and, for every model, log₁₀‖∂y_T/∂x_p‖ at the informative input p
by reverse-mode autodiff. After stopping: the error on fresh sequences, the profile of
log₁₀‖∂y_T/∂x_t‖ over t, and for ``s_recall`` the accuracy against how far back the marked symbol
was.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from experiments import common
from experiments.claims import rows as rows_lib
from experiments.claims import updates
from experiments.claims.protocol import CHUNK, Column, Trials, check_chunked, wrong_count
from experiments.questions.variants import VARIANTS
from repro import cells, problems, train
from repro.stats import wilson
from repro.tasks import questions as tasks

RECENCY_BINS = 10  # the recency test's bins of lag (tenths of the length)


@dataclasses.dataclass(frozen=True)
class Task:
    """A task: sizes, generator ``(c, key, n, first, last) -> Batch``, objective, informative step."""

    io: Callable  # c -> (n_in, n_out)
    sample: Callable
    objective: Callable  # c -> problems.Objective
    steps: Callable  # c -> sequence length
    min_L: int
    why: str


TASKS = {
    "s_recall": Task(
        lambda c: (c.symbols + 1, c.symbols),
        lambda c, k, n, lo=0, hi=None: tasks.recall(k, n, c.L, symbols=c.symbols, first=lo, last=hi),
        lambda c: problems.last_softmax(), lambda c: c.L, 2, "a symbol and a later output step",
    ),
    "s_adding": Task(
        lambda c: (2, 1), lambda c, k, n, lo=0, hi=None: tasks.adding(k, n, c.L),
        lambda c: problems.last_linear(0.04), lambda c: c.L, 10,
        "the first marker is drawn from {0..⌊0.1 L⌋-1}",
    ),
    "s_delayed_recall": Task(
        lambda c: (1, 1), lambda c, k, n, lo=0, hi=None: tasks.delayed_recall(k, n, c.L),
        lambda c: problems.last_linear(0.25), lambda c: c.L + 1, 1, "L is the lag k >= 1",
    ),
}  # fmt: skip


def informative(task: str, batch) -> jax.Array:
    """(B,) the input position whose content the target needs (the first one for addition)."""
    if task == "s_recall":
        return batch.extra["p"]
    if task == "s_adding":
        return batch.extra["p0"]
    return jnp.zeros(batch.inputs.shape[0], jnp.int32)


def variant_and_optimizer(c, model: str) -> tuple[str, str]:
    """A row's (variant, optimiser) for one of its models."""
    return (model, c.optimizer) if c.models_are == "variants" else (c.variant, model)


def validate(c) -> None:
    """Every check that can fail, before any compute (one-line ValueErrors naming the field)."""
    common.positive(c, "trials", "max_updates", "hidden", "batch", "eval_every", "evals_per_chunk")
    common.positive(c, "eval_sequences", "test_sequences", "L", "symbols")
    common.at_most(c, "eval_every", "max_updates")
    common.one_of(c, "task", TASKS)
    common.one_of(c, "models_are", ("variants", "optimizers"))
    common.one_of(c, "variant", VARIANTS)
    common.one_of(c, "optimizer", train.OPTIMIZERS)
    common.one_of(c, "dtype", ("float32", "float64"))
    known = VARIANTS if c.models_are == "variants" else train.OPTIMIZERS
    models = rows_lib.models_of(c)
    if not models or len(set(models)) < len(models) or any(m not in known for m in models):
        raise ValueError(
            f"config.models={c.models!r}: must list distinct {c.models_are} of {list(known)}"
        )
    for name in ("lr", "clip"):
        v = c[name]
        if not (isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < math.inf):
            raise ValueError(f"config.{name}={v!r}: must be a finite number > 0")
    if not (isinstance(c.radius, int | float) and 0 <= c.radius < math.inf):
        raise ValueError(f"config.radius={c.radius!r}: must be a finite number >= 0 (0: own init)")
    task = TASKS[c.task]
    if c.L < task.min_L:
        raise ValueError(f"config.L={c.L}: {c.task} needs L >= {task.min_L} ({task.why})")
    check_chunked(c)


def model_for(c, variant: str) -> cells.Readout:
    task = TASKS[c.task]
    n_in, n_out = task.io(c)
    cell = VARIANTS[variant].cell(c, task.steps(c))
    return cells.Readout(cell, n_out, "linear", use_bias=variant != "ssm",
                         param_dtype=jnp.dtype(c.dtype))  # fmt: skip


def input_reach(model, params, inputs: jax.Array) -> jax.Array:
    """log₁₀‖∂y_T/∂x_t‖_F for every t of one sequence (L, n_in): exact, by reverse mode."""
    last = lambda xs: problems.unroll(model, params, xs[None])[0, -1]
    jac = jax.jacrev(last)(inputs)  # (n_out, L, n_in)
    sq = jnp.sum(jac**2, axis=(0, 2))
    return 0.5 * jnp.log10(jnp.maximum(sq, jnp.finfo(sq.dtype).tiny))


def build(c, name: str, part: int = 0) -> Trials:
    """The trials of one row and model."""
    variant, optimizer = variant_and_optimizer(c, name)
    task = TASKS[c.task]
    n_in, _ = task.io(c)
    model = model_for(c, variant)
    objective = task.objective(c)
    sample = lambda key, n: task.sample(c, key, n)
    check_wrong = wrong_count(model, objective, sample, c.eval_sequences)
    has_state = variant != "attention"

    def measure(params, key):
        batch = sample(key, updates.FLOW_SEQUENCES)
        p = informative(c.task, batch)
        reach = jax.vmap(lambda xs: input_reach(model, params, xs))(batch.inputs)
        at_p = jnp.mean(jnp.take_along_axis(reach, p[:, None], axis=1))
        last = jnp.mean(reach[:, -1])
        log_flow = jnp.nan  # the attention RNN's state holds every past state: not measured
        if has_state:
            flow = lambda xs, q: updates.state_flow(model, params, xs, q + 1) / jnp.log(10.0)
            log_flow = jnp.mean(jax.vmap(flow)(batch.inputs, p))
        out = {"log10_flow": log_flow, "reach": at_p, "reach_last": last}
        return {**out, "reach_profile": jnp.mean(reach, axis=0)}

    def evaluate(params, key):
        rate = check_wrong(params, key) / c.eval_sequences
        out = {"error_rate": rate, "passed": rate < 0.01}
        if not c.flow_at_checks:
            return out
        measured = measure(params, jax.random.fold_in(key, 1))
        return {**out, **{k: v for k, v in measured.items() if k != "reach_profile"}}

    def test(params, key):
        out = {"wrong": check_wrong(params, key), **measure(params, jax.random.fold_in(key, 1))}
        if c.task == "s_recall":
            out["recency"] = recency(model, objective, c, params, jax.random.fold_in(key, 3))
        return out

    problem = problems.sequence_problem(
        model, lambda k: sample(k, c.batch), objective, n_in=n_in, evaluate=evaluate, test=test
    )
    schedule = updates.schedule(c)
    clip = c.clip if VARIANTS[variant].clips else None
    return Trials(model, problem, schedule, train.make_optimizer(optimizer, c.lr, clip_norm=clip))


def recency(model, objective, c, params, key) -> jax.Array:
    """Accuracy against lag on ``test_sequences`` fresh recall sequences (marker anywhere):
    (RECENCY_BINS,), bin b holding lags in [b L/10, (b+1) L/10)."""
    task = TASKS[c.task]

    def chunk(k):
        batch = task.sample(c, k, CHUNK, 0, c.L)
        correct, _ = objective.score(problems.unroll(model, params, batch.inputs), batch)
        lag = c.L - 1 - batch.extra["p"]
        b = jnp.minimum(lag * RECENCY_BINS // c.L, RECENCY_BINS - 1)
        hit = jax.nn.one_hot(b, RECENCY_BINS)
        return jnp.stack([hit.T @ correct.astype(hit.dtype), hit.sum(0)])

    sums = jnp.sum(jax.lax.map(chunk, jax.random.split(key, c.test_sequences // CHUNK)), axis=0)
    return sums[0] / jnp.maximum(sums[1], 1.0)


def summarize(c, r: dict) -> dict:
    """The entry's own fields: Wilson interval, median updates (> half solved), final error, reach."""
    solved = np.asarray(r["solved"], bool)
    test = r["test"]
    lo, hi = wilson(int(solved.sum()), solved.size)
    out = {
        **updates.summary(c, r),
        "task": c.task,
        "L": c.L,
        "radius": c.radius,
        "lr": c.lr,
        "symbols": c.symbols,
        "wilson": [float(lo), float(hi)],
        "log10_flow": np.asarray(test["log10_flow"], float).tolist(),
        "reach": np.asarray(test["reach"], float).tolist(),
        "reach_last": np.asarray(test["reach_last"], float).tolist(),
        "reach_profile": np.asarray(test["reach_profile"], float).tolist(),
    }
    if "recency" in test:
        out["recency"] = np.asarray(test["recency"], float).tolist()
    return out


COLUMNS = (
    updates.SOLVED,
    Column("95% interval", lambda e, p: "{:.2f}–{:.2f}".format(*e["wilson"])),
    updates.MEDIAN,
    updates.final_error_column("final error % (per trial)"),
)
