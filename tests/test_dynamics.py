"""Fixed points and Lyapunov spectra against closed forms and slow references.

The step functions are module-level objects, so tests that vary only the input (a bias fed in as x)
share one compilation.
"""

import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import dynamics as dyn

F64 = jnp.float64


def _bisect(g, lo: float, hi: float) -> float:
    """The root of g in [lo, hi] (g changes sign there), in float64 numpy."""
    g_lo = g(lo)
    assert g_lo * g(hi) < 0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (g(mid) < 0) == (g_lo < 0):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _same_set(found, expected, atol: float) -> None:
    """Complex multisets equal up to atol (conjugate pairs may come in either order)."""
    found, expected = np.asarray(found), np.asarray(expected)
    assert found.shape == expected.shape
    assert np.abs(found[:, None] - expected[None, :]).min(axis=0).max() < atol
    assert np.abs(found[:, None] - expected[None, :]).min(axis=1).max() < atol


def _unique_fixed(fps, tol=1e-6):
    return dyn.deduplicate(fps.take(fps.fixed), tol=tol)


# ----------------------------------------------------------------------------- fixed points


def test_fixed_point_of_a_linear_map_with_a_pytree_carry(x64):
    """s ↦ W s + b has the one fixed point (I − W)⁻¹ b, with Jacobian W; the carry is a dict."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 4)) * 0.6  # not symmetric: complex eigenvalues
    b = rng.normal(size=4)

    def step(c, x):
        s = jnp.asarray(w) @ jnp.concatenate([c["a"], c["b"]]) + jnp.asarray(b) + x
        return {"a": s[:2], "b": s[2:]}

    carry = {"a": jnp.zeros(2, F64), "b": jnp.zeros(2, F64)}
    starts = rng.uniform(-3, 3, size=(6, 4))
    inits = {"a": jnp.asarray(starts[:, :2]), "b": jnp.asarray(starts[:, 2:])}  # pytree, axis N
    fps = dyn.fixed_points(step, carry, jnp.zeros(4, F64), inits)

    ref = np.linalg.solve(np.eye(4) - w, b)
    assert fps.fixed.all() and fps.converged.all()
    np.testing.assert_allclose(fps.points, np.tile(ref, (6, 1)), atol=1e-9)
    np.testing.assert_allclose(fps.carries["b"], np.tile(ref[2:], (6, 1)), atol=1e-9)
    np.testing.assert_allclose(fps.jacobians, np.tile(w, (6, 1, 1)), atol=1e-12)
    eig = np.asarray(fps.eigenvalues)
    for row in eig:
        _same_set(row, np.linalg.eigvals(w), atol=1e-10)
    assert np.all(np.diff(np.abs(eig), axis=1) <= 1e-12)  # largest modulus first
    assert np.iscomplexobj(eig) and np.abs(eig.imag).max() > 0.1
    assert len(_unique_fixed(fps).q) == 1
    np.testing.assert_array_equal(fps.stable, np.max(np.abs(np.linalg.eigvals(w))) < 1)
    # The same starts given flat give the same answer.
    flat = dyn.fixed_points(step, carry, jnp.zeros(4, F64), jnp.asarray(starts))
    np.testing.assert_allclose(flat.points, fps.points, atol=1e-12)


def _tanh_neuron(s, b):
    """B94's one-unit latch with self-weight w = 2; the bias b comes in as the input."""
    return jnp.tanh(2.0 * s + b)


def test_tanh_neuron_latch_has_two_attractors_and_an_unstable_origin(x64):
    """B94 §III: s ↦ tanh(2s + b). At b = 0: 0 and ±ā with ā = tanh(2ā); f′ = 2(1 − s²) is 2 at the
    origin and below 1 at ±ā. At b = 1 only one fixed point is left."""
    inits = jnp.linspace(-1.5, 1.5, 24, dtype=F64)[:, None]
    carry = jnp.zeros(1, F64)
    a_bar = _bisect(lambda a: np.tanh(2 * a) - a, 0.5, 1.5)

    found = _unique_fixed(dyn.fixed_points(_tanh_neuron, carry, jnp.asarray(0.0, F64), inits))
    order = np.argsort(np.asarray(found.points)[:, 0])
    points = np.asarray(found.points)[order, 0]
    slopes = np.asarray(found.eigenvalues)[order, 0]
    np.testing.assert_allclose(points, [-a_bar, 0.0, a_bar], atol=1e-10)
    np.testing.assert_allclose(slopes.real, 2 * (1 - points**2), atol=1e-10)
    np.testing.assert_allclose(slopes.real[1], 2.0, atol=1e-10)
    assert np.all(np.abs(slopes[[0, 2]]) < 1)
    np.testing.assert_array_equal(np.asarray(found.stable)[order], [True, False, True])

    found = _unique_fixed(dyn.fixed_points(_tanh_neuron, carry, jnp.asarray(1.0, F64), inits))
    ref = _bisect(lambda a: np.tanh(2 * a + 1) - a, 0.0, 1.5)
    np.testing.assert_allclose(np.asarray(found.points)[:, 0], [ref], atol=1e-10)
    assert bool(found.stable[0])


def _pascanu_unit(s, b):
    """P13 §2.2's one-unit model x ↦ w σ(x) + b with w = 5; the bias b comes in as the input."""
    return 5.0 * jax.nn.sigmoid(s) + b


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_P13_STARTS = np.linspace(-4.0, 3.0, 32)[:, None]  # the states x ∈ [b, b + 5] of every b below


@pytest.mark.parametrize("b, count", [(-2.5, 3), (-2.0, 1), (-3.0, 1)])
def test_pascanu_unit_is_bistable_inside_the_fold_interval(x64, b, count):
    """P13-F3 (spec: bistable for b ∈ (−2.6556, −2.3444)); the roots against bisection."""
    fps = dyn.fixed_points(
        _pascanu_unit, jnp.zeros(1, F64), jnp.asarray(b, F64), jnp.asarray(_P13_STARTS)
    )
    found = _unique_fixed(fps)
    points = np.sort(np.asarray(found.points)[:, 0])
    assert len(points) == count

    g = lambda x: 5 * _sigmoid(x) + b - x
    grid = np.linspace(-4.0, 3.0, 7_001) + 1e-4 * np.pi  # no grid point on a root
    brackets = np.flatnonzero(np.sign(g(grid[:-1])) != np.sign(g(grid[1:])))
    ref = [_bisect(g, grid[i], grid[i + 1]) for i in brackets]
    np.testing.assert_allclose(points, ref, atol=1e-10)
    if b == -2.5:  # the spec's derived numbers, to 1e-4
        np.testing.assert_allclose(points, [-1.7760, 0.0, 1.7760], atol=1e-4)
        slopes = np.abs(np.asarray(found.eigenvalues)[np.argsort(found.points[:, 0]), 0])
        np.testing.assert_allclose(slopes, [0.6191, 1.25, 0.6191], atol=1e-4)
        assert list(np.asarray(found.stable)[np.argsort(found.points[:, 0])]) == [1, 0, 1]


def test_a_start_cut_short_far_from_any_point_is_not_converged(x64):
    """One BFGS step from x = −4 at b = −2 ends where ∇q is large, and Newton's move to the only
    fixed point (x = 2.68) is beyond the polish radius: reported not converged, and slow."""
    fps = dyn.fixed_points(
        _pascanu_unit, jnp.zeros(1, F64), jnp.asarray(-2.0, F64), jnp.asarray([[-4.0]]),
        max_steps=1,
    )  # fmt: skip
    assert not fps.converged[0] and not fps.fixed[0]
    full = dyn.fixed_points(
        _pascanu_unit, jnp.zeros(1, F64), jnp.asarray(-2.0, F64), jnp.asarray([[-4.0]])
    )
    assert full.converged[0]


def test_a_start_cut_short_where_the_map_is_nearly_the_identity_is_not_converged():
    """f(s) = s + 10⁻³(1 − s): the only fixed point is s = 1 and q has no other stationary point;
    near the identity ∇q is tiny everywhere (5·10⁻⁷ at s = 0.5), but not against ‖r‖."""
    slow = lambda s, x: s + 1e-3 * (1.0 - s)
    for steps in (1, 2):
        fps = dyn.fixed_points(
            slow, jnp.zeros(1), jnp.zeros(()), jnp.asarray([[0.5]]), max_steps=steps
        )
        assert not fps.converged[0] and not fps.fixed[0]


def test_ghost_of_the_saddle_node_is_a_slow_point_not_a_fixed_point(x64):
    """P13 unit at b = −2 (past the fold at −2.3444): where the lower branch was, q has a local
    minimum q > 0 at 5σ′(x) = 1, x = −0.9624 (spec). It is reported slow, and Newton, which would
    jump from there to the far fixed point x = 2.68, is not taken."""
    b = -2.0
    fps = dyn.fixed_points(
        _pascanu_unit, jnp.zeros(1, F64), jnp.asarray(b, F64), jnp.asarray(_P13_STARTS)
    )
    x_ghost = np.log((1 - np.sqrt(0.2)) / (1 + np.sqrt(0.2)))  # σ(x) = (1 − √0.2)/2
    q_ghost = 0.5 * (5 * _sigmoid(x_ghost) + b - x_ghost) ** 2
    near = np.abs(_P13_STARTS[:, 0] - x_ghost) < 0.3  # starts inside the ghost's basin of q
    assert near.sum() >= 2
    slow = fps.take(near)
    assert not slow.fixed.any() and slow.converged.all()
    np.testing.assert_allclose(slow.points[:, 0], x_ghost, atol=1e-5)
    np.testing.assert_allclose(slow.q, q_ghost, rtol=1e-8)
    np.testing.assert_allclose(x_ghost, -0.9624, atol=1e-4)
    assert q_ghost > 0.05


def test_fixed_points_reject_bad_input():
    carry = jnp.zeros(1)
    x = jnp.asarray(0.0)
    good = jnp.zeros((3, 1))
    cases = [
        ({"inits": jnp.zeros((3, 2))}, "inits"),  # n = 2, the state has 1
        ({"inits": jnp.zeros((0, 1))}, "inits"),  # no starts
        ({"q_tol": float("nan")}, "q_tol=nan"),
        ({"tol": float("inf")}, "tol=inf"),
        ({"tol": -1e-6}, "tol"),
        ({"max_steps": 0}, "max_steps=0"),
        ({"polish_radius": 0.0}, "polish_radius"),
    ]
    for kwargs, match in cases:
        args = {"inits": good, **kwargs}
        with pytest.raises(ValueError, match=match):
            dyn.fixed_points(_tanh_neuron, carry, x, **args)
    with pytest.raises(ValueError, match="carry"):  # a carry that the step does not preserve
        dyn.fixed_points(lambda c, x: jnp.concatenate([c, c]), carry, x, good)
    with pytest.raises(ValueError, match="tol=nan"):
        dyn.deduplicate(None, tol=float("nan"))


# ----------------------------------------------------------------------------- Lyapunov


def _linear_with_neutral_block():
    """W = Q B Qᵀ, B = 1.2 ⊕ rotation(0.7) ⊕ 0.5 ⊕ −0.3: exponents log 1.2, 0, 0, log 0.5, log 0.3."""
    q = np.linalg.qr(np.random.default_rng(0).normal(size=(5, 5)))[0]
    c, s = np.cos(0.7), np.sin(0.7)
    blocks = np.zeros((5, 5))
    blocks[0, 0], blocks[1:3, 1:3], blocks[3, 3], blocks[4, 4] = 1.2, [[c, -s], [s, c]], 0.5, -0.3
    w = jnp.asarray(q @ blocks @ q.T)
    return (lambda h, x: w @ h + x), np.log([1.2, 1.0, 1.0, 0.5, 0.3])


def test_lyapunov_spectrum_of_a_linear_map_with_a_neutral_block(x64):
    step, ref = _linear_with_neutral_block()
    T = 3_000
    xs = jnp.zeros((T, 5), F64)
    exps, running = dyn.lyapunov_exponents(step, jnp.ones(5, F64), xs, trace=True)
    assert exps.shape == (5,) and running.shape == (T, 5)
    np.testing.assert_allclose(exps, ref, atol=1e-3)
    assert np.all(np.diff(np.asarray(exps)) <= 0)
    assert np.abs(np.asarray(exps[1:3])).max() < 1e-3  # the rotation neither grows nor shrinks
    np.testing.assert_array_equal(running[-1], exps)
    err = np.abs(np.asarray(running) - ref).max(axis=1)
    assert err[T - 1] < err[T // 10 - 1] / 5 < err[T // 100 - 1] / 25  # about 1/t

    top2 = dyn.lyapunov_exponents(step, jnp.ones(5, F64), xs, k=2)
    np.testing.assert_allclose(top2, exps[:2], atol=1e-9)


def test_lyapunov_exponents_sum_to_the_mean_log_determinant(x64):
    """For k = n, Σ_i λ_i = (1/T) Σ_t log |det J_t| exactly at any T (the R's diagonals multiply to
    |det| of the product); J_t = diag(1 − h_t²) W from an unrolled numpy loop, on a tanh RNN."""
    rng = np.random.default_rng(1)
    n, T = 6, 200
    w, u = rng.normal(size=(n, n)) * 1.3 / np.sqrt(n), rng.normal(size=(n, 2))
    xs = rng.normal(size=(T, 2))
    step = lambda h, x: jnp.tanh(jnp.asarray(w) @ h + jnp.asarray(u) @ x)
    h0 = rng.uniform(-0.5, 0.5, size=n)
    exps = dyn.lyapunov_exponents(step, jnp.asarray(h0), jnp.asarray(xs))

    h, log_det = h0, 0.0
    for x in xs:
        h = np.tanh(w @ h + u @ x)
        log_det += np.linalg.slogdet(np.diag(1 - h**2) @ w)[1]
    np.testing.assert_allclose(np.sum(exps), log_det / T, atol=1e-10)
    assert exps[0] > exps[-1]


def test_lyapunov_rejects_bad_k_and_empty_inputs():
    step = lambda h, x: jnp.tanh(h + x)
    carry, xs = jnp.zeros(3), jnp.zeros((10, 3))
    for k in (0, 4, 2.0, True):
        with pytest.raises(ValueError, match=f"k={k!r}"):
            dyn.lyapunov_exponents(step, carry, xs, k=k)
    with pytest.raises(ValueError, match="xs"):
        dyn.lyapunov_exponents(step, carry, jnp.zeros((0, 3)))
    with pytest.raises(ValueError, match="trace"):
        dyn.lyapunov_exponents(step, carry, xs, trace=1)


# ----------------------------------------------------------------------------- README example


def test_readme_example_finds_the_latch_attractors(capsys):
    """What the README says of experiments/dynamics_example.py: the trained net latches (solves
    sequences 10× longer than trained), has two stable fixed points at zero input with readouts
    of opposite sign near ±0.8, and all Lyapunov exponents negative, the top one log |λ_max| at the
    class-1 attractor."""
    from experiments import dynamics_example

    out = dynamics_example.main()
    assert "Lyapunov exponents" in capsys.readouterr().out
    assert out["accuracy"] >= 0.99
    fps, readouts = out["fixed_points"], np.asarray(out["readouts"])
    stable = np.asarray(fps.stable)
    assert stable.sum() >= 2
    assert readouts[stable].min() < -0.7 and readouts[stable].max() > 0.7
    assert np.all(np.asarray(out["lyapunov"]) < 0)
    plus = int(np.flatnonzero(stable)[np.argmax(readouts[stable])])
    top = np.log(np.abs(np.asarray(fps.eigenvalues[plus, 0])))
    np.testing.assert_allclose(out["lyapunov"][0], top, atol=1e-2)


def test_readme_example_code_is_the_scripts():
    """Every line of the README's dynamics snippet is a line of experiments/dynamics_example.py."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    section = readme.split("### Dynamics: fixed points and Lyapunov spectra", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    script = {
        line.strip() for line in (root / "experiments/dynamics_example.py").read_text().splitlines()
    }
    lines = [line.strip() for line in snippet.splitlines() if line.strip()]
    assert lines and all(line in script for line in lines)
