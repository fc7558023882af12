"""The exact Jacobian engine: how much a state at step t influences the state at step k.

Everything takes a user's ``step_fn(carry, x) -> carry`` with any pytree carry. The carry is flattened
to a state vector s (``jax.flatten_util.ravel_pytree``) of size n; states are s_0 (the initial carry)
... s_T, and the per-step Jacobian is J_t = ∂s_t/∂s_{t-1} (t = 1..T). The products are

    ∂s_k/∂s_t = J_k J_{k-1} ... J_{t+1}        (P13 eq. 5; the identity when k = t).

They under- or overflow quickly (‖J‖ < 1 for a contracting RNN), so every product is kept in log scale:
a mantissa renormalised after each step times exp(log_scale). Nothing here is approximated: products
are exact up to floating point; spectral norms come from a warm-started subspace iteration run to a
tolerance (block subspace iteration, checked against the SVD in the tests) or, with ``norm="svd"``, from the SVD itself.

Blocks: ``state_blocks(carry)`` names the pieces of the flat state (for ``LSTMState`` they are "c" and
"h"); ``rows=`` / ``cols=`` select a block of a product, e.g. ∂h_k/∂h_t is ``rows="h", cols="h"`` —
the block of the full product, not a product of blocks.

References:
  R. Pascanu, T. Mikolov, Y. Bengio. On the difficulty of training RNNs. ICML 2013, eqs. 3-7.
  Y. Bengio, P. Simard, P. Frasconi. Learning long-term dependencies with gradient descent is
    difficult. IEEE TNN 5(2), 1994.
  G. Benettin et al. (1980); the QR method for Lyapunov exponents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

__all__ = [
    "LogScaled",
    "all_pairs_log_norms",
    "flatten_step",
    "log_norms_from_first",
    "log_norms_to_last",
    "log_singular_values",
    "lyapunov_exponents",
    "products_from_first",
    "products_to_last",
    "state_blocks",
    "step_jacobians",
    "temporal_components",
    "trajectory",
]

StepFn = Callable[[Any, Any], Any]
Selector = str | Sequence[str] | Sequence[int] | np.ndarray | None
NORMS = ("spectral", "svd", "frobenius")


class LogScaled(NamedTuple):
    """Matrices stored as ``mantissa * exp(log_scale)``: mantissa (..., r, c), log_scale (...)."""

    mantissa: jax.Array
    log_scale: jax.Array

    def value(self) -> jax.Array:
        """The plain matrices (may under- or overflow: that is why this class exists)."""
        return self.mantissa * jnp.exp(self.log_scale)[..., None, None]


# ----------------------------------------------------------------------------- flattening


def flatten_step(step_fn: StepFn, carry) -> tuple[Callable, jax.Array, Callable]:
    """Flat form ``f(s, x) -> s`` of ``step_fn`` around ``carry``.

    Returns:
      (f, s0, unravel): the flat step, the flat initial state (n,), and the inverse of the flattening.

    Raises:
      ValueError: ``carry`` is empty or ``step_fn`` returns a carry of another structure or shape.
    """
    s0, unravel = ravel_pytree(carry)
    if s0.size == 0:
        raise ValueError("carry: empty pytree; the state must have at least one entry")

    def f(s, x):
        return ravel_pytree(step_fn(unravel(s), x))[0]

    return f, s0, unravel


def _check_inputs(f, s0, xs) -> int:
    leaves = jax.tree_util.tree_leaves(xs)
    if not leaves or leaves[0].ndim == 0 or leaves[0].shape[0] <= 0:
        got = None if not leaves else leaves[0].shape
        raise ValueError(f"xs: leading (time) axis of shape {got}: T must be >= 1")
    x0 = jax.tree_util.tree_map(lambda a: a[0], xs)
    out = jax.eval_shape(f, s0, x0)
    if out.shape != s0.shape:
        raise ValueError(
            f"carry: step_fn maps a state of size {s0.shape[0]} to one of size "
            f"{out.shape[0]}; the carry does not match the cell"
        )
    return leaves[0].shape[0]


def trajectory(step_fn: StepFn, carry, xs) -> jax.Array:
    """Flat states s_0 ... s_T, shape (T+1, n), for inputs ``xs`` with leading time axis T."""
    f, s0, _ = flatten_step(step_fn, carry)
    _check_inputs(f, s0, xs)
    _, ss = jax.lax.scan(lambda s, x: (f(s, x), f(s, x)), s0, xs)
    return jnp.concatenate([s0[None], ss])


def state_blocks(carry) -> dict[str, np.ndarray]:
    """Names of the pieces of the flat state and their indices.

    A leaf's name is its pytree path joined with "." (``LSTMState`` gives "c" and "h"; a dict
    ``{"s": .., "y": ..}`` gives "s" and "y"); an array carry is one block named "state".
    """
    leaves = jax.tree_util.tree_flatten_with_path(carry)[0]
    blocks, start = {}, 0
    for path, leaf in leaves:
        name = ".".join(_key_name(k) for k in path) or "state"
        size = int(np.size(leaf))
        blocks[name] = np.arange(start, start + size)
        start += size
    return blocks


def _key_name(k) -> str:
    for attr in ("name", "key", "idx"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def _indices(sel: Selector, blocks: dict[str, np.ndarray], n: int, arg: str) -> np.ndarray:
    if sel is None:
        return np.arange(n)
    names = [sel] if isinstance(sel, str) else list(sel)
    if names and all(isinstance(s, str) for s in names):
        unknown = [s for s in names if s not in blocks]
        if unknown:
            raise ValueError(f"{arg}={sel!r}: unknown block; the carry has {sorted(blocks)}")
        return np.concatenate([blocks[s] for s in names])
    idx = np.asarray(sel, dtype=int).reshape(-1)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"{arg}: indices must lie in [0, {n}), got {sel!r}")
    return idx


def _setup(step_fn, carry, xs, rows, cols):
    f, s0, _ = flatten_step(step_fn, carry)
    T = _check_inputs(f, s0, xs)
    blocks = state_blocks(carry)
    n = s0.shape[0]
    return f, s0, T, _indices(rows, blocks, n, "rows"), _indices(cols, blocks, n, "cols")


# ----------------------------------------------------------------------------- per-step Jacobians


def step_jacobians(step_fn: StepFn, carry, xs) -> jax.Array:
    """All per-step Jacobians J_t = ∂s_t/∂s_{t-1} with ``jax.jacrev``, vmapped over time.

    Returns:
      (T, n, n) array; element [t-1] is J_t.
    """
    f, s0, _ = flatten_step(step_fn, carry)
    states = trajectory(step_fn, carry, xs)
    return jax.vmap(jax.jacrev(f))(states[:-1], xs)


# ----------------------------------------------------------------------------- log-scale helpers


def _renormalise(m: jax.Array, log_scale: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Divide each (r, c) matrix of a stack by its largest |entry| and carry the log of it."""
    scale = jnp.max(jnp.abs(m), axis=(-2, -1))
    ok = scale > 0
    safe = jnp.where(ok, scale, 1.0)
    # An exactly-zero product stays zero, with log-scale -inf.
    return m / safe[..., None, None], log_scale + jnp.where(ok, jnp.log(safe), -jnp.inf)


def _normalise(v: jax.Array) -> jax.Array:
    nv = jnp.linalg.norm(v, axis=-1, keepdims=True)
    return v / jnp.where(nv > 0, nv, 1.0)


def _default_tol(dtype) -> float:
    # Estimated relative error of σ² (see _subspace_norm), a few hundred ulps.
    return 1e-14 if jnp.dtype(dtype) == jnp.float64 else 1e-7


def _orthonormalise(w: jax.Array) -> jax.Array:
    """Orthonormal columns of (..., c, p) by modified Gram-Schmidt, twice (stable for small p).

    A column that is (to rounding) in the span of the previous ones becomes 0 rather than normalised
    noise, so a rank-deficient block (e.g. a truncated LSTM's zero columns) stays orthonormal.
    """
    eps = 64 * jnp.finfo(w.dtype).eps
    cols = []
    for i in range(w.shape[-1]):
        x = w[..., i]
        before = jnp.linalg.norm(x, axis=-1, keepdims=True)
        for _ in range(2):
            for q in cols:
                x = x - jnp.sum(q * x, axis=-1, keepdims=True) * q
        x = jnp.where(jnp.linalg.norm(x, axis=-1, keepdims=True) > eps * before, x, 0.0)
        cols.append(_normalise(x))
    return jnp.stack(cols, axis=-1)


def _subspace_norm(m: jax.Array, v: jax.Array, *, tol: float, max_iters: int):
    """Largest singular value of each matrix in ``m`` (..., r, c) by block subspace iteration.

    ``v`` (..., c, p) is the warm start: the top right singular subspace of the previous, similar
    matrix. Each iteration forms b = m v and the Rayleigh-Ritz pair (θ, y) of bᵀb (θ = σ² estimate,
    u = v y its vector), then maps v to orth(mᵀb). It converges at rate (σ_{p+1}/σ_1)² per iteration,
    so up to p nearly equal top singular values do not slow it. It stops when the estimated relative
    error of θ, ‖mᵀm u - θ u‖² / (θ · gap) with the gap to the next Ritz value, is ≤ ``tol`` for
    every matrix (the residual needs no extra product with m), or after ``max_iters`` iterations.
    A well-separated top value therefore stops after one iteration from a good warm start.

    Returns:
      (σ_1 (...), the new warm subspace (..., c, p)).
    """

    def iterate(v):
        b = jnp.einsum("...rc,...cp->...rp", m, v)
        thetas, ys = jnp.linalg.eigh(jnp.einsum("...rp,...rq->...pq", b, b))
        theta, y = thetas[..., -1], ys[..., -1]
        w = jnp.einsum("...rc,...rp->...cp", m, b)
        resid = jnp.einsum("...cp,...p->...c", w, y) - theta[..., None] * jnp.einsum(
            "...cp,...p->...c", v, y
        )
        res2 = jnp.sum(resid * resid, axis=-1)
        # Estimated relative error of θ (the a-posteriori estimate ‖r‖²/gap): residual² over θ times
        # the gap to the next Ritz value, the gap floored at sqrt(eps)·θ. A cluster closer than
        # that is worth at most sqrt(eps) relative error, and needs no more iterations.
        gap = theta - (thetas[..., -2] if thetas.shape[-1] > 1 else 0.0)
        safe = jnp.where(theta > 0, theta, 1.0)
        floor = safe * float(np.sqrt(jnp.finfo(m.dtype).eps))
        err = res2 / (safe * jnp.maximum(gap, floor))
        return _orthonormalise(w), theta, jnp.max(jnp.where(theta > 0, err, 0.0))

    def body(state):
        v, _, _, i = state
        v, theta, rel = iterate(v)
        return v, theta, rel, i + 1

    def cond(state):
        return (state[2] > tol) & (state[3] < max_iters)

    v, theta, rel = iterate(v)
    v, theta, _, _ = jax.lax.while_loop(cond, body, (v, theta, rel, 1))
    return jnp.sqrt(jnp.maximum(theta, 0.0)), v


def _log_norm(m, log_scale, v, norm, tol, max_iters):
    """log ‖m·exp(log_scale)‖ for a stack of matrices; returns (log-norms, new warm vector)."""
    if norm == "frobenius":
        val = jnp.linalg.norm(m, axis=(-2, -1))
    elif norm == "svd":
        val = jnp.linalg.norm(m, ord=2, axis=(-2, -1))
    else:
        val, v = _subspace_norm(m, v, tol=tol, max_iters=max_iters)
    return jnp.where(val > 0, jnp.log(jnp.where(val > 0, val, 1.0)), -jnp.inf) + log_scale, v


def _check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"norm={norm!r}: must be one of {list(NORMS)}")


def _start_block(size: int, dtype, block: int = 8) -> jax.Array:
    """A fixed generic (size, p) start for the subspace iteration, p = min(size, block).

    Random rather than structured: a structured start (e.g. unit vectors) can miss the top subspace.
    """
    return _orthonormalise(jax.random.normal(jax.random.key(0), (size, min(size, block)), dtype))


# ----------------------------------------------------------------------------- chains


def _run_chain(step_fn, carry, xs, rows, cols, *, forward: bool, emit, init_aux):
    """Scan the products of one chain, matrix-free, renormalised after every step.

    forward=False: P_{t-1} = P_t J_t by vmapped ``jax.vjp`` (rows of P are cotangents), from
    P_T = I[rows]; ``emit`` sees the block p[:, cols] of ∂s_T/∂s_{t-1}, for t = T..1.
    forward=True: Q_k = J_k Q_{k-1} by vmapped ``jax.jvp`` (columns are tangents), from
    Q_0 = I[:, cols]; ``emit`` sees the block q[rows] of ∂s_k/∂s_0, for k = 1..T.

    Args:
      emit: ``emit(block, log_scale, aux) -> (aux, out)``, called after each step.
      init_aux: ``init_aux(identity block) -> aux``, the initial ``aux``.

    Returns:
      (the identity block, outputs in time order: t = 0..T-1 backward, k = 1..T forward).
    """
    f, _, _, rows, cols = _setup(step_fn, carry, xs, rows, cols)
    states = trajectory(step_fn, carry, xs)
    eye = jnp.eye(states.shape[1], dtype=states.dtype)
    if forward:
        m0, select = eye[:, cols], lambda m: m[rows]

        def apply(m, s_prev, x):
            tangent = lambda col: jax.jvp(lambda s: f(s, x), (s_prev,), (col,))[1]
            return jax.vmap(tangent, in_axes=1, out_axes=1)(m)
    else:
        m0, select = eye[rows], lambda m: m[:, cols]

        def apply(m, s_prev, x):
            _, vjp = jax.vjp(lambda s: f(s, x), s_prev)
            return jax.vmap(lambda row: vjp(row)[0])(m)

    def step(state, inp):
        m, ls, aux = state
        m, ls = _renormalise(apply(m, *inp), ls)
        aux, out = emit(select(m), ls, aux)
        return (m, ls, aux), out

    init = (m0, jnp.zeros((), states.dtype), init_aux(select(m0)))
    _, out = jax.lax.scan(step, init, (states[:-1], xs), reverse=not forward)
    return select(m0), out


def _products(step_fn, carry, xs, rows, cols, forward):
    _, (m, ls) = _run_chain(
        step_fn,
        carry,
        xs,
        rows,
        cols,
        forward=forward,
        emit=lambda b, ls, aux: (aux, (b, ls)),
        init_aux=lambda b: None,
    )
    return LogScaled(m, ls)


def _chain_log_norms(step_fn, carry, xs, rows, cols, norm, tol, max_iters, forward):
    _check_norm(norm)
    dtype = ravel_pytree(carry)[0].dtype
    tol = _default_tol(dtype) if tol is None else tol
    # The singular vector that converges along a chain is on the side it does not grow on: the
    # right one (cols) for products growing on the left (from the start), else the left one.
    orient = (lambda b: b) if forward else (lambda b: b.T)

    def emit(block, ls, v):
        lognorm, v = _log_norm(orient(block), ls, v, norm, tol, max_iters)
        return v, lognorm

    def init_aux(block):
        return _start_block(orient(block).shape[-1], dtype)

    ident, out = _run_chain(
        step_fn, carry, xs, rows, cols, forward=forward, emit=emit, init_aux=init_aux
    )
    zero = jnp.zeros((), dtype)
    ends, _ = _log_norm(orient(ident), zero, init_aux(ident), norm, tol, max_iters)
    return jnp.concatenate([ends[None], out] if forward else [out, ends[None]])


def products_to_last(
    step_fn: StepFn, carry, xs, *, rows: Selector = None, cols: Selector = None
) -> LogScaled:
    """∂s_T/∂s_t for every t = 0..T-1, as a block (rows, cols), in log scale.

    Matrix-free: the cotangent matrix is carried back through ``jax.vjp`` of each step (no
    per-step Jacobian is formed), renormalised after every step.

    Returns:
      LogScaled with mantissa (T, r, c) and log_scale (T,); element [t] is ∂s_T/∂s_t.
    """
    return _products(step_fn, carry, xs, rows, cols, forward=False)


def products_from_first(
    step_fn: StepFn, carry, xs, *, rows: Selector = None, cols: Selector = None
) -> LogScaled:
    """∂s_k/∂s_0 for every k = 1..T, as a block (rows, cols), in log scale (matrix-free, jvp).

    Returns:
      LogScaled with mantissa (T, r, c) and log_scale (T,); element [k-1] is ∂s_k/∂s_0.
    """
    return _products(step_fn, carry, xs, rows, cols, forward=True)


def log_norms_to_last(
    step_fn: StepFn,
    carry,
    xs,
    *,
    rows: Selector = None,
    cols: Selector = None,
    norm: str = "spectral",
    tol: float | None = None,
    max_iters: int = 200,
) -> jax.Array:
    """log ‖∂s_T/∂s_t‖ for t = 0..T (the last entry, t = T, is the norm of the identity block).

    Memory is O(n² + T n): products are not stored, so T = 10,000 and beyond is fine.

    Args:
      step_fn, carry, xs: the recurrence, its initial carry and inputs (time axis first).
      rows, cols: block of the product (see ``state_blocks``); default the whole state.
      norm: "spectral" (‖·‖₂ by warm-started subspace iteration to ``tol``), "svd" (‖·‖₂ by SVD),
        or "frobenius".
      tol: estimated relative error of σ² at which the subspace iteration stops (default 1e-14
        float64, 1e-7 float32).
      max_iters: cap on subspace iterations per step.

    Returns:
      (T+1,) natural-log norms, -inf where the block is exactly zero.
    """
    return _chain_log_norms(step_fn, carry, xs, rows, cols, norm, tol, max_iters, forward=False)


def log_norms_from_first(
    step_fn: StepFn,
    carry,
    xs,
    *,
    rows: Selector = None,
    cols: Selector = None,
    norm: str = "spectral",
    tol: float | None = None,
    max_iters: int = 200,
) -> jax.Array:
    """log ‖∂s_k/∂s_0‖ for k = 0..T (k = 0 is the identity block). Arguments as ``log_norms_to_last``."""
    return _chain_log_norms(step_fn, carry, xs, rows, cols, norm, tol, max_iters, forward=True)


# ----------------------------------------------------------------------------- all pairs


def _lag_chunks(T: int, chunks: int) -> list[tuple[int, int]]:
    """Split lags 1..T into ``chunks`` ranges [a, b), longer where fewer start times remain."""
    chunks = max(1, min(chunks, T))
    # Equal areas of the triangle {(d, t): t <= T - d}: boundaries at T(1 - sqrt(1 - i/chunks)).
    edges = sorted({1 + int(round(T * (1 - np.sqrt(1 - i / chunks)))) for i in range(chunks)})
    edges = [e for e in edges if e <= T] + [T + 1]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=False) if b > a]


def all_pairs_log_norms(
    step_fn: StepFn,
    carry,
    xs,
    *,
    rows: Selector = None,
    cols: Selector = None,
    norm: str = "spectral",
    tol: float | None = None,
    max_iters: int = 200,
    chunks: int = 8,
    block: int = 4,
) -> jax.Array:
    """The lower-triangular matrix L[k, t] = log ‖∂s_k/∂s_t‖ for all 0 <= t <= k <= T.

    The per-step Jacobians are formed once (``step_jacobians``); then a scan over the lag d = k - t
    carries the products for every start time t at once (a batch of matrix products per lag), each
    renormalised, with a subspace iteration warm-started from the previous lag. The batch shrinks in
    ``chunks`` stages as fewer start times remain, so little of the T²/2 products' work is wasted.
    ``block`` is the width of the warm subspace per pair (2: a closed-form Ritz value; the batched
    norms then cost about one matrix product per lag).

    Returns:
      (T+1, T+1) array: L[k, t] for k >= t, NaN above the diagonal.
    """
    _check_norm(norm)
    f, _, T, rows, cols = _setup(step_fn, carry, xs, rows, cols)
    jacs = step_jacobians(step_fn, carry, xs)  # (T, n, n)
    dtype = jacs.dtype
    tol = _default_tol(dtype) if tol is None else tol
    n = jacs.shape[1]
    plan = _lag_chunks(T, chunks)
    pad = max(b - a for a, b in plan)
    jacs = jnp.concatenate([jacs, jnp.zeros((pad, n, n), dtype)])

    eye = jnp.eye(n, dtype=dtype)[:, cols]
    diag, v_first = _log_norm(
        eye[rows], jnp.zeros((), dtype), _start_block(len(cols), dtype, block), norm, tol, max_iters
    )
    q = jnp.broadcast_to(eye, (T + 1, n, len(cols)))  # products for start times t = 0..T
    ls = jnp.zeros((T + 1,), dtype)
    v = jnp.broadcast_to(v_first, (T + 1, *v_first.shape))
    by_lag = [jnp.full((T + 1,), diag, dtype)]  # by_lag[d][t] = L[t + d, t]
    for a, b in plan:
        size = T - a + 1  # start times t = 0..T-a are valid at lag a
        q, ls, v = q[:size], ls[:size], v[:size]

        def step(carry, d, size=size):
            q, ls, v = carry
            j = jax.lax.dynamic_slice_in_dim(jacs, d - 1, size)  # J_{t+d} for t = 0..size-1
            q, ls = _renormalise(jnp.einsum("tij,tjc->tic", j, q), ls)
            lognorm, v = _log_norm(q[:, rows], ls, v, norm, tol, max_iters)
            return (q, ls, v), lognorm

        (q, ls, v), out = jax.lax.scan(step, (q, ls, v), jnp.arange(a, b))
        by_lag.append(jnp.pad(out, ((0, 0), (0, T + 1 - size)), constant_values=jnp.nan))
    by_lag = jnp.concatenate([by_lag[0][None], *by_lag[1:]])  # (T+1 lags, T+1 starts)
    k, t = np.meshgrid(np.arange(T + 1), np.arange(T + 1), indexing="ij")
    lag = np.where(k >= t, k - t, 0)
    return jnp.where(k >= t, by_lag[lag, t], jnp.nan)


# ----------------------------------------------------------------------------- spectra


def log_singular_values(products: LogScaled) -> jax.Array:
    """log singular values of log-scaled matrices, (..., min(r, c)), largest first."""
    sv = jnp.linalg.svd(products.mantissa, compute_uv=False)
    with jax.numpy_dtype_promotion("standard"):
        return jnp.log(sv) + products.log_scale[..., None]


def lyapunov_exponents(step_fn: StepFn, carry, xs, *, k: int | None = None) -> jax.Array:
    """The k largest Lyapunov exponents (per step, natural log) by the QR method.

    Q_0 = I[:, :k];  J_t Q_{t-1} = Q_t R_t;  λ_i = (1/T) Σ_t log |R_t[i, i]|.  Matrix-free (jvp).

    Returns:
      (k,) exponents, sorted in decreasing order.
    """
    f, s0, T = _setup(step_fn, carry, xs, None, None)[:3]
    n = s0.shape[0]
    k = n if k is None else k
    if not isinstance(k, int) or not 0 < k <= n:
        raise ValueError(f"k={k!r}: must be an integer in [1, {n}]")
    states = trajectory(step_fn, carry, xs)

    def step(carry, inp):
        q, acc = carry
        s_prev, x = inp
        z = jax.vmap(
            lambda col: jax.jvp(lambda s: f(s, x), (s_prev,), (col,))[1], in_axes=1, out_axes=1
        )(q)
        q, r = jnp.linalg.qr(z)
        return (q, acc + jnp.log(jnp.abs(jnp.diagonal(r)))), None

    q0 = jnp.eye(n, k, dtype=states.dtype)
    (_, acc), _ = jax.lax.scan(step, (q0, jnp.zeros((k,), states.dtype)), (states[:-1], xs))
    return jnp.sort(acc / T)[::-1]


# ----------------------------------------------------------------------------- loss gradients


def temporal_components(
    step_fn: StepFn, carry, xs, loss_fn: Callable[[Any], jax.Array]
) -> jax.Array:
    """How much of a loss gradient reaches each step: log ‖∂E/∂s_T · ∂s_T/∂s_t‖ for t = 0..T.

    E = ``loss_fn(final carry)``. The row vector ∂E/∂s_t is carried back with ``jax.vjp`` of each
    step and renormalised, so the result stays finite at any T (P13 eq. 4's temporal components).

    Returns:
      (T+1,) natural-log norms; the last entry is log ‖∂E/∂s_T‖.
    """
    f, _, unravel = flatten_step(step_fn, carry)
    states = trajectory(step_fn, carry, xs)  # also validates xs and the carry
    g_T = jax.grad(lambda s: loss_fn(unravel(s)))(states[-1])  # ∂E/∂s_T, flat

    def step(carry, inp):
        g, ls = carry
        s_prev, x = inp
        _, vjp = jax.vjp(lambda s: f(s, x), s_prev)
        g, ls = _renormalise(vjp(g)[0][None, :], ls)
        g = g[0]
        return (g, ls), jnp.log(jnp.linalg.norm(g)) + ls

    g0, ls0 = _renormalise(g_T[None, :], jnp.zeros((), states.dtype))
    _, out = jax.lax.scan(step, (g0[0], ls0), (states[:-1], xs), reverse=True)
    return jnp.concatenate([out, (jnp.log(jnp.linalg.norm(g0)) + ls0)[None]])
