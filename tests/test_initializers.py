"""Statistical and exact properties of ``repro.initializers``.

Tolerances on sample statistics are ~6 standard errors of the statistic, so a correct initialiser
fails with probability < 1e-8 for any key, while a wrong scale (e.g. std instead of variance, or a
half-width bound) misses by far more than the tolerance.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import initializers as inits

F32 = jnp.float32


def _np_radius(w) -> float:
    """Spectral radius of ``w`` in float64 numpy."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(w, np.float64)))))


# ---------------------------------------------------------------------------------------------
# uniform / normal / constant / identity / orthogonal / glorot


@pytest.mark.parametrize("scale", [0.1, 0.2, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uniform_range_mean_std(scale, seed):
    """U[-s, s]: support, mean 0 and std s/sqrt(3) on 40 000 draws.

    For U[-s, s]: sd(mean) = s/sqrt(3N); sd(sample var) = s^2 sqrt(4/45 / N), i.e. a relative sd of
    the sample std of ~0.22% at N = 40 000. We allow 6 sd (mean) and 2% (std, ~9 sd).
    """
    w = np.asarray(inits.uniform(scale)(jax.random.key(seed), (200, 200), F32))
    n = w.size
    assert w.shape == (200, 200) and w.dtype == np.float32
    assert np.all(w >= -scale) and np.all(w <= scale)
    # The whole interval is used, not e.g. [-s/2, s/2] or [0, s].
    assert w.max() > 0.99 * scale and w.min() < -0.99 * scale
    assert abs(w.mean()) < 6 * scale / np.sqrt(3 * n)
    np.testing.assert_allclose(w.std(), scale / np.sqrt(3), rtol=0.02)


@pytest.mark.parametrize("std", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_normal_std(std, seed):
    """N(0, std^2): sample std within 1.5% (relative sd of the sample std is 1/sqrt(2N) = 0.18%)."""
    w = np.asarray(inits.normal(std)(jax.random.key(seed), (400, 400), F32))
    n = w.size
    assert abs(w.mean()) < 6 * std / np.sqrt(n)
    np.testing.assert_allclose(w.std(), std, rtol=0.015)
    # Gaussian, not uniform: about 4.55% of draws fall beyond 2 std (U would give 0%).
    frac = np.mean(np.abs(w) > 2 * std)
    assert abs(frac - 0.0455) < 0.005


def test_uniform_different_keys_differ():
    """Different keys give different draws; the same key the same draw."""
    init = inits.uniform(0.1)
    a = init(jax.random.key(0), (10, 10), F32)
    b = init(jax.random.key(1), (10, 10), F32)
    np.testing.assert_array_equal(a, init(jax.random.key(0), (10, 10), F32))
    assert not np.allclose(a, b)


@pytest.mark.parametrize("value", [0.0, 1.0, -3.5])
def test_constant(value):
    """Every entry equals ``value`` and the dtype is respected."""
    w = inits.constant(value)(jax.random.key(0), (3, 4), F32)
    assert w.shape == (3, 4) and w.dtype == F32
    np.testing.assert_array_equal(w, np.full((3, 4), value, np.float32))


@pytest.mark.parametrize("value", [np.ones(3), [1.0, 2.0], np.eye(2)])
def test_constant_rejects_arrays(value):
    """An array ``value`` raises (it would broadcast silently) and points to ``array``."""
    with pytest.raises(ValueError, match=r"value has shape .*scalar.*array\(value\)"):
        inits.constant(value)


# A fixed matrix with distinct entries, so a transposed or reordered result cannot pass.
_W = np.arange(12.0).reshape(3, 4) / 7.0 - 0.5


@pytest.mark.parametrize(
    "value,dtype",
    [
        (_W, F32),
        (_W.astype(np.float32), F32),
        (jnp.asarray(_W, F32), F32),
        (_W.tolist(), F32),
        (np.arange(12).reshape(3, 4), F32),
        (np.arange(12).reshape(3, 4), jnp.int32),
        (_W, jnp.int32),
    ],
    ids=["np-f64", "np-f32", "jax-f32", "list", "np-int", "int-to-int", "float-to-int"],
)
def test_array_gives_value_cast_to_dtype(value, dtype):
    """``array(value)(key, value's shape, dtype)`` is ``value`` cast to ``dtype``; the key is unused."""
    init = inits.array(value)
    w = init(jax.random.key(0), (3, 4), dtype)
    assert w.shape == (3, 4) and w.dtype == dtype
    np.testing.assert_array_equal(np.asarray(w), np.asarray(value).astype(dtype))
    np.testing.assert_array_equal(np.asarray(init(jax.random.key(1), [3, 4], dtype)), np.asarray(w))


def test_array_scalar_and_vector():
    """A scalar value gives a () array; a vector a 1-D one."""
    assert inits.array(2.5)(jax.random.key(0), (), F32) == 2.5
    b = inits.array([1.0, -2.0])(jax.random.key(0), (2,), F32)
    np.testing.assert_array_equal(np.asarray(b), np.array([1.0, -2.0], np.float32))


def test_array_keeps_float64(x64):
    """With x64 on, a float64 value comes back bit for bit."""
    w = inits.array(_W)(jax.random.key(0), (3, 4), jnp.float64)
    assert w.dtype == jnp.float64
    np.testing.assert_array_equal(np.asarray(w), _W)


def test_array_copies_value():
    """Changing the caller's array after ``array(value)`` does not change what it gives."""
    value = _W.copy()
    init = inits.array(value)
    value[:] = 0.0
    np.testing.assert_array_equal(
        np.asarray(init(None, (3, 4), jnp.float32)), _W.astype(np.float32)
    )


@pytest.mark.parametrize("shape", [(4, 3), (3, 4, 1), (12,), ()])
def test_array_shape_mismatch_raises(shape):
    """A ``shape`` other than value's raises one line naming ``shape`` and both shapes."""
    with pytest.raises(ValueError) as err:
        inits.array(_W)(jax.random.key(0), shape, F32)
    msg = str(err.value)
    assert "\n" not in msg
    assert f"shape={shape!r}" in msg and "value has shape (3, 4)" in msg


def test_array_rejects_non_numbers():
    with pytest.raises(ValueError, match="value has dtype"):
        inits.array(["a", "b"])


def test_array_as_recurrent_init():
    """``recurrent_init=array(w)``: SimpleRNN's W_rec is w; LSTM's W_rec stacks w once per gate
    block (i, f, u, o); an LSTM given the stacked (4n, n) matrix raises the shape error."""
    from repro import cells

    n, n_in = 3, 2
    w = np.arange(9.0).reshape(n, n) / 10.0
    x = jnp.zeros(n_in, F32)

    rnn = cells.SimpleRNN(n, recurrent_init=inits.array(w))
    p = rnn.init(jax.random.key(0), rnn.initialize_carry(), x)["params"]
    np.testing.assert_array_equal(np.asarray(p["W_rec"]), w.astype(np.float32))

    lstm = cells.LSTM(n, recurrent_init=inits.array(w))
    p = lstm.init(jax.random.key(0), lstm.initialize_carry(), x)["params"]
    np.testing.assert_array_equal(np.asarray(p["W_rec"]), np.tile(w, (4, 1)).astype(np.float32))

    stacked = cells.LSTM(n, recurrent_init=inits.array(np.tile(w, (4, 1))))
    with pytest.raises(ValueError, match=r"shape=\(3, 3\) requested but value has shape \(12, 3\)"):
        stacked.init(jax.random.key(0), stacked.initialize_carry(), x)


@pytest.mark.parametrize("scale", [1.0, 0.5, 2.0])
def test_identity(scale):
    """``scale * I`` for a square shape."""
    w = inits.identity(scale)(jax.random.key(0), (5, 5), F32)
    assert w.dtype == F32
    np.testing.assert_array_equal(w, scale * np.eye(5, dtype=np.float32))


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 2, 2)])
def test_identity_rejects_non_square(shape):
    """A non-square or non-matrix shape raises ValueError naming the shape."""
    with pytest.raises(ValueError, match="shape"):
        inits.identity()(jax.random.key(0), shape, F32)


@pytest.mark.parametrize("n", [2, 16, 64])
@pytest.mark.parametrize("seed", [0, 1])
def test_orthogonal_square(n, seed):
    """W W^T = W^T W = I to 1e-5 (float32)."""
    w = np.asarray(inits.orthogonal()(jax.random.key(seed), (n, n), F32), np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(n), atol=1e-5)
    np.testing.assert_allclose(w.T @ w, np.eye(n), atol=1e-5)
    np.testing.assert_allclose(_np_radius(w), 1.0, rtol=1e-5)


@pytest.mark.parametrize("shape", [(3, 7), (7, 3)])
def test_orthogonal_rectangular_and_scale(shape):
    """Rectangular shapes have orthonormal rows (wide) or columns (tall); ``scale`` multiplies."""
    w = np.asarray(inits.orthogonal(2.0)(jax.random.key(0), shape, F32), np.float64)
    k = min(shape)
    gram = w @ w.T if shape[0] < shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(k), atol=4e-5)


@pytest.mark.parametrize("fan_out,fan_in", [(30, 70), (100, 20), (64, 64)])
def test_glorot_uniform_bound(fan_out, fan_in):
    """U[-a, a], a = sqrt(6 / (fan_in + fan_out)), for shape (fan_out, fan_in)."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    w = np.asarray(inits.glorot_uniform()(jax.random.key(0), (fan_out, fan_in), F32))
    assert w.shape == (fan_out, fan_in)
    assert np.all(np.abs(w) <= a * (1 + 1e-6))
    # >= 2000 draws: P(max |w| < 0.97 a) = 0.97^2000 < 1e-26.
    assert np.abs(w).max() > 0.97 * a
    # std a/sqrt(3) = sqrt(2/(fan_in+fan_out)); relative sd of the sample std <= 1% here.
    np.testing.assert_allclose(w.std(), a / np.sqrt(3), rtol=0.05)


# ---------------------------------------------------------------------------------------------
# spectral radius


@pytest.mark.parametrize("n", [2, 10, 50])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spectral_radius_matches_numpy(n, seed):
    """max |eig| of a non-symmetric matrix, eagerly and under jit."""
    w = jax.random.normal(jax.random.key(seed), (n, n), F32)
    want = _np_radius(w)
    got = inits.spectral_radius(w)
    assert got.shape == () and got.dtype == F32
    np.testing.assert_allclose(float(got), want, rtol=1e-6)
    np.testing.assert_allclose(float(jax.jit(inits.spectral_radius)(w)), want, rtol=1e-6)


def test_spectral_radius_in_program_agrees_with_the_host():
    """The CPU in-program path (LAPACK, float32) against the float64 host path, under vmap and jit."""
    ws = jax.random.normal(jax.random.key(5), (6, 50, 50), F32) * 0.1
    host = jax.vmap(inits.spectral_radius)(ws)
    inside = jax.jit(jax.vmap(lambda w: inits.spectral_radius(w, in_program=True)))(ws)
    np.testing.assert_allclose(np.asarray(inside), np.asarray(host), rtol=3e-5)


def test_spectral_radius_complex_eigenvalues():
    """A rotation by 90 degrees times 3 has eigenvalues +-3i: radius 3 (not max real part 0)."""
    w = jnp.array([[0.0, -3.0], [3.0, 0.0]], F32)
    np.testing.assert_allclose(float(inits.spectral_radius(w)), 3.0, rtol=1e-6)


def test_spectral_radius_vmap_and_jit():
    """Under vmap (and jit of vmap) over a batch of matrices, each entry is that matrix's radius."""
    ws = jax.random.normal(jax.random.key(3), (6, 12, 12), F32)
    ws = ws * jnp.arange(1, 7, dtype=F32)[:, None, None]  # distinct radii per matrix
    want = np.array([_np_radius(w) for w in ws])
    got = jax.vmap(inits.spectral_radius)(ws)
    assert got.shape == (6,)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    got_jit = jax.jit(jax.vmap(inits.spectral_radius))(ws)
    np.testing.assert_allclose(np.asarray(got_jit), want, rtol=1e-6)


@pytest.mark.parametrize("radius", [0.8, 1.0, 1.2])
@pytest.mark.parametrize("seed", [0, 1])
def test_scaled_to_spectral_radius(radius, seed):
    """Rescaling a N(0, 1) draw gives spectral radius ``radius`` and preserves direction."""
    key = jax.random.key(seed)
    init = inits.scaled_to_spectral_radius(inits.normal(1.0), radius)
    w = init(key, (40, 40), F32)
    assert w.dtype == F32
    np.testing.assert_allclose(_np_radius(w), radius, rtol=1e-5)
    base = np.asarray(inits.normal(1.0)(key, (40, 40), F32), np.float64)
    np.testing.assert_allclose(
        np.asarray(w, np.float64), base * radius / _np_radius(base), rtol=1e-5, atol=1e-6
    )


# ---------------------------------------------------------------------------------------------
# sparse_spectral (Pascanu et al. 2013)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_spectral_incoming_rows(seed):
    """Direction "incoming": exactly 15 non-zeros in every row, radius 0.95."""
    w = np.asarray(inits.sparse_spectral(15, 0.95)(jax.random.key(seed), (50, 50), F32))
    nz = w != 0
    np.testing.assert_array_equal(nz.sum(axis=1), np.full(50, 15))
    # Columns are not constrained: with 50 random masks of 15, some column differs from 15.
    assert np.any(nz.sum(axis=0) != 15)
    np.testing.assert_allclose(_np_radius(w), 0.95, rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_spectral_outgoing_columns(seed):
    """Direction "outgoing": exactly 15 non-zeros in every column, radius 0.95."""
    init = inits.sparse_spectral(15, 0.95, direction="outgoing")
    w = np.asarray(init(jax.random.key(seed), (50, 50), F32))
    nz = w != 0
    np.testing.assert_array_equal(nz.sum(axis=0), np.full(50, 15))
    assert np.any(nz.sum(axis=1) != 15)
    np.testing.assert_allclose(_np_radius(w), 0.95, rtol=1e-5)


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_sparse_spectral_keys_give_different_masks(direction):
    """Different keys give different sparsity patterns (and the same key the same one)."""
    init = inits.sparse_spectral(15, 0.95, direction=direction)
    m0 = np.asarray(init(jax.random.key(0), (50, 50), F32)) != 0
    m1 = np.asarray(init(jax.random.key(1), (50, 50), F32)) != 0
    m0_again = np.asarray(init(jax.random.key(0), (50, 50), F32)) != 0
    np.testing.assert_array_equal(m0, m0_again)
    assert (m0 != m1).sum() > 100  # two independent masks of density 0.3 differ in ~42% of cells


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_sparse_spectral_small_n_is_dense(direction):
    """With n < n_nonzero every entry is kept; the radius is still rescaled."""
    init = inits.sparse_spectral(15, 0.95, direction=direction)
    w = np.asarray(init(jax.random.key(0), (10, 10), F32))
    assert np.all(w != 0)
    np.testing.assert_allclose(_np_radius(w), 0.95, rtol=1e-5)


def test_sparse_spectral_under_jit():
    """The initialiser is jittable and gives the same matrix as eagerly."""
    init = inits.sparse_spectral(5, 1.1)
    key = jax.random.key(4)
    eager = init(key, (20, 20), F32)
    jitted = jax.jit(lambda k: init(k, (20, 20), F32))(key)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(eager), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal((np.asarray(jitted) != 0).sum(axis=1), np.full(20, 5))


# ---------------------------------------------------------------------------------------------
# registry and argument checks


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("uniform", {"scale": 0.1}),
        ("normal", {"std": 0.1}),
        ("array", {"value": np.arange(64.0).reshape(8, 8)}),
        ("glorot_uniform", {}),
        ("sparse_spectral", {"n_nonzero": 3, "radius": 0.9}),
    ],
)
def test_get_matches_direct(name, kwargs):
    """``get(name, **kw)`` builds the same initialiser as calling the factory."""
    key = jax.random.key(0)
    got = inits.get(name, **kwargs)(key, (8, 8), F32)
    want = getattr(inits, name)(**kwargs)(key, (8, 8), F32)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: inits.uniform(0), "scale"),
        (lambda: inits.uniform(-0.1), "scale"),
        (lambda: inits.normal(-1), "std"),
        (lambda: inits.normal(0.0), "std"),
        (lambda: inits.sparse_spectral(direction="x"), "direction"),
        (lambda: inits.sparse_spectral(n_nonzero=0), "n_nonzero"),
        (lambda: inits.scaled_to_spectral_radius(inits.normal(1.0), radius=0), "radius"),
        (lambda: inits.scaled_to_spectral_radius(inits.normal(1.0), radius=-1.0), "radius"),
    ],
    ids=[
        "uniform0",
        "uniform-neg",
        "normal-neg",
        "normal0",
        "direction",
        "n_nonzero",
        "radius0",
        "radius-neg",
    ],
)
def test_bad_arguments_raise(make, match):
    """Invalid factory arguments raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=match):
        make()


def test_get_unknown_lists_known_names():
    """An unknown name raises ValueError listing every registered initialiser."""
    with pytest.raises(ValueError, match="nope") as err:
        inits.get("nope")
    msg = str(err.value)
    assert "known" in msg
    for name in (
        "array",
        "uniform",
        "normal",
        "constant",
        "identity",
        "orthogonal",
        "glorot_uniform",
        "sparse_spectral",
    ):
        assert name in msg
