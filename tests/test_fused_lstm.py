"""fused_lstm: the fused LSTM kernel against the generic scan of cell steps.

The kernel (cells.LSTM and Readout(LSTM), full or truncated gradient) repeats the LSTM equations in a
features-major layout with a hand-written backward pass; in float64 it must give the generic path's
(``problems.unroll(..., fused=False)``) outputs and gradients (parameters and inputs) to rounding,
in float32 to float32 rounding, also under ``jax.vmap`` over trials. Other models get no ``Parts``
and ``problems.unroll`` falls back to the generic scan.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import cells, fused_lstm, problems
from repro.tasks import hochreiter1997 as h97

F64 = jnp.float64

MODELS = {
    "lstm": lambda dt: cells.LSTM(5, param_dtype=dt),
    "lstm_truncated": lambda dt: cells.LSTM(5, gradient="truncated", param_dtype=dt),
    "readout_tanh": lambda dt: cells.Readout(
        cells.LSTM(5, param_dtype=dt), 3, activation="tanh", param_dtype=dt
    ),
    "readout_truncated": lambda dt: cells.Readout(
        cells.LSTM(5, gradient="truncated", param_dtype=dt), 1, param_dtype=dt
    ),
}


def _init(model, dtype=jnp.float32, key=2):
    return model.init(jax.random.key(key), model.initialize_carry(), jnp.zeros(2, dtype))


def _fused(model, params, x):
    parts = fused_lstm.parts(model, params)
    assert parts is not None
    return fused_lstm.unroll(parts, x)


def _generic(model, params, x, **kw):
    return problems.unroll(model, params, x, fused=False, **kw)


def _setup(model, dtype, batch=3, T=20):
    x = h97.adding(jax.random.key(1), batch, T).inputs.astype(dtype)
    params = _init(model, dtype)
    w = jax.random.normal(jax.random.key(3), _generic(model, params, x).shape, dtype)
    paths = {True: _fused, False: _generic}
    loss = lambda p, x, fused: jnp.sum(w * paths[fused](model, p, x))
    return params, x, loss


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fused_matches_generic_float64(x64, name):
    model = MODELS[name](F64)
    params, x, loss = _setup(model, F64)
    y = _fused(model, params, x)
    n_out = model.n_out if isinstance(model, cells.Readout) else model.features
    chex.assert_shape(y, (3, x.shape[1], n_out))
    chex.assert_type(y, F64)
    np.testing.assert_array_equal(problems.unroll(model, params, x), y)  # the default path
    np.testing.assert_allclose(y, _generic(model, params, x), atol=1e-14)
    grads = jax.grad(loss, argnums=(0, 1))
    for got, want in zip(
        jax.tree.leaves(grads(params, x, True)),
        jax.tree.leaves(grads(params, x, False)),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("steps", [2, 3, 4])
def test_unrolled_generic_scan_gives_the_one_step_scans_outputs_and_gradients(steps):
    # problems.unroll(unroll=k) runs k steps per scan iteration on the generic path (a length that
    # is not a multiple leaves a remainder); outputs and gradients are those of one step per
    # iteration to float32 rounding (XLA may fuse the unrolled steps differently).
    model = MODELS["readout_tanh"](jnp.float32)
    params, x, _ = _setup(model, jnp.float32, T=21)
    assert x.shape[1] % steps  # a remainder
    f = lambda p, x, k: jnp.sum(jnp.sin(problems.unroll(model, p, x, unroll=k, fused=False)))
    grads = jax.jit(jax.grad(f, argnums=(0, 1)), static_argnums=2)
    for got, want in zip(
        jax.tree.leaves((f(params, x, steps), grads(params, x, steps))),
        jax.tree.leaves((f(params, x, 1), grads(params, x, 1))),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)  # float32 rounding


def test_fused_float32_and_vmap_over_trials():
    model = cells.Readout(cells.LSTM(8), 1)
    x = h97.adding(jax.random.key(1), 4, 20).inputs
    init = lambda k: model.init(k, model.initialize_carry(), jnp.zeros(2))
    ps = jax.vmap(init)(jax.random.split(jax.random.key(0), 3))

    def grad(path):
        loss = lambda p: jnp.sum(path(model, p, x) ** 2)
        return jax.jit(jax.vmap(jax.value_and_grad(loss)))(ps)

    (v1, g1), (v0, g0) = grad(_fused), grad(_generic)
    chex.assert_shape(v1, (3,))
    chex.assert_trees_all_equal_shapes_and_dtypes(g1, ps)
    np.testing.assert_allclose(v1, v0, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(g1), jax.tree.leaves(g0), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_parts_of_eligible_models():
    lstm = cells.LSTM(4, gradient="truncated")
    parts = fused_lstm.parts(lstm, _init(lstm))
    assert parts.readout is None and parts.truncated
    chex.assert_shape([parts.cell["W_in"], parts.cell["W_rec"]], [(16, 2), (16, 4)])
    model = cells.Readout(cells.LSTM(4), 3, activation="sigmoid")
    parts = fused_lstm.parts(model, _init(model))
    w_y, b_y, act = parts.readout
    chex.assert_shape([w_y, b_y], [(3, 4), (3,)])
    assert act is cells.ACTIVATIONS["sigmoid"] and not parts.truncated


def test_generic_path_unroll_and_other_cells():
    model = cells.Readout(cells.GRU(4), 2)
    x = h97.adding(jax.random.key(1), 2, 20).inputs
    params = _init(model)
    assert fused_lstm.parts(model, params) is None  # no fused kernel for GRU: the generic scan
    y = problems.unroll(model, params, x)
    np.testing.assert_allclose(problems.unroll(model, params, x, unroll=4), y, rtol=1e-6)
    np.testing.assert_array_equal(_generic(model, params, x), y)
    lstm = cells.LSTM(4)
    p = _init(lstm)
    np.testing.assert_allclose(
        _generic(lstm, p, x, unroll=3), problems.unroll(lstm, p, x), atol=1e-6
    )
    # Only the exact LSTM (and its readout) is fused; parameters not from ``init`` are refused.
    for other in (
        cells.SimpleRNN(4),
        cells.LSTM1997(2, 2, 1),
        cells.Readout(cells.SimpleRNN(4), 1),
    ):
        assert fused_lstm.parts(other, _init(other)) is None, other
    assert fused_lstm.parts(lstm, p["params"]) is None


def test_wrong_shapes_fail_clearly():
    lstm = cells.LSTM(4)
    parts = fused_lstm.parts(lstm, _init(lstm))  # W_in (16, 2): two input features
    x = h97.adding(jax.random.key(1), 2, 20).inputs
    with pytest.raises(AssertionError, match="rank"):
        fused_lstm.unroll(parts, x[0])  # one sequence, not a batch
    with pytest.raises(AssertionError, match=r"\(16, 3\)"):
        fused_lstm.unroll(parts, jnp.concatenate([x, x[..., :1]], axis=-1))
    with pytest.raises(ValueError, match="at least one time step"):
        fused_lstm.unroll(parts, x[:, :0])
    assert problems.unroll(lstm, _init(lstm), x[:, :0]).shape == (2, 0, 4)  # the generic path


def test_fused_unroll_traces_once_per_shape():
    """Repeated calls with new input and parameter values reuse one compilation; a new length
    retraces (and so would exceed the one allowed trace)."""
    chex.clear_trace_counter()
    model = cells.Readout(cells.LSTM(4), 1)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def value_and_grad(params, x):
        loss = lambda p: jnp.sum(_fused(model, p, x) ** 2)
        return jax.value_and_grad(loss)(params)

    for seed in range(3):
        x = h97.adding(jax.random.key(seed), 2, 20).inputs
        value, _ = value_and_grad(_init(model, key=seed), x)
        assert np.isfinite(value)
    with pytest.raises(AssertionError, match="traced > 1 times"):
        value_and_grad(_init(model), h97.adding(jax.random.key(0), 2, 30).inputs)
    chex.clear_trace_counter()


def test_forward_mode_needs_the_generic_path():
    model = cells.LSTM(3)
    x = h97.adding(jax.random.key(1), 2, 20).inputs
    params = _init(model)
    f = lambda x: problems.unroll(model, params, x, fused=False)
    _, tangent = jax.jvp(f, (x,), (jnp.ones_like(x),))
    assert np.all(np.isfinite(tangent))
    with pytest.raises(TypeError, match="custom_vjp"):  # the fused kernel is reverse-mode only
        jax.jvp(lambda x: _fused(model, params, x), (x,), (jnp.ones_like(x),))
