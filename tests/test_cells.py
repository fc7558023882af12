"""Basic tests of ``repro.cells``: parameter counts, structure, forward ranges, shapes and errors.

Paper-equation and gradient tests live in a separate file.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import cells
from repro import initializers as inits

F32 = jnp.float32


def _init(cell, n_in: int, seed: int = 0, batch_shape=()):
    """Params of ``cell`` for inputs of size ``n_in`` (float32)."""
    x = jnp.zeros((*batch_shape, n_in), F32)
    return cell.init(jax.random.key(seed), cell.initialize_carry(batch_shape), x)


def _net_6a(**kwargs) -> cells.LSTM1997:
    """H97 Exp. 6a: 8 inputs, 4 outputs, 2 blocks of size 2, bias "all"."""
    return cells.LSTM1997(n_out=4, blocks=2, block_size=2, bias="all", **kwargs)


# ---------------------------------------------------------------------------------------------
# LSTM1997: parameter counts of H97 Table 10

_TABLE10 = [
    pytest.param(7, dict(n_out=7, blocks=4, block_size=1, bias="ga"), 264, id="exp1-4x1"),
    pytest.param(7, dict(n_out=7, blocks=3, block_size=2, bias="ga"), 276, id="exp1-3x2"),
    # the output-layer readings of issue 28 (not Table 10's): + 7×7 input→output, + 7 output biases
    *[
        pytest.param(
            7, dict(n_out=7, blocks=3, block_size=2, bias="ga", **kw), w, id=f"exp1-3x2-{i}"
        )
        for i, (kw, w) in enumerate(
            [
                ({"input_output": True}, 325),
                ({"output_bias": True}, 283),
                ({"input_output": True, "output_bias": True}, 332),
                ({"update_order": "gates_first"}, 276),
            ]
        )
    ],
    pytest.param(
        101,
        dict(n_out=101, blocks=1, topology="B", bias="none", output_gate=False, g="g1", h="id"),
        10504,
        id="exp2a",
    ),
    *[
        pytest.param(p + 4, dict(n_out=2, blocks=2, block_size=1, bias="none"), w, id=f"exp2c-p{p}")
        for p, w in [(50, 364), (100, 664), (200, 1264), (500, 3064), (1000, 6064)]
    ],
    pytest.param(1, dict(n_out=1, blocks=3, bias="b1"), 102, id="exp3"),
    pytest.param(2, dict(n_out=1, blocks=2, block_size=2, bias="all"), 93, id="exp4-5"),
    pytest.param(8, dict(n_out=4, blocks=2, block_size=2, bias="all"), 156, id="exp6a"),
    pytest.param(8, dict(n_out=8, blocks=3, block_size=2, bias="all"), 308, id="exp6b"),
]


@pytest.mark.parametrize("n_in,kwargs,want", _TABLE10)
def test_lstm1997_param_count_table10(n_in, kwargs, want):
    """The number of weights W equals H97 Table 10."""
    m = cells.LSTM1997(**kwargs)
    params = m.init(jax.random.key(0), m.initialize_carry(), jnp.zeros(n_in, F32))
    assert cells.count_params(params) == want


def test_lstm1997_structure_6a():
    """H97-F2: cells and gates see all 8 inputs and all 8 hidden units; outputs see the cells."""
    m = _net_6a()
    assert m.n_cells == 4 and m.n_hidden == 8  # 4 cells + 2 input gates + 2 output gates
    p = _init(m, 8)["params"]
    assert p["W_c"].shape == (4, 16)
    assert p["W_in"].shape == (2, 16)
    assert p["W_out"].shape == (2, 16)
    assert p["W_y"].shape == (4, 4)
    assert {k: v.shape for k, v in p.items() if k.startswith("b_")} == {
        "b_c": (4,),
        "b_in": (2,),
        "b_out": (2,),
        "b_y": (4,),
    }

    # Functional check: perturbing any one of the 16 sources changes every cell state, input gate
    # and output gate at the next step.
    keys = jax.random.split(jax.random.key(1), 3)
    x = jax.random.uniform(keys[0], (8,), F32, -1.0, 1.0)
    y = jax.random.uniform(keys[1], (8,), F32, 0.0, 1.0)
    s = jnp.zeros(4, F32)

    def step(x, y):
        new, _ = m.apply({"params": p}, cells.LSTM1997State(s, y), x)
        return jnp.concatenate([new.s, new.y[4:]])  # cells, y_in, y_out

    base = step(x, y)
    eye = 0.5 * jnp.eye(16, dtype=F32)
    pert = jax.vmap(lambda d: step(x + d[:8], y + d[8:]))(eye)  # (16 sources, 8 targets)
    assert np.all(np.asarray(pert) != np.asarray(base)[None, :])


# ---------------------------------------------------------------------------------------------
# LSTM1997: initial values


@pytest.mark.parametrize("gate", ["in_gate_bias", "out_gate_bias"])
@pytest.mark.parametrize("init_scale", [0.1, 0.2])
def test_lstm1997_explicit_and_random_biases(gate, init_scale):
    """Explicit gate biases are set exactly; "r" biases and all weights lie in U[-s, s]."""
    values = (-3.0, -6.0, -1.5, -4.5, -2.0)
    m = cells.LSTM1997(
        n_out=3, blocks=5, block_size=2, bias="all", init_scale=init_scale, **{gate: values}
    )
    p = _init(m, 6)["params"]
    name = {"in_gate_bias": "b_in", "out_gate_bias": "b_out"}[gate]
    other = {"b_in": "b_out", "b_out": "b_in"}[name]
    np.testing.assert_array_equal(np.asarray(p[name]), np.asarray(values, np.float32))
    r = np.asarray(p[other])
    assert np.all(np.abs(r) <= init_scale)
    assert np.unique(r).size == r.size  # drawn, not a constant
    rest = [np.asarray(v).ravel() for k, v in p.items() if k != name]
    rest = np.concatenate(rest)
    assert np.all(np.abs(rest) <= init_scale)
    assert np.abs(rest).max() > 0.9 * init_scale  # the range is used (> 200 draws)


def test_lstm1997_forget_gate_bias_explicit():
    """``forget_gate_bias`` sets b_phi exactly."""
    m = _net_6a(forget_gate=True, forget_gate_bias=(2.0, 5.0))
    p = _init(m, 8)["params"]
    np.testing.assert_array_equal(np.asarray(p["b_phi"]), np.array([2.0, 5.0], np.float32))


# ---------------------------------------------------------------------------------------------
# LSTM1997: forward pass


@pytest.mark.parametrize("init_scale", [0.1, 0.2, 1.0])
def test_lstm1997_forward_ranges(init_scale):
    """From the zero carry: outputs in (0, 1), gates in (0, 1), y_c in [-1, 1] for h = h1."""
    m = _net_6a(init_scale=init_scale, h="h1")
    p = _init(m, 8)
    xs = jax.random.uniform(jax.random.key(2), (30, 2, 8), F32, -3.0, 3.0)

    def step(c, x):
        c, y = m.apply(p, c, x)
        return c, (y, c.s, c.y)

    _, (ys, ss, hid) = jax.lax.scan(step, m.initialize_carry((2,)), xs)
    ys, ss, hid = map(np.asarray, (ys, ss, hid))
    assert ys.shape == (30, 2, 4)
    assert np.all((ys > 0) & (ys < 1))
    y_c, gates = hid[..., :4], hid[..., 4:]
    assert np.all(np.abs(y_c) <= 1)
    assert np.all((gates > 0) & (gates < 1))
    assert np.abs(ss).max() > 0  # the states do move
    # y_c = y_out * h1(s), with y_out repeated over the 2 cells of each block.
    y_out = np.repeat(hid[..., 6:8], 2, axis=-1)
    np.testing.assert_allclose(y_c, y_out * (2 / (1 + np.exp(-ss)) - 1), atol=1e-6)


def test_lstm1997_cec_holds_state_when_input_gate_closed():
    """With y_in = σ(-1000) = 0 exactly, the CEC keeps s(t) = s(t-1) bit for bit."""
    m = _net_6a()
    p = _init(m, 8)
    keys = jax.random.split(jax.random.key(3), 3)
    s0 = jax.random.uniform(keys[0], (4,), F32, -2.0, 2.0)
    y0 = jax.random.uniform(keys[1], (8,), F32, 0.0, 1.0)
    x = jax.random.uniform(keys[2], (8,), F32, -1.0, 1.0)
    carry = cells.LSTM1997State(s0, y0)

    # Sanity: with the drawn parameters the state does change.
    new, _ = m.apply(p, carry, x)
    assert not np.allclose(np.asarray(new.s), np.asarray(s0))

    closed = jax.tree_util.tree_map(lambda a: a, p)
    closed["params"]["W_in"] = jnp.zeros_like(p["params"]["W_in"])
    closed["params"]["b_in"] = jnp.full_like(p["params"]["b_in"], -1000.0)
    s = carry
    for t in range(5):
        s, _ = m.apply(closed, s, x * (t + 1))
        np.testing.assert_array_equal(np.asarray(s.s), np.asarray(s0))
        np.testing.assert_array_equal(np.asarray(s.y[4:6]), np.zeros(2, np.float32))  # y_in


# ---------------------------------------------------------------------------------------------
# SimpleRNN


def test_simple_rnn_pascanu_form_equivalent_to_standard():
    """P13 footnote 1: h_t (standard) = tanh(x_t) (pascanu) for the same params, zero carries."""
    n, n_in, t_len = 6, 3, 12
    std = cells.SimpleRNN(
        n,
        activation="tanh",
        form="standard",
        recurrent_init=inits.normal(0.6),
        bias_init=inits.uniform(0.5),
    )
    pas = cells.SimpleRNN(n, activation="tanh", form="pascanu")
    params = _init(std, n_in, seed=5)
    assert np.abs(np.asarray(params["params"]["b"])).max() > 0  # non-trivial bias
    us = jax.random.normal(jax.random.key(6), (t_len, 2, n_in), F32)
    _, hs = cells.run(std, params, us)
    _, xs = cells.run(pas, params, us)
    assert hs.shape == xs.shape == (t_len, 2, n)
    np.testing.assert_allclose(np.asarray(hs), np.asarray(jnp.tanh(xs)), atol=1e-5)
    assert np.abs(np.asarray(xs)).max() > 1.0  # the forms genuinely differ (tanh is not id here)


def test_irnn():
    """IRNN: W_rec = I, ReLU; with zero input and bias a non-negative state is kept exactly."""
    m = cells.irnn(5)
    assert m.activation == "relu"
    p = _init(m, 3)
    np.testing.assert_array_equal(np.asarray(p["params"]["W_rec"]), np.eye(5, dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(p["params"]["b"]), np.zeros(5, np.float32))
    h = jnp.array([0.0, 0.5, 1.0, 2.0, 3.0], F32)
    new, _ = m.apply(p, h, jnp.zeros(3, F32))
    np.testing.assert_array_equal(np.asarray(new), np.asarray(h))
    new, _ = m.apply(p, -h, jnp.zeros(3, F32))
    np.testing.assert_array_equal(np.asarray(new), np.zeros(5, np.float32))


# ---------------------------------------------------------------------------------------------
# LSTM / GRU / SimpleRNN shapes


@pytest.mark.parametrize("forget_bias", [1.0, 0.0, 2.5])
def test_lstm_forget_bias(forget_bias):
    """b = [0 (i), forget_bias (f), 0 (u), 0 (o)]."""
    n = 5
    b = np.asarray(_init(cells.LSTM(n, forget_bias=forget_bias), 3)["params"]["b"])
    assert b.shape == (4 * n,)
    np.testing.assert_array_equal(b[n : 2 * n], np.full(n, forget_bias, np.float32))
    np.testing.assert_array_equal(np.delete(b, np.s_[n : 2 * n]), np.zeros(3 * n, np.float32))


_BATCH_CELLS = [
    pytest.param(lambda: cells.SimpleRNN(5), id="rnn"),
    pytest.param(lambda: cells.SimpleRNN(5, form="pascanu"), id="rnn-pascanu"),
    pytest.param(lambda: cells.irnn(5), id="irnn"),
    pytest.param(lambda: cells.LSTM(5), id="lstm"),
    pytest.param(lambda: cells.LSTM(5, gradient="truncated"), id="lstm-truncated"),
    pytest.param(lambda: cells.GRU(5), id="gru"),
    pytest.param(lambda: cells.get("rnn_sigmoid", 5), id="get-rnn_sigmoid"),
    pytest.param(lambda: cells.LSTM1997(n_out=5, blocks=2, block_size=2), id="lstm1997"),
]


@pytest.mark.parametrize("make", _BATCH_CELLS)
def test_batched_step_and_run_shapes(make):
    """(3, n_in) inputs give (3, 5) outputs, the carry keeps its structure, run gives (7, 3, 5)."""
    m = make()
    n_in, batch = 4, 3
    carry = m.initialize_carry((batch,))
    x = jax.random.normal(jax.random.key(7), (batch, n_in), F32)
    params = m.init(jax.random.key(0), carry, x)
    new, y = m.apply(params, carry, x)
    assert y.shape == (batch, 5) and y.dtype == F32
    assert jax.tree_util.tree_structure(new) == jax.tree_util.tree_structure(carry)
    assert jax.tree_util.tree_map(jnp.shape, new) == jax.tree_util.tree_map(jnp.shape, carry)

    # Batch rows are independent: row 1 equals the unbatched step on x[1].
    new1, y1 = m.apply(params, m.initialize_carry(), x[1])
    np.testing.assert_allclose(np.asarray(y[1]), np.asarray(y1), rtol=1e-6, atol=1e-6)
    for a, b in zip(jax.tree_util.tree_leaves(new), jax.tree_util.tree_leaves(new1), strict=True):
        np.testing.assert_allclose(np.asarray(a[1]), np.asarray(b), rtol=1e-6, atol=1e-6)

    xs = jax.random.normal(jax.random.key(8), (7, batch, n_in), F32)
    final, ys = cells.run(m, params, xs)
    assert ys.shape == (7, batch, 5)
    assert jax.tree_util.tree_structure(final) == jax.tree_util.tree_structure(carry)
    assert jax.tree_util.tree_map(jnp.shape, final) == jax.tree_util.tree_map(jnp.shape, carry)
    # run's first output is the single step from the zero carry.
    _, y_first = m.apply(params, carry, xs[0])
    np.testing.assert_allclose(np.asarray(ys[0]), np.asarray(y_first), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Broadcasting between the carry's batch shape and x's

_EVERY_CELL = [
    *_BATCH_CELLS[:6],  # rnn, rnn-pascanu, irnn, lstm, lstm-truncated, gru
    pytest.param(lambda: cells.LSTM1997(n_out=3, blocks=2, block_size=2), id="lstm1997-F"),
    pytest.param(
        lambda: cells.LSTM1997(
            n_out=3, blocks=1, topology="B", bias="none", output_gate=False, g="g1", h="id"
        ),
        id="lstm1997-B",
    ),
    pytest.param(lambda: cells.LSTM1997(n_out=3, blocks=2, forget_gate=True), id="lstm1997-fg"),
    pytest.param(lambda: cells.Readout(cells.GRU(5), 2), id="readout-gru"),
    pytest.param(lambda: cells.Readout(cells.LSTM1997(n_out=2, blocks=2), 2), id="readout-h97"),
    pytest.param(lambda: cells.AttentionRNN(5, max_len=6), id="attention"),
    pytest.param(lambda: cells.SimpleRNN(5, "leaky_relu", form="residual"), id="rnn-residual"),
]
_N_IN, _B = 4, 3


def test_every_cell_class_is_broadcast_tested():
    """Each ``nn.Module`` class of ``repro.cells`` is among ``_EVERY_CELL``."""
    classes = {
        obj
        for obj in vars(cells).values()
        if isinstance(obj, type) and issubclass(obj, nn.Module) and obj.__module__ == cells.__name__
    }
    tested = {type(p.values[0]()) for p in _EVERY_CELL}
    assert classes - tested == set()


def _random_carry(m, batch_shape, seed):
    """A carry of ``m`` with N(0, 1) entries (not the zero carry, so broadcasting it matters)."""
    carry = m.initialize_carry(batch_shape)
    leaves, tree = jax.tree_util.tree_flatten(carry)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    leaves = [
        jax.random.randint(k, a.shape, 0, 3, a.dtype)  # a step counter (AttentionRNN's t)
        if jnp.issubdtype(a.dtype, jnp.integer)
        else jax.random.normal(k, a.shape, a.dtype)
        for k, a in zip(keys, leaves, strict=True)
    ]
    return jax.tree_util.tree_unflatten(tree, leaves)


def _assert_trees_close(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        assert jnp.shape(u) == jnp.shape(v)
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-6, atol=1e-6)


def _row(tree, i):
    return jax.tree_util.tree_map(lambda a: a[i], tree)


@pytest.mark.parametrize("make", _EVERY_CELL)
def test_batched_carry_with_unbatched_x(make):
    """Carry (B, ...) with x (n_in,) equals x broadcast to (B, n_in), and each row equals the
    unbatched step from that row of the carry."""
    m = make()
    carry = _random_carry(m, (_B,), seed=1)
    x = jax.random.normal(jax.random.key(2), (_N_IN,), F32)
    params = _init(m, _N_IN)
    got = m.apply(params, carry, x)
    want = m.apply(params, carry, jnp.broadcast_to(x, (_B, _N_IN)))
    _assert_trees_close(got, want)
    for i in range(_B):
        _assert_trees_close(_row(got, i), m.apply(params, _row(carry, i), x))


@pytest.mark.parametrize("make", _EVERY_CELL)
def test_unbatched_carry_with_batched_x(make):
    """Carry (...) with x (B, n_in) equals the carry broadcast to (B, ...), and each row equals the
    unbatched step on that row of x."""
    m = make()
    carry = _random_carry(m, (), seed=3)
    x = jax.random.normal(jax.random.key(4), (_B, _N_IN), F32)
    params = _init(m, _N_IN)
    got = m.apply(params, carry, x)
    wide = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (_B, *a.shape)), carry)
    _assert_trees_close(got, m.apply(params, wide, x))
    for i in range(_B):
        _assert_trees_close(_row(got, i), m.apply(params, carry, x[i]))


@pytest.mark.parametrize("make", _EVERY_CELL)
def test_batch_shapes_that_do_not_broadcast_raise(make):
    """Carry batch (2,) with x batch (3,), or a scalar x: ValueError naming carry, x and shapes."""
    m = make()
    params = _init(m, _N_IN)
    x = jnp.zeros((3, _N_IN), F32)
    with pytest.raises(
        ValueError, match=r"carry .*has shape \(2, .*x has shape \(3, 4\).*broadcast"
    ):
        m.apply(params, m.initialize_carry((2,)), x)
    with pytest.raises(ValueError, match=r"x has shape \(\)"):
        m.apply(params, m.initialize_carry(), jnp.zeros((), F32))


# ---------------------------------------------------------------------------------------------
# argument checks


@pytest.mark.parametrize(
    "make,match",
    [
        pytest.param(lambda: cells.SimpleRNN(0), "features", id="rnn-features0"),
        pytest.param(
            lambda: cells.SimpleRNN(4, activation="softplus"), "activation", id="rnn-activation"
        ),
        pytest.param(lambda: cells.SimpleRNN(4, form="x"), "form", id="rnn-form"),
        pytest.param(lambda: cells.LSTM(-1), "features", id="lstm-features-neg"),
        pytest.param(lambda: cells.LSTM(4, gradient="x"), "gradient", id="lstm-gradient"),
        pytest.param(lambda: cells.GRU(0), "features", id="gru-features0"),
        pytest.param(lambda: cells.LSTM1997(n_out=1, blocks=0), "blocks", id="h97-blocks0"),
        pytest.param(lambda: cells.LSTM1997(n_out=0, blocks=1), "n_out", id="h97-n_out0"),
        pytest.param(
            lambda: cells.LSTM1997(n_out=1, blocks=2, in_gate_bias=(1.0,)),
            "in_gate_bias",
            id="h97-in_gate_bias-len",
        ),
        pytest.param(
            lambda: cells.LSTM1997(n_out=1, blocks=2, topology="C"), "topology", id="h97-topology"
        ),
        pytest.param(lambda: cells.LSTM1997(n_out=1, blocks=2, bias="x"), "bias", id="h97-bias"),
        pytest.param(lambda: cells.get("nope", 4), "nope", id="get-unknown"),
        pytest.param(lambda: cells.AttentionRNN(4, max_len=0), "max_len", id="attention-len0"),
    ],
)
def test_bad_arguments_raise(make, match):
    """Invalid constructor arguments raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=match):
        make()


def test_get_unknown_lists_known_names():
    """``cells.get`` with an unknown name lists every known cell."""
    with pytest.raises(ValueError, match="known") as err:
        cells.get("nope", 4)
    for name in cells.CELLS:
        assert name in str(err.value)


@pytest.mark.parametrize(
    "make,bad_carry",
    [
        pytest.param(lambda: cells.SimpleRNN(4), lambda: jnp.zeros(5, F32), id="rnn"),
        pytest.param(lambda: cells.GRU(4), lambda: jnp.zeros(3, F32), id="gru"),
        pytest.param(
            lambda: cells.LSTM(4),
            lambda: cells.LSTMState(jnp.zeros(4, F32), jnp.zeros(5, F32)),
            id="lstm",
        ),
        pytest.param(
            lambda: cells.LSTM1997(n_out=1, blocks=2),
            lambda: cells.LSTM1997State(jnp.zeros(3, F32), jnp.zeros(6, F32)),
            id="lstm1997",
        ),
    ],
)
def test_mismatched_carry_raises(make, bad_carry):
    """A carry whose size does not match the cell raises ValueError mentioning "carry"."""
    m = make()
    x = jnp.zeros(2, F32)
    params = m.init(jax.random.key(0), m.initialize_carry(), x)
    with pytest.raises(ValueError, match="carry"):
        m.apply(params, bad_carry(), x)


def test_gate_bias_values_need_gates_with_biases():
    with pytest.raises(ValueError, match="in_gate_bias"):
        cells.LSTM1997(n_out=1, blocks=2, bias="none", in_gate_bias=(-1.0, -2.0))


# ---------------------------------------------------------------------------------------------
# the remedies of the practitioners' questions (S2): residual form, leaky ReLU, attention


def test_residual_form_and_its_jacobian():
    """h_t = h_{t-1} + act(W h_{t-1} + U x + b), and ∂h_t/∂h_{t-1} = I + diag(act')·W exactly."""
    m = cells.SimpleRNN(4, "leaky_relu", form="residual", bias_init=inits.uniform(0.5))
    params = _init(m, 3)
    p = params["params"]
    h = jax.random.normal(jax.random.key(1), (4,), F32)
    x = jax.random.normal(jax.random.key(2), (3,), F32)
    a = p["W_rec"] @ h + p["W_in"] @ x + p["b"]
    new, _ = m.apply(params, h, x)
    np.testing.assert_allclose(new, h + np.where(a > 0, a, 0.01 * a), rtol=1e-6, atol=1e-6)
    jac = jax.jacrev(lambda hh: m.apply(params, hh, x)[0])(h)
    want = np.eye(4) + np.diag(np.where(a > 0, 1.0, 0.01)) @ p["W_rec"]
    np.testing.assert_allclose(jac, want, rtol=1e-6, atol=1e-6)


def test_attention_rnn_against_a_loop_over_stored_states():
    """Every output is [h_t, Σ_{s≤t} softmax(h_s·W_q h_t/√n) h_s], from states kept in a list."""
    n, L = 3, 5
    m = cells.AttentionRNN(n, max_len=L)
    params = _init(m, 2)
    p = jax.tree_util.tree_map(np.asarray, params["params"])
    xs = np.asarray(jax.random.normal(jax.random.key(3), (L, 2), F32))
    _, ys = cells.run(m, params, jnp.asarray(xs))
    h, past = np.zeros(n), []
    for t in range(L):
        h = np.tanh(p["W_rec"] @ h + p["W_in"] @ xs[t] + p["b"])
        past.append(h)
        scores = np.array([s @ (p["W_q"] @ h) for s in past]) / np.sqrt(n)
        w = np.exp(scores - scores.max())
        context = (w / w.sum()) @ np.array(past)
        np.testing.assert_allclose(ys[t], np.concatenate([h, context]), rtol=1e-5, atol=1e-6)


def test_readout_without_bias():
    """``use_bias=False``: no b_y, and y = W_y · h (a state-space model's C s_t)."""
    m = cells.Readout(cells.SimpleRNN(3, use_bias=False), 2, use_bias=False)
    params = _init(m, 2)
    assert set(params["params"]) == {"cell", "W_y"} and "b" not in params["params"]["cell"]
    x = jnp.ones((2,), F32)
    h, y = m.apply(params, m.initialize_carry(), x)
    np.testing.assert_allclose(y, params["params"]["W_y"] @ h, rtol=1e-6)


def test_lstm_gates_are_the_ones_its_step_uses():
    """``LSTM.gates`` is what the step computes: c' = f ⊙ c + i ⊙ u and h' = o ⊙ tanh(c') exactly,
    each gate in (0, 1) and the cell input in (-1, 1); the truncated cell's gates are the same."""
    x = jax.random.normal(jax.random.key(1), (3, 5))
    for gradient in ("full", "truncated"):
        cell = cells.LSTM(4, gradient=gradient)
        carry = cells.LSTMState(*jax.random.normal(jax.random.key(2), (2, 3, 4)))
        params = cell.init(jax.random.key(0), carry, x)
        g = cell.apply(params, carry, x, method=cells.LSTM.gates)
        (c, h), out = cell.apply(params, carry, x)
        np.testing.assert_array_equal(c, g.forget * carry.c + g.input * g.cell_input)
        np.testing.assert_array_equal(h, g.output * jnp.tanh(c))
        np.testing.assert_array_equal(out, h)
        for gate in (g.input, g.forget, g.output):
            assert bool(jnp.all((gate > 0) & (gate < 1)))
        assert bool(jnp.all(jnp.abs(g.cell_input) < 1))
