"""P13 Figs. 3 and 6: the one-unit nets, against the spec's derived numbers and brute force."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import one_unit as ou


def test_folds_are_the_specs_bifurcations():
    """P13-F3: x ↦ 5σ(x) + b is bistable for b ∈ (−2.6556, −2.3444), saddle-nodes at x = ±0.9624;
    tanh option: b ∈ (−3.0285, 3.0285) at x = ±1.4436."""
    (x1, b1), (x2, b2) = ou.folds(5.0)
    np.testing.assert_allclose([x1, b1, x2, b2], [-0.9624, -2.3444, 0.9624, -2.6556], atol=1e-4)
    (x1, b1), (x2, b2) = ou.folds(5.0, "tanh")
    np.testing.assert_allclose([x1, b1, x2, b2], [-1.4436, 3.0285, 1.4436, -3.0285], atol=1e-4)
    assert ou.folds(4.0) == () and ou.folds(1.0, "tanh") == ()


def test_fixed_point_curve_against_root_finding(x64):
    """The curve b(x*) = x* − 5σ(x*) holds every root of 5σ(x) + b − x (Brent's method, b = −2.5:
    −1.7760, 0, +1.7760 with slopes 0.6191, 1.25, 0.6191), and marks as stable exactly the roots
    with slope 5σ'(x*) < 1."""
    from scipy.optimize import brentq

    sig = lambda x: 1 / (1 + np.exp(-x))
    xs = np.linspace(-8, 8, 160001) + 3.3e-5  # no grid point on a root
    b_curve, stable = ou.fixed_point_curve(5.0, xs)
    for b in (-3.0, -2.6, -2.5, -2.4, -2.0):
        g = lambda x, b=b: 5 * sig(x) + b - x
        grid = np.linspace(-8, 8, 1601) + 0.0031
        roots = [
            brentq(g, lo, hi, xtol=1e-13)
            for lo, hi in zip(grid[:-1], grid[1:], strict=True)
            if g(lo) * g(hi) < 0
        ]
        on_curve = xs[:-1][np.diff(np.sign(b_curve - b)) != 0]
        np.testing.assert_allclose(on_curve, roots, atol=2e-4)
        slope = 5 * sig(np.array(roots)) * (1 - sig(np.array(roots)))
        np.testing.assert_array_equal(stable[np.searchsorted(xs, roots)], slope < 1)
        if b == -2.5:
            np.testing.assert_allclose(roots, [-1.7760, 0.0, 1.7760], atol=1e-4)
            np.testing.assert_allclose(slope, [0.6191, 1.25, 0.6191], atol=1e-4)


def test_wall_is_where_x0_is_the_unstable_fixed_point(x64):
    """On the wall b = 0.5 − σ(0.5)w the state stays at x_0 = 0.5; just above and below it the
    state reaches different attractors by step 50 (a basin boundary)."""
    ws = np.array([5.5, 6.0, 8.0, 9.5])
    b = ou.wall(ws)
    np.testing.assert_allclose(b, 0.5 - ws / (1 + np.exp(-0.5)))
    # an unstable point: rounding grows as (wσ′)^t, so 20 steps (2.2^20 · 1e-16 ≈ 1e-9)
    np.testing.assert_allclose(np.asarray(ou.trajectory(ws, b, 0.5, 20)), 0.5, atol=1e-7)
    up = np.asarray(ou.trajectory(ws, b + 1e-4, 0.5, 50))[-1]
    down = np.asarray(ou.trajectory(ws, b - 1e-4, 0.5, 50))[-1]
    assert np.all(up > 1.0) and np.all(down < 0.0)
    assert np.isnan(ou.wall(4.0))  # 4 < 1/σ'(0.5) ≈ 4.255: x_0 is no unstable fixed point


def test_error_surface_against_finite_differences_and_the_specs_range(x64):
    ws = np.linspace(-10, 10, 401)
    e, g = ou.error_surface(ws, ws)
    assert 0 <= e.min() < 1e-6 and 0.485 < e.max() < 0.495  # spec: E from about 0 to 0.49
    assert 0.012 < (e < 1e-3).mean() < 0.014  # spec: E < 1e-3 on ≈1.3% of the grid
    h = 1e-6
    for w, b in ((3.0, -1.0), (6.0, -3.0), (-2.0, 4.0)):
        e0, g0 = ou.error_surface([w], [b])
        fd = [
            (ou.error_surface([w + h], [b])[0] - ou.error_surface([w - h], [b])[0]) / (2 * h),
            (ou.error_surface([w], [b + h])[0] - ou.error_surface([w], [b - h])[0]) / (2 * h),
        ]
        np.testing.assert_allclose(g0[0, 0], np.hypot(*np.ravel(fd)), rtol=1e-5)


def test_descent_clipping_bounds_every_step_and_matches_the_spec(x64):
    """Clipped steps have length exactly lr·threshold when clipped, at most that otherwise; the
    spec's robust example (5, −2), lr 1: plain ends at (6.26, 2.46) with E ≈ 0.090, clipped at
    (3.54, −1.64) with E ≈ 1e-4."""
    plain = ou.descend((5.0, -2.0), lr=1.0)
    clipped = ou.descend((5.0, -2.0), lr=1.0, clip=1.0)
    np.testing.assert_allclose(plain.path[-1], [6.26, 2.46], atol=0.01)
    assert abs(plain.error[-1] - 0.090) < 1e-3
    np.testing.assert_allclose(clipped.path[-1], [3.54, -1.64], atol=0.03)
    assert clipped.error[-1] < 2e-4
    steps = np.linalg.norm(np.diff(clipped.path, axis=0), axis=1)
    np.testing.assert_allclose(steps[clipped.clipped], 1.0, rtol=1e-12)
    assert np.all(steps <= 1.0 + 1e-12) and clipped.clipped.any()
    np.testing.assert_array_equal(clipped.clipped, clipped.grad_norm[:-1] > 1.0)  # strict >
    # plain descent is p ← p − lr·∇E, step by step (∇E from the surface's own gradient)
    grad = jax.jit(
        jax.vmap(jax.grad(lambda p: ou._error(p, x0=0.5, steps=50, target=0.7, sigma="logistic")))
    )
    np.testing.assert_allclose(
        np.diff(plain.path, axis=0),
        -np.asarray(grad(jnp.asarray(plain.path[:-1]))),
        rtol=1e-9,
        atol=1e-12,
    )
    # many starts at once give the single-start paths
    both = ou.descend([(5.0, -2.0), (6.0, -3.0)], lr=1.0, clip=1.0)
    np.testing.assert_allclose(both.path[0], clipped.path, rtol=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ou.descend((5.0, -2.0), lr=0.0), "lr=0.0"),
        (lambda: ou.descend((5.0, -2.0), lr=0.1, clip=-1.0), "clip=-1.0"),
        (lambda: ou.trajectory(5.0, -2.0, 0.5, 0), "steps=0"),
        (lambda: ou.folds(5.0, "relu"), "sigma='relu'"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
