"""problems.unroll: the fused LSTM kernel against the generic scan of cell steps.

The fused path (cells.LSTM and Readout(LSTM)) repeats the LSTM equations in a features-major layout
with a hand-written backward pass; in float64 it must give the generic path's outputs and
gradients (parameters and inputs) to rounding.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import cells, problems
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


def _setup(model, dtype, batch=3, T=20):
    x = h97.adding(jax.random.key(1), batch, T).inputs.astype(dtype)
    params = model.init(jax.random.key(2), model.initialize_carry(), jnp.zeros(2, dtype))
    w = jax.random.normal(jax.random.key(3), problems.unroll(model, params, x).shape, dtype)
    loss = lambda p, x, fused: jnp.sum(w * problems.unroll(model, p, x, fused=fused))
    return params, x, loss


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fused_matches_generic_float64(x64, name):
    model = MODELS[name](F64)
    params, x, loss = _setup(model, F64)
    y = problems.unroll(model, params, x)
    np.testing.assert_allclose(y, problems.unroll(model, params, x, fused=False), atol=1e-14)
    grads = jax.grad(loss, argnums=(0, 1))
    for got, want in zip(
        jax.tree.leaves(grads(params, x, True)),
        jax.tree.leaves(grads(params, x, False)),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


def test_fused_float32_and_vmap_over_trials():
    model = cells.Readout(cells.LSTM(8), 1)
    x = h97.adding(jax.random.key(1), 4, 20).inputs
    init = lambda k: model.init(k, model.initialize_carry(), jnp.zeros(2))
    ps = jax.vmap(init)(jax.random.split(jax.random.key(0), 3))

    def grad(fused):
        loss = lambda p: jnp.sum(problems.unroll(model, p, x, fused=fused) ** 2)
        return jax.jit(jax.vmap(jax.value_and_grad(loss)))(ps)

    (v1, g1), (v0, g0) = grad(True), grad(False)
    np.testing.assert_allclose(v1, v0, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(g1), jax.tree.leaves(g0), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_generic_path_unroll_and_other_cells():
    model = cells.Readout(cells.GRU(4), 2)
    x = h97.adding(jax.random.key(1), 2, 20).inputs
    params = model.init(jax.random.key(2), model.initialize_carry(), jnp.zeros(2))
    y = problems.unroll(model, params, x)  # no fused kernel for GRU: the generic scan
    np.testing.assert_allclose(problems.unroll(model, params, x, unroll=4), y, rtol=1e-6)
    lstm = cells.LSTM(4)
    p = lstm.init(jax.random.key(2), lstm.initialize_carry(), jnp.zeros(2))
    np.testing.assert_allclose(
        problems.unroll(lstm, p, x, unroll=3, fused=False), problems.unroll(lstm, p, x), atol=1e-6
    )


def test_forward_mode_needs_the_generic_path():
    model = cells.LSTM(3)
    x = h97.adding(jax.random.key(1), 2, 20).inputs
    params = model.init(jax.random.key(2), model.initialize_carry(), jnp.zeros(2))
    f = lambda x: problems.unroll(model, params, x, fused=False)
    _, tangent = jax.jvp(f, (x,), (jnp.ones_like(x),))
    assert np.all(np.isfinite(tangent))
