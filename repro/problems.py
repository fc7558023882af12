"""Bind a model, a task generator and a paper's loss and scoring rules into a ``train.Problem``.

Objectives (loss, per-sequence correctness and error), by paper:
  squared_error(tolerance)   H97 §2: loss ½·Σ (y − d)² over output units and target steps (one
                             update per sequence: the gradient summed over its steps); a sequence is
                             correct when every output at every target step has |error| < tolerance
                             (strict); its error is the mean absolute error there (ST3's average).
  last_softmax()             P13 "lastSoftmax": cross-entropy at the target steps, mean over the
                             batch; correct when the argmax matches.
  last_linear(threshold)     P13 "lastLinear": squared error at the target steps, mean over the batch;
                             wrong when Σ_out (y − d)² > threshold (0.04).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from repro import train
from repro.tasks import Batch

__all__ = [
    "Objective",
    "last_linear",
    "last_softmax",
    "sequence_problem",
    "squared_error",
    "test_on_fresh",
    "unroll",
]


def unroll(model: nn.Module, params, inputs: jax.Array) -> jax.Array:
    """Outputs (B, L, n_out) of ``model`` over batch-major ``inputs`` (B, L, n_in), from a zero
    state (every sequence starts from reset states, H97 §5)."""
    carry = model.initialize_carry(inputs.shape[:1])
    _, ys = jax.lax.scan(lambda c, x: model.apply(params, c, x), carry, jnp.swapaxes(inputs, 0, 1))
    return jnp.swapaxes(ys, 0, 1)


class Objective(NamedTuple):
    """``loss(y, batch) -> scalar`` and ``score(y, batch) -> (correct (B,), error (B,))``."""

    loss: Callable[[jax.Array, Batch], jax.Array]
    score: Callable[[jax.Array, Batch], tuple[jax.Array, jax.Array]]


def _n_targets(batch: Batch) -> jax.Array:
    return jnp.maximum(jnp.sum(batch.mask, axis=1), 1.0)


def squared_error(tolerance: float) -> Objective:
    """H97: ½ Σ squared error over outputs and target steps, summed per sequence, mean over batch."""
    if not tolerance > 0:
        raise ValueError(f"tolerance={tolerance!r}: must be > 0")

    def loss(y, batch):
        se = jnp.sum(batch.mask[..., None] * (y - batch.targets) ** 2, axis=(1, 2))
        return 0.5 * jnp.mean(se)

    def score(y, batch):
        err = jnp.abs(y - batch.targets) * batch.mask[..., None]
        correct = jnp.all(err < tolerance, axis=(1, 2))
        mae = jnp.sum(err, axis=(1, 2)) / (_n_targets(batch) * y.shape[-1])
        return correct, mae

    return Objective(loss, score)


def last_softmax() -> Objective:
    """P13: softmax cross-entropy at the target steps; correct when the argmax is the target's."""

    def loss(y, batch):
        ce = -jnp.sum(batch.targets * jax.nn.log_softmax(y), axis=-1)
        return jnp.mean(jnp.sum(batch.mask * ce, axis=1) / _n_targets(batch))

    def score(y, batch):
        wrong = (jnp.argmax(y, -1) != jnp.argmax(batch.targets, -1)) & (batch.mask > 0)
        return ~jnp.any(wrong, axis=1), jnp.sum(wrong, axis=1) / _n_targets(batch)

    return Objective(loss, score)


def last_linear(threshold: float = 0.04) -> Objective:
    """P13: squared error at the target steps; wrong when Σ_out (y − d)² > ``threshold``."""

    def loss(y, batch):
        se = jnp.sum((y - batch.targets) ** 2, axis=-1)
        return jnp.mean(jnp.sum(batch.mask * se, axis=1) / _n_targets(batch))

    def score(y, batch):
        se = jnp.sum((y - batch.targets) ** 2, axis=-1) * batch.mask
        return ~jnp.any(se > threshold, axis=1), jnp.sum(se, axis=1) / _n_targets(batch)

    return Objective(loss, score)


def test_on_fresh(
    model: nn.Module, objective: Objective, sample: Callable[[jax.Array], Batch]
) -> Callable[[Any, jax.Array], dict]:
    """A frozen-weight test on one fresh batch ``sample(key)``: number wrong, error rate, mean error
    (the mean of the objective's per-sequence error, e.g. the MAE), and ``passed`` (no errors)."""

    def test(params, key):
        batch = sample(key)
        correct, error = objective.score(unroll(model, params, batch.inputs), batch)
        wrong = jnp.sum(~correct)
        return {
            "wrong": wrong,
            "error_rate": wrong / correct.shape[0],
            "mean_error": jnp.mean(error),
            "passed": wrong == 0,
        }

    return test


def sequence_problem(
    model: nn.Module,
    sample: Callable[[jax.Array], Batch],
    objective: Objective,
    *,
    n_in: int,
    evaluate: Callable[[Any, jax.Array], dict] | None = None,
    test: Callable[[Any, jax.Array], dict] | None = None,
) -> train.Problem:
    """A supervised sequence problem: ``model`` (carry, x) -> (carry, y) trained on ``sample``."""

    def init(key):
        return model.init(key, model.initialize_carry(), jnp.zeros((n_in,), jnp.float32))

    def loss(params, batch):
        y = unroll(model, params, batch.inputs)
        correct, error = objective.score(y, batch)
        return objective.loss(y, batch), {"correct": correct, "error": error}

    return train.Problem(init=init, sample=sample, loss=loss, evaluate=evaluate, test=test)
