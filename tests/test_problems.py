"""Objectives, the unrolled model, and P13's Ω against plain references (float64 where it matters)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import cells, initializers, problems
from repro.tasks import Batch
from repro.tasks import hochreiter1997 as h97


def _batch(y_shape, key=0):
    k1, k2 = jax.random.split(jax.random.key(key))
    B, L, n = y_shape
    targets = jax.random.uniform(k1, y_shape)
    mask = (jnp.arange(L)[None, :] == jnp.array([L - 1, L - 2, L - 1])[:B, None]).astype(float)
    return Batch(jnp.zeros((B, L, 2)), targets * mask[..., None], mask, jnp.full((B,), L))


def test_squared_error_is_half_the_summed_squares_and_scores_strictly():
    b = _batch((3, 5, 2))
    y = b.targets + 0.04 * b.mask[..., None] * jnp.array(
        [1.0, 0.0]
    )  # one output off by exactly 0.04
    y = y.at[1].set(b.targets[1] + 0.01)  # sequence 1: every output off by 0.01 everywhere
    obj = problems.squared_error(0.04)
    want = 0.5 * np.mean([0.04**2, 2 * 0.01**2, 0.04**2])
    np.testing.assert_allclose(obj.loss(y, b), want, rtol=1e-5)
    correct, error = obj.score(y, b)
    assert correct.tolist() == [False, True, False]  # |error| < 0.04 is strict
    np.testing.assert_allclose(error, [0.02, 0.01, 0.02], rtol=1e-4)  # MAE over outputs


def test_last_softmax_and_last_linear():
    b = _batch((2, 4, 3))
    onehot = jax.nn.one_hot(jnp.array([2, 0]), 3)[:, None, :] * b.mask[..., None]
    b = b._replace(targets=onehot)
    logits = 5.0 * onehot + jnp.array([0.0, 0.1, 0.0])
    obj = problems.last_softmax()
    assert obj.score(logits, b)[0].tolist() == [True, True]
    want = -np.mean([jax.nn.log_softmax(logits[0, 3])[2], jax.nn.log_softmax(logits[1, 2])[0]])
    np.testing.assert_allclose(obj.loss(logits, b), want, rtol=1e-6)
    lin = problems.last_linear(0.04)
    y = b.targets + 0.15 * b.mask[..., None] * jnp.array([1.0, 0.0, 0.0])  # Σ (y − d)² = 0.0225
    assert lin.score(y, b)[0].tolist() == [True, True]
    y = b.targets + 0.15 * b.mask[..., None] * jnp.array([1.0, 1.0, 0.0])  # 0.045 > 0.04
    assert lin.score(y, b)[0].tolist() == [False, False]


def test_clean_target_scores_against_the_noise_free_target_non_strictly():
    b = h97.noise_signal(jax.random.key(3), 64, 20, 3, variant="3c")
    clean = b.extra["clean_target"]
    end = b.mask[..., None]
    obj = problems.clean_target(0.1)
    # y = clean + 0.1 exactly is still correct (> 0.1 is wrong), + 0.1001 is wrong
    for offset, ok in ((0.0, True), (0.0999, True), (0.1001, False)):
        y = (clean[:, None, None] + offset) * end
        correct, error = obj.score(y, b)
        assert bool(jnp.all(correct)) == ok
        np.testing.assert_allclose(error, offset, atol=1e-6)
    y = clean[:, None, None] * end
    # the loss is against the noisy training targets, not the clean ones
    want = 0.5 * np.mean((np.asarray(clean) - np.asarray(b.targets[..., 0].sum(1))) ** 2)
    np.testing.assert_allclose(obj.loss(y, b), want, rtol=1e-5)


def test_legal_next_needs_every_legal_successor_above_every_other_output():
    data = h97.reber_sets(jax.random.key(0), 8, 8)
    b = h97.reber(jax.random.key(1), 8, data["train"])
    legal = b.extra["legal"]
    obj = problems.legal_next()
    y = 0.5 * legal + 0.25  # legal successors at 0.75, others at 0.25: every step correct
    assert obj.score(y, b)[0].tolist() == [True] * 8
    # one step where an illegal output ties the lowest legal one: that string is wrong
    t = int(b.length[2]) - 1
    k = int(jnp.argmin(legal[2, t]))
    y2 = y.at[2, t, k].set(0.75)
    correct, error = obj.score(y2, b)
    assert correct.tolist() == [i != 2 for i in range(8)]
    np.testing.assert_allclose(error[2], 1 / int(b.length[2]), rtol=1e-6)
    # steps after the end of a string are ignored
    assert obj.score(y.at[0, -1].set(5.0) if int(b.length[0]) < y.shape[1] else y, b)[0][0]


def test_unroll_equals_a_python_loop_over_steps():
    model = cells.LSTM1997(n_out=1, blocks=2, block_size=2, in_gate_bias=(-3.0, -6.0))
    b = h97.adding(jax.random.key(1), 3, 20)
    params = model.init(jax.random.key(2), model.initialize_carry(), jnp.zeros(2))
    ys = problems.unroll(model, params, b.inputs)
    carry, ref = model.initialize_carry((3,)), []
    for t in range(b.inputs.shape[1]):
        carry, y = model.apply(params, carry, b.inputs[:, t])
        ref.append(y)
    np.testing.assert_allclose(ys, jnp.stack(ref, axis=1), rtol=1e-6, atol=1e-7)


def test_bad_tolerance():
    with pytest.raises(ValueError, match="tolerance=0"):
        problems.squared_error(0)


# ----------------------------------------------------------------------------- Ω


def _rnn(activation="tanh", n=5, recurrent_init=None):
    init = initializers.normal(0.5)
    cell = cells.SimpleRNN(
        n,
        activation,
        recurrent_init=recurrent_init or init,
        input_init=init,
        bias_init=init,
        param_dtype=jnp.float64,
    )
    kw = dict(kernel_init=init, bias_init=init, param_dtype=jnp.float64)
    return cells.Readout(cell, 2, "linear", **kw)


def _setup(model, L=6, B=3, seed=0):
    params = model.init(jax.random.key(seed), model.initialize_carry(), jnp.zeros(2, jnp.float64))
    k1, k2 = jax.random.split(jax.random.key(seed + 1))
    mask = jnp.zeros((B, L)).at[:, -1].set(1.0)
    batch = Batch(
        jax.random.normal(k1, (B, L, 2), jnp.float64),
        jax.random.normal(k2, (B, L, 2), jnp.float64) * mask[..., None],
        mask,
        jnp.full((B,), L),
    )
    return params, batch


def _bptt_reference(params, batch, activation):
    """States h_t and δ_t = dC/dh_t by an explicit backward recursion in numpy (float64)."""
    p = jax.tree.map(np.asarray, params["params"])
    W, U, b = p["cell"]["W_rec"], p["cell"]["W_in"], p["cell"]["b"]
    Wy, by = p["W_y"], p["b_y"]
    phi = {"tanh": np.tanh, "linear": lambda a: a}[activation]
    dphi = {"tanh": lambda h: 1 - h**2, "linear": np.ones_like}[activation]
    x, d, m = (np.asarray(a) for a in (batch.inputs, batch.targets, batch.mask))
    B, L = m.shape
    h = np.zeros((L + 1, B, W.shape[0]))
    for t in range(L):
        h[t + 1] = phi(h[t] @ W.T + x[:, t] @ U.T + b)
    delta = np.zeros((L, B, W.shape[0]))
    carry = np.zeros((B, W.shape[0]))
    for t in reversed(range(L)):
        y = h[t + 1] @ Wy.T + by
        direct = (m[:, t, None] * (y - d[:, t]) / B) @ Wy  # mean over batch of ½‖y − d‖²
        delta[t] = direct + carry
        carry = (delta[t] * dphi(h[t + 1])) @ W
    return h[1:], delta


def test_omega_deltas_are_bptt_and_its_gradient_is_through_w_rec_only(x64):
    model = _rnn()
    params, batch = _setup(model)
    obj = problems.last_linear()
    obj = problems.Objective(
        lambda y, b: 0.5 * jnp.mean(jnp.sum(b.mask[..., None] * (y - b.targets) ** 2, axis=(1, 2))),
        obj.score,
    )
    hs, delta = _bptt_reference(params, batch, "tanh")
    W = np.asarray(params["params"]["cell"]["W_rec"])

    def omega_np(W):
        d = delta * (1 - hs**2)
        r = np.sum((d @ W) ** 2, -1) / np.sum(delta**2, -1)
        return np.sum(np.mean((r - 1) ** 2, axis=1)) / delta.shape[0]

    # Ω's gradient with δ and h held fixed, by central differences on W_rec alone.
    eps, fd = 1e-6, np.zeros_like(W)
    for i in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[i] = eps
        fd[i] = (omega_np(W + e) - omega_np(W - e)) / (2 * eps)
    alpha = 4.0
    (loss, stats), g = problems.omega_grad(model, obj, alpha)(params, batch)
    (loss0, _), g0 = jax.value_and_grad(
        lambda p: (obj.loss(problems.unroll(model, p, batch.inputs), batch), 0), has_aux=True
    )(params)
    np.testing.assert_allclose(stats["omega"], omega_np(W), rtol=1e-10)
    valid = np.mean(np.sum(delta**2, -1) >= 1e-20)
    assert float(stats["omega_valid"]) == valid == 1.0  # every term counts: a loss on every step
    np.testing.assert_allclose(
        g["params"]["cell"]["W_rec"],
        g0["params"]["cell"]["W_rec"] + alpha * fd,
        rtol=1e-6,
        atol=1e-9,
    )
    for path in (("cell", "W_in"), ("cell", "b"), ("W_y",), ("b_y",)):  # untouched by Ω
        a, b0 = g["params"], g0["params"]
        for k in path:
            a, b0 = a[k], b0[k]
        np.testing.assert_allclose(a, b0, rtol=1e-12)
    np.testing.assert_allclose(loss, loss0, rtol=1e-12)


def test_omega_vanishes_for_an_orthogonal_linear_rnn(x64):
    model = _rnn("linear", recurrent_init=initializers.orthogonal())
    params, batch = _setup(model, L=8)
    obj = problems.last_linear()
    (_, stats), g = problems.omega_grad(model, obj, 1.0)(params, batch)
    (_, _), g0 = problems.omega_grad(model, obj, 0.0)(params, batch)
    assert abs(float(stats["omega"])) < 1e-20
    np.testing.assert_allclose(
        g["params"]["cell"]["W_rec"], g0["params"]["cell"]["W_rec"], atol=1e-12
    )


def test_omega_valid_share_counts_only_steps_the_error_reaches(x64):
    # With W_rec = 0 the error of the last step's loss reaches no earlier state: of L = 6 steps only
    # the last has ‖δ_t‖² ≥ 1e-20, so Ω's valid share is 1/6 (the authors' "steps in the past").
    model = _rnn("linear", recurrent_init=initializers.constant(0.0))
    params, batch = _setup(model, L=6)
    (_, stats), _ = problems.omega_grad(model, problems.last_linear(), 1.0)(params, batch)
    assert float(stats["omega_valid"]) == pytest.approx(1 / 6)


def test_omega_eq9_uses_plain_norms_summed_over_steps(x64):
    delta = jnp.array([[[1.0, 0.0]], [[0.0, 2.0]], [[0.0, 0.0]]])  # (L=3, B=1, n=2); last invalid
    h = jnp.zeros_like(delta)  # linear: φ' = 1
    W = jnp.array([[2.0, 0.0], [0.0, 0.5]])
    # r = ‖δ W‖² / ‖δ‖²: t=0: 4, t=1: 0.25; eq9: (2 − 1)² + (0.5 − 1)²; code: ((3)² + (0.75)²) / 2
    np.testing.assert_allclose(problems.omega(W, delta, h, "linear", "eq9"), 1.25)
    np.testing.assert_allclose(problems.omega(W, delta, h, "linear", "code"), (9 + 0.5625) / 2)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(model=cells.Readout(cells.SimpleRNN(3, form="pascanu"), 1)), "form='pascanu'"),
        (dict(model=cells.Readout(cells.GRU(3), 1)), "Readout\\(SimpleRNN"),
        (dict(alpha=-1.0), "alpha=-1.0"),
    ],
)
def test_omega_bad_input(kwargs, match):
    args = {"model": _rnn(), "alpha": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        problems.omega_grad(args["model"], problems.last_linear(), args["alpha"])


def test_test_on_fresh_rules():
    model = cells.Readout(cells.SimpleRNN(2), 1, kernel_init=initializers.constant(0.0))
    params = model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(2))  # y ≡ 0

    def sample(key):  # targets 0 except 3 of 100 sequences at 0.5: 3 wrong, mean error 0.015
        t = jnp.zeros((100, 4, 1)).at[:3, -1, 0].set(0.5)
        return Batch(
            jnp.zeros((100, 4, 2)), t, jnp.zeros((100, 4)).at[:, -1].set(1.0), jnp.full((100,), 4)
        )

    run = lambda **kw: problems.test_on_fresh(model, problems.squared_error(0.04), sample, **kw)(
        params, jax.random.key(1)
    )
    res = run()
    assert int(res["wrong"]) == 3 and not bool(res["passed"])
    np.testing.assert_allclose(res["mean_error"], 0.015, rtol=1e-6)
    np.testing.assert_allclose(res["mse"], 3 * 0.25 / 100, rtol=1e-6)  # one target step each
    assert bool(run(max_wrong=3)["passed"]) and not bool(run(max_wrong=2)["passed"])
    assert bool(run(max_error_rate=0.04)["passed"]) and not bool(run(max_error_rate=0.03)["passed"])
    assert not bool(run(max_wrong=5, max_mean_error=0.01)["passed"])
    assert bool(run(max_wrong=5, max_mean_error=0.02)["passed"])
    with pytest.raises(ValueError, match="max_wrong=-1"):
        run(max_wrong=-1)


def _per_step_setup(mask, length=None):
    """A 2×2 truncated 1997 net on 2 float64 sequences of 7 steps (3 inputs, 2 outputs)."""
    cell = cells.LSTM1997(n_out=2, blocks=2, block_size=2, init_scale=0.5, param_dtype=jnp.float64)
    kx, kt, kp = jax.random.split(jax.random.key(3), 3)
    xs = jax.random.normal(kx, (2, 7, 3), jnp.float64)
    targets = jax.random.uniform(kt, (2, 7, 2), jnp.float64)
    length = jnp.full((2,), 7, jnp.int32) if length is None else length
    params = cell.init(kp, cell.initialize_carry(), xs[0, 0])
    return cell, params, Batch(xs, targets, mask, length)


def _sequence_grad(cell, params, batch, obj):
    loss = lambda p: obj.loss(problems.unroll(cell, p, batch.inputs, fused=False), batch)
    return jax.value_and_grad(loss)(params)


def _max_diff(a, b):
    return max(
        float(jnp.max(jnp.abs(x - y)))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


def test_per_step_sgd_reduces_to_the_sequence_gradient(x64):
    """Targets only at the last step: the weights move once, so G is the sequence's gradient; with
    targets everywhere, G tends to the summed gradient as lr -> 0, and differs from it at lr 0.5."""
    obj = problems.squared_error(0.1)
    end = jnp.zeros((2, 7)).at[:, -1].set(1.0)
    cell, params, batch = _per_step_setup(end)
    value, g = _sequence_grad(cell, params, batch, obj)
    (loss, _), total = problems.per_step_sgd(cell, obj, 0.5)(params, batch)
    assert _max_diff(g, total) < 1e-12 and abs(float(loss - value)) < 1e-12
    cell, params, batch = _per_step_setup(jnp.ones((2, 7)))
    value, g = _sequence_grad(cell, params, batch, obj)
    (loss, _), tiny = problems.per_step_sgd(cell, obj, 1e-9)(params, batch)
    assert _max_diff(g, tiny) < 1e-8 and abs(float(loss - value)) < 1e-8
    _, moved = problems.per_step_sgd(cell, obj, 0.5)(params, batch)
    assert _max_diff(g, moved) > 1e-3


def test_per_step_sgd_ignores_padding_and_scores_the_on_line_outputs(x64):
    """Padded steps (mask 0) change nothing; stats score the outputs produced on-line."""
    obj = problems.squared_error(0.3)
    mask = (jnp.arange(7)[None, :] < jnp.array([[4], [7]])).astype(jnp.float64)
    cell, params, batch = _per_step_setup(mask, jnp.array([4, 7], jnp.int32))
    grad = jax.jit(problems.per_step_sgd(cell, obj, 0.5))
    (loss, stats), total = grad(params, batch)
    pad = lambda a: jnp.pad(a, [(0, 0), (0, 3)] + [(0, 0)] * (a.ndim - 2))
    padded = batch._replace(inputs=pad(batch.inputs), targets=pad(batch.targets), mask=pad(mask))
    (loss_p, _), total_p = grad(params, padded)
    assert _max_diff(total, total_p) < 1e-12 and abs(float(loss - loss_p)) < 1e-12
    # on-line outputs: run the model step by step, moving the weights after each step by the
    # updates of the steps so far (G over the targets up to t)
    ys, p, carry = [], params, cell.initialize_carry((2,))
    for t in range(7):
        carry, y = cell.apply(p, carry, batch.inputs[:, t])
        ys.append(y)
        (_, _), upto = grad(params, batch._replace(mask=mask * (jnp.arange(7) <= t)))
        p = jax.tree.map(lambda w, g: w - 0.5 * g, params, upto)
    correct, error = obj.score(jnp.stack(ys, 1), batch)
    np.testing.assert_allclose(stats["error"], error, rtol=1e-10)
    assert stats["correct"].tolist() == correct.tolist()


def test_per_step_sgd_bad_lr():
    cell = cells.LSTM1997(n_out=1, blocks=1)
    with pytest.raises(ValueError, match=r"lr=0: must be > 0"):
        problems.per_step_sgd(cell, problems.squared_error(0.1), 0)


def test_test_on_fresh_in_chunks_equals_one_batch():
    # A test set scored in chunks (memory for one chunk) gives the whole set's numbers: 4 chunks of
    # 25 random sequences against the same 100 sequences in one batch.
    model = cells.Readout(cells.SimpleRNN(3), 1, "sigmoid")
    params = model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(2))
    keys = jax.random.split(jax.random.key(5), 4)

    def draw(key, n):
        kx, kt = jax.random.split(key)
        mask = jnp.zeros((n, 6)).at[:, -1].set(1.0)
        targets = jax.random.uniform(kt, (n, 6, 1))
        return Batch(jax.random.normal(kx, (n, 6, 2)), targets, mask, jnp.full((n,), 6))

    whole = jax.tree.map(lambda *xs: jnp.concatenate(xs), *[draw(k, 25) for k in keys])
    objective = problems.squared_error(0.3)
    one = problems.test_on_fresh(model, objective, lambda k: whole, max_wrong=40)(params, None)
    chunked = problems.test_on_fresh(
        model, objective, lambda k: draw(k, 25), max_wrong=40, chunks=4
    )
    got = chunked(params, jax.random.key(5))  # lax.map over split(key, 4): the keys above
    assert 0 < int(one["wrong"]) < 100
    for name in ("wrong", "error_rate", "mean_error", "mse", "passed"):
        np.testing.assert_allclose(got[name], one[name], rtol=1e-5, err_msg=name)
    with pytest.raises(ValueError, match="chunks=0"):
        problems.test_on_fresh(model, objective, lambda k: whole, chunks=0)
