"""The Jacobian engine against slow, obviously right references.

References: products of each step's jax.jacrev multiplied in numpy (the whole chain ∂s_T/∂s_0 also
against jax.jacrev of the unrolled map), central finite differences and numpy loops in float64, SVD
norms, closed forms for linear recurrences, and P13's bound (eq. 6-7).
"""

import hypothesis
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import cells
from repro import initializers as inits
from repro import jacobians as jac

F64 = jnp.float64

CELL_CASES = {
    "rnn_tanh": lambda: cells.SimpleRNN(5, param_dtype=F64),
    "rnn_sigmoid_pascanu": lambda: cells.SimpleRNN(
        5, activation="sigmoid", form="pascanu", recurrent_init=inits.normal(1.0), param_dtype=F64
    ),
    "lstm": lambda: cells.LSTM(4, param_dtype=F64),
    "lstm_truncated": lambda: cells.LSTM(4, gradient="truncated", param_dtype=F64),
    "gru": lambda: cells.GRU(4, param_dtype=F64),
    "lstm1997_full": lambda: cells.LSTM1997(
        2, 2, 2, gradient="full", init_scale=1.0, param_dtype=F64
    ),
    "lstm1997_truncated": lambda: cells.LSTM1997(2, 2, 2, init_scale=1.0, param_dtype=F64),
}


def _setup(case, T=8, n_in=3, seed=0):
    cell = CELL_CASES[case]()
    kx, kp = jax.random.split(jax.random.key(seed))
    xs = jax.random.normal(kx, (T, n_in), F64)
    carry = cell.initialize_carry()
    params = cell.init(kp, carry, xs[0])
    return cells.step_fn(cell, params), carry, xs


def _reference_products(step, carry, xs):
    """ref[k][t] = ∂s_k/∂s_t = J_{k-1} ... J_t in float64: each step's Jacobian J_i by jax.jacrev of
    the step, multiplied in numpy; the whole chain ∂s_T/∂s_0 is also checked against jax.jacrev of
    the unrolled Python loop s_0 -> s_T (eager jacrev of every unrolled pair costs 10× more)."""
    f, _, _ = jac.flatten_step(step, carry)
    states = jac.trajectory(step, carry, xs)
    T = xs.shape[0]
    steps = [np.asarray(jax.jacrev(f)(states[i], xs[i])) for i in range(T)]
    ref = {}
    for t in range(T + 1):
        ref[t, t] = p = np.eye(steps[0].shape[0])
        for k in range(t + 1, T + 1):
            ref[k, t] = p = steps[k - 1] @ p

    def unrolled(s):
        for x in xs:
            s = f(s, x)
        return s

    assert _rel(ref[T, 0], jax.jacrev(unrolled)(states[0])) <= 1e-12
    return ref


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("case", sorted(CELL_CASES))
def test_products_match_jacrev_references(x64, case):
    step, carry, xs = _setup(case)
    T = xs.shape[0]
    ref = _reference_products(step, carry, xs)
    to_last = jac.products_to_last(step, carry, xs).value()
    from_first = jac.products_from_first(step, carry, xs).value()
    # One index convention with the log-norms: [t] is ∂s_T/∂s_t and [k] is ∂s_k/∂s_0, t, k = 0..T.
    assert to_last.shape[0] == from_first.shape[0] == T + 1
    for t in range(T + 1):
        assert _rel(to_last[t], ref[T, t]) <= 1e-6
        assert _rel(from_first[t], ref[t, 0]) <= 1e-6


@pytest.mark.parametrize("case", ["rnn_tanh", "lstm", "lstm1997_full"])
def test_step_jacobians_and_products_match_finite_differences(x64, case):
    step, carry, xs = _setup(case, T=6)
    f, s0, _ = jac.flatten_step(step, carry)
    states = np.asarray(jac.trajectory(step, carry, xs))
    jacs = np.asarray(jac.step_jacobians(step, carry, xs))
    n, eps = s0.shape[0], 1e-6

    def end_state(s):
        for x in xs[2:]:
            s = f(s, x)
        return np.asarray(s)

    fd_step = np.zeros((n, n))
    fd_chain = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = eps
        fd_step[:, i] = (
            np.asarray(f(states[3] + e, xs[3])) - np.asarray(f(states[3] - e, xs[3]))
        ) / (2 * eps)
        fd_chain[:, i] = (end_state(states[2] + e) - end_state(states[2] - e)) / (2 * eps)
    assert _rel(jacs[3], fd_step) <= 1e-6
    chain = jac.products_to_last(step, carry, xs).value()[2]
    assert _rel(chain, fd_chain) <= 1e-6


# The truncated 1997 carousel (an exact identity) is test_carousel_of_truncated_1997_lstm_is_the_identity.
@pytest.mark.parametrize("case", ["rnn_tanh", "rnn_sigmoid_pascanu", "lstm", "lstm1997_full"])
def test_log_norms_match_svd_of_reference(x64, case):
    step, carry, xs = _setup(case, T=10)
    T = xs.shape[0]
    ref = _reference_products(step, carry, xs)
    lognorm = {key: np.log(np.linalg.norm(m, 2)) for key, m in ref.items()}
    to_last = jac.log_norms_to_last(step, carry, xs)
    from_first = jac.log_norms_from_first(step, carry, xs)
    pairs = jac.all_pairs_log_norms(step, carry, xs, chunks=1)  # chunking: tested below
    for t in range(T + 1):
        assert to_last[t] == pytest.approx(lognorm[T, t], abs=1e-9)
        assert from_first[t] == pytest.approx(lognorm[t, 0], abs=1e-9)
        for k in range(t, T + 1):
            assert pairs[k, t] == pytest.approx(lognorm[k, t], abs=1e-9)
        assert np.all(np.isnan(pairs[t, t + 1 :]))
    svd = jac.log_norms_to_last(step, carry, xs, norm="svd")
    np.testing.assert_allclose(svd, to_last, atol=1e-9)
    fro = jac.log_norms_to_last(step, carry, xs, norm="frobenius")
    np.testing.assert_allclose(
        fro[:-1], [np.log(np.linalg.norm(ref[T, t])) for t in range(T)], atol=1e-9
    )


def test_all_pairs_independent_of_chunking_and_block(x64):
    step, carry, xs = _setup("lstm", T=13)
    a = jac.all_pairs_log_norms(step, carry, xs, chunks=1, block=1)
    b = jac.all_pairs_log_norms(step, carry, xs, chunks=6, block=4)
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_block_selectors_pick_blocks_of_the_full_product(x64):
    step, carry, xs = _setup("lstm", T=7)
    T = xs.shape[0]
    blocks = jac.state_blocks(carry)
    assert sorted(blocks) == ["c", "h"]
    ref = _reference_products(step, carry, xs)
    hh = jac.products_to_last(step, carry, xs, rows="h", cols="h").value()
    ch = jac.products_from_first(step, carry, xs, rows="c", cols=blocks["h"]).value()
    for t in range(T + 1):
        np.testing.assert_allclose(hh[t], ref[T, t][np.ix_(blocks["h"], blocks["h"])], atol=1e-12)
        np.testing.assert_allclose(ch[t], ref[t, 0][np.ix_(blocks["c"], blocks["h"])], atol=1e-12)
    lognorm_hh = jac.log_norms_to_last(step, carry, xs, rows="h", cols="h")
    assert lognorm_hh[3] == pytest.approx(np.log(np.linalg.norm(hh[3], 2)), abs=1e-9)
    # The identity block of a cross selection is zero: its log-norm is -inf, not NaN.
    assert jac.all_pairs_log_norms(step, carry, xs, rows="c", cols="h", chunks=1)[2, 2] == -np.inf


def test_carousel_of_truncated_1997_lstm_is_the_identity(x64):
    """H97 §4: with truncation, ∂s(t1)/∂s(t0) = I for the cell states (the CEC)."""
    step, carry, xs = _setup("lstm1997_truncated", T=30)
    ss = jac.products_to_last(step, carry, xs, rows="s", cols="s").value()
    np.testing.assert_allclose(ss, np.broadcast_to(np.eye(4), ss.shape), atol=1e-12)
    assert np.all(jac.log_norms_to_last(step, carry, xs, rows="s", cols="s") == pytest.approx(0))
    full_step, carry, xs = _setup("lstm1997_full", T=30)
    full = jac.products_to_last(full_step, carry, xs, rows="s", cols="s").value()
    assert np.max(np.abs(full[0] - np.eye(4))) > 1e-3


def test_truncated_lstm_cell_block_is_the_product_of_forget_gates(x64):
    """Truncated (extended) LSTM: ∂c_k/∂c_0 = diag(∏_{t<=k} f_t)."""
    cell = cells.LSTM(4, gradient="truncated", param_dtype=F64)
    xs = jax.random.normal(jax.random.key(3), (20, 3), F64)
    carry = cell.initialize_carry()
    params = cell.init(jax.random.key(4), carry, xs[0])
    p = params["params"]
    _, hs = cells.run(cell, params, xs)
    h_prev = np.concatenate([np.zeros((1, 4)), np.asarray(hs[:-1])])
    pre = np.asarray(xs) @ np.asarray(p["W_in"]).T + h_prev @ np.asarray(p["W_rec"]).T + p["b"]
    f = 1 / (1 + np.exp(-pre[:, 4:8]))
    cc = jac.products_from_first(cells.step_fn(cell, params), carry, xs, rows="c", cols="c")
    for k in range(21):
        np.testing.assert_allclose(cc.value()[k], np.diag(np.prod(f[:k], axis=0)), atol=1e-14)


_PASCANU_PAIRS = {}


def _pascanu_pairs(activation, form, n):
    """One compiled all-pairs function per cell shape; the weights are an argument."""
    key = (activation, form, n)
    if key not in _PASCANU_PAIRS:
        cell = cells.SimpleRNN(n, activation=activation, form=form, param_dtype=F64)
        # chunks=1: one scan to compile (chunking is tested on its own below)
        pairs = jax.jit(
            lambda p, xs: jac.all_pairs_log_norms(
                cells.step_fn(cell, p), cell.initialize_carry(), xs, chunks=1
            )
        )
        _PASCANU_PAIRS[key] = (cell, pairs)
    return _PASCANU_PAIRS[key]


@hypothesis.settings(max_examples=12, deadline=None, derandomize=True)
@hypothesis.given(
    n=st.just(8),  # one compilation per (activation, form); the weights vary per example
    seed=st.integers(0, 2**16),
    # each activation and each form once: two compilations
    activation_form=st.sampled_from([("tanh", "pascanu"), ("sigmoid", "standard")]),
)
def test_pascanu_bound_holds_below_one_over_gamma(n, seed, activation_form):
    """P13 eqs. 6-7: if λ₁(W_rec) < 1/γ then ‖∂x_k/∂x_t‖ <= η^(k-t), here η = 0.9."""
    activation, form = activation_form
    gamma = {"tanh": 1.0, "sigmoid": 0.25}[activation]
    with jax.enable_x64(True):
        kw, kx, kp = jax.random.split(jax.random.key(seed), 3)
        w = np.asarray(jax.random.normal(kw, (n, n), F64))
        w = w * (0.9 / gamma) / np.linalg.norm(w, 2)  # largest singular value λ₁ = 0.9/γ
        cell, pairs_fn = _pascanu_pairs(activation, form, n)
        xs = jax.random.normal(kx, (25, 2), F64)
        params = cell.init(kp, cell.initialize_carry(), xs[0])
        params = {"params": {**params["params"], "W_rec": jnp.asarray(w)}}
        pairs = np.asarray(pairs_fn(params, xs))
    k, t = np.tril_indices(26)
    assert np.all(pairs[k, t] <= (k - t) * np.log(0.9) + 1e-9)


# ----------------------------------------------------------------------------- certified norms
# Families of per-step Jacobians chosen to break fast spectral-norm methods. A linear time-varying
# recurrence s_t = X_t s_{t-1} has J_t = X_t exactly, so one compiled function per (n, dtype) serves
# every family; the reference is float64 numpy: plain products and the SVD.

_T = 24


def _family(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """(T, n, n) per-step Jacobians of one family."""
    t = np.arange(_T)[:, None]
    if name == "diagonal":  # per-unit rates that cross: the dominant axis changes over time
        rates = np.exp(
            rng.uniform(-3, 0.5, n) * np.sin(rng.uniform(0.1, 0.6, n) * t + rng.uniform(0, 6, n))
        )
        return np.einsum("ti,ij->tij", rates, np.eye(n))
    if name == "diagonal_contrast":  # one axis shrinks by 1e-4 per step, then becomes the largest
        rates = np.full((_T, n), 0.5)
        rates[: _T // 2, 0], rates[_T // 2 :, 0] = 1e-4, 50.0
        return np.einsum("ti,ij->tij", rates * rng.uniform(0.9, 1.1, (_T, n)), np.eye(n))
    if name == "nearly_diagonal":
        d = np.exp(rng.uniform(-1, 0.3, (_T, n)))
        return np.einsum("ti,ij->tij", d, np.eye(n)) + 1e-3 * rng.normal(size=(_T, n, n))
    if name == "block_diagonal":  # forget-gate-like 1×1 carousel entries beside dense 2×2 blocks
        out = np.zeros((_T, n, n))
        i = 0
        while i < n:
            size = min(int(rng.integers(1, 3)), n - i)
            out[:, i : i + size, i : i + size] = (
                rng.uniform(0.2, 1.2) * rng.normal(size=(_T, size, size)) / np.sqrt(size)
            )
            i += size
        return out
    if name == "jordan":  # non-normal: λ_t I + N, N the unit superdiagonal
        lam = rng.uniform(0.3, 1.0, (_T, 1, 1))
        return lam * np.eye(n) + np.eye(n, k=1)
    if name == "rank_deficient":  # fixed zero columns, as in a truncated LSTM, and rank r < n
        r = max(1, n // 3)
        x = rng.normal(size=(_T, n, n)) / np.sqrt(n)
        x[:, :, r:] = 0.0
        return x
    if name == "permutation":  # scaled permutations; a nilpotent shift makes products exactly 0
        perms = np.stack([np.eye(n)[rng.permutation(n)] for _ in range(_T)])
        scale = np.exp(rng.uniform(-2, 1, (_T, n, 1)))
        if rng.random() < 0.5:
            perms = np.broadcast_to(np.eye(n, k=-1), perms.shape)
        return perms * scale
    if name == "dense":
        return rng.normal(size=(_T, n, n)) / np.sqrt(n)
    raise ValueError(name)


FAMILIES = [
    "diagonal",
    "diagonal_contrast",
    "nearly_diagonal",
    "block_diagonal",
    "jordan",
    "rank_deficient",
    "permutation",
    "dense",
]


def _linear_step(s, x):
    return x @ s


_CERT = {}


def _certified_fns(n, dtype):
    key = (n, jnp.dtype(dtype).name)
    if key not in _CERT:
        s0 = jnp.zeros(n, dtype)
        _CERT[key] = (
            s0,
            jax.jit(lambda xs: jac.log_norms_to_last(_linear_step, s0, xs)),
            jax.jit(lambda xs: jac.log_norms_from_first(_linear_step, s0, xs)),
            jax.jit(lambda xs: jac.all_pairs_log_norms(_linear_step, s0, xs, chunks=3)),
        )
    return _CERT[key]


def _reference_all_pairs(xs: np.ndarray) -> np.ndarray:
    """L[k, t] = log ‖X_k ... X_{t+1}‖₂ in float64 by plain products and the SVD (-inf if zero)."""
    T, n = xs.shape[0], xs.shape[1]
    out = np.full((T + 1, T + 1), np.nan)
    for t in range(T + 1):
        p, log_scale = np.eye(n), 0.0
        out[t, t] = 0.0
        for k in range(t + 1, T + 1):
            p = xs[k - 1] @ p
            scale = np.abs(p).max()
            if scale == 0:
                out[k:, t] = -np.inf
                break
            p, log_scale = p / scale, log_scale + np.log(scale)
            out[k, t] = log_scale + np.log(np.linalg.norm(p, 2))
    return out


@hypothesis.settings(max_examples=30, deadline=None, derandomize=True)
@hypothesis.given(
    family=st.sampled_from(FAMILIES),
    n=st.sampled_from([3, 64]),  # one compilation per (n, dtype); n = 1 (scalars) left out for time
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_certified_norms_match_the_svd_on_hard_families(family, n, dtype, seed):
    """Issue #13: every spectral norm is exact or certified, also for diagonal, nearly diagonal,
    block-diagonal, non-normal, rank-deficient and permutation-like Jacobians, n = 3 and 64."""
    xs = _family(family, n, np.random.default_rng(seed)).astype(dtype)
    ref = _reference_all_pairs(xs.astype(np.float64))
    tol = 1e-9 if dtype == "float64" else 2e-4
    with jax.enable_x64(dtype == "float64"):
        _, to_last, from_first, all_pairs = _certified_fns(n, jnp.dtype(dtype))
        ours = {
            "to_last": (np.asarray(to_last(jnp.asarray(xs))), ref[_T, :]),
            "from_first": (np.asarray(from_first(jnp.asarray(xs))), ref[:, 0]),
            "all_pairs": (np.asarray(all_pairs(jnp.asarray(xs))), ref),
        }
    for name, (got, want) in ours.items():
        # -inf exactly where the product is exactly zero, and nowhere else.
        np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want), err_msg=name)
        finite = np.isfinite(want)
        assert np.all(np.isfinite(got[finite])), name
        np.testing.assert_allclose(got[finite], want[finite], rtol=tol, atol=tol, err_msg=name)


def test_certified_norms_of_a_nearly_flat_spectrum():
    """The flat-spectrum case ``_subspace_step`` names: Jacobians Q₁·diag(s)·Q₂ (Q random orthogonal,
    s within ±5% of one scale), n = 128 in float32, so every product has 128 nearly equal singular
    values and ‖m‖_F² ≈ 128 σ₁². The part outside a block of 8 or 16 vectors keeps γ near
    ‖m‖_F² − ‖mV‖_F² ≫ θ₁, so the 2×2 bound cannot certify; no column or row norm reaches σ₁ either,
    so the first lower bound is not exact. The values must still be exact (by the other bounds or
    the SVD)."""
    n, T = 128, 10
    rng = np.random.default_rng(7)
    orth = lambda: np.linalg.qr(rng.normal(size=(n, n)))[0]
    xs = np.stack([orth() * rng.uniform(0.95, 1.05, n) @ orth() for _ in range(T)])
    xs = (xs * np.exp(rng.uniform(-0.5, 0.5, (T, 1, 1)))).astype(np.float32)
    ref = _reference_all_pairs(xs.astype(np.float64))
    s0 = jnp.zeros(n, jnp.float32)
    got = {
        "to_last": (jac.log_norms_to_last(_linear_step, s0, jnp.asarray(xs)), ref[T, :]),
        "all_pairs": (jac.all_pairs_log_norms(_linear_step, s0, jnp.asarray(xs)), ref),
    }
    for name, (ours, want) in got.items():
        finite = np.isfinite(want)
        np.testing.assert_allclose(np.asarray(ours)[finite], want[finite], rtol=2e-4, atol=2e-4,
                                   err_msg=name)  # fmt: skip


def test_a_stack_iterated_a_few_matrices_at_a_time_matches_the_whole_stack(x64, monkeypatch):
    """Matrices still iterating are gathered ``slots`` at a time: each one's certified σ₁ is the
    same, up to rounding, whichever others share its steps (slots 1, 5, the default 64 on a stack
    of 72, the whole stack), it matches the SVD, and the iterations do the certifying: the same
    matrices are left to the SVD at every slot count, fewer the more steps are allowed."""
    rng = np.random.default_rng(3)
    stack = []
    for name in FAMILIES:  # products of 1-12 steps of every hard family, peak entry 1
        xs = _family(name, 16, rng)
        for length in (1, 3, 12):
            p = np.linalg.multi_dot([np.eye(16), *xs[:length]])
            stack.append(p / max(np.abs(p).max(), 1e-300))
    m = jnp.asarray(np.stack(stack * 3))  # 72 matrices: more than the default 64 slots
    v = jnp.broadcast_to(jac._start_block(16, F64, 4), (m.shape[0], 4, 16))
    exact_where, to_svd = jac._exact_where, []

    def counting(m, value, bad, chunk=16):
        to_svd.append(np.asarray(bad))
        return exact_where(m, value, bad, chunk)

    monkeypatch.setattr(jac, "_exact_where", counting)
    svd = np.linalg.norm(np.asarray(m), 2, axis=(-2, -1))
    left = {}
    for max_iters in (0, 2, 100):
        got = []
        for slots in (1, 5, 64, 1000):
            kw = {} if slots == 64 else {"slots": slots}
            got.append(
                np.asarray(jac._certified_spectral(m, v, tol=1e-12, max_iters=max_iters, **kw)[0])
            )
            np.testing.assert_array_equal(to_svd[-1], to_svd[0])
            np.testing.assert_allclose(got[-1], got[0], rtol=1e-14)
        np.testing.assert_allclose(got[0], svd, rtol=1e-11)
        left[max_iters] = int(to_svd[-1].sum())
        to_svd.clear()
    assert left[100] < left[2] < left[0] <= m.shape[0]


def test_diagonal_chain_of_ten_thousand_steps_whose_dominant_axis_switches():
    """The issue's counter-example (n = 32, float32): per-unit rates that drift slowly, so the
    largest entry of ∂s_T/∂s_t moves from unit to unit. The previous engine was wrong at 388 of
    1001 lags, 132 of them -inf, where the exact log-norm is log max_i ∏ rate_i >= -179."""
    rng = np.random.default_rng(0)
    n, T = 32, 1000
    base, phase = rng.uniform(0.3, 1.0, n), rng.uniform(0, 2 * np.pi, n)
    period = 200 + 37 * np.arange(n)
    rates = base * (0.85 + 0.15 * np.sin(2 * np.pi * np.arange(T)[:, None] / period + phase))
    rates = rates.astype(np.float32)
    step = lambda s, x: x * s
    s0 = jnp.ones(n, jnp.float32)
    ours = np.asarray(jax.jit(lambda s, xs: jac.log_norms_to_last(step, s, xs))(s0, rates))
    logs = np.log(rates.astype(np.float64))
    exact = np.max(np.cumsum(logs[::-1], axis=0)[::-1], axis=1)  # log max_i ∏_{u>t} rate_i(u)
    np.testing.assert_allclose(ours, np.append(exact, 0.0), atol=1e-3)
    ours = np.asarray(jax.jit(lambda s, xs: jac.log_norms_from_first(step, s, xs))(s0, rates))
    np.testing.assert_allclose(ours[1:], np.max(np.cumsum(logs, axis=0), axis=1), atol=1e-3)


def _linear_cell(n, radius, dtype, seed=0):
    cell = cells.SimpleRNN(
        n,
        activation="linear",
        use_bias=False,
        param_dtype=dtype,
        recurrent_init=inits.orthogonal(radius),
    )
    params = cell.init(jax.random.key(seed), cell.initialize_carry(), jnp.zeros(1, dtype))
    return cell, params


def test_linear_recurrence_grows_as_the_spectral_radius(x64):
    """P13 §2.1, linear case: with W = 1.1·Q (Q orthogonal), ‖∂x_k/∂x_t‖ = 1.1^(k-t) exactly."""
    cell, params = _linear_cell(6, 1.1, F64)
    xs = jnp.zeros((50, 1), F64)
    to_last = jac.log_norms_to_last(cells.step_fn(cell, params), cell.initialize_carry(), xs)
    np.testing.assert_allclose(to_last, (50 - np.arange(51)) * np.log(1.1), atol=1e-10)


def test_ten_thousand_steps_in_float32_are_finite_and_match_float64():
    """Plain float32 products over- or underflow at T = 10,000; the log-scale engine does not."""
    T = 10_000
    # Expanding linear map: the exact answer is (T - t)·log 1.05, about 488 at t = 0.
    cell, params = _linear_cell(8, 1.05, jnp.float32)
    xs = jnp.zeros((T, 1), jnp.float32)
    step = cells.step_fn(cell, params)
    ours = np.asarray(
        jax.jit(lambda c, xs: jac.log_norms_to_last(step, c, xs))(cell.initialize_carry(), xs)
    )
    exact = (T - np.arange(T + 1)) * np.log(1.05)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, exact, rtol=1e-4, atol=1e-3)
    w = np.asarray(params["params"]["W_rec"], np.float32)
    plain = np.eye(8, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(T):
            plain = plain @ w
    assert not np.all(np.isfinite(plain))  # what the log scale avoids

    # Contracting tanh RNN driven by inputs: compare with an independent float64 numpy loop.
    n = 8
    cell = cells.SimpleRNN(
        n, recurrent_init=inits.scaled_to_spectral_radius(inits.normal(1.0), 0.9)
    )
    xs = jax.random.normal(jax.random.key(1), (T, 2), jnp.float32)
    params = cell.init(jax.random.key(2), cell.initialize_carry(), xs[0])
    step = cells.step_fn(cell, params)
    ours = np.asarray(
        jax.jit(lambda c, xs: jac.log_norms_to_last(step, c, xs))(cell.initialize_carry(), xs)
    )
    p = {k: np.asarray(v, np.float64) for k, v in params["params"].items()}
    h, hs = np.zeros(n), []
    for x in np.asarray(xs, np.float64):
        h = np.tanh(p["W_rec"] @ h + p["W_in"] @ x + p["b"])
        hs.append(h)
    m, log_scale, ref = np.eye(n), 0.0, [0.0]
    for t in range(T - 1, -1, -1):  # ∂h_T/∂h_t = ∂h_T/∂h_{t+1} · diag(1 - h_{t+1}²) W_rec
        m = m @ (np.diag(1 - hs[t] ** 2) @ p["W_rec"])
        scale = np.abs(m).max()
        m, log_scale = m / scale, log_scale + np.log(scale)
        ref.append(log_scale + np.log(np.linalg.norm(m, 2)))
    ref = np.asarray(ref[::-1])
    assert ref[0] < -500  # far below float32's smallest number: the plain product is 0
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-2)


def test_log_singular_values_match_svd(x64):
    step, carry, xs = _setup("gru", T=9)
    prods = jac.products_to_last(step, carry, xs)
    ours = jac.log_singular_values(prods)
    ref = np.log(np.linalg.svd(np.asarray(prods.value()), compute_uv=False))
    np.testing.assert_allclose(ours, ref, atol=1e-9)


def test_temporal_components_match_gradient_wrt_perturbed_states(x64):
    """P13 eq. 4: ‖∂E/∂s_t‖ = ‖∂E/∂s_T · ∂s_T/∂s_t‖, against autodiff w.r.t. zero perturbations."""
    step, carry, xs = _setup("lstm", T=12)
    f, s0, unravel = jac.flatten_step(step, carry)

    def loss(c):
        return jnp.sum(jnp.sin(jax.flatten_util.ravel_pytree(c)[0]))

    def perturbed(eps):
        s = s0 + eps[0]
        for t in range(12):
            s = f(s, xs[t]) + eps[t + 1]
        return loss(unravel(s))

    grads = jax.grad(perturbed)(jnp.zeros((13, s0.shape[0]), F64))
    ref = np.log(np.linalg.norm(np.asarray(grads), axis=1))
    np.testing.assert_allclose(jac.temporal_components(step, carry, xs, loss), ref, atol=1e-10)


def test_bad_input_raises_value_error_naming_the_argument(x64):
    step, carry, xs = _setup("rnn_tanh")
    with pytest.raises(ValueError, match="xs"):
        jac.log_norms_to_last(step, carry, xs[:0])
    with pytest.raises(ValueError, match="carry"):
        jac.log_norms_to_last(step, jnp.zeros(3), xs)
    with pytest.raises(ValueError, match="rows"):
        jac.products_to_last(step, carry, xs, rows="h")
    with pytest.raises(ValueError, match="cols"):
        jac.products_to_last(step, carry, xs, cols=[0, 99])
    with pytest.raises(ValueError, match="norm"):
        jac.log_norms_to_last(step, carry, xs, norm="nuclear")
    with pytest.raises(ValueError, match=r"xs: step_fn fails on xs\[0\]"):
        jac.log_norms_to_last(step, carry, xs[:, 0])  # 1-D: no input axis
    with pytest.raises(ValueError, match=r"xs: step_fn fails on xs\[0\]"):
        jac.log_norms_to_last(step, carry, jnp.concatenate([xs, xs], axis=1))  # too wide
    with pytest.raises(ValueError, match="rows=.*block names or indices, not both"):
        jac.products_to_last(step, carry, xs, rows=["h", 3])
    with pytest.raises(ValueError, match="loss_fn: must return a scalar"):
        jac.temporal_components(step, carry, xs, lambda c: c)


def test_engine_is_jittable_and_traced_once(x64):
    step, carry, xs = _setup("rnn_tanh")
    traces = []

    @jax.jit
    def run(c, xs):
        traces.append(1)
        return jac.log_norms_to_last(step, c, xs)

    a = run(carry, xs)
    b = run(carry, xs + 1.0)
    assert len(traces) == 1 and a.shape == b.shape == (xs.shape[0] + 1,)


def test_gradient_is_the_sum_of_temporal_contributions(x64):
    """P13-EQ (eqs. 3-5): ∂E/∂W_rec = Σ_t Σ_{k<=t} ∂E_t/∂x_t · ∂x_t/∂x_k · ∂⁺x_k/∂W_rec, with the
    products ∂x_t/∂x_k from our engine; a 5-unit tanh RNN, T = 8, against autodiff to 1e-6."""
    n, T = 5, 8
    cell = cells.SimpleRNN(n, param_dtype=F64, recurrent_init=inits.normal(0.6))
    xs = jax.random.normal(jax.random.key(0), (T, 2), F64)
    targets = jax.random.normal(jax.random.key(1), (T, n), F64)
    params = cell.init(jax.random.key(2), cell.initialize_carry(), xs[0])

    def total_loss(p):
        _, hs = cells.run(cell, p, xs)
        return 0.5 * jnp.sum((hs - targets) ** 2)  # E = Σ_t E_t

    auto = jax.grad(total_loss)(params)["params"]["W_rec"]
    step = cells.step_fn(cell, params)
    states = jac.trajectory(step, cell.initialize_carry(), xs)  # x_0 .. x_T

    def immediate(w, k):  # ∂⁺x_k/∂W_rec: x_{k-1} held constant
        p = {"params": {**params["params"], "W_rec": w}}
        return cell.apply(p, states[k - 1], xs[k - 1])[0]

    w = params["params"]["W_rec"]
    total = np.zeros((n, n))
    for t in range(1, T + 1):
        de_dx = np.asarray(states[t] - targets[t - 1])  # ∂E_t/∂x_t
        prods = jac.products_to_last(step, cell.initialize_carry(), xs[:t]).value()
        for k in range(1, t + 1):
            dx = np.eye(n) if k == t else np.asarray(prods[k])  # ∂x_t/∂x_k
            total += np.einsum("i,ij,jab->ab", de_dx, dx, np.asarray(jax.jacrev(immediate)(w, k)))
    np.testing.assert_allclose(total, auto, rtol=1e-6, atol=1e-12)
