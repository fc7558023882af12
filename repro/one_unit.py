"""The one-unit recurrent nets of Pascanu, Mikolov & Bengio (2013), Figs. 3 and 6.

Both use P13's theory form without input, x_t = w·σ(x_{t−1}) + b (eq. 8), with σ the logistic
function (spec Decision; ``sigma="tanh"`` is the option).

Fig. 3 (claim P13-F3), the bifurcation diagram of x ↦ 5σ(x) + b against b. A fixed point x* solves
x* = wσ(x*) + b, so the fixed points of every b lie on one curve, b(x*) = x* − wσ(x*), written
here exactly (no root finding); x* attracts where |wσ'(x*)| < 1. The curve folds where wσ'(x*) = 1
(saddle-node bifurcations): for w = 5, at b = −2.3444 and −2.6556, and the net is bistable between.

Fig. 6 (claim P13-F6), the error E_50 = (σ(x_50) − 0.7)² over (w, b) from x_0 = 0.5: it has a
steep wall along b = x_0 − wσ(x_0), where x_0 is itself the unstable fixed point and a step across
moves x_0 into the other basin (for w > 1/σ'(x_0)). Plain gradient descent that reaches the wall is
thrown far away; descent with the gradient's norm clipped (P13 Algorithm 1) stays near it.

References:
  R. Pascanu, T. Mikolov, Y. Bengio. On the difficulty of training RNNs. ICML 2013, §2.2, §3.2.
  K. Doya. Bifurcations of recurrent neural networks in gradient descent learning. 1993.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "SIGMAS",
    "Descent",
    "descend",
    "error_surface",
    "fixed_point_curve",
    "folds",
    "trajectory",
    "wall",
]

SIGMAS = ("logistic", "tanh")


def _sigma(name: str):
    if name not in SIGMAS:
        raise ValueError(f"sigma={name!r}: must be one of {list(SIGMAS)}")
    return jax.nn.sigmoid if name == "logistic" else jnp.tanh


def _dsigma(name: str, x):
    s = _sigma(name)(x)
    return s * (1 - s) if name == "logistic" else 1 - s**2


def fixed_point_curve(w: float, xs, sigma: str = "logistic") -> tuple[np.ndarray, np.ndarray]:
    """(b, stable) at each state ``xs``: the bias b for which x* is a fixed point of x ↦ wσ(x) + b,
    and whether it attracts (|wσ'(x*)| < 1)."""
    xs = jnp.asarray(xs)
    b = xs - w * _sigma(sigma)(xs)
    return np.asarray(b), np.asarray(jnp.abs(w * _dsigma(sigma, xs)) < 1)


def folds(w: float, sigma: str = "logistic") -> tuple[tuple[float, float], ...]:
    """The saddle-node bifurcations ((x*, b), ...) of x ↦ wσ(x) + b: where wσ'(x*) = 1.

    Logistic: σ(x*) = (1 ± √(1 − 4/w))/2, needs w > 4; tanh: tanh(x*)² = 1 − 1/w, needs w > 1.
    Returns () when there is none (the map then has one fixed point for every b).
    """
    if sigma == "logistic":
        if w <= 4:
            return ()
        r = np.sqrt(1 - 4 / w)
        xs = [np.log(s / (1 - s)) for s in ((1 - r) / 2, (1 + r) / 2)]
    else:
        _sigma(sigma)
        if w <= 1:
            return ()
        t = np.sqrt(1 - 1 / w)
        xs = [np.arctanh(-t), np.arctanh(t)]
    f = np.tanh if sigma == "tanh" else lambda x: 1 / (1 + np.exp(-x))
    return tuple((float(x), float(x - w * f(x))) for x in xs)


def trajectory(w, b, x0, steps: int, sigma: str = "logistic") -> jax.Array:
    """x_1 .. x_steps of x_t = w·σ(x_{t−1}) + b from x_0 (broadcasts over w, b and x0)."""
    if not (isinstance(steps, int) and steps > 0):
        raise ValueError(f"steps={steps!r}: must be an integer > 0")
    f = _sigma(sigma)
    w, b, x0 = jnp.broadcast_arrays(*(jnp.asarray(v, float) for v in (w, b, x0)))

    def step(x, _):
        x = w * f(x) + b
        return x, x

    return jax.lax.scan(step, x0, None, length=steps)[1]


def wall(w, x0: float = 0.5, sigma: str = "logistic") -> np.ndarray:
    """The wall of Fig. 6: b = x0 − wσ(x0), where x0 is the unstable fixed point (for w with
    wσ'(x0) > 1; NaN elsewhere)."""
    w = np.asarray(w, float)
    s = float(_sigma(sigma)(x0))
    ds = float(_dsigma(sigma, jnp.asarray(x0)))
    return np.where(w * ds > 1, x0 - w * s, np.nan)


def _error(params, *, x0, steps, target, sigma):
    x_t = trajectory(params[0], params[1], x0, steps, sigma)[-1]
    return (_sigma(sigma)(x_t) - target) ** 2


@functools.cache
def _value_grad(x0: float, steps: int, target: float, sigma: str):
    """The jitted (E, ∇E) of one setting, vmapped over parameter pairs (compiled once per shape)."""
    kw = dict(x0=x0, steps=steps, target=target, sigma=sigma)
    return jax.jit(jax.vmap(jax.value_and_grad(lambda p: _error(p, **kw))))


def error_surface(
    ws, bs, *, x0=0.5, steps=50, target=0.7, sigma="logistic"
) -> tuple[np.ndarray, np.ndarray]:
    """(E, ‖∇E‖) on the grid ``ws`` × ``bs`` (arrays of shape (len(bs), len(ws)))."""
    W, B = jnp.meshgrid(jnp.asarray(ws, float), jnp.asarray(bs, float))
    e, g = _value_grad(x0, steps, target, sigma)(jnp.stack([W.ravel(), B.ravel()], axis=1))
    return np.asarray(e).reshape(W.shape), np.asarray(jnp.linalg.norm(g, axis=1)).reshape(W.shape)


class Descent(NamedTuple):
    """A gradient-descent path on E_50: parameters (steps + 1, 2), error and gradient norm before
    each step (steps + 1,), and whether the step was clipped (steps,)."""

    path: np.ndarray
    error: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray


@functools.cache
def _descent(steps: int, clipped: bool, x0: float, horizon: int, target: float, sigma: str):
    value_grad = jax.value_and_grad(
        lambda p: _error(p, x0=x0, steps=horizon, target=target, sigma=sigma)
    )

    def run(start, lr, clip):
        def step(p, _):
            e, g = value_grad(p)
            norm = jnp.linalg.norm(g)
            cut = clipped & (norm > clip)
            g = jnp.where(cut, g * (clip / norm), g)
            return p - lr * g, (p, e, norm, cut)

        last, (path, err, norm, cut) = jax.lax.scan(step, start, None, length=steps)
        e_last, g_last = value_grad(last)
        return (
            jnp.concatenate([path, last[None]]),
            jnp.append(err, e_last),
            jnp.append(norm, jnp.linalg.norm(g_last)),
            cut,
        )

    return jax.jit(jnp.vectorize(run, signature="(2),(),()->(n,2),(n),(n),(m)"))


def descend(
    start,
    *,
    lr: float,
    steps: int = 300,
    clip: float | None = None,
    x0: float = 0.5,
    horizon: int = 50,
    target: float = 0.7,
    sigma: str = "logistic",
) -> Descent:
    """Gradient descent on E_horizon from ``start`` = (w, b), or from many starts (..., 2) at once;
    with ``clip``, P13 Algorithm 1: the gradient is rescaled to norm ``clip`` when its norm exceeds
    it (strict >). Runs in the dtype of the inputs (float64 under ``jax.enable_x64``); the fields of
    the result get the leading axes of ``start``."""
    if not lr > 0:
        raise ValueError(f"lr={lr!r}: must be > 0")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip={clip!r}: must be > 0 (or None)")
    if not (isinstance(steps, int) and steps > 0):
        raise ValueError(f"steps={steps!r}: must be an integer > 0")
    _sigma(sigma)
    start = jnp.asarray(start, float)
    if start.shape[-1:] != (2,):
        raise ValueError(f"start: shape {start.shape} must end in 2 (w, b)")
    run = _descent(steps, clip is not None, x0, horizon, target, sigma)
    out = run(start, jnp.asarray(lr, start.dtype), jnp.asarray(clip or 1.0, start.dtype))
    return Descent(*(np.asarray(a) for a in out))
