"""The remedies of the practitioners' questions (S2's ablation, S1's cells): each builds a cell.

A ``Variant`` names the cell it builds from a config and the longest sequence (``(config, max_len)
-> cell``), whether its training clips the gradient, its label, and what it is meant to cure.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax.numpy as jnp

from repro import cells
from repro import initializers as inits

__all__ = ["VARIANTS", "Variant"]


@dataclasses.dataclass(frozen=True)
class Variant:
    """A remedy: the cell it builds (``(config, max_len) -> cell``), whether it clips, its label."""

    cell: Callable
    clips: bool
    label: str
    addresses: str  # "vanishing", "exploding", "both" or "neither" (what it is meant to cure)


def _default(c) -> inits.Initializer:
    """PyTorch's nn.RNN default: every weight U(±1/√n)."""
    return inits.uniform(1.0 / math.sqrt(c.hidden))


def _rnn(activation: str, rec: str = "default", form: str = "standard") -> Callable:
    def build(c, max_len):
        w = {
            "default": _default(c),
            "glorot": inits.glorot_uniform(),
            "orthogonal": inits.orthogonal(),
            "identity": inits.identity(),
        }[rec]
        w_in = inits.normal(1e-3) if rec == "identity" else (
            _default(c) if rec == "default" else inits.glorot_uniform())  # fmt: skip
        return cells.SimpleRNN(
            c.hidden, activation, form=form, recurrent_init=_radius(c, w), input_init=w_in,
            bias_init=_default(c) if rec == "default" else inits.constant(0.0),
            param_dtype=jnp.dtype(c.dtype),
        )  # fmt: skip

    return build


def _radius(c, w: inits.Initializer) -> inits.Initializer:
    """The variant's W_rec initialiser, rescaled to spectral radius ``c.radius`` when it is > 0."""
    return inits.scaled_to_spectral_radius(w, c.radius) if c.radius > 0 else w


def _ssm(c, max_len):
    """Schaefer et al.'s state-space RNN s_t = tanh(A s_{t−1} + B u_t), no bias; A ~ N(0, 1/n)
    rescaled to ``radius`` (1.0 when radius is 0)."""
    a = inits.scaled_to_spectral_radius(inits.normal(1.0 / math.sqrt(c.hidden)), c.radius or 1.0)
    return cells.SimpleRNN(c.hidden, "tanh", recurrent_init=a, input_init=inits.glorot_uniform(),
                           use_bias=False, param_dtype=jnp.dtype(c.dtype))  # fmt: skip


VARIANTS = {
    "tanh_default": Variant(_rnn("tanh"), False, "tanh, default init", "neither"),
    "tanh_glorot": Variant(_rnn("tanh", "glorot"), False, "tanh, Glorot init", "both"),
    "tanh_orthogonal": Variant(_rnn("tanh", "orthogonal"), False, "tanh, orthogonal init", "both"),
    "tanh_clip": Variant(_rnn("tanh"), True, "tanh + clipping", "exploding"),
    "relu": Variant(_rnn("relu"), False, "ReLU", "vanishing"),
    "irnn": Variant(_rnn("relu", "identity"), False, "IRNN (ReLU, W = I)", "vanishing"),
    "leaky_relu": Variant(_rnn("leaky_relu"), False, "leaky ReLU", "vanishing"),
    "residual": Variant(_rnn("tanh", form="residual"), False, "residual tanh", "vanishing"),
    "lstm": Variant(
        lambda c, m: cells.LSTM(c.hidden, param_dtype=jnp.dtype(c.dtype)),
        False,
        "LSTM (forget gate)",
        "vanishing",
    ),
    "lstm_truncated": Variant(
        lambda c, m: cells.LSTM(c.hidden, gradient="truncated", param_dtype=jnp.dtype(c.dtype)),
        False,
        "LSTM, truncated gradient",
        "vanishing",
    ),
    "gru": Variant(
        lambda c, m: cells.GRU(c.hidden, param_dtype=jnp.dtype(c.dtype)), False, "GRU", "vanishing"
    ),  # fmt: skip
    "attention": Variant(
        lambda c, m: cells.AttentionRNN(
            c.hidden,
            m,
            recurrent_init=_default(c),
            input_init=_default(c),
            param_dtype=jnp.dtype(c.dtype),
        ),
        False,
        "tanh + attention",
        "vanishing",
    ),  # fmt: skip
    "ssm": Variant(_ssm, False, "state-space RNN", "neither"),
}
