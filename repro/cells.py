"""Recurrent cells as pure flax.linen modules: ``carry, y = cell.apply(params, carry, x)``.

Cells:
  SimpleRNN  h_t = act(W_rec h_{t-1} + W_in x_t + b)       ("standard", the usual form),
             x_t = W_rec act(x_{t-1}) + W_in u_t + b         ("pascanu", P13 eq. 2, the theory form), or
             h_t = h_{t-1} + act(W_rec h_{t-1} + W_in x_t + b) ("residual": a skip connection in time).
             IRNN = ReLU with identity recurrent init (Le et al. 2015): ``irnn(features)``.
  LSTM       the forget-gate LSTM of Gers et al. (2000) in its modern tanh form, with an optional
             truncated gradient ("extended LSTM").
  GRU        Cho et al. (2014).
  AttentionRNN  a tanh RNN whose output also reads a softmax attention over all its past states
             (the carry holds them), so the loss at step T reaches every h_t in one step.
  LSTM1997   Hochreiter & Schmidhuber (1997): memory blocks of S cells sharing one input and one
             output gate, constant error carousel (self-weight 1), g = 4σ-2, h = 2σ-1, topologies F and
             B of Table 10, bias codes ga / b1 / all / none, explicit gate biases, optional output gate
             and optional forget gate (G00), truncated (default) or full gradient. Includes the output
             units, so its parameter count is the paper's W.

All weight matrices are stored as (fan_out, fan_in), the papers' convention: row i holds the incoming
weights of unit i. Inputs may carry any leading batch dimensions ``(..., n_in)``. The leading (batch)
shapes of the carry and of ``x`` broadcast against each other as in numpy: a batched carry (B, ...)
with one unbatched input (n_in,) feeds that input to every example, and an unbatched carry with a
batched input (B, n_in) starts every example from that carry; the new carry has the broadcast shape.

References:
  S. Hochreiter, J. Schmidhuber. Long Short-Term Memory. Neural Computation 9(8), 1997. §4, App. A.1.
  F. A. Gers, J. Schmidhuber, F. Cummins. Learning to Forget. Neural Computation 12(10), 2000.
  R. Pascanu, T. Mikolov, Y. Bengio. On the difficulty of training RNNs. ICML 2013, eq. 2.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from repro import initializers as inits

__all__ = [
    "ACTIVATIONS",
    "AttentionRNN",
    "AttentionState",
    "CELLS",
    "GRU",
    "LSTM",
    "LSTM1997",
    "LSTM1997State",
    "LSTMState",
    "Readout",
    "SimpleRNN",
    "count_params",
    "get",
    "irnn",
    "run",
    "step_fn",
]

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "relu": jax.nn.relu,
    "leaky_relu": lambda a: jax.nn.leaky_relu(a, 0.01),
    "linear": lambda a: a,
}

# H97 App. A.1: h1 = 2σ-1 in [-1, 1], g2 = 4σ-2 in [-2, 2]; Exp. 2a/2b use h = id and g1 = σ.
_H97_G = {"g2": lambda a: 4.0 * jax.nn.sigmoid(a) - 2.0, "g1": jax.nn.sigmoid}
_H97_H = {"h1": lambda a: 2.0 * jax.nn.sigmoid(a) - 1.0, "id": lambda a: a}
# Bias codes of H97 Table 10: which units carry a bias, as (cells, gates, output units).
UPDATE_ORDERS = ("sync", "gates_first")  # LSTM1997: what a cell input reads of this step's gates
_H97_BIAS = {
    "none": (False, False, False),
    "ga": (False, True, False),
    "b1": (True, True, False),
    "all": (True, True, True),
}


def _choice(name: str, value: Any, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: must be one of {sorted(allowed)}")


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name}={value!r}: must be an integer > 0")


def _check_carry(name: str, got: tuple[int, ...], want: int, cell: str) -> None:
    if not got or got[-1] != want:
        raise ValueError(f"carry {name} has shape {got}: {cell} expects (..., {want})")


def _batch_shape(cell: str, carry: dict[str, jax.Array], x: jax.Array) -> tuple[int, ...]:
    """The batch shape of one step: the leading shapes of the carry parts and of ``x``, broadcast.

    Args:
      cell: the cell's name, for the error message.
      carry: the carry's parts by name, each (..., size); their last axes are checked by the caller.
      x: the input, (..., n_in).

    Raises:
      ValueError: ``x`` is a scalar, or the leading shapes do not broadcast; the message gives every
        shape.
    """
    x_shape = tuple(jnp.shape(x))
    if not x_shape:
        raise ValueError(f"x has shape (): {cell} expects (..., n_in)")
    shapes = {name: tuple(jnp.shape(a)) for name, a in carry.items()}
    try:
        return jnp.broadcast_shapes(*(s[:-1] for s in shapes.values()), x_shape[:-1])
    except ValueError:
        got = ", ".join(f"carry {name} has shape {s}" for name, s in shapes.items())
        raise ValueError(
            f"{got}, x has shape {x_shape}: {cell} needs leading (batch) shapes that broadcast "
            "(equal, one of them (), or 1 where they differ)"
        ) from None


class LSTMState(NamedTuple):
    """Carry of :class:`LSTM`: cell state ``c`` and output ``h``, each (..., features)."""

    c: jax.Array
    h: jax.Array


class LSTMGates(NamedTuple):
    """What :class:`LSTM` computes from (h_{t-1}, x_t) before the cell update, each (..., n):
    the input, forget and output gates (σ) and the cell input (tanh)."""

    input: jax.Array
    forget: jax.Array
    cell_input: jax.Array
    output: jax.Array


class AttentionState(NamedTuple):
    """AttentionRNN's carry: h (..., n), the states so far (..., max_len, n), the step (...)."""

    h: jax.Array
    memory: jax.Array
    t: jax.Array


class LSTM1997State(NamedTuple):
    """Carry of :class:`LSTM1997`.

    s: internal (CEC) states of the B·S cells, (..., B·S), block-major.
    y: hidden activations y_hid(t) = [y_c (B·S), y_in (B), y_out (B, if output gates)], read at t+1.
    """

    s: jax.Array
    y: jax.Array


def _sg(a: jax.Array, truncated: bool) -> jax.Array:
    return jax.lax.stop_gradient(a) if truncated else a


class SimpleRNN(nn.Module):
    """Fully connected RNN, in the usual form or Pascanu's theory form.

    Attributes:
      features: number of hidden units n (> 0).
      activation: "tanh", "sigmoid", "relu", "leaky_relu" (slope 0.01 below 0) or "linear".
      form: "standard": h_t = act(W_rec h_{t-1} + W_in x_t + b), output h_t;
        "pascanu": x_t = W_rec act(x_{t-1}) + W_in u_t + b (P13 eq. 2), output x_t;
        "residual": h_t = h_{t-1} + act(W_rec h_{t-1} + W_in x_t + b), output h_t (the identity
        path in time makes ∂h_t/∂h_{t-1} = I + diag(act')·W_rec).
      recurrent_init, input_init, bias_init: initialisers for W_rec (n, n), W_in (n, n_in), b (n).
      use_bias: whether b exists.
      param_dtype: dtype of the parameters.
    """

    features: int
    activation: str = "tanh"
    form: str = "standard"
    recurrent_init: inits.Initializer = inits.orthogonal()
    input_init: inits.Initializer = inits.glorot_uniform()
    bias_init: inits.Initializer = inits.constant(0.0)
    use_bias: bool = True
    param_dtype: Any = jnp.float32

    def __post_init__(self):
        _positive_int("features", self.features)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("form", self.form, ("standard", "pascanu", "residual"))
        super().__post_init__()

    def initialize_carry(self, batch_shape: Sequence[int] = ()) -> jax.Array:
        return jnp.zeros((*batch_shape, self.features), self.param_dtype)

    @nn.compact
    def __call__(self, carry: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        n = self.features
        _check_carry("h", jnp.shape(carry), n, "SimpleRNN")
        _batch_shape("SimpleRNN", {"h": carry}, x)
        act = ACTIVATIONS[self.activation]
        w_rec = self.param("W_rec", self.recurrent_init, (n, n), self.param_dtype)
        w_in = self.param("W_in", self.input_init, (n, x.shape[-1]), self.param_dtype)
        drive = x @ w_in.T
        if self.use_bias:
            drive = drive + self.param("b", self.bias_init, (n,), self.param_dtype)
        if self.form == "standard":
            new = act(carry @ w_rec.T + drive)
        elif self.form == "residual":
            new = carry + act(carry @ w_rec.T + drive)
        else:
            new = act(carry) @ w_rec.T + drive
        return new, new


def irnn(features: int, **kwargs) -> SimpleRNN:
    """IRNN of Le, Jaitly & Hinton (2015): ReLU, W_rec = I, W_in ~ N(0, 0.001²), b = 0."""
    kwargs = {"recurrent_init": inits.identity(), "input_init": inits.normal(1e-3), **kwargs}
    return SimpleRNN(features, activation="relu", **kwargs)


class LSTM(nn.Module):
    """LSTM with forget gate (Gers et al. 2000), modern form with tanh squashing.

    i, f, o = σ(·), u = tanh(·) of W_in x_t + W_rec h_{t-1} + b (gate order i, f, u, o);
    c_t = f ⊙ c_{t-1} + i ⊙ u;  h_t = o ⊙ tanh(c_t).

    Attributes:
      features: hidden size n (> 0).
      forget_bias: initial forget-gate bias (1.0 by default, so f starts near σ(1) ≈ 0.73).
      gradient: "full" (BPTT through every path) or "truncated" (stop_gradient on h_{t-1} where it
        enters gates and cell input: G00's extended LSTM; then ∂c_k/∂c_t = diag(∏ f)).
      recurrent_init: initialiser of one gate block of W_rec, called with shape (n, n) once per
        block (i, f, u, o); W_rec is their stack, (4n, n).
      input_init: initialiser of W_in, (4n, n_in).
    """

    features: int
    forget_bias: float = 1.0
    gradient: str = "full"
    recurrent_init: inits.Initializer = inits.orthogonal()
    input_init: inits.Initializer = inits.glorot_uniform()
    param_dtype: Any = jnp.float32

    def __post_init__(self):
        _positive_int("features", self.features)
        _choice("gradient", self.gradient, ("full", "truncated"))
        super().__post_init__()

    def initialize_carry(self, batch_shape: Sequence[int] = ()) -> LSTMState:
        z = jnp.zeros((*batch_shape, self.features), self.param_dtype)
        return LSTMState(z, z)

    @nn.compact
    def __call__(self, carry: LSTMState, x: jax.Array) -> tuple[LSTMState, jax.Array]:
        n = self.features
        c, h = carry
        _check_carry("c", jnp.shape(c), n, "LSTM")
        _check_carry("h", jnp.shape(h), n, "LSTM")
        _batch_shape("LSTM", {"c": c, "h": h}, x)

        def rec_init(key, shape, dtype):  # one init per gate block, each (n, n)
            return jnp.concatenate(
                [self.recurrent_init(k, (n, n), dtype) for k in jax.random.split(key, 4)]
            )

        def bias_init(key, shape, dtype):
            del key
            return jnp.zeros(shape, dtype).at[n : 2 * n].set(self.forget_bias)

        w_in = self.param("W_in", self.input_init, (4 * n, x.shape[-1]), self.param_dtype)
        w_rec = self.param("W_rec", rec_init, (4 * n, n), self.param_dtype)
        b = self.param("b", bias_init, (4 * n,), self.param_dtype)
        g = _lstm_gates(w_in, w_rec, b, _sg(h, self.gradient == "truncated"), x)
        c = g.forget * c + g.input * g.cell_input
        h = g.output * jnp.tanh(c)
        return LSTMState(c, h), h

    def gates(self, carry: LSTMState, x: jax.Array) -> LSTMGates:
        """The gates of the step from ``carry`` with input ``x``, as ``__call__`` computes them:
        ``cell.apply(variables, carry, x, method=LSTM.gates)`` (for analyses that read them)."""
        p = self.variables["params"]
        return _lstm_gates(p["W_in"], p["W_rec"], p["b"], carry.h, x)


def _lstm_gates(w_in, w_rec, b, h, x) -> LSTMGates:
    i, f, u, o = jnp.split(x @ w_in.T + h @ w_rec.T + b, 4, axis=-1)
    return LSTMGates(jax.nn.sigmoid(i), jax.nn.sigmoid(f), jnp.tanh(u), jax.nn.sigmoid(o))


class GRU(nn.Module):
    """Gated recurrent unit (Cho et al. 2014).

    r, z = σ(W_in x + W_rec h + b);  n = tanh(W_in_n x + b_n + r ⊙ (W_rec_n h + b_hn));
    h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.

    Attributes:
      features: hidden size n (> 0).
      recurrent_init: initialiser of one gate block of W_rec, called with shape (n, n) once per
        block (r, z, n); W_rec is their stack, (3n, n).
      input_init: initialiser of W_in, (3n, n_in).
    """

    features: int
    recurrent_init: inits.Initializer = inits.orthogonal()
    input_init: inits.Initializer = inits.glorot_uniform()
    param_dtype: Any = jnp.float32

    def __post_init__(self):
        _positive_int("features", self.features)
        super().__post_init__()

    def initialize_carry(self, batch_shape: Sequence[int] = ()) -> jax.Array:
        return jnp.zeros((*batch_shape, self.features), self.param_dtype)

    @nn.compact
    def __call__(self, carry: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        n = self.features
        _check_carry("h", jnp.shape(carry), n, "GRU")
        _batch_shape("GRU", {"h": carry}, x)

        def rec_init(key, shape, dtype):
            return jnp.concatenate(
                [self.recurrent_init(k, (n, n), dtype) for k in jax.random.split(key, 3)]
            )

        zeros = inits.constant(0.0)
        w_in = self.param("W_in", self.input_init, (3 * n, x.shape[-1]), self.param_dtype)
        w_rec = self.param("W_rec", rec_init, (3 * n, n), self.param_dtype)
        b = self.param("b", zeros, (3 * n,), self.param_dtype)
        b_hn = self.param("b_hn", zeros, (n,), self.param_dtype)
        xi = x @ w_in.T + b
        hr = carry @ w_rec.T
        r = jax.nn.sigmoid(xi[..., :n] + hr[..., :n])
        z = jax.nn.sigmoid(xi[..., n : 2 * n] + hr[..., n : 2 * n])
        cand = jnp.tanh(xi[..., 2 * n :] + r * (hr[..., 2 * n :] + b_hn))
        new = (1.0 - z) * cand + z * carry
        return new, new


class AttentionRNN(nn.Module):
    """A tanh RNN with dot-product attention over its past states, read at every step.

    h_t = tanh(W_rec h_{t-1} + W_in x_t + b);  a_ts = softmax_{s ≤ t}(h_sᵀ W_q h_t / √n);
    output [h_t, Σ_s a_ts h_s] (2n). The carry keeps h_1..h_t (``max_len`` slots), so the loss at
    step T has a one-step path to every earlier state: the remedy the practitioners' post calls "attention".
    The recurrence itself is the plain tanh RNN's, so ∂h_T/∂h_t still vanishes; only the output
    path is new.

    Attributes:
      features: hidden size n (> 0).
      max_len: the longest sequence it will read (> 0): slots in the carry.
      recurrent_init, input_init: initialisers of W_rec (n, n) and W_in (n, n_in);
        query_init: of W_q (n, n).
    """

    features: int
    max_len: int
    recurrent_init: inits.Initializer = inits.orthogonal()
    input_init: inits.Initializer = inits.glorot_uniform()
    query_init: inits.Initializer = inits.glorot_uniform()
    param_dtype: Any = jnp.float32

    def __post_init__(self):
        _positive_int("features", self.features)
        _positive_int("max_len", self.max_len)
        super().__post_init__()

    def initialize_carry(self, batch_shape: Sequence[int] = ()) -> AttentionState:
        n, dt = self.features, self.param_dtype
        return AttentionState(
            jnp.zeros((*batch_shape, n), dt),
            jnp.zeros((*batch_shape, self.max_len, n), dt),
            jnp.zeros(tuple(batch_shape), jnp.int32),
        )

    @nn.compact
    def __call__(self, carry: AttentionState, x: jax.Array) -> tuple[AttentionState, jax.Array]:
        n = self.features
        h, memory, t = carry
        _check_carry("h", jnp.shape(h), n, "AttentionRNN")
        shape = _batch_shape("AttentionRNN", {"h": h, "t": t[..., None]}, x)
        t = jnp.broadcast_to(t, shape)
        w_rec = self.param("W_rec", self.recurrent_init, (n, n), self.param_dtype)
        w_in = self.param("W_in", self.input_init, (n, x.shape[-1]), self.param_dtype)
        b = self.param("b", inits.constant(0.0), (n,), self.param_dtype)
        w_q = self.param("W_q", self.query_init, (n, n), self.param_dtype)
        h = jnp.tanh(h @ w_rec.T + x @ w_in.T + b)
        slots = jnp.arange(self.max_len)
        write = (slots == t[..., None]).astype(h.dtype)  # (..., max_len)
        memory = memory + write[..., None] * h[..., None, :]
        scores = jnp.einsum("...sn,...n->...s", memory, h @ w_q.T) / jnp.sqrt(float(n))
        scores = jnp.where(slots <= t[..., None], scores, -jnp.inf)
        context = jnp.einsum("...s,...sn->...n", jax.nn.softmax(scores, axis=-1), memory)
        out = jnp.concatenate([h, context], axis=-1)
        return AttentionState(h, memory, t + 1), out


class LSTM1997(nn.Module):
    """The 1997 LSTM network of Hochreiter & Schmidhuber, output units included.

    Topology F (H97 §5): cells and gates receive [x(t); y_hid(t-1)], output units the cell outputs.
    Topology B (Exp. 2a/2b): cells and gates receive x(t) only; output units receive x(t) and y_c(t).
    Forward pass (H97 App. A.1, eqs. 6-10; forget gate from G00):

      y_in_j  = σ(W_in[j]·z + b_in_j)      y_out_j = σ(W_out[j]·z + b_out_j)   y_phi_j = σ(W_phi[j]·z + b)
      s_jv(t) = y_phi_j · s_jv(t-1) + y_in_j · g(W_c[jv]·z + b_c_jv)          (y_phi ≡ 1 without forget gate)
      y_c_jv  = y_out_j · h(s_jv(t))        y_k = σ(W_y[k]·y_c (+ W_yx[k]·x) + b_k)

    z = [x(t); y_hid(t-1)] for every unit (topology F): all units update synchronously from the
    previous step's activations (the spec's reading of eqs. 6-10). ``update_order="gates_first"``
    lets the cell inputs read this step's gates instead: net_c = W_c·[x(t); y_c(t-1); y_in(t);
    y_out(t)], the same weights (an order the paper does not state; spec [uncertain]).

    Attributes:
      n_out: number of output units (> 0).
      blocks: number of memory blocks B (> 0).
      block_size: cells per block S (> 0).
      topology: "F" or "B" (H97 Table 10, column c).
      bias: "ga" (gates), "b1" (all hidden units), "all" (hidden and output units) or "none".
      in_gate_bias, out_gate_bias, forget_gate_bias: initial gate biases, one value per block; ``None``
        draws them from U[-init_scale, init_scale] (Table 10's "r").
      output_gate: whether blocks have output gates (Exp. 2a/2b have none).
      forget_gate: add G00's forget gate, which always has a bias (G00: "plus a bias"), whatever
        ``bias`` says. Forget-gate activations are not fed back as recurrent inputs
        (a decision: H97's hidden vector is cells, input and output gates only), so with y_phi ≡ 1 the
        model equals the 1997 one.
      g, h: cell-input squashing "g2" (4σ-2) or "g1" (σ); cell-output squashing "h1" (2σ-1) or "id".
      gradient: "truncated" (H97 §4: stop_gradient on every recurrent input of gates and cell inputs,
        so error flows back in time only through the CEC) or "full" (plain BPTT, ablation H97-D1).
      init_scale: every weight and every non-explicit bias starts in U[-init_scale, init_scale].
      input_output: direct input→output weights W_yx with topology F too (an output-layer reading,
        off in the paper's Table 10 counts; topology B always has them).
      output_bias: output units get a bias b_y whatever ``bias`` says (an output-layer reading).
      update_order: "sync" (every unit reads y_hid(t-1)) or "gates_first" (cell inputs read this
        step's gate activations; topology F only). Weight counts are the same.
    """

    n_out: int
    blocks: int
    block_size: int = 1
    topology: str = "F"
    bias: str = "all"
    in_gate_bias: Sequence[float] | None = None
    out_gate_bias: Sequence[float] | None = None
    forget_gate_bias: Sequence[float] | None = None
    output_gate: bool = True
    forget_gate: bool = False
    g: str = "g2"
    h: str = "h1"
    gradient: str = "truncated"
    init_scale: float = 0.1
    input_output: bool = False
    output_bias: bool = False
    update_order: str = "sync"
    param_dtype: Any = jnp.float32

    def __post_init__(self):
        _positive_int("n_out", self.n_out)
        _positive_int("blocks", self.blocks)
        _positive_int("block_size", self.block_size)
        _choice("topology", self.topology, ("F", "B"))
        _choice("bias", self.bias, _H97_BIAS)
        _choice("g", self.g, _H97_G)
        _choice("h", self.h, _H97_H)
        _choice("gradient", self.gradient, ("truncated", "full"))
        _choice("update_order", self.update_order, UPDATE_ORDERS)
        if self.update_order != "sync" and self.topology != "F":
            raise ValueError(
                f"update_order={self.update_order!r}: needs topology 'F' (with 'B' no unit reads "
                "another unit's activation)"
            )
        for name in ("input_output", "output_bias"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}={getattr(self, name)!r}: must be True or False")
        if self.output_bias and _H97_BIAS[self.bias][2]:
            raise ValueError(f"output_bias=True but bias={self.bias!r} gives output units a bias")
        if not self.init_scale > 0:
            raise ValueError(f"init_scale={self.init_scale!r}: must be > 0")
        for name in ("in_gate_bias", "out_gate_bias", "forget_gate_bias"):
            values = getattr(self, name)
            if values is not None and len(values) != self.blocks:
                raise ValueError(
                    f"{name}={tuple(values)!r}: needs one value per block ({self.blocks} blocks)"
                )
        if not _H97_BIAS[self.bias][1]:
            for name in ("in_gate_bias", "out_gate_bias"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is set but bias={self.bias!r} gives gates no bias")
        if self.out_gate_bias is not None and not self.output_gate:
            raise ValueError("out_gate_bias is set but output_gate=False")
        if self.forget_gate_bias is not None and not self.forget_gate:
            raise ValueError("forget_gate_bias is set but forget_gate=False")
        super().__post_init__()

    @property
    def n_cells(self) -> int:
        return self.blocks * self.block_size

    @property
    def n_hidden(self) -> int:
        """Length of y_hid: cells, input gates and (if present) output gates."""
        return self.n_cells + self.blocks * (2 if self.output_gate else 1)

    def squash_h(self, s: jax.Array) -> jax.Array:
        """The cell-output squashing h of this net (``h``), elementwise: y_c = y_out · h(s)."""
        return _H97_H[self.h](s)

    def initialize_carry(self, batch_shape: Sequence[int] = ()) -> LSTM1997State:
        """All activations and internal states are 0 at sequence start (H97 §5)."""
        return LSTM1997State(
            jnp.zeros((*batch_shape, self.n_cells), self.param_dtype),
            jnp.zeros((*batch_shape, self.n_hidden), self.param_dtype),
        )

    def _gate_bias(self, name: str, values: Sequence[float] | None) -> jax.Array:
        if values is None:
            init = inits.uniform(self.init_scale)
        else:

            def init(key, shape, dtype):
                del key
                return jnp.asarray(values, dtype).reshape(shape)

        return self.param(name, init, (self.blocks,), self.param_dtype)

    @nn.compact
    def __call__(self, carry: LSTM1997State, x: jax.Array) -> tuple[LSTM1997State, jax.Array]:
        s, y_prev = carry
        _check_carry("s", jnp.shape(s), self.n_cells, "LSTM1997")
        _check_carry("y", jnp.shape(y_prev), self.n_hidden, "LSTM1997")
        batch = _batch_shape("LSTM1997", {"s": s, "y": y_prev}, x)
        n_in, nb, nc = x.shape[-1], self.blocks, self.n_cells
        # z concatenates x with y_prev, so both need the full batch shape (the other cells broadcast
        # through their additions); broadcast_to is a no-op when the shapes already agree.
        x = jnp.broadcast_to(x, (*batch, n_in))
        s = jnp.broadcast_to(s, (*batch, nc))
        y_prev = jnp.broadcast_to(y_prev, (*batch, self.n_hidden))
        cell_bias, gate_bias, out_bias = _H97_BIAS[self.bias]
        w_init = inits.uniform(self.init_scale)

        if self.topology == "F":
            z = jnp.concatenate([x, _sg(y_prev, self.gradient == "truncated")], axis=-1)
        else:
            z = x
        n_z = z.shape[-1]

        def net(name: str, rows: int, with_bias: bool, bias_values=None, explicit=False):
            """Creates the unit's weights now (their order fixes the init) -> z -> net input."""
            w = self.param(f"W_{name}", w_init, (rows, n_z), self.param_dtype)
            b = None
            if explicit:
                b = self._gate_bias(f"b_{name}", bias_values)
            elif with_bias:
                b = self.param(f"b_{name}", w_init, (rows,), self.param_dtype)
            return lambda z: z @ w.T if b is None else z @ w.T + b

        def per_cell(gate):  # (..., B) -> (..., B*S), block-major like the cells
            return jnp.repeat(gate, self.block_size, axis=-1)

        net_in = net("in", nb, gate_bias, self.in_gate_bias, gate_bias)
        net_c = net("c", nc, cell_bias)
        net_phi = net("phi", nb, True, self.forget_gate_bias, True) if self.forget_gate else None
        net_out = None
        if self.output_gate:
            net_out = net("out", nb, gate_bias, self.out_gate_bias, gate_bias)

        hidden = [jax.nn.sigmoid(net_in(z))]  # y_in, then y_out: the gates read z only
        if self.output_gate:
            hidden.append(jax.nn.sigmoid(net_out(z)))
        z_c = z
        if self.update_order == "gates_first":  # the cell inputs see this step's gates
            now = jnp.concatenate([y_prev[..., :nc], *hidden], axis=-1)
            z_c = jnp.concatenate([x, _sg(now, self.gradient == "truncated")], axis=-1)
        u = _H97_G[self.g](net_c(z_c))
        if self.forget_gate:
            s = per_cell(jax.nn.sigmoid(net_phi(z))) * s
        s = s + per_cell(hidden[0]) * u  # the constant error carousel: self-weight 1
        y_c = _H97_H[self.h](s)
        if self.output_gate:
            y_c = per_cell(hidden[1]) * y_c

        net_k = self._output_net(y_c, x, w_init, out_bias)
        y_hid = jnp.concatenate([y_c, *hidden], axis=-1)
        return LSTM1997State(s, y_hid), jax.nn.sigmoid(net_k)

    def _output_net(self, y_c, x, w_init, out_bias: bool) -> jax.Array:
        """The output units' net input from the cell outputs (and x, and a bias, where the
        topology or an option connects them); creates their weights in this order."""
        w_y = self.param("W_y", w_init, (self.n_out, y_c.shape[-1]), self.param_dtype)
        net_k = y_c @ w_y.T
        if self.topology == "B" or self.input_output:
            w_yx = self.param("W_yx", w_init, (self.n_out, x.shape[-1]), self.param_dtype)
            net_k = net_k + x @ w_yx.T
        if out_bias or self.output_bias:
            net_k = net_k + self.param("b_y", w_init, (self.n_out,), self.param_dtype)
        return net_k


class Readout(nn.Module):
    """A cell followed by output units read at every step: y_t = act(W_y · out_t + b_y).

    The carry is the cell's, so ``Readout`` composes with ``run`` and the Jacobian engine.

    Attributes:
      cell: the recurrent cell.
      n_out: number of output units (> 0).
      activation: output squashing, "linear" (logits or regression), "sigmoid" or "tanh".
      kernel_init, bias_init: initialisers of W_y (n_out, n_hidden) and b_y.
      use_bias: whether b_y exists (False: y_t = act(W_y · out_t), a state-space model's C s_t).
    """

    cell: nn.Module
    n_out: int
    activation: str = "linear"
    kernel_init: inits.Initializer = inits.glorot_uniform()
    bias_init: inits.Initializer = inits.constant(0.0)
    use_bias: bool = True
    param_dtype: Any = jnp.float32

    def __post_init__(self):
        _positive_int("n_out", self.n_out)
        _choice("activation", self.activation, ("linear", "sigmoid", "tanh"))
        super().__post_init__()

    def initialize_carry(self, batch_shape: Sequence[int] = ()):
        return self.cell.initialize_carry(batch_shape)

    @nn.compact
    def __call__(self, carry, x: jax.Array):
        carry, out = self.cell(carry, x)
        w = self.param("W_y", self.kernel_init, (self.n_out, out.shape[-1]), self.param_dtype)
        y = out @ w.T
        if self.use_bias:
            y = y + self.param("b_y", self.bias_init, (self.n_out,), self.param_dtype)
        return carry, ACTIVATIONS[self.activation](y)


CELLS: dict[str, Callable[..., nn.Module]] = {
    "rnn_tanh": lambda features, **kw: SimpleRNN(features, activation="tanh", **kw),
    "rnn_sigmoid": lambda features, **kw: SimpleRNN(features, activation="sigmoid", **kw),
    "rnn_relu": lambda features, **kw: SimpleRNN(features, activation="relu", **kw),
    "rnn_leaky_relu": lambda features, **kw: SimpleRNN(features, activation="leaky_relu", **kw),
    "rnn_linear": lambda features, **kw: SimpleRNN(features, activation="linear", **kw),
    "irnn": irnn,
    "lstm": LSTM,
    "gru": GRU,
}


def get(name: str, features: int, **kwargs) -> nn.Module:
    """Cell by name (``CELLS``), e.g. ``get("rnn_tanh", 64, form="pascanu")``.

    ``LSTM1997`` is built directly: its constructor needs the paper's network description.

    Raises:
      ValueError: unknown ``name`` or invalid arguments; the message names the argument.
    """
    if name not in CELLS:
        raise ValueError(f"cell={name!r}: unknown cell; known: {sorted(CELLS)}")
    return CELLS[name](features, **kwargs)


def step_fn(cell: nn.Module, params) -> Callable[[Any, jax.Array], Any]:
    """``step(carry, x) -> carry`` of a bound cell, the form the Jacobian engine takes."""
    return lambda carry, x: cell.apply(params, carry, x)[0]


def run(cell: nn.Module, params, xs: jax.Array, carry=None) -> tuple[Any, jax.Array]:
    """Unroll ``cell`` over time-major inputs ``xs`` (T, ..., n_in) with ``lax.scan``.

    Returns:
      (final carry, outputs (T, ..., n_y)).
    """
    if carry is None:
        carry = cell.initialize_carry(xs.shape[1:-1])
    return jax.lax.scan(lambda c, x: cell.apply(params, c, x), carry, xs)


def count_params(params) -> int:
    """Total number of scalar parameters in a pytree."""
    return sum(int(p.size) for p in jax.tree_util.tree_leaves(params))
