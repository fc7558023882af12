"""Gradient flow through cells at initialisation: how fast ‖∂s_T/∂s_t‖ vanishes or explodes.

A *curve* is a string ``name[@radius][:block]``:
  name    a cell of ``repro.cells.CELLS`` or "lstm1997" (the 1997 LSTM, truncated gradient);
  radius  for the simple RNNs: W_rec drawn N(0, 1) and rescaled to this spectral radius (default 1);
  block   the block of the state whose product is measured: "h" or "c" for the LSTM, "s" (the
          carousel) or "y" for the 1997 LSTM; default the whole state.
Inputs are x_t ~ N(0, 1); each trial draws its own weights and inputs from its own key.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from repro import cells
from repro import initializers as inits
from repro import jacobians as jac

__all__ = ["Curve", "all_pairs", "build", "parse_curve", "to_last"]

_NAMES = sorted([*cells.CELLS, "lstm1997"])
_BLOCKS = {"lstm": ("c", "h"), "lstm1997": ("s", "y")}


@dataclass(frozen=True)
class Curve:
    name: str
    radius: float | None
    block: str | None

    @property
    def label(self) -> str:
        label = {
            "lstm": "LSTM (forget gate)",
            "lstm1997": "LSTM 1997 (truncated)",
            "gru": "GRU",
            "irnn": "IRNN",
        }.get(self.name, self.name.replace("rnn_", "") + " RNN")
        if self.radius is not None:
            label += f", ρ = {self.radius:g}"
        if self.block is not None:
            label += f", ∂{self.block}"
        return label


def parse_curve(spec: str, arg: str = "curve") -> Curve:
    """Parse ``name[@radius][:block]``; errors name ``arg``, the value and what is allowed."""
    body, _, block = spec.strip().partition(":")
    name, _, radius = body.partition("@")
    if name not in _NAMES:
        raise ValueError(f"{arg}={spec!r}: unknown cell {name!r}; known: {_NAMES}")
    r = None
    if radius:
        if not name.startswith("rnn_"):
            raise ValueError(f"{arg}={spec!r}: a spectral radius applies to rnn_* cells only")
        try:
            r = float(radius)
        except ValueError:
            raise ValueError(f"{arg}={spec!r}: radius {radius!r} is not a number") from None
        if not 0 < r < float("inf"):
            raise ValueError(f"{arg}={spec!r}: radius must be a finite number > 0")
    if block and block not in _BLOCKS.get(name, ()):
        raise ValueError(f"{arg}={spec!r}: block {block!r} not in {list(_BLOCKS.get(name, ()))}")
    return Curve(name, r, block or None)


def build(curve: Curve, hidden: int, dtype=jnp.float32):
    """The cell of a curve, with the curve's initialisation."""
    if curve.name == "lstm1997":
        return cells.LSTM1997(n_out=1, blocks=hidden, param_dtype=dtype)
    kwargs = {"param_dtype": dtype}
    if curve.name.startswith("rnn_"):
        kwargs["recurrent_init"] = inits.scaled_to_spectral_radius(
            inits.normal(1.0), 1.0 if curve.radius is None else curve.radius
        )
    return cells.get(curve.name, hidden, **kwargs)


def _trial(curve: Curve, hidden: int, n_in: int, T: int, dtype, key):
    cell = build(curve, hidden, dtype)
    k_x, k_p = jax.random.split(key)
    xs = jax.random.normal(k_x, (T, n_in), dtype)
    carry = cell.initialize_carry()
    params = cell.init(k_p, carry, xs[0])
    return cells.step_fn(cell, params), carry, xs


def to_last(
    curve: Curve, keys: jax.Array, *, hidden: int, n_in: int, T: int, dtype=jnp.float32
) -> jax.Array:
    """log ‖∂s_T/∂s_t‖₂ (natural log) for t = 0..T, one row per trial key: (trials, T+1)."""

    def one(key):
        step, carry, xs = _trial(curve, hidden, n_in, T, dtype, key)
        return jac.log_norms_to_last(step, carry, xs, rows=curve.block, cols=curve.block)

    return jax.jit(jax.vmap(one))(keys)


def all_pairs(
    curve: Curve, key: jax.Array, *, hidden: int, n_in: int, T: int, dtype=jnp.float32
) -> jax.Array:
    """L[k, t] = log ‖∂s_k/∂s_t‖₂ (natural log) of one trial, (T+1, T+1), NaN above the diagonal."""

    def one(key):
        step, carry, xs = _trial(curve, hidden, n_in, T, dtype, key)
        return jac.all_pairs_log_norms(step, carry, xs, rows=curve.block, cols=curve.block)

    return jax.jit(one)(key)
