"""B94 §V's six algorithms: nets pinned to the paper's sizes, the curvature against a hand expansion,
DEP's requests (B94-DEP-E), and each rule against a plain loop or its defining property."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import credit
from repro.tasks import bengio1994 as b94


def _data(task, key, T, batch=20):
    if task == "latch":
        bt = b94.latch(key, batch, T)
    elif task == "two_sequence":
        bt = b94.two_sequence(key, batch, T)
    else:
        bt = b94.parity(key, batch, T)
    d = jnp.sum(bt.targets[..., 0] * bt.mask, axis=1)
    return credit.Sequences(bt.inputs[..., 0], bt.length, bt.extra["label"], d)


@pytest.mark.parametrize(
    "task, n_units, n_params", [("latch", 1, 3), ("two_sequence", 5, 25), ("parity", 2, 7)]
)
def test_nets_have_the_papers_sizes(task, n_units, n_params):
    """B94 §V: the latch has 3 free parameters, the 2-sequence net 5 units and 25, parity 7."""
    m = credit.net(task)
    assert (m.n_units, m.n_params) == (n_units, n_params)
    theta = jnp.linspace(-0.5, 0.5, n_params)
    d = _data(task, jax.random.key(0), 10)
    grads = jax.grad(lambda th: credit.batch_cost(m, th, d)[0])(theta)
    assert np.all(np.asarray(grads) != 0)  # every parameter is used


def test_parity_net_represents_parity():
    """The spec's weights α = (5, 10, −10), β = (20/3, −10, 20/3, −20/3) classify noisy parity
    sequences of every length correctly with |y| >= 0.94 (here 400 sequences, lengths 4–7 and 250–500)."""
    m = credit.net("parity")
    theta = jnp.array([5, 10, -10, 20 / 3, -10, 20 / 3, -20 / 3], jnp.float32)
    run = jax.jit(jax.vmap(lambda u, n, c: credit.output(m, theta, u, n, c)))
    for T in (7, 500):  # lengths 4-7 and 250-500
        d = _data("parity", jax.random.key(T), T, batch=200)
        y = run(d.u, d.length, d.cls)
        assert np.all(np.sign(np.asarray(y)) == np.sign(np.asarray(d.d)))
        assert float(jnp.min(jnp.abs(y))) >= 0.94


@pytest.mark.parametrize("task", ["latch", "two_sequence", "parity"])
def test_per_step_gradients_sum_to_bptt_and_curvature_is_nonnegative(task, x64):
    m = credit.net(task)
    theta = jax.random.uniform(jax.random.key(1), (m.n_params,), jnp.float64, -1, 1)
    d = _data(task, jax.random.key(2), 9)
    d = jax.tree.map(lambda a: a.astype(jnp.float64) if a.dtype == jnp.float32 else a, d)
    terms = jax.jit(lambda *a: credit.curvature_terms(m, theta, *a))
    grad = jax.jit(jax.grad(lambda th, u, n, c, y: 0.5 * (credit.output(m, th, u, n, c) - y) ** 2))
    for i in range(3):
        args = (d.u[i], d.length[i], d.cls[i])
        g, c = terms(*args, d.d[i])
        want = grad(theta, *args, d.d[i])
        np.testing.assert_allclose(np.asarray(g.sum(0)), np.asarray(want), rtol=1e-10, atol=1e-14)
        assert np.all(np.asarray(c) >= 0)


def test_curvature_is_becker_lecuns_hand_expanded():
    """A 2-unit fully connected net, T = 3, in float64 by hand: σ_o(3) = f'(x_o(3))², σ_j(t) =
    f'(x_j(t))² Σ_k w_kj² σ_k(t+1); c_ji(t) = σ_j(t) y_i(t−1)²; g_ji(t) = δ_j(t) y_i(t−1)."""
    pre = lambda th, y, u, cls, t, k: th.reshape(2, 2) @ y + u * jnp.array([1.0, 0.0], y.dtype)
    m = credit.Net("two_unit", 2, 4, 1, 1, np.ones((1, 2), bool), pre)
    W = np.array([[0.7, -1.3], [0.9, 0.4]])
    u = np.array([0.8, -0.5, 0.3])
    d = 0.8
    with jax.enable_x64(True):
        g, c = credit.curvature_terms(m, jnp.asarray(W.ravel()), jnp.asarray(u), 3, 0, d)
    x = [np.zeros(2)]
    for t in range(3):
        x.append(W @ np.tanh(x[-1]) + np.array([u[t], 0.0]))
    fp = lambda v: 1 - np.tanh(v) ** 2
    delta = {3: np.array([0.0, (np.tanh(x[3][1]) - d) * fp(x[3][1])])}
    sigma = {3: np.array([0.0, fp(x[3][1]) ** 2])}
    for t in (2, 1):
        delta[t] = fp(x[t]) * (W.T @ delta[t + 1])
        sigma[t] = fp(x[t]) ** 2 * ((W**2).T @ sigma[t + 1])
    for t in (1, 2, 3):
        z = np.tanh(x[t - 1])
        np.testing.assert_allclose(np.asarray(g[t - 1]), np.outer(delta[t], z).ravel(), atol=1e-15)
        np.testing.assert_allclose(
            np.asarray(c[t - 1]), np.outer(sigma[t], z**2).ravel(), atol=1e-15
        )


@pytest.mark.parametrize("g", [-1.5, -0.3, 0.7, 2.0])
def test_dep_requests_are_unbiased_only_for_min_minus_2_max_2(g):
    """B94-DEP-E: over 10⁶ draws E[S(g)] = g within 3 standard errors for MIN = −2, MAX = 2; with
    MIN = −1, MAX = 1 the mean is 2g (for |g| <= 1; eq. 10 as printed)."""
    s = credit.signed_request(jax.random.key(3), jnp.full(1_000_000, g))
    se = float(jnp.std(s)) / 1000
    assert abs(float(jnp.mean(s)) - g) <= 3 * se
    if abs(g) <= 1:
        s = credit.signed_request(jax.random.key(4), jnp.full(1_000_000, g), low=-1.0, high=1.0)
        assert abs(float(jnp.mean(s)) - 2 * g) <= 3 * float(jnp.std(s)) / 1000


def test_dep_moves_a_wrong_output_toward_its_target_and_leaves_a_right_one():
    """A wrong output asks for a flip: on a one-step latch x = w·y_0 + u_k, Δ = lr/(sign(d)ε − x)
    times the inputs (y_0 = 0 by default, so only u_k moves; +1 with start="plus", so w moves
    too); repeated, the sign comes right. A right output changes nothing."""
    m = credit.net("latch")
    theta = jnp.array([0.3, 0.2, 0.4])  # w, u_1, u_0
    u, n, key = jnp.zeros(1), 1, jax.random.key(5)
    assert np.all(np.asarray(credit.dep_update(m, theta, u, n, 1, 0.8, key)) == 0)  # x = 0.2
    dth = credit.dep_update(m, theta, u, n, 0, -0.8, key)  # class 0: x = 0.4, wrong sign
    np.testing.assert_allclose(
        np.asarray(dth), 0.01 / (-0.1 - 0.4) * np.array([0, 0, 1]), rtol=1e-6
    )
    dth = credit.dep_update(m, theta, u, n, 0, -0.8, key, start="plus")  # x = 0.3 + 0.4
    np.testing.assert_allclose(
        np.asarray(dth), 0.01 / (-0.1 - 0.7) * np.array([1, 0, 1]), rtol=1e-6
    )
    step = jax.jit(lambda th: th + credit.dep_update(m, th, u, n, 0, -0.8, key))
    for _ in range(200):
        theta = step(theta)
    assert float(credit.output(m, theta, u, n, 0, act=credit.DEP_STARTS["zero"])) < 0


def test_threshold_parity_net_needs_activations_that_start_at_zero():
    """With sign units the spec's parity weights compute parity when the activations start at 0
    (as tanh's do); starting at sign(0) = +1 they get every sequence wrong that the first step
    decides differently — the reason for DEP's default ``start="zero"``."""
    m = credit.net("parity")
    theta = jnp.array([5, 10, -10, 20 / 3, -10, 20 / 3, -20 / 3], jnp.float32)
    d = _data("parity", jax.random.key(12), 30, batch=200)
    for start, all_right in (("zero", True), ("plus", False)):
        act = credit.DEP_STARTS[start]
        y = jax.vmap(lambda u, n, c, act=act: credit.output(m, theta, u, n, c, act=act))(
            d.u, d.length, d.cls
        )
        right = np.sign(np.asarray(y)) == np.sign(np.asarray(d.d))
        assert right.all() == all_right and (all_right or right.mean() < 0.75)


def test_bp_is_online_sgd_in_a_reshuffled_order():
    """The jitted BP trial equals a plain loop of per-sequence gradient steps in each epoch's
    permutation, stopping at the first epoch without training errors."""
    m = credit.net("latch")
    d = _data("latch", jax.random.key(6), 6)
    theta0, key = jnp.array([0.2, 0.1, -0.1]), jax.random.key(7)
    got = credit.train(m, "bp", d, theta0, key, budget=200)
    theta = theta0
    grad = jax.jit(jax.grad(lambda th, u, n, c, y: 0.5 * (credit.output(m, th, u, n, c) - y) ** 2))
    for e in range(10):
        order = jax.random.permutation(jax.random.fold_in(key, e), 20)
        for i in np.asarray(order):
            theta = theta - 0.1 * grad(theta, d.u[i], d.length[i], d.cls[i], d.d[i])
        if int(credit.batch_cost(m, theta, d)[1]) == 0 or 20 * (e + 1) == int(got.presentations):
            break
    assert 20 * (e + 1) == int(got.presentations)
    np.testing.assert_allclose(np.asarray(got.theta), np.asarray(theta), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("algorithm", credit.ALGORITHMS)
def test_every_algorithm_runs_vmapped_and_reports_consistently(algorithm):
    """Five trials at once on the latch (T = 4): presentations within the budget and counted in
    training sets (20) per epoch or evaluation, "learned" only with 0 training errors, finite θ."""
    m = credit.net("latch")
    keys = jax.random.split(jax.random.key(8), 5)
    data = jax.vmap(lambda k: _data("latch", k, 4))(keys)
    theta0 = jax.vmap(lambda k: jax.random.uniform(k, (3,), minval=-0.5, maxval=0.5))(keys)
    run = jax.jit(jax.vmap(lambda d, th, k: credit.train(m, algorithm, d, th, k, budget=4000)))
    r = run(data, theta0, keys)
    pres, stop, errors = (np.asarray(v) for v in (r.presentations, r.stop, r.errors))
    assert np.all((pres >= 0) & (pres <= 4000) & (pres % 20 == 0))
    assert np.all(errors[stop == 0] == 0) and np.all(np.isfinite(np.asarray(r.theta)))
    assert np.all(pres[stop == 2] >= 4000 - 20)


def test_mgrs_never_accepts_a_worse_point_and_sa_solves_the_latch():
    m = credit.net("latch")
    d = _data("latch", jax.random.key(9), 10)
    theta0 = jnp.array([0.1, -0.3, 0.2])
    start = float(credit.batch_cost(m, theta0, d)[0])
    r = credit.train(m, "mgrs", d, theta0, jax.random.key(10), budget=2000)
    assert float(r.cost) <= start
    r = credit.train(m, "sa", d, theta0, jax.random.key(11), budget=200_000)
    assert int(r.stop) == 0 and int(r.errors) == 0


def test_bad_names_and_settings_are_refused():
    with pytest.raises(ValueError, match="net='gru'"):
        credit.net("gru")
    with pytest.raises(ValueError, match="output_unit=6"):
        credit.net("two_sequence", output_unit=6)
    m = credit.net("latch")
    d = _data("latch", jax.random.key(0), 4)
    with pytest.raises(ValueError, match="algorithm='adam'"):
        credit.train(m, "adam", d, jnp.zeros(3), jax.random.key(0), budget=10)
    with pytest.raises(ValueError, match="unknown settings"):
        credit.train(m, "bp", d, jnp.zeros(3), jax.random.key(0), budget=10, mu=1.0)
