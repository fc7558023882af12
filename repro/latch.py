"""One tanh neuron as a latch: the theory of B94 §§III–IV, and its training on the minimal task.

The neuron (B94 eq. 1) is ``a_t = w·tanh(a_{t-1}) + h_t``, ``x_t = tanh(a_t)``, a_0 = 0; its map
M(a) = w·tanh(a) has slope M'(a) = w(1 − tanh²a). For w > 1 it has two stable fixed points ±ā, the
non-zero roots of a = w·tanh(a) (the attractors), the unstable 0 between their basins, and
|M'| = 1 at ±a_c, a_c = artanh(√(1 − 1/w)). For the attractor +ā the basin is β = (0, ∞) and the
reduced attracting set is Γ = (a_c, ∞) (B94 Defs. 3–4); a state in β \\ Γ amplifies noise (Thm. 1),
a state in Γ contracts it (Thms. 2–3), and there ∂a_t/∂a_0 → 0 (Thm. 4): the latch that keeps a bit
through noise is the one whose gradients vanish. Every closed form here is float64 numpy; the
trajectories and gradients are JAX, so they vmap over runs, cells of Fig. 2 and noise draws.

Fig. 2's training (``train_minimal``): the 7 parameters (w, and h_1..h_L of each class) of eq. (1)
by full-batch gradient descent on the mean cost, every run of a grid a vmapped axis, with the
spec's convergence rule. Claim ids refer to ../shared/papers/bengio1994.md.

References:
  Y. Bengio, P. Simard, P. Frasconi. Learning long-term dependencies with gradient descent is
    difficult. IEEE Trans. Neural Networks 5(2):157-166, 1994. §III eq. (1), §IV eqs. (2)-(4),
    Defs. 1-6, Thms. 1-4, App. A-C, Fig. 2.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from repro import jacobians

__all__ = [
    "MinimalRuns",
    "additive_form",
    "critical_state",
    "fixed_point",
    "gradient_terms",
    "minimal_cost",
    "neuron_step",
    "run_neuron",
    "sign_loss",
    "slope",
    "threshold",
    "train_minimal",
    "transient",
]


# ----------------------------------------------------------------------------- closed forms


def _bistable(w) -> float:
    if not isinstance(w, int | float | np.floating) or not math.isfinite(w) or w <= 1:
        raise ValueError(f"w={w!r}: must be a finite number > 1 (the neuron is bistable only then)")
    return float(w)


def slope(w, a):
    """M'(a) = w(1 − tanh²a), the derivative of the input-free map (works on arrays)."""
    t = np.tanh(a) if isinstance(a, np.ndarray | float | int) else jnp.tanh(a)
    return w * (1 - t * t)


def fixed_point(w: float) -> float:
    """ā > 0, the positive root of a = w·tanh(a) (w > 1), by Newton's method in float64."""
    w = _bistable(w)
    a = w  # above the root: w·tanh(a) < a there, and Newton decreases monotonically to ā
    for _ in range(100):
        step = (a - w * math.tanh(a)) / (1 - w * (1 - math.tanh(a) ** 2))
        a -= step
        if abs(step) < 1e-15 * max(1.0, a):
            break
    return a


def critical_state(w: float) -> float:
    """a_c = artanh(√(1 − 1/w)): |M'(±a_c)| = 1, the edge of the reduced attracting set Γ."""
    return math.atanh(math.sqrt(1 - 1 / _bistable(w)))


def threshold(w: float) -> float:
    """h*(w) = w√(1 − 1/w) − a_c: the constant input at which the fixed point −ā disappears.

    An input sequence with |h_t| < h* never flips the sign of a latched neuron (the map increases
    in a and h, so the orbit stays below the constant-h* orbit, which converges to −a_c < 0)."""
    w = _bistable(w)
    return w * math.sqrt(1 - 1 / w) - critical_state(w)


def transient(w: float, h: float, *, max_steps: int = 100_000) -> int | None:
    """L_1: steps from a_0 = −ā under the constant input h until x_t = tanh(a_t) > x̄ (None: never
    within ``max_steps``, e.g. for h ≤ h*)."""
    abar = fixed_point(w)
    xbar = math.tanh(abar)
    a = -abar
    for t in range(1, max_steps + 1):
        a = w * math.tanh(a) + h
        if math.tanh(a) > xbar:
            return t
    return None


# ----------------------------------------------------------------------------- trajectories


def neuron_step(w) -> Callable:
    """``step_fn(a, u) = w·tanh(a) + u`` (eqs. 1–2) for the Jacobian engine."""
    return lambda a, u: w * jnp.tanh(a) + u


def run_neuron(w, a0, inputs) -> jax.Array:
    """States a_1..a_T of eq. (1) from a_0 for inputs (T, ...) (any trailing batch shape)."""
    step = neuron_step(w)
    _, states = jax.lax.scan(
        lambda a, u: (step(a, u),) * 2, jnp.broadcast_to(a0, inputs.shape[1:]), inputs
    )
    return states


def sign_loss(key, w: float, a0, *, noise: float, steps: int, runs: int) -> jax.Array:
    """Monte Carlo probability that a neuron started at a0 > 0 ends ``steps`` later with a_T < 0
    under i.i.d. uniform input noise in [−noise, noise] (B94 Thm. 1's noise amplification).

    Args:
      key: PRNG key; a0: (K,) starting states; noise, steps, runs: as named.

    Returns:
      (K,) fraction of the ``runs`` noise sequences (shared by every a0) that lost the sign.
    """
    a0 = jnp.asarray(a0)
    u = jax.random.uniform(key, (steps, runs), a0.dtype, -noise, noise)
    ends = jax.vmap(lambda a: run_neuron(w, a, u)[-1])(a0)  # (K, runs)
    return jnp.mean(ends < 0, axis=-1)


def additive_form(step_fn: Callable) -> Callable:
    """B94 §IV: a system with non-additive input a_t = N(a_{t-1}, u_{t-1}) as an additive one.

    The augmented state a'_t = (a_t, y_t) evolves by a'_t = N'(a'_{t-1}) + u'_t with
    N'(a, y) = (N(a, y), 0) and u'_t = (0, u_t); it reproduces the trajectory one step later.
    Returns ``step_fn'((a, y), u) -> (a, y)`` for any ``step_fn(a, u) -> a``."""

    def augmented(carry, u):
        a, y = carry
        return step_fn(a, y), jnp.zeros_like(y) + u

    return augmented


def gradient_terms(
    step_fn: Callable, params, carry, xs, loss_fn: Callable[[Any], jax.Array]
) -> jacobians.LogScaled:
    """B94 eq. (4): the per-step terms of ∂C/∂θ for C = loss_fn(final carry).

    term_τ = (∂C/∂a_T)(∂a_T/∂a_τ)(∂a_τ/∂θ)|immediate, τ = 1..T, where the immediate partial holds
    a_{τ−1} fixed. ∂a_T/∂a_τ comes from the Jacobian engine in log scale, so a term of 1e-300 is
    still a finite log; the terms sum to the full gradient (tested).

    Args:
      step_fn: ``step_fn(params, carry, x) -> carry``.
      params: the parameters θ (any pytree; flattened to p entries).
      carry, xs: the initial carry a_0 and the inputs (time axis first).
      loss_fn: final carry -> scalar cost.

    Returns:
      LogScaled with mantissa (T, 1, p) and log_scale (T,): term τ is element τ − 1, in the order of
      ``jax.flatten_util.ravel_pytree(params)``.
    """
    theta, unravel_p = jax.flatten_util.ravel_pytree(params)
    f = lambda s, x: step_fn(params, s, x)
    flat, s0, unravel = jacobians.flatten_step(f, carry)
    states = jacobians.trajectory(f, carry, xs)  # (T+1, n) flat
    products = jacobians.products_to_last(f, carry, xs)  # [t] = ∂s_T/∂s_t
    g_T = jax.grad(lambda s: loss_fn(unravel(s)))(states[-1])  # (n,)

    def immediate(s_prev, x):  # ∂a_τ/∂θ with a_{τ−1} held: (n, p)
        g = lambda th: jax.flatten_util.ravel_pytree(step_fn(unravel_p(th), unravel(s_prev), x))[0]
        return jax.jacrev(g)(theta)

    partials = jax.vmap(immediate)(states[:-1], xs)  # (T, n, p)
    mant = jnp.einsum("n,tnm,tmp->tp", g_T, products.mantissa[1:], partials)[:, None, :]
    return jacobians.LogScaled(mant, products.log_scale[1:])


# ----------------------------------------------------------------------------- Fig. 2 training


class MinimalRuns(NamedTuple):
    """What ``train_minimal`` returns, one entry per run (leading axes of w0, s, T)."""

    converged: jax.Array  # bool: met the rule within the budget
    epoch: jax.Array  # int32: updates made before the rule held (the budget if never)
    w: jax.Array  # final self-loop weight
    h: jax.Array  # (..., 2, L) final trainable inputs h_t^k (row k = class)
    accuracy: jax.Array  # final fraction of training sequences with sign(x_T) = sign(d)
    cost: jax.Array  # final mean cost C̄


def minimal_cost(w, h, noise, labels, T, *, target: float = 0.8):
    """Mean cost C̄ = (1/P)Σ_p ½(x_T^p − d^p)² of eq. (1) on the minimal task, and the end states.

    Args:
      w: self-loop weight; h: (2, L) trainable inputs (row k = class k).
      noise: (P, T_max) inputs, zero at t <= L (the generator's ``inputs[..., 0]``).
      labels: (P,) int classes; T: the length (<= T_max; a traced value is fine: the scan runs to
        T_max and holds the state after T, so one compilation serves every T).

    Returns:
      (C̄, x_T (P,)).
    """
    P, T_max = noise.shape
    L = h.shape[1]
    lead = jnp.zeros((P, T_max)).at[:, :L].set(h[labels])  # h_t^k at t <= L
    inputs = (noise + lead).T  # (T_max, P)

    def step(a, inp):
        t, u = inp
        return jnp.where(t <= T, w * jnp.tanh(a) + u, a), None

    a, _ = jax.lax.scan(step, jnp.zeros(P, noise.dtype), (jnp.arange(1, T_max + 1), inputs))
    x = jnp.tanh(a)
    d = jnp.where(labels == 1, target, -target)
    return jnp.mean(0.5 * (x - d) ** 2), x


def train_minimal(
    keys,
    w0,
    s,
    T,
    *,
    T_max: int,
    L: int = 3,
    per_class: int = 50,
    lr: float = 0.1,
    epochs: int = 2000,
    cost_below: float = 0.05,
    train_w: bool = True,
    noise_param: str = "variance",
    target: float = 0.8,
    h_init: float = 0.1,
    fresh_noise: bool = False,
    chunk: int = 50,
) -> MinimalRuns:
    """Fig. 2's runs: eq. (1) trained by full-batch gradient descent on the minimal task.

    Run r draws h uniform in [−h_init, h_init] and a training set of ``per_class`` sequences per
    class (Gaussian noise of variance s after step L) from ``keys[r]``, starts w at w0[r], and takes
    gradient steps of size ``lr`` on C̄ until it converges: every sequence ends with the sign of its
    target and C̄ < ``cost_below`` (spec §2.1 Decisions), checked before each update; a converged
    run stops updating. All runs are one vmapped program, in jitted chunks of ``chunk`` epochs.

    Args:
      keys: (R,) PRNG keys, one per run; w0, s, T: (R,) initial w, noise variance, length (T <= T_max).
      T_max: the longest T (static: the padded length).
      fresh_noise: draw a new training set every epoch (spec option; the default holds it fixed).

    Returns:
      MinimalRuns with leading axis R.
    """
    from repro.tasks import bengio1994

    for name, v in (("epochs", epochs), ("chunk", chunk), ("per_class", per_class)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name}={v!r}: must be an integer >= 1")
    # the generator checks L, T_max, the noise form and the target once, before tracing
    bengio1994.minimal(jax.random.key(0), 2 * per_class, T_max, L=L, noise_param=noise_param,
                       target=target)  # fmt: skip
    run = _minimal_program(
        T_max=T_max, L=L, P=2 * per_class, lr=float(lr), epochs=epochs,
        cost_below=float(cost_below), train_w=train_w, noise_param=noise_param,
        target=float(target), h_init=float(h_init), fresh_noise=fresh_noise, chunk=chunk,
    )  # fmt: skip
    f32 = lambda v: jnp.asarray(v, jnp.float32)
    return run(keys, f32(w0), f32(s), jnp.asarray(T, jnp.int32))


def _minimal_init(key, w0_r, *, L: int, h_init: float):
    """One run's starting parameters (w = w0_r, the inputs h uniform in ±h_init) and data key."""
    k_h, k_d = jax.random.split(key)
    h = jax.random.uniform(k_h, (2, L), minval=-h_init, maxval=h_init)
    return {"w": jnp.asarray(w0_r, jnp.float32), "h": h}, k_d


@functools.lru_cache(maxsize=32)
def _minimal_program(
    *, T_max, L, P, lr, epochs, cost_below, train_w, noise_param, target, h_init, fresh_noise, chunk
):
    """The jitted program of ``train_minimal`` for one set of static settings (built once)."""
    from repro.tasks import bengio1994

    def data(key, s_r):
        b = bengio1994.minimal(key, P, T_max, L=L, s=s_r, noise_param=noise_param, target=target)
        return b.inputs[..., 0], b.extra["label"]

    def one_chunk(state, start, k_d, s_r, T_r):
        params, done, epoch = state

        def body(carry, e):
            params, done, epoch = carry
            key = jax.random.fold_in(k_d, e) if fresh_noise else k_d
            noise, labels = data(key, s_r)
            (cost, x), grads = jax.value_and_grad(
                lambda p: minimal_cost(p["w"], p["h"], noise, labels, T_r, target=target),
                has_aux=True,
            )(params)
            right = jnp.all(jnp.sign(x) == jnp.where(labels == 1, 1.0, -1.0))
            now = ~done & right & (cost < cost_below) & (e <= epochs)
            done = done | now
            epoch = jnp.where(now, e, epoch)
            if not train_w:
                grads = {**grads, "w": jnp.zeros_like(grads["w"])}
            move = ~done & (e < epochs)
            params = jax.tree.map(lambda p, g: jnp.where(move, p - lr * g, p), params, grads)
            return (params, done, epoch), None

        state, _ = jax.lax.scan(body, state, start + jnp.arange(chunk))
        return state

    def final(params, k_d, s_r, T_r):
        noise, labels = data(jax.random.fold_in(k_d, epochs) if fresh_noise else k_d, s_r)
        cost, x = minimal_cost(params["w"], params["h"], noise, labels, T_r, target=target)
        acc = jnp.mean(jnp.sign(x) == jnp.where(labels == 1, 1.0, -1.0))
        return acc, cost

    @jax.jit
    def run(keys, w0, s, T):
        params, k_d = jax.vmap(lambda k, w: _minimal_init(k, w, L=L, h_init=h_init))(keys, w0)
        R = w0.shape[0]
        state = (params, jnp.zeros(R, bool), jnp.full(R, epochs, jnp.int32))
        chunk_fn = jax.vmap(one_chunk, in_axes=(0, None, 0, 0, 0))

        def cond(c):
            (_, done, _), start = c
            return (start <= epochs) & ~jnp.all(done)

        def body(c):
            state, start = c
            return chunk_fn(state, start, k_d, s, T), start + chunk

        (params, done, epoch), _ = jax.lax.while_loop(cond, body, (state, jnp.int32(0)))
        acc, cost = jax.vmap(final)(params, k_d, s, T)
        return MinimalRuns(done, epoch, params["w"], params["h"], acc, cost)

    return run
