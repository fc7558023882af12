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
from jax.flatten_util import ravel_pytree

from repro import cells, fused_lstm, train
from repro.tasks import Batch

__all__ = [
    "Objective",
    "last_linear",
    "last_softmax",
    "omega",
    "omega_grad",
    "per_step_sgd",
    "sequence_problem",
    "squared_error",
    "test_on_fresh",
    "unroll",
]


# Time steps per ``lax.scan`` iteration of the generic unroll. One: more was tried (2026-12-07, 4
# steps, 2-core CPU) and is no rule: the H97 LSTM trained 1.3-1.5x faster vmapped over trials
# (batch 1), but one sequence's update took 2-3x as long (S1-cost: 1 block 106 → 208 µs, 64 blocks
# 1,227 → 3,286 µs) and a batch-32, 64-unit LSTM step 1.7x as long (bench/train.py (a')).
UNROLL = 1


def unroll(
    model: nn.Module, params, inputs: jax.Array, *, unroll: int = UNROLL, fused: bool = True
) -> jax.Array:
    """Outputs (B, L, n_out) of ``model`` over batch-major ``inputs`` (B, L, n_in), from a zero
    state (every sequence starts from reset states, H97 §5).

    Args:
      model, params, inputs: the cell (any ``cells`` module), its parameters, the inputs.
      unroll: steps per ``lax.scan`` iteration on the generic path (``lax.scan``'s ``unroll``;
        default ``UNROLL``); the fused path takes one step per iteration (4 were 1.2-1.4x slower).
      fused: run ``cells.LSTM`` and ``cells.Readout(cells.LSTM)`` through ``fused_lstm.unroll``
        (same equations, features-major layout, hand-written backward pass): a training step about
        1.25x faster on a 2-core CPU (``bench/train.py``); outputs and gradients agree with the
        generic path to rounding. It is a ``jax.custom_vjp``, so forward-mode autodiff
        (``jax.jvp``, ``jax.jacfwd``) through it is not available; pass ``fused=False`` for the
        generic path. Other models always take the generic path.
    """
    if fused and inputs.ndim == 3 and inputs.shape[1] > 0:
        parts = fused_lstm.parts(model, params)
        if parts is not None:
            return fused_lstm.unroll(parts, inputs)
    carry = model.initialize_carry(inputs.shape[:1])
    _, ys = jax.lax.scan(
        lambda c, x: model.apply(params, c, x), carry, jnp.swapaxes(inputs, 0, 1), unroll=unroll
    )
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


def clean_target(tolerance: float) -> Objective:
    """H97 Exp. 3c: ½ squared error against the noisy training targets; scored against the
    noise-free target ``batch.extra["clean_target"]`` (B,) at the target step: wrong when
    |y − clean| > ``tolerance`` (not ≥), error = |y − clean|."""
    if not tolerance > 0:
        raise ValueError(f"tolerance={tolerance!r}: must be > 0")
    base = squared_error(tolerance)

    def score(y, batch):
        clean = batch.extra["clean_target"][:, None, None]
        err = jnp.abs(y - clean) * batch.mask[..., None]
        correct = jnp.all(err <= tolerance, axis=(1, 2))
        return correct, jnp.sum(err, axis=(1, 2)) / (_n_targets(batch) * y.shape[-1])

    return Objective(base.loss, score)


def legal_next() -> Objective:
    """H97 Exp. 1: ½ squared error against the one-hot next symbol at every step; a step is correct
    iff every legal successor (``batch.extra["legal"]`` (B, L, K)) is more active than every other
    output; a string is correct iff all its steps are. Error = fraction of wrong steps."""
    base = squared_error(1.0)

    def score(y, batch):
        legal = batch.extra["legal"] > 0
        lowest_legal = jnp.min(jnp.where(legal, y, jnp.inf), axis=-1)
        highest_other = jnp.max(jnp.where(legal, -jnp.inf, y), axis=-1)
        wrong = (lowest_legal <= highest_other) & (batch.mask > 0)
        return ~jnp.any(wrong, axis=1), jnp.sum(wrong, axis=1) / _n_targets(batch)

    return Objective(base.loss, score)


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
    model: nn.Module,
    objective: Objective,
    sample: Callable[[jax.Array], Batch],
    *,
    max_wrong: int = 0,
    max_error_rate: float | None = None,
    max_mean_error: float | None = None,
    chunks: int = 1,
) -> Callable[[Any, jax.Array], dict]:
    """A frozen-weight test on one batch ``sample(key)`` (fresh, or a fixed set that ignores the key).

    With ``chunks > 1`` the test set is ``chunks`` batches ``sample(k_i)``, keys ``k_i`` split from
    the key, scored one after another (``lax.map``), so that memory holds one chunk: H97's checks of
    10,000 sequences for 18 vmapped trials. The numbers are those of the whole set.

    Returns number wrong, error rate, mean error (the mean of the objective's per-sequence error,
    e.g. the MAE), ``mse`` (mean squared error against ``batch.targets`` per output and target
    step) and ``passed``, the papers' test-set rules:
      wrong <= max_wrong (default 0: every sequence correct: Reber's sets, H97 3a's ST1; 5 for 3b's
        "fewer than 6 of 256");
      or, if ``max_error_rate`` is set, error rate < max_error_rate instead (P13: "< 1% of 10,000");
      and, if ``max_mean_error`` is set, mean error < max_mean_error (H97 ST2).
    """
    if not (isinstance(max_wrong, int) and max_wrong >= 0):
        raise ValueError(f"max_wrong={max_wrong!r}: must be an integer >= 0")
    for name, value in (("max_error_rate", max_error_rate), ("max_mean_error", max_mean_error)):
        if value is not None and not value > 0:
            raise ValueError(f"{name}={value!r}: must be > 0 (or None)")

    if not (isinstance(chunks, int) and chunks >= 1):
        raise ValueError(f"chunks={chunks!r}: must be an integer >= 1")

    def sums(params, key):  # per chunk: sequences, wrong, summed error and squared error
        batch = sample(key)
        y = unroll(model, params, batch.inputs)
        correct, error = objective.score(y, batch)
        se = jnp.sum(batch.mask[..., None] * (y - batch.targets) ** 2, axis=(1, 2))
        se = se / (_n_targets(batch) * y.shape[-1])
        return correct.shape[0], jnp.sum(~correct), jnp.sum(error), jnp.sum(se)

    def test(params, key):
        if chunks == 1:
            n, wrong, err, se = sums(params, key)
        else:
            wrong, err, se = jax.lax.map(
                lambda k: sums(params, k)[1:], jax.random.split(key, chunks)
            )
            n = chunks * jax.eval_shape(sample, key).inputs.shape[0]
            wrong, err, se = jnp.sum(wrong), jnp.sum(err), jnp.sum(se)
        mse = se / n
        rate = wrong / n
        mean_error = err / n
        passed = wrong <= max_wrong if max_error_rate is None else rate < max_error_rate
        if max_mean_error is not None:
            passed &= mean_error < max_mean_error
        return {
            "wrong": wrong,
            "error_rate": rate,
            "mean_error": mean_error,
            "mse": mse,
            "passed": passed,
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


def per_step_sgd(model: nn.Module, objective: Objective, lr: float) -> Callable:
    """A ``train.Problem.grad`` for on-line learning with a weight update at every time step.

    Real-time recurrent learning on the model as written: the partials P(t) = ∂c(t)/∂θ of the whole
    (flattened) carry are carried forward, P(t) = ∂f/∂θ + ∂f/∂c(t−1)·P(t−1), and at every step t the
    weights move by −lr·∂E(t)/∂θ, with ∂E(t)/∂θ = ∂E(t)/∂θ|direct + ∂E(t)/∂c(t−1)·P(t−1) taken at
    the current weights; the partials are not recomputed after an update (RTRL as run on-line).
    For ``LSTM1997(gradient="truncated")`` the stop_gradients make ∂f/∂y_hid(t−1) zero, so P is the
    paper's ∂s/∂w of eqs. 25 and 27 and each step applies eqs. 19-28 at once (H97 §4: "on-line").
    With a batch of B sequences, each step applies the mean of their gradients.

    E(t) is ``objective.loss`` with only step t unmasked, so the objective's loss must be a sum over
    steps (H97's squared error, ``legal_next``, ``clean_target``). Returns ``((loss, stats), G)``
    with G = Σ_t ∂E(t)/∂θ at the successive weights: plain SGD at the same ``lr`` (no clipping,
    no momentum), params − lr·G, lands on the weights after the last step's update. ``stats`` score
    the outputs produced on-line. Where only the last step has a target, G is the sequence's gradient.
    Memory and time per step grow as n_carry × n_params (18 × 276 for the Reber net).
    """
    if not lr > 0:
        raise ValueError(f"lr={lr!r}: must be > 0")

    def grad(params, batch):
        theta0, unravel = ravel_pytree(params)
        c0, unravel_c = ravel_pytree(model.initialize_carry())
        B, L = batch.inputs.shape[:2]
        n_c = c0.size

        def local(theta, c, seq, t):  # [c(t); E(t)] of one sequence, and its outputs y(t)
            new, y = model.apply(unravel(theta), unravel_c(c), seq.inputs[0, t])
            ys = jnp.zeros(seq.targets.shape, y.dtype).at[0, t].set(y)
            e = objective.loss(ys, seq._replace(mask=seq.mask * (jnp.arange(L) == t)))
            return jnp.append(ravel_pytree(new)[0], e), y

        def one(theta, c, p, seq, t):  # one sequence's step: one forward, n_c + 1 backward rows
            seq = jax.tree.map(lambda a: a[None], seq)
            out, vjp, y = jax.vjp(lambda th, cc: local(th, cc, seq, t), theta, c, has_aux=True)
            d_th, d_c = jax.vmap(vjp)(jnp.eye(n_c + 1, dtype=out.dtype))
            dp = d_th + d_c @ p  # rows 0..n_c-1: P(t); row n_c: dE(t)/dθ
            return dp[n_c], out[:n_c], dp[:n_c], y, out[n_c]

        def step(state):
            t, theta, c, p, total, ys, es = state
            g, c, p, y, e = jax.vmap(one, (None, 0, 0, 0, None))(theta, c, p, batch, t)
            g = jnp.mean(g, axis=0)
            ys, es = ys.at[:, t].set(y), es.at[t].set(jnp.mean(e))
            return t + 1, theta - lr * g, c, p, total + g, ys, es

        steps = jnp.max(batch.length)  # no step past the longest sequence carries a target
        y_shape = (B, L, batch.targets.shape[-1])
        init = (
            jnp.asarray(0, jnp.int32),
            theta0,
            jnp.broadcast_to(c0, (B, n_c)),
            jnp.zeros((B, n_c, theta0.size), theta0.dtype),
            jnp.zeros_like(theta0),
            jnp.zeros(y_shape, theta0.dtype),
            jnp.zeros((L,), theta0.dtype),
        )
        *_, total, ys, es = jax.lax.while_loop(lambda st: st[0] < steps, step, init)
        correct, error = objective.score(ys, batch)
        return (jnp.sum(es), {"correct": correct, "error": error}), unravel(total)

    return grad


# ----------------------------------------------------------------------------- P13's Ω


def _phi_prime(activation: str, h: jax.Array) -> jax.Array:
    """φ'(a) written through the output h = φ(a) (P13 code)."""
    if activation == "tanh":
        return 1.0 - h**2
    if activation == "sigmoid":
        return h * (1.0 - h)
    if activation == "linear":
        return jnp.ones_like(h)
    raise ValueError(f"activation={activation!r}: Ω needs 'tanh', 'sigmoid' or 'linear'")


def omega(
    w_rec: jax.Array, delta: jax.Array, h: jax.Array, activation: str, form: str = "code"
) -> jax.Array:
    """P13's vanishing-gradient regulariser Ω (spec §1.5) for h_t = φ(W_rec h_{t-1} + ...).

    delta: (L, B, n) total derivatives dC/dh_t; h: (L, B, n) the states h_t. With
    d_t = δ_t ⊙ φ'(h_t), r_t = ‖W_recᵀ d_t‖² / ‖δ_t‖² (the error carried one step back, relative):
      form="code" (default): Σ_t mean_b (r − 1)² / Σ_t mean_b valid, valid = ‖δ_t‖² ≥ 1e-20 (r = 1
        where not valid): squared norms, averaged over steps and batch, as the authors' code;
      form="eq9": Σ_t mean_b (√r − 1)² over valid terms: plain norms, summed over t (eq. 9).
    Differentiate with respect to ``w_rec`` only; ``delta`` and ``h`` are held constant here.
    """
    if form not in ("code", "eq9"):
        raise ValueError(f"omega_form={form!r}: must be 'code' or 'eq9'")
    delta, h = jax.lax.stop_gradient(delta), jax.lax.stop_gradient(h)
    d = delta * _phi_prime(activation, h)
    num = jnp.sum((d @ w_rec) ** 2, axis=-1)  # row vectors: (W_recᵀ d)ᵀ = dᵀ W_rec
    den = jnp.sum(delta**2, axis=-1)
    valid = den >= 1e-20
    r = jnp.where(valid, num / jnp.where(valid, den, 1.0), 1.0)
    if form == "code":
        count = jax.lax.stop_gradient(jnp.sum(jnp.mean(valid, axis=1)))
        return jnp.sum(jnp.mean((r - 1.0) ** 2, axis=1)) / jnp.maximum(count, 1.0)
    return jnp.sum(jnp.mean(jnp.where(valid, (jnp.sqrt(r) - 1.0) ** 2, 0.0), axis=1))


def omega_grad(
    model: nn.Module,
    objective: Objective,
    alpha: float,
    *,
    form: str = "code",
    schedule: Callable[[jax.Array], jax.Array] | None = None,
) -> Callable:
    """A ``train.Problem.grad`` for ``Readout(SimpleRNN(form="standard"))`` with P13's Ω.

    With ``schedule`` (``updates -> weight``, e.g. P13-C4's α/epoch) the weight of Ω follows it and
    the result is a ``train.Problem.step_grad`` instead; ``alpha`` is then unused.

    δ_t = dC/dh_t comes from BPTT by adding a zero ε_t to h_t in the unrolled net and taking the
    gradient with respect to ε. Then ∂C/∂W_rec + α·∂Ω/∂W_rec (Ω through the explicit W_rec only)
    replaces W_rec's gradient; clipping, in the optimiser, comes after (spec §1.5 update order).
    ``stats["omega"]`` logs Ω even when α = 0, ``stats["omega_valid"]`` the share of its terms
    that count (the authors' "steps in the past").
    """
    cell = model.cell
    if not (isinstance(model, cells.Readout) and isinstance(cell, cells.SimpleRNN)):
        raise ValueError("Ω needs Readout(SimpleRNN(...)): a readout over a simple RNN")
    if cell.form != "standard":
        raise ValueError(f"form={cell.form!r}: Ω is written for the standard form h = φ(·)")
    if not alpha >= 0:
        raise ValueError(f"alpha={alpha!r}: the weight of Ω must be >= 0")
    out_act = cells.ACTIVATIONS[model.activation]

    def outputs(params, eps, inputs):
        p = params["params"]

        def step(h, x_e):
            x, e = x_e
            h, _ = cell.apply({"params": p["cell"]}, h, x)
            h = h + e
            return h, (out_act(h @ p["W_y"].T + p["b_y"]), h)

        h0 = cell.initialize_carry(inputs.shape[:1])
        _, (ys, hs) = jax.lax.scan(step, h0, (jnp.swapaxes(inputs, 0, 1), eps))
        return jnp.swapaxes(ys, 0, 1), hs

    def parts(params, batch):
        """(loss, stats), the loss's gradient, Ω's gradient with respect to W_rec."""
        B, L = batch.inputs.shape[:2]
        eps = jnp.zeros((L, B, cell.features), batch.inputs.dtype)

        def loss(params, eps):
            y, hs = outputs(params, eps, batch.inputs)
            correct, error = objective.score(y, batch)
            return objective.loss(y, batch), (correct, error, hs)

        (value, (correct, error, hs)), (g, delta) = jax.value_and_grad(
            loss, argnums=(0, 1), has_aux=True
        )(params, eps)
        w_rec = params["params"]["cell"]["W_rec"]
        om, g_om = jax.value_and_grad(omega)(w_rec, delta, hs, cell.activation, form)
        # the share of (step, sequence) terms that Ω counts (‖δ_t‖² ≥ 1e-20; the authors' log)
        valid = jnp.mean(jnp.sum(delta**2, axis=-1) >= 1e-20)
        stats = {"correct": correct, "error": error, "omega": om, "omega_valid": valid}
        return (value, stats), g, g_om

    def weighted(params, batch, weight):
        (value, stats), g, g_om = parts(params, batch)
        g = jax.tree.map(lambda x: x, g)  # fresh containers: the leaf below is replaced
        g["params"]["cell"]["W_rec"] = g["params"]["cell"]["W_rec"] + weight * g_om
        return (value, stats), g

    if schedule is not None:  # a train.Problem.step_grad
        return lambda params, batch, updates: weighted(params, batch, schedule(updates))
    return lambda params, batch: weighted(params, batch, alpha)
