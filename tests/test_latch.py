"""B94 §§III–IV on one tanh neuron: the spec's derived numbers, brute force and autodiff.

Claim ids (B94-ATT, -DEF, -TH1…TH4, -LEM, -EQ4, -F2*) refer to ../shared/papers/bengio1994.md §1.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import jacobians as jac
from repro import latch

ONE = (
    "frobenius"  # the norm of a 1×1 product is |·| whichever norm: no certified program to compile
)

# w, ā, x̄, M'(ā), a_c, h* (spec §1.3 table). The spec prints the w = 1.3733 row (the x̄ = 0.8 row)
# as ā = 1.0982, M'(ā) = 0.4946, a_c = 0.578, h* = 0.1376: off by up to 5e-4 although x̄ = 0.8000
# holds, since artanh(0.8) = 1.0986. We test the row we recompute (noted in REPRODUCTION.md).
TABLE = [
    (1.05, 0.3892, 0.3707, 0.9057, 0.2218, 0.0073),
    (1.10, 0.5532, 0.5029, 0.8218, 0.3112, 0.0205),
    (1.25, 0.8880, 0.7104, 0.6191, 0.4812, 0.0778),
    (1.3733, 1.0987, 0.8000, 0.4943, 0.5782, 0.1378),
    (1.4869, 1.2691, 0.8536, 0.4036, 0.6508, 0.2000),
    (1.50, 1.2878, 0.8586, 0.3943, 0.6585, 0.2075),
    (2.00, 1.9150, 0.9575, 0.1664, 0.8814, 0.5328),
    (2.50, 2.4641, 0.9856, 0.0714, 1.0317, 0.9048),
    (3.00, 2.9847, 0.9949, 0.0305, 1.1462, 1.3033),
]


# ----------------------------------------------------------------------------- B94-ATT


@pytest.mark.parametrize("w, abar, xbar, slope, a_c, h_star", TABLE)
def test_latch_roots_slopes_and_threshold_are_the_specs(w, abar, xbar, slope, a_c, h_star):
    """B94-ATT (1): ±ā, x̄, M'(ā), a_c and h* of the spec's table to 1e-4; ā is a root; M'(0) = w."""
    got = latch.fixed_point(w)
    assert abs(got - w * math.tanh(got)) < 1e-13
    np.testing.assert_allclose(
        [got, math.tanh(got), latch.slope(w, got), latch.critical_state(w), latch.threshold(w)],
        [abar, xbar, slope, a_c, h_star],
        atol=1e-4,
    )
    assert abs(latch.slope(w, latch.critical_state(w)) - 1) < 1e-12
    assert latch.slope(w, 0.0) == w > 1


def test_threshold_is_where_the_negative_fixed_point_disappears():
    """h* is the saddle-node: just below it w·tanh(a) + h = a still has a negative root, above not."""
    for w in (1.25, 1.5, 2.0, 3.0):
        h = latch.threshold(w)
        a = np.linspace(-5, 0, 200_001)
        assert np.any(w * np.tanh(a) + 0.999 * h - a <= 0)
        assert np.all(w * np.tanh(a) + 1.001 * h - a > 0)


def _uniform(seed: int, shape: tuple, half_width: float) -> np.ndarray:
    """float32 inputs uniform in [−half_width, half_width), from numpy's generator: the latch checks
    draw 10⁷–10⁸ numbers, and threefry compiled without optimisation (as the tests compile) takes
    4 s per 10⁸."""
    u = np.random.default_rng(seed).random(shape, dtype=np.float32) * 2 - 1
    return u * np.float32(half_width)


@pytest.mark.parametrize("w", [1.25, 1.5, 2.0, 3.0])
def test_inputs_below_threshold_never_flip_the_latch(w):
    """B94-ATT (2): from −ā, 10⁴ random input sequences with |h_t| <= 0.999h* keep the sign for 10⁴
    steps; the constant input 1.001h* flips it in finite time."""
    h_star, abar = latch.threshold(w), latch.fixed_point(w)
    u = _uniform(0, (10_000, 10_000), 0.999 * h_star)
    states = latch.run_neuron(w, -abar, u)
    assert float(states.max()) < 0
    assert latch.transient(w, 1.001 * h_star) is not None
    assert latch.transient(w, 0.999 * h_star, max_steps=100_000) is None


def test_transient_lengths_are_the_specs_table():
    """B94-ATT (3): L_1, steps from −ā under a constant h until x_t > x̄, exactly."""
    table = {
        1.25: [73, 21, 14, 4, 2, 1],
        1.5: [40, 12, 8, 6, 3, 2],
        2.0: [23, 7, 4, None, 5, 2],
    }
    for w, want in table.items():
        h = latch.threshold(w)
        got = [latch.transient(w, x) for x in (1.05 * h, 1.5 * h, 2 * h, 0.5, 1.0, 2.0)]
        assert got == want, w


def test_a_unit_above_1487_cannot_be_flipped_by_noise_of_02():
    """B94-ATT (4): h*(1.487) > 0.2 and h* grows with w, so uniform noise in [−0.2, 0.2] never
    flips a unit at ±ā with w >= 1.487 (also by simulation: 10⁴ runs × 10³ steps at both signs)."""
    ws = np.linspace(1.487, 4, 200)
    hs = np.array([latch.threshold(w) for w in ws])
    assert hs[0] > 0.2 and np.all(np.diff(hs) > 0)
    assert latch.threshold(1.486) < 0.2
    u = _uniform(1, (1000, 10_000), 0.2)
    for sign in (1, -1):
        states = latch.run_neuron(1.487, sign * latch.fixed_point(1.487), u)
        assert np.all(np.sign(np.asarray(states)) == sign)


def test_bad_weights_are_refused():
    for w in (1.0, 0.5, float("nan"), "2"):
        with pytest.raises(ValueError, match="w="):
            latch.fixed_point(w)


# ----------------------------------------------------------------------------- B94-DEF


def test_reduced_attracting_set_and_basin_of_the_single_neuron(x64):
    """B94-DEF (a): on a grid of starts, every product of M' along the orbit (l = 1..200) is < 1
    exactly when a > a_c (Γ), and the orbit tends to +ā exactly when a > 0 (β). The products are
    the Jacobian engine's."""
    w = 1.5
    a_c, abar = latch.critical_state(w), latch.fixed_point(w)
    grid = np.linspace(-3, 3, 601) + 1.234e-4  # no point on 0 or ±a_c
    u = jnp.zeros(200)
    logs = jax.vmap(lambda a: jac.log_norms_from_first(latch.neuron_step(w), a, u, norm=ONE))(grid)
    shrinks = np.all(np.asarray(logs[:, 1:]) < 0, axis=1)  # every product of M' below 1
    np.testing.assert_array_equal((grid > 0) & shrinks, grid > a_c)  # Γ(+ā) = β(+ā) ∩ that
    np.testing.assert_array_equal((grid < 0) & shrinks, grid < -a_c)
    ends = np.asarray(latch.run_neuron(w, jnp.asarray(grid), jnp.zeros((200, 601)))[-1])
    np.testing.assert_allclose(ends[grid > 0], abar, atol=1e-9)
    np.testing.assert_allclose(ends[grid < 0], -abar, atol=1e-9)


def _orbit(W, a0, steps):
    def step(a, _):
        a = W @ np.tanh(a) if isinstance(a, np.ndarray) else W @ jnp.tanh(a)
        return a, a

    return jax.lax.scan(step, a0, None, length=steps)[1]


def test_symmetric_weights_with_eigenvalues_above_minus_one_settle_on_fixed_points(x64):
    """B94-DEF (b), Def. 2's remark: 20 random symmetric 5×5 W with smallest eigenvalue > −1, 100
    starts each: the orbit settles (‖a_{t+1} − a_t‖ < 1e-9 within 10⁴ steps); W = −1.5·I instead
    gives a period-2 cycle."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
        W = jnp.asarray(q @ np.diag(rng.uniform(-0.95, 3.0, 5)) @ q.T)
        starts = jnp.asarray(rng.normal(scale=3.0, size=(100, 5)))
        last = jax.vmap(lambda a, W=W: _orbit(W, a, 10_000)[-2:])(starts)  # (100, 2, 5)
        assert float(jnp.max(jnp.linalg.norm(last[:, 1] - last[:, 0], axis=-1))) < 1e-9
    W = -1.5 * jnp.eye(5)
    tail = np.asarray(_orbit(W, jnp.full(5, 0.3), 1000)[-3:])
    assert np.linalg.norm(tail[2] - tail[0]) < 1e-12 and np.linalg.norm(tail[1] - tail[0]) > 1


def test_weights_of_norm_below_one_leave_only_the_origin(x64):
    """B94-DEF (c): ‖W‖₂ = 0.9 and every start converges to 0 (|a_t| <= 0.9^t |a_0| even)."""
    rng = np.random.default_rng(1)
    W = rng.normal(size=(5, 5))
    W = jnp.asarray(0.9 * W / np.linalg.norm(W, 2))
    starts = jnp.asarray(rng.normal(scale=5.0, size=(100, 5)))
    orbits = jax.vmap(lambda a: _orbit(W, a, 400))(starts)  # (100, 400, 5)
    norms = np.linalg.norm(np.asarray(orbits), axis=-1)
    bound = 0.9 ** np.arange(1, 401) * np.linalg.norm(np.asarray(starts), axis=-1)[:, None]
    assert np.all(norms <= bound * (1 + 1e-12)) and norms[:, -1].max() < 1e-15


def test_augmented_system_is_additive_and_reproduces_the_trajectory(x64):
    """B94-DEF, §IV: h_t = tanh(W h_{t−1} + U x_t) written as an additive system on (h, y)
    reproduces the trajectory one step later, to 1e-12."""
    rng = np.random.default_rng(2)
    W, U = jnp.asarray(rng.normal(size=(4, 4))), jnp.asarray(rng.normal(size=(4, 2)))
    xs = jnp.asarray(rng.normal(size=(30, 2)))
    N = lambda h, x: jnp.tanh(W @ h + U @ x)
    _, plain = jax.lax.scan(lambda h, x: (N(h, x),) * 2, jnp.zeros(4), xs)
    aug = latch.additive_form(N)
    # additive: the augmented map of (h, y) plus the input (0, u) is the augmented step
    carry = (jnp.asarray(rng.normal(size=4)), jnp.asarray(rng.normal(size=2)))
    free = aug(carry, jnp.zeros(2))
    np.testing.assert_allclose(aug(carry, xs[0])[1], free[1] + xs[0], atol=1e-15)
    _, states = jax.lax.scan(lambda c, x: (aug(c, x),) * 2, (jnp.zeros(4), jnp.zeros(2)), xs)
    np.testing.assert_allclose(states[0][1:], plain[:-1], atol=1e-12)


# ----------------------------------------------------------------------------- B94-TH1..TH4, LEM


def test_theorem_1_expansion_and_noise_amplification_outside_gamma():
    """B94-TH1: w = 1.25, x = 0.3 < a_c: M'(0.3) = 1.1439 and a neighbour is stretched; w = 1.5,
    noise in [−0.2, 0.2], 100 steps, 2×10⁵ runs: the sign is lost from a_0 = 0.05 / 0.1 / 0.2 /
    0.3 / 0.5 with probability ≈ 0.33 / 0.18 / 0.026 / 0.0005 / 0 (spec, ±0.005)."""
    assert abs(latch.slope(1.25, 0.3) - 1.1439) < 1e-4
    M = lambda a: 1.25 * math.tanh(a)
    assert abs(M(0.3 + 1e-3) - M(0.3)) > 1e-3
    p = latch.sign_loss(
        jax.random.key(3), 1.5, jnp.array([0.05, 0.1, 0.2, 0.3, 0.5, 1.0]),
        noise=0.2, steps=100, runs=200_000,
    )  # fmt: skip
    np.testing.assert_allclose(np.asarray(p), [0.33, 0.18, 0.026, 0.0005, 0, 0], atol=0.005)
    assert np.all(np.diff(np.asarray(p)) <= 0)


def test_theorem_2_contraction_where_the_slope_is_below_one():
    """B94-TH2: on D = [a_c + 0.05, 10] the neuron's map contracts with α = M'(a_c + 0.05) (10⁶
    random pairs); W tanh with ‖W‖₂ = 0.9 contracts on ℝ⁵ with α <= 0.9."""
    w = 1.5
    lo = latch.critical_state(w) + 0.05
    alpha = latch.slope(w, lo)
    rng = np.random.default_rng(4)
    x, y = rng.uniform(lo, 10, (2, 1_000_000))
    assert alpha < 1
    assert np.all(np.abs(w * np.tanh(x) - w * np.tanh(y)) <= alpha * np.abs(x - y) * (1 + 1e-12))
    W = rng.normal(size=(5, 5))
    W = 0.9 * W / np.linalg.norm(W, 2)
    x, y = rng.normal(scale=3, size=(2, 10_000, 5))
    lhs = np.linalg.norm((np.tanh(x) - np.tanh(y)) @ W.T, axis=1)
    assert np.all(lhs <= 0.9 * np.linalg.norm(x - y, axis=1) * (1 + 1e-12))


def test_theorem_3_bounded_inputs_keep_the_latch_and_larger_ones_break_it():
    """B94-TH3: w = 2 from ā, d = 0.5, λ = M'(ā − d) = 0.4209, b = (1 − λ)d = 0.2895. Inputs
    uniform in ±0.999b (10⁵ runs × 10³ steps) keep |a_t − ā| < d (max 0.3793 with these inputs, the
    spec's run 0.377; constant −b: 0.383);
    a constant input past −h* leaves the ball and flips the sign."""
    w, d = 2.0, 0.5
    abar = latch.fixed_point(w)
    lam = latch.slope(w, abar - d)
    b = (1 - lam) * d
    np.testing.assert_allclose([lam, b], [0.4209, 0.2895], atol=2e-4)
    u = _uniform(5, (1000, 100_000), 0.999 * b)
    dev = float(jnp.max(jnp.abs(latch.run_neuron(w, abar, u) - abar)))
    assert dev < d and dev == pytest.approx(0.3793, abs=5e-4)  # REPRODUCTION.md's B94-TH3
    const = float(jnp.max(jnp.abs(latch.run_neuron(w, abar, jnp.full((1000,), -b)) - abar)))
    assert abs(const - 0.383) < 1e-3
    broken = latch.run_neuron(w, abar, jnp.full((1000,), -1.01 * latch.threshold(w)))
    assert float(jnp.max(jnp.abs(broken - abar))) > d and float(broken[-1]) < 0


def test_theorem_4_gradients_vanish_while_latched(x64):
    """B94-TH4: at ā with no input ∂a_t/∂a_0 = M'(ā)^t: 6.85e-5 at t = 20 and 3.2e-13 at t = 60 for
    w = 1.25, 2.6e-16 at t = 20 for w = 2. The engine's jacrev products match to 1e-10 (relative),
    stay finite in log space at t = 10⁴, and with noise that keeps a_t in Γ are <= (max M')^t."""
    # the spec's numbers, to half a unit of their last printed digit
    for w, t, want, ulp in (
        (1.25, 20, 6.85e-5, 1e-7),
        (1.25, 60, 3.2e-13, 1e-14),
        (2.0, 20, 2.6e-16, 1e-17),
    ):
        abar = latch.fixed_point(w)
        J = jac.step_jacobians(latch.neuron_step(w), jnp.float64(abar), jnp.zeros(t))
        prod = float(np.prod(np.asarray(J)))
        assert abs(prod / latch.slope(w, abar) ** t - 1) < 1e-10
        assert abs(prod - want) <= ulp / 2
    w = 1.25
    abar = latch.fixed_point(w)
    logs = jac.log_norms_from_first(
        latch.neuron_step(w), jnp.float64(abar), jnp.zeros(10_000), norm=ONE
    )
    np.testing.assert_allclose(np.asarray(logs), np.arange(10_001) * math.log(latch.slope(w, abar)),
                               rtol=1e-10)  # fmt: skip
    assert float(logs[-1]) < -4000 and np.isfinite(float(logs[-1]))
    # noise of ±0.2 keeps w = 2's latch in Γ (h* = 0.53): every factor below max M' on the path
    u = jax.random.uniform(jax.random.key(6), (5000,), jnp.float64, -0.2, 0.2)
    a0 = latch.fixed_point(2.0)
    states = np.asarray(latch.run_neuron(2.0, a0, u))
    assert states.min() > latch.critical_state(2.0)
    top = latch.slope(2.0, np.concatenate([[a0], states[:-1]])).max()
    logs = np.asarray(
        jac.log_norms_from_first(latch.neuron_step(2.0), jnp.float64(a0), u, norm=ONE)
    )
    assert np.all(logs[1:] <= np.arange(1, 5001) * math.log(top) + 1e-9)


def test_lemma_gradients_explode_on_the_basin_boundary(x64):
    """B94-LEM: at a_0 = 0 with u = 0 the orbit stays on the boundary and ∂a_t/∂a_0 = w^t (86.7 at
    t = 20, 6.5e5 at t = 60 for w = 1.25); ±1e-6 sends the orbit to ±ā."""
    w = 1.25
    logs = np.asarray(
        jac.log_norms_from_first(latch.neuron_step(w), jnp.float64(0.0), jnp.zeros(60), norm=ONE)
    )
    np.testing.assert_allclose(np.exp(logs[[20, 60]]), [w**20, w**60], rtol=1e-12)
    assert abs(np.exp(logs[20]) - 86.7) <= 0.05 and abs(np.exp(logs[60]) - 6.5e5) <= 0.05e5
    abar = latch.fixed_point(w)
    for eps in (1e-6, -1e-6):
        end = float(latch.run_neuron(w, jnp.float64(eps), jnp.zeros(400))[-1])
        assert abs(end - math.copysign(abar, eps)) < 1e-9


# ----------------------------------------------------------------------------- B94-EQ4


def _neuron(params, a, x):
    h_in, noise = x
    return params["w"] * jnp.tanh(a) + params["u"] * h_in + noise


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 1e-6)])
def test_gradient_terms_sum_to_the_autodiff_gradient(dtype, rtol):
    """B94-EQ4: the per-τ terms of eq. (4) add up to jax.grad of the cost, for every parameter."""
    with jax.enable_x64(dtype == "float64"):
        dt = jnp.dtype(dtype)
        rng = np.random.default_rng(7)
        xs = (jnp.asarray(rng.normal(size=25), dt), jnp.asarray(rng.normal(scale=0.3, size=25), dt))
        params = {"w": jnp.asarray(1.3, dt), "u": jnp.asarray(0.7, dt)}
        loss = lambda a: 0.5 * (jnp.tanh(a) - 0.8) ** 2
        terms = latch.gradient_terms(_neuron, params, jnp.asarray(0.1, dt), xs, loss)
        total = jnp.sum(terms.value()[:, 0, :], axis=0)

        def cost(p):
            a, _ = jax.lax.scan(lambda a, x: (_neuron(p, a, x), None), jnp.asarray(0.1, dt), xs)
            return loss(a)

        g = jax.grad(cost)(params)
        want = jnp.stack([g["u"], g["w"]])  # ravel_pytree order: sorted keys
        np.testing.assert_allclose(np.asarray(total), np.asarray(want), rtol=rtol)


def test_long_range_terms_decay_at_the_mean_log_slope(x64):
    """B94-EQ4: a latched neuron (w = 2.5, h = 2 for t <= 3, noise variance 0.2, T = 40): log|term_τ|
    of ∂C/∂w falls linearly in T − τ with slope = the mean of log M'(a_τ) along the path."""
    T = 40
    rng = np.random.default_rng(8)
    h_in = jnp.asarray(np.r_[np.ones(3), np.zeros(T - 3)])
    noise = jnp.asarray(np.r_[np.zeros(3), rng.normal(scale=math.sqrt(0.2), size=T - 3)])
    params = {"u": jnp.float64(2.0), "w": jnp.float64(2.5)}
    loss = lambda a: 0.5 * (jnp.tanh(a) - 0.8) ** 2
    terms = latch.gradient_terms(_neuron, params, jnp.float64(0.0), (h_in, noise), loss)
    log_w = np.asarray(jnp.log(jnp.abs(terms.mantissa[:, 0, 1])) + terms.log_scale)  # ∂C/∂w
    states = np.asarray(latch.run_neuron(2.5, 0.0, h_in * 2.0 + noise))
    lag = T - np.arange(1, T + 1)
    fit = slice(4, T - 1)  # τ = 5..39: past the drive, a_{τ−1} latched (τ = 1 has tanh(a_0) = 0)
    slope = np.polyfit(lag[fit], log_w[fit], 1)[0]
    mean_log = np.mean(np.log(latch.slope(2.5, states[4:])))
    assert slope < -1.5 and abs(slope - mean_log) < 0.1 * abs(mean_log)
    assert np.isneginf(log_w[0])


# ----------------------------------------------------------------------------- Fig. 2 training


def test_padded_cost_equals_the_cost_at_that_length():
    """One compilation for every T: the cost at T on inputs padded to T_max is the cost on the
    first T steps."""
    from repro.tasks import bengio1994

    b = bengio1994.minimal(jax.random.key(9), 20, 30, s=0.3)
    noise, labels = b.inputs[..., 0], b.extra["label"]
    h = jnp.array([[-0.5, -0.4, -0.3], [0.5, 0.4, 0.3]])
    for T in (4, 12, 30):
        padded = latch.minimal_cost(1.4, h, noise, labels, T)
        cut = latch.minimal_cost(1.4, h, noise[:, :T], labels, T)
        np.testing.assert_allclose(padded[0], cut[0], rtol=1e-6)
        np.testing.assert_allclose(padded[1], cut[1], rtol=1e-6)


def test_train_minimal_matches_a_plain_loop():
    """The vmapped, chunked, early-stopping trainer equals plain gradient descent run one epoch at a
    time in Python: same convergence epoch, same final w and h, for converging and failing runs."""
    from repro.tasks import bengio1994

    keys = jax.random.split(jax.random.key(10), 4)
    w0 = jnp.array([1.5, 0.6, 1.2, 2.0])
    s = jnp.array([0.02, 0.5, 0.1, 0.05])
    T = jnp.array([8, 12, 10, 6])
    got = latch.train_minimal(keys, w0, s, T, T_max=12, per_class=5, epochs=80, chunk=7)
    for r in range(4):
        k_h, k_d = jax.random.split(keys[r])
        p = {"w": w0[r], "h": jax.random.uniform(k_h, (2, 3), minval=-0.1, maxval=0.1)}
        b = bengio1994.minimal(k_d, 10, 12, s=s[r])
        noise, labels = b.inputs[..., 0], b.extra["label"]
        f = jax.jit(jax.value_and_grad(
            lambda p, n, y, t: latch.minimal_cost(p["w"], p["h"], n, y, t), has_aux=True
        ))  # fmt: skip
        epoch, converged = 80, False
        for e in range(81):
            (cost, x), g = f(p, noise, labels, T[r])
            if bool(jnp.all(jnp.sign(x) == jnp.where(labels == 1, 1, -1))) and float(cost) < 0.05:
                epoch, converged = e, True
                break
            if e < 80:
                p = jax.tree.map(lambda a, b: a - 0.1 * b, p, g)
        assert int(got.epoch[r]) == epoch and bool(got.converged[r]) == converged
        np.testing.assert_allclose(float(got.w[r]), float(p["w"]), rtol=1e-5)
        np.testing.assert_allclose(np.asarray(got.h[r]), np.asarray(p["h"]), rtol=1e-5, atol=1e-6)
    assert bool(got.converged[0]) and not bool(got.converged[1])
