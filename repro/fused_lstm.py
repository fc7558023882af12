"""A fused sequence kernel for the forget-gate LSTM: ``problems.unroll``'s fast path.

What it computes: the outputs (B, L, n) of ``cells.LSTM`` over batch-major inputs (B, L, n_in)
from zero states, or (B, L, n_out) of ``cells.Readout(cells.LSTM)``, with the same equations as the
cell (gate order i, f, u, o; c_t = f ⊙ c_{t-1} + i ⊙ u; h_t = o ⊙ tanh(c_t)). Outputs and gradients
(parameters and inputs) equal those of the generic ``lax.scan`` of ``cell.apply`` steps to rounding.

How: it works features-major, states (n, B), so the gate blocks are contiguous row blocks and each
step's dot is W_rec @ h. The forward pass stores only h, c and the five activations (i, f, u, o,
tanh c) per step. The backward pass is a hand-written ``jax.custom_vjp``: a reverse loop that
receives each step's residuals through its carry (sliced one iteration ahead, so its elementwise
fusion reads plain buffers) and accumulates dW_in, dW_rec and db as dots in the fast layout.

Why (measured on a 2-core CPU, ``bench/train.py``): the generic path's backward pass accumulates the
weight gradients with small transposed dots at every step, and its forward pass stores a dozen
per-step residual arrays. XLA:CPU also emits slow (scalar) code for transcendental fusions that read
a dynamic slice of a stacked array, which is what hoisting ``x @ W_in`` out of the scan naively
produces. The README's training benchmark gives the gain over the generic path.

When it applies: ``parts(model, params)`` accepts exactly ``cells.LSTM`` and
``cells.Readout(cells.LSTM)`` (any readout activation), with ``gradient="full"`` or ``"truncated"``
(then h_{t-1} carries no gradient into the gates: the backward loop drops W_rec^T dz); it returns
None for every other model (subclasses included), and the caller takes the generic path.

Limitation: being a ``jax.custom_vjp``, the kernel supports reverse mode (``jax.grad``, ``jax.vjp``)
and ``jax.vmap``, but not forward mode (``jax.jvp``, ``jax.jacfwd``); use
``problems.unroll(..., fused=False)`` for that.

Usage::

    parts = fused_lstm.parts(model, params)
    ys = fused_lstm.unroll(parts, inputs) if parts is not None else ...  # the generic scan
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import NamedTuple

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp

from repro import cells

__all__ = ["Parts", "parts", "unroll"]


class Parts(NamedTuple):
    """What the kernel needs from an eligible model and its parameters.

    cell: the LSTM's parameters {"W_in": (4n, n_in), "W_rec": (4n, n), "b": (4n,)}.
    readout: (W_y (n_out, n), b_y (n_out,), activation) of a ``cells.Readout``, or None.
    truncated: the LSTM's ``gradient == "truncated"``.
    """

    cell: Mapping[str, jax.Array]
    readout: tuple[jax.Array, jax.Array, Callable[[jax.Array], jax.Array]] | None
    truncated: bool


def parts(model: nn.Module, params) -> Parts | None:
    """The kernel's ``Parts`` of ``model`` (``cells.LSTM`` or ``cells.Readout(cells.LSTM)``) and
    its ``params`` ({"params": ...}, as from ``model.init``); None when the model is not eligible."""
    if not isinstance(params, Mapping) or "params" not in params:
        return None
    p, readout, cell = params["params"], None, model
    if type(model) is cells.Readout:
        if not model.use_bias:
            return None
        cell = model.cell
        readout = (p["W_y"], p["b_y"], cells.ACTIVATIONS[model.activation])
        p = p["cell"]
    if type(cell) is not cells.LSTM:  # exactly the LSTM whose equations the kernel repeats
        return None
    return Parts(p, readout, cell.gradient == "truncated")


def unroll(parts: Parts, inputs: jax.Array) -> jax.Array:
    """Outputs (B, L, n) of the LSTM, or (B, L, n_out) through its readout, over batch-major
    ``inputs`` (B, L, n_in) with L >= 1, from zero states. Differentiable in reverse mode."""
    chex.assert_rank(inputs, 3)
    B, L, n_in = inputs.shape
    if L == 0:
        raise ValueError(
            f"fused_lstm.unroll needs at least one time step, got inputs {inputs.shape}"
        )
    w_in, w_rec, b = parts.cell["W_in"], parts.cell["W_rec"], parts.cell["b"]
    chex.assert_rank(w_rec, 2)
    n = w_rec.shape[1]
    chex.assert_shape([w_in, w_rec, b], [(4 * n, n_in), (4 * n, n), (4 * n,)])
    xs = jnp.transpose(inputs, (1, 2, 0))  # (L, n_in, B)
    hs = _lstm_sequence(parts.truncated, w_in, w_rec, b, xs)
    chex.assert_shape(hs, (L, n, B))
    if parts.readout is None:
        return jnp.transpose(hs, (2, 0, 1))
    w_y, b_y, act = parts.readout
    chex.assert_rank(w_y, 2)
    chex.assert_shape([w_y, b_y], [(w_y.shape[0], n), (w_y.shape[0],)])
    return act(jnp.einsum("on,lnb->blo", w_y, hs) + b_y)


def _lstm_forward(w_in, w_rec, b, xs):
    """Features-major LSTM scan from zero states: h, c (L, n, B) and activations (L, 5n, B)."""
    n, B = w_rec.shape[1], xs.shape[2]
    dtype = jnp.result_type(xs, w_in, w_rec, b)
    zeros = jnp.zeros((n, B), dtype)
    bias = b[:, None]

    def step(carry, x):
        c, h = carry
        zi, zf, zu, zo = jnp.split(w_in @ x + w_rec @ h + bias, 4, axis=0)  # gates i, f, u, o
        i, f, u, o = jax.nn.sigmoid(zi), jax.nn.sigmoid(zf), jnp.tanh(zu), jax.nn.sigmoid(zo)
        c = f * c + i * u
        tc = jnp.tanh(c)
        h = o * tc
        return (c, h), (h, c, jnp.concatenate([i, f, u, o, tc]))

    return jax.lax.scan(step, (zeros, zeros), xs)[1]


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _lstm_sequence(truncated: bool, w_in, w_rec, b, xs):
    """h (L, n, B) of the LSTM over features-major xs (L, n_in, B)."""
    return _lstm_forward(w_in, w_rec, b, xs)[0]


def _lstm_sequence_fwd(truncated, w_in, w_rec, b, xs):
    hs, cs, acts = _lstm_forward(w_in, w_rec, b, xs)
    return hs, (w_in, w_rec, b, xs, hs, cs, acts)


def _lstm_sequence_bwd(truncated, res, d_hs):
    w_in, w_rec, b, xs, hs, cs, acts = res
    L, n, B = hs.shape
    zero = jnp.zeros((1, n, B), hs.dtype)
    h_prev = jnp.concatenate([zero, hs[:-1]])
    c_prev = jnp.concatenate([zero, cs[:-1]])
    w_rec_t = w_rec.T
    ahead = (d_hs, acts, c_prev)  # read by the elementwise part: passed one iteration ahead

    def step(carry, inp):
        dh_next, dc_f, dw_in, dw_rec, db, cur = carry
        t, x, hp = inp
        nxt = tuple(jax.lax.dynamic_index_in_dim(a, jnp.maximum(t - 1, 0), 0, False) for a in ahead)
        dh_out, a, cp = cur
        i, f, u, o, tc = jnp.split(a, 5, axis=0)
        dh = dh_out + dh_next
        dc = dc_f + dh * o * (1 - tc * tc)
        dz = jnp.concatenate(
            [
                dc * u * i * (1 - i),
                dc * cp * f * (1 - f),
                dc * i * (1 - u * u),
                dh * tc * o * (1 - o),
            ]
        )
        dw_in = dw_in + dz @ x.T
        dw_rec = dw_rec + dz @ hp.T
        db = db + jnp.sum(dz, axis=1)
        dh_next = jnp.zeros_like(dh) if truncated else w_rec_t @ dz
        return (dh_next, dc * f, dw_in, dw_rec, db, nxt), w_in.T @ dz

    last = tuple(a[L - 1] for a in ahead)
    init = (zero[0], zero[0], jnp.zeros(w_in.shape, hs.dtype), jnp.zeros(w_rec.shape, hs.dtype))
    init = (*init, jnp.zeros(b.shape, hs.dtype), last)
    (_, _, dw_in, dw_rec, db, _), dxs = jax.lax.scan(
        step, init, (jnp.arange(L), xs, h_prev), reverse=True
    )
    cast = lambda g, like: g.astype(like.dtype)
    return cast(dw_in, w_in), cast(dw_rec, w_rec), cast(db, b), cast(dxs, xs)


_lstm_sequence.defvjp(_lstm_sequence_fwd, _lstm_sequence_bwd)
