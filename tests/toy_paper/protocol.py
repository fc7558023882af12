"""Toy (2026), a paper invented for the tests, and its protocol: what adding a paper takes.

Claim TOY-T1: a tanh RNN of 4 units carries the sign of its first input over T = 5 steps; all 4 of
the paper's trials learn it, after 600 sequences on average (600–900, a budget of 3,000). This file
(the protocol and the paper's numbers, ``PAPER``) and ``config.py`` are the whole paper: the shared
command (``python -m experiments.run``), pipeline, table, status rule, figure and docs serve it
as they are; nothing in ``experiments/`` names it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from experiments import common
from experiments.claims.protocol import Protocol, Trials
from repro import cells, problems, train
from repro.tasks import Batch

# The paper's numbers, as data: paper[claim][row id] (the status rule reads success, trials, the
# mean time to success and its range, and the budget).
PAPER = {
    "TOY-T1": {
        "T5": {"success_pct": 100, "trials": 4, "after": 600, "min": 600, "max": 900,
               "budget": 3000},
    },
}  # fmt: skip


def validate(c) -> None:
    common.positive(c, "trials", "T", "hidden", "max_sequences", "eval_every", "batch")
    common.positive(c, "evals_per_chunk")


def sample(key, batch: int, T: int) -> Batch:
    """x_1 = ±1, then zeros; the target, at the last step only, is x_1."""
    sign = jax.random.rademacher(key, (batch,)).astype(jnp.float32)
    x = jnp.zeros((batch, T, 1)).at[:, 0, 0].set(sign)
    y = jnp.zeros((batch, T, 1)).at[:, -1, 0].set(sign)
    mask = jnp.zeros((batch, T)).at[:, -1].set(1.0)
    return Batch(x, y, mask, jnp.full((batch,), T))


def build(c, model_name: str, part: int = 0) -> Trials:
    del part
    model = cells.Readout(cells.get(model_name, c.hidden), 1, "tanh")
    objective = problems.squared_error(0.5)  # right where |y − target| < 0.5

    def evaluate(params, key):
        b = sample(key, 256, c.T)
        correct, _ = objective.score(problems.unroll(model, params, b.inputs), b)
        return {"passed": jnp.all(correct), "error_rate": 1.0 - jnp.mean(correct)}

    def test(params, key):
        b = sample(key, 1000, c.T)
        correct, _ = objective.score(problems.unroll(model, params, b.inputs), b)
        return {"wrong": jnp.sum(~correct)}

    problem = problems.sequence_problem(
        model, lambda k: sample(k, c.batch, c.T), objective, n_in=1, evaluate=evaluate, test=test
    )
    schedule = train.Schedule(
        trials=c.trials,
        seed=c.seed,
        max_sequences=c.max_sequences,
        eval_every=c.eval_every,
        evals_per_chunk=c.evals_per_chunk,
    )
    return Trials(model, problem, schedule, optax.adam(c.lr))


PROTOCOL = Protocol(validate=validate, build=build, paper=PAPER)
