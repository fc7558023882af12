"""The exact Jacobian engine: how much a state at step t influences the state at step k.

Everything takes a user's ``step_fn(carry, x) -> carry`` with any pytree carry. The carry is flattened
to a state vector s (``jax.flatten_util.ravel_pytree``) of size n; states are s_0 (the initial carry)
... s_T, and the per-step Jacobian is J_t = ∂s_t/∂s_{t-1} (t = 1..T). The products are

    ∂s_k/∂s_t = J_k J_{k-1} ... J_{t+1}        (P13 eq. 5; the identity when k = t).

They under- or overflow quickly (‖J‖ < 1 for a contracting RNN), so every product is kept in log scale:
a mantissa times exp(log_scale), where each row carried back (each column carried forward) keeps its
own log-scale and is renormalised after every step. Products are exact up to floating point. Every
log-norm is a natural log. Spectral norms are exact or certified: a warm-started block subspace
iteration stops only when a rigorous lower and upper bound of σ₁ agree to ``tol`` (see
``_certified_spectral``), and falls back to the SVD for any matrix it cannot certify; ``norm="svd"``
takes the SVD at every step, ``norm="frobenius"`` the cheap upper bound.

Blocks: ``state_blocks(carry)`` names the pieces of the flat state (for ``LSTMState`` they are "c" and
"h"); ``rows=`` / ``cols=`` select a block of a product, e.g. ∂h_k/∂h_t is ``rows="h", cols="h"`` —
the block of the full product, not a product of blocks.

References:
  R. Pascanu, T. Mikolov, Y. Bengio. On the difficulty of training RNNs. ICML 2013, eqs. 3-7.
  Y. Bengio, P. Simard, P. Frasconi. Learning long-term dependencies with gradient descent is
    difficult. IEEE TNN 5(2), 1994.
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
    try:
        out = jax.eval_shape(f, s0, x0)
    except Exception as err:  # noqa: BLE001 (the step's own error, reported in one line)
        shapes = jax.tree_util.tree_map(lambda a: tuple(a.shape), xs)
        last = [line for line in str(err).splitlines() if line.strip()] or [type(err).__name__]
        raise ValueError(
            f"xs: step_fn fails on xs[0] (xs of shape {shapes}; xs[t] is one step's input): "
            f"{last[-1].strip()}"
        ) from None
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
    if any(isinstance(s, str) for s in names) and not all(isinstance(s, str) for s in names):
        raise ValueError(f"{arg}={sel!r}: block names or indices, not both")
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


def _renormalise(m: jax.Array, ls: jax.Array, axis: int) -> tuple[jax.Array, jax.Array]:
    """Divide each line of a stack of matrices by its largest |entry|; add the log of it to ``ls``.

    ``axis=-1`` scales rows (``ls`` of shape (..., r, 1)), ``axis=-2`` columns (``ls`` (..., 1, c)).
    Each row of a product carried back by vjp (each column carried forward by jvp) evolves on its
    own, so each keeps its own scale: a line that is 1e-40 times smaller than another is kept, not
    flushed to zero, and it is exact again if it later becomes the largest. An exactly-zero line
    stays zero, with log-scale -inf.
    """
    scale = jnp.max(jnp.abs(m), axis=axis, keepdims=True)
    ok = scale > 0
    safe = jnp.where(ok, scale, 1.0)
    return m / safe, ls + jnp.where(ok, jnp.log(safe), -jnp.inf)


def _collapse(m: jax.Array, ls: jax.Array, unit_peaks: bool = False) -> tuple[jax.Array, jax.Array]:
    """One log-scale per matrix: (mantissa with largest |entry| 1 up to the rounding of one exp and
    one log, or all 0; log-scale (...)).

    ``ls`` broadcasts against ``m`` (per-row or per-column log-scales). Each line's largest |entry|
    and log-scale give the matrix's scale without scaling ``m`` first, so ``m`` is read twice and
    written once. Lines far below the largest one lose only what rounding relative to the whole
    matrix would lose anyway. ``unit_peaks``: every line with a finite log-scale is known to have
    largest |entry| exactly 1 (whole lines just renormalised), so ``m`` is only scaled.
    """
    axis = -1 if ls.shape[-1] == 1 else -2  # rows (ls (..., r, 1)) or columns (ls (..., 1, c))
    if unit_peaks:
        peak = jnp.ones_like(ls)
    else:
        peak = jnp.max(jnp.abs(m), axis=axis, keepdims=True)
    live = (peak > 0) & jnp.isfinite(ls)
    top = jnp.max(jnp.where(live, ls + jnp.log(jnp.where(live, peak, 1.0)), -jnp.inf),
                  axis=(-2, -1), keepdims=True)  # fmt: skip
    ok = jnp.isfinite(top)
    factor = jnp.where(jnp.isfinite(ls) & ok, jnp.exp(ls - jnp.where(ok, top, 0.0)), 0.0)
    return m * factor, jnp.where(ok, top, -jnp.inf)[..., 0, 0]


def _default_tol(dtype) -> float:
    # Relative width of the certified interval [lower, upper] around σ₁: far above the rounding of
    # the bounds themselves (a few ulps times the size), far below any difference that matters.
    return 1e-12 if jnp.dtype(dtype) == jnp.float64 else 1e-5


def _orthonormalise(w: jax.Array) -> jax.Array:
    """Orthonormal rows (..., p, c) spanning the rows of w (reduced QR; Householder, so any w).

    Where w is rank-deficient, the extra rows are orthonormal directions outside its span: a block
    stays orthonormal, which is all the certified bounds need.
    """
    return _mT(jnp.linalg.qr(_mT(w))[0])


def _mT(a: jax.Array) -> jax.Array:
    return jnp.swapaxes(a, -1, -2)


def _reseed(m: jax.Array, v: jax.Array, col2: jax.Array, row2: jax.Array) -> jax.Array:
    """The warm block ``v`` (..., p, c) (orthonormal rows) with its last rows replaced by two
    directions of ``m``; ``col2``, ``row2``: m's squared column and row norms.

    The unit axis of m's largest column is the top right singular vector when m is diagonal or
    permutation-like; the direction of its largest row is the one of a rank-one m. A warm block
    alone can lose an axis that stayed small for a long time and later becomes the largest (the
    products of diagonal Jacobians, e.g. a forget-gate LSTM's carousel, do exactly that); these two
    seeds are recomputed from m at every step, so no direction that dominates m can be missed.
    """
    p = v.shape[-2]
    col = jnp.argmax(col2, axis=-1)  # (...)
    row = jnp.argmax(row2, axis=-1)
    axis = jax.nn.one_hot(col, v.shape[-1], dtype=v.dtype)
    row_dir = jnp.take_along_axis(m, row[..., None, None], axis=-2)[..., 0, :]
    seeds = jnp.stack([row_dir, axis], axis=-2)[..., : min(2, p - 1) if p > 1 else 0, :]
    return _orthonormalise(jnp.concatenate([v[..., : p - seeds.shape[-2], :], seeds], axis=-2))


def _subspace_step(m: jax.Array, v: jax.Array, fro2: jax.Array):
    """One Rayleigh-Ritz and subspace-iteration step for a stack m (k, r, c), block v (k, p, c).

    Returns (lower bound ‖m u‖ of the top Ritz vector u, upper bound of σ₁ from the 2×2 matrix of
    ``_certified_spectral``, next block orth(VᵀA) with Ritz vectors largest first). The block is
    kept as rows (Vᵀ) and A = mᵀm is applied as (Vᵀmᵀ)m: on the CPU a batched product that
    contracts the leading axis of m is slower. ``fro2``: ‖m‖_F² (k,).

    γ ≥ ‖m(I − VVᵀ)‖² is the squared Frobenius norm of the part outside the block by Pythagoras,
    ‖m‖_F² − ‖mV‖_F², plus a margin for the rounding of both sums and of V's orthonormality
    (4·(r + p)·c units of rounding of ‖m‖_F², above the usual worst-case bounds of both sums and of
    a Householder QR). While γ is below θ₁ the margin moves the bound only through ‖R‖²/(θ₁ − γ);
    for a nearly flat spectrum (‖m‖_F² ≫ σ₁², e.g. above 57 σ₁² for c = 128, p = 16 in float32)
    it alone is above θ₁/2, which costs time (the bound below, or the SVD), never correctness.
    Where γ is above θ₁/2 (a spread spectrum, or many near-equal singular values as in a diagonal
    m), the ‖·‖₁‖·‖_∞ bound of m(I − VVᵀ), exact for diagonal and permutation-like m, is formed as
    well: for the whole stack when any of it needs it (a cond; under ``jax.vmap``, always).
    """
    (r, c), p = m.shape[-2:], v.shape[-2]
    bt = jnp.einsum("kpc,krc->kpr", v, m)  # (mV)ᵀ
    g = jnp.einsum("kpr,kqr->kpq", bt, bt)  # VᵀAV
    thetas, ys = jnp.linalg.eigh(g)
    ys = _mT(ys[..., ::-1])  # rows: Ritz coefficients, largest first
    u1 = jnp.einsum("kp,kpc->kc", ys[:, 0], v)
    mu1 = jnp.einsum("kp,kpr->kr", ys[:, 0], bt)
    u_norm = jnp.linalg.norm(u1, axis=-1)
    low = jnp.linalg.norm(mu1, axis=-1) / jnp.where(u_norm > 0, u_norm, 1.0)
    wt = jnp.einsum("kpr,krc->kpc", bt, m)  # (AV)ᵀ
    eps2 = jnp.sum(jnp.square(wt - g @ v), axis=(-2, -1))
    theta = jnp.maximum(thetas[..., -1], 0.0)
    margin = 4 * (r + p) * c * jnp.finfo(m.dtype).eps * fro2
    gamma = jnp.maximum(fro2 - jnp.trace(g, axis1=-2, axis2=-1), 0.0) + margin
    wide = gamma > 0.5 * theta

    def holder(gamma):
        abs_rest = jnp.abs(m - jnp.einsum("kpr,kpc->krc", bt, v))  # |m(I - VVᵀ)|
        rest = jnp.max(jnp.sum(abs_rest, axis=-2), axis=-1) * jnp.max(
            jnp.sum(abs_rest, axis=-1), axis=-1
        )
        return jnp.where(wide, jnp.minimum(gamma, rest), gamma)

    gamma = jax.lax.cond(jnp.any(wide), holder, lambda gamma: gamma, gamma)
    lam = 0.5 * (theta + gamma) + jnp.sqrt(0.25 * jnp.square(theta - gamma) + eps2)
    return low, jnp.sqrt(lam), _orthonormalise(ys @ wt)


def _certified_spectral(m: jax.Array, v: jax.Array, *, tol: float, max_iters: int, slots: int = 64):
    """σ₁ of each matrix of the stack ``m`` (..., r, c), certified; every m has max |entry| 1 or is 0.

    Bounds, all rigorous up to the rounding of their own evaluation:
      lower: the largest column and row norms; ‖m u‖ for the top Ritz vector u (‖u‖ = 1);
      upper: ‖m‖_F; √(‖m‖₁‖m‖_∞) (exact for diagonal and permutation-like m); and, for an
        orthonormal block V (c, p) with Ritz values θ₁ ≥ … of A = mᵀm on span V, residual
        R = AV − V(VᵀAV) and γ ≥ ‖m(I − VVᵀ)‖² (``_subspace_step``), the largest eigenvalue of
        [[θ₁, ‖R‖_F], [‖R‖_F, γ]] bounds σ₁²: A = [[B, Eᵀ], [E, C]] in the basis (V, V⊥) with
        ‖B‖ = θ₁, ‖E‖ ≤ ‖R‖, ‖C‖ ≤ γ.
    The block (``v``: Vᵀ, (..., p, c)) starts from the warm ``v``, re-seeded (``_reseed``), and
    each matrix moves by subspace iteration V ← orth(AV) while it is not yet certified
    (upper ≤ lower·(1 + tol)) and its interval still narrows (by 10% an iteration), at most
    ``max_iters`` times. In a stack of more than ``slots`` matrices those still iterating are
    gathered ``slots`` at a time, so a few slow matrices do not make the whole stack iterate. A
    matrix left uncertified gets its σ₁ from the SVD. The value returned is the lower bound:
    within ``tol`` of σ₁.

    Returns:
      (σ₁ (...), the new warm block (..., p, c): Ritz vectors, largest first).
    """
    batch, (r, c), p = m.shape[:-2], m.shape[-2:], v.shape[-2]
    m, v = m.reshape(-1, r, c), jnp.broadcast_to(v, (*batch, p, c)).reshape(-1, p, c)
    size = m.shape[0]
    col2, row2, absm = jnp.sum(m * m, axis=-2), jnp.sum(m * m, axis=-1), jnp.abs(m)
    fro2 = jnp.sum(col2, axis=-1)
    lower = jnp.sqrt(jnp.maximum(jnp.max(col2, axis=-1), jnp.max(row2, axis=-1)))
    holder = jnp.max(jnp.sum(absm, axis=-2), axis=-1) * jnp.max(jnp.sum(absm, axis=-1), axis=-1)
    upper = jnp.sqrt(jnp.minimum(fro2, holder))
    if p >= c:  # the block is the whole space: one Rayleigh-Ritz step is exact
        v = jnp.broadcast_to(jnp.eye(c, dtype=m.dtype), v.shape)
    else:
        v = _reseed(m, v, col2, row2)

    def certified(lo, up):
        return up <= lo * (1 + tol)

    def update(idx, state):
        """One step for the matrices ``idx`` (index ``size`` is an empty slot)."""
        v, lo, up, active, its = state
        take = lambda a: a.at[idx].get(mode="fill", fill_value=0)
        low, high, v_next = _subspace_step(take(m), take(v), take(fro2))
        lo_old, up_old = take(lo), take(up)
        lo_new, up_new = jnp.maximum(lo_old, low), jnp.minimum(up_old, high)
        narrowing = (up_new - lo_new) < 0.9 * (up_old - lo_old)
        its_new = take(its) + 1
        still = narrowing & ~certified(lo_new, up_new) & (its_new < max_iters)
        put = lambda a, x: a.at[idx].set(x, mode="drop")
        return (
            put(v, v_next),
            put(lo, lo_new),
            put(up, up_new),
            put(active, still),
            put(its, its_new),
        )

    def body(state):
        if size <= slots:  # every matrix in every step, the finished ones left as they are
            idx = jnp.where(state[3], jnp.arange(size), size)
        else:
            idx = _first_set(state[3], slots)
        return update(idx, state)

    active = ~certified(lower, upper) & (max_iters > 0)
    state = (v, lower, upper, active, jnp.zeros(size, jnp.int32))
    v, lower, upper, _, _ = jax.lax.while_loop(lambda s: jnp.any(s[3]), body, state)
    value = _exact_where(m, lower, ~certified(lower, upper))
    return value.reshape(batch), v.reshape(*batch, p, c)


def _first_set(flags: jax.Array, slots: int) -> jax.Array:
    """Indices of the first ``slots`` set entries of the 1-D ``flags``, padded with ``len(flags)``:
    an empty slot, which a gather with ``mode="fill"`` reads as 0 and a scatter with
    ``mode="drop"`` ignores."""
    size = flags.shape[0]
    return jnp.nonzero(flags, size=min(slots, size), fill_value=size)[0]


def _exact_where(m: jax.Array, value: jax.Array, bad: jax.Array, chunk: int = 16) -> jax.Array:
    """``value`` with σ₁ of ``m`` from the SVD where ``bad``, the bad matrices gathered ``chunk`` at
    a time. A while loop rather than a select, so that nothing is spent when no matrix is bad (it
    stays so under ``jax.vmap``, where a cond would run both branches). Gathered even when most of
    the stack is bad (short lags of dense products): on the 2-core CPU one SVD call on the whole
    stack, which this took before, was no faster (``bench/results/all_pairs_against_aa0f363.txt``).
    """
    batch = value.shape
    mf = m.reshape(-1, *m.shape[-2:])

    def gather(state):
        vf, bf = state
        idx = _first_set(bf, chunk)
        exact = jnp.linalg.norm(mf.at[idx].get(mode="fill", fill_value=0.0), ord=2, axis=(-2, -1))
        return vf.at[idx].set(exact, mode="drop"), bf.at[idx].set(False, mode="drop")

    state = (value.reshape(-1), bad.reshape(-1))
    return jax.lax.while_loop(lambda s: jnp.any(s[1]), gather, state)[0].reshape(batch)


def _log_norm(m, ls, v, norm, tol, max_iters, unit_peaks=False):
    """log ‖m·exp(ls)‖ for a stack of matrices with line log-scales ``ls``; (log-norms, warm v).

    ``unit_peaks``: every line is whole and was just renormalised (see ``_collapse``)."""
    m, log_scale = _collapse(m, ls, unit_peaks)
    if norm == "frobenius":
        val = jnp.linalg.norm(m, axis=(-2, -1))
    elif norm == "svd":
        val = jnp.linalg.norm(m, ord=2, axis=(-2, -1))
    else:
        val, v = _certified_spectral(m, v, tol=tol, max_iters=max_iters)
    return jnp.where(val > 0, jnp.log(jnp.where(val > 0, val, 1.0)), -jnp.inf) + log_scale, v


def _check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"norm={norm!r}: must be one of {list(NORMS)}")


def _start_block(size: int, dtype, block: int = 8) -> jax.Array:
    """A fixed generic start (p, size) for the subspace iteration (orthonormal rows), p =
    min(size, block).

    Random rather than structured: a structured start (e.g. unit vectors) can miss the top subspace.
    """
    w = jax.random.normal(jax.random.key(0), (size, min(size, block)), dtype)
    return _orthonormalise(_mT(w))


# ----------------------------------------------------------------------------- chains


def _run_chain(step_fn, carry, xs, rows, cols, *, forward: bool, emit, init_aux):
    """Scan the products of one chain, matrix-free, each line renormalised after every step.

    forward=False: P_{t-1} = P_t J_t by vmapped ``jax.vjp`` (rows of P are cotangents, each with its
    own log-scale), from P_T = I[rows]; ``emit`` sees the block p[:, cols] of ∂s_T/∂s_{t-1}, for
    t = T..1. forward=True: Q_k = J_k Q_{k-1} by vmapped ``jax.jvp`` (columns are tangents), from
    Q_0 = I[:, cols]; ``emit`` sees the block q[rows] of ∂s_k/∂s_0, for k = 1..T.

    Args:
      emit: ``emit(block, line_log_scales, aux) -> (aux, out)``, called after each step.
      init_aux: ``init_aux(identity block) -> aux``, the initial ``aux``.

    Returns:
      (emit's output for the identity block, outputs in time order: t = 0..T-1 backward,
      k = 1..T forward).
    """
    f, _, _, rows, cols = _setup(step_fn, carry, xs, rows, cols)
    states = trajectory(step_fn, carry, xs)
    eye = jnp.eye(states.shape[1], dtype=states.dtype)
    if forward:
        m0, select, axis = eye[:, cols], lambda m: m[rows], -2
        ls0 = jnp.zeros((1, len(cols)), states.dtype)

        def apply(m, s_prev, x):
            tangent = lambda col: jax.jvp(lambda s: f(s, x), (s_prev,), (col,))[1]
            return jax.vmap(tangent, in_axes=1, out_axes=1)(m)
    else:
        m0, select, axis = eye[rows], lambda m: m[:, cols], -1
        ls0 = jnp.zeros((len(rows), 1), states.dtype)

        def apply(m, s_prev, x):
            _, vjp = jax.vjp(lambda s: f(s, x), s_prev)
            return jax.vmap(lambda row: vjp(row)[0])(m)

    def step(state, inp):
        m, ls, aux = state
        m, ls = _renormalise(apply(m, *inp), ls, axis)
        aux, out = emit(select(m), ls, aux)
        return (m, ls, aux), out

    aux0, ident = emit(select(m0), ls0, init_aux(select(m0)))
    _, out = jax.lax.scan(step, (m0, ls0, aux0), (states[:-1], xs), reverse=not forward)
    return ident, out


def _products(step_fn, carry, xs, rows, cols, forward):
    ident, (m, ls) = _run_chain(
        step_fn,
        carry,
        xs,
        rows,
        cols,
        forward=forward,
        emit=lambda b, ls, aux: (aux, (b, ls)),
        init_aux=lambda b: None,
    )
    join = lambda first, rest: jnp.concatenate(
        [first[None], rest] if forward else [rest, first[None]]
    )
    whole = _chain_whole_lines(carry, rows, cols, forward)
    # One log-scale per matrix, for the whole stack at once (cheaper than inside the scan).
    return LogScaled(*_collapse(join(ident[0], m), join(ident[1], ls), unit_peaks=whole))


def _whole_lines(carry, sel: Selector, arg: str) -> bool:
    """Whether ``sel`` selects every entry of the state, so that the selected block keeps each line
    of a product whole (each column carried forward: all rows; each row carried back: all
    columns) and each line's peak, just renormalised, is 1."""
    n = ravel_pytree(carry)[0].shape[0]
    return np.unique(_indices(sel, state_blocks(carry), n, arg)).size == n


def _chain_whole_lines(carry, rows: Selector, cols: Selector, forward: bool) -> bool:
    """``_whole_lines`` of a chain's lines: columns carried forward (rows selected), rows carried
    back (cols selected)."""
    return _whole_lines(carry, rows, "rows") if forward else _whole_lines(carry, cols, "cols")


def _chain_log_norms(step_fn, carry, xs, rows, cols, norm, tol, max_iters, forward):
    _check_norm(norm)
    dtype = ravel_pytree(carry)[0].dtype
    tol = _default_tol(dtype) if tol is None else tol
    # The singular vector that converges along a chain is on the side it does not grow on: the
    # right one (cols) for products growing on the left (from the start), else the left one.
    orient = (lambda b: b) if forward else _mT

    whole = _chain_whole_lines(carry, rows, cols, forward)

    def emit(block, ls, v):
        lognorm, v = _log_norm(orient(block), orient(ls), v, norm, tol, max_iters, whole)
        return v, lognorm

    def init_aux(block):
        return _start_block(orient(block).shape[-1], dtype)

    ident, out = _run_chain(
        step_fn, carry, xs, rows, cols, forward=forward, emit=emit, init_aux=init_aux
    )
    return jnp.concatenate([ident[None], out] if forward else [out, ident[None]])


def products_to_last(
    step_fn: StepFn, carry, xs, *, rows: Selector = None, cols: Selector = None
) -> LogScaled:
    """∂s_T/∂s_t for every t = 0..T, as a block (rows, cols), in log scale.

    Matrix-free: the cotangent matrix is carried back through ``jax.vjp`` of each step (no
    per-step Jacobian is formed), each row renormalised after every step.

    Returns:
      LogScaled with mantissa (T+1, r, c) and log_scale (T+1,); element [t] is ∂s_T/∂s_t, the
      same index as ``log_norms_to_last`` (element [T] is the identity block).
    """
    return _products(step_fn, carry, xs, rows, cols, forward=False)


def products_from_first(
    step_fn: StepFn, carry, xs, *, rows: Selector = None, cols: Selector = None
) -> LogScaled:
    """∂s_k/∂s_0 for every k = 0..T, as a block (rows, cols), in log scale (matrix-free, jvp).

    Returns:
      LogScaled with mantissa (T+1, r, c) and log_scale (T+1,); element [k] is ∂s_k/∂s_0, the
      same index as ``log_norms_from_first`` (element [0] is the identity block).
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
    max_iters: int = 100,
) -> jax.Array:
    """Natural log of ‖∂s_T/∂s_t‖ for t = 0..T (entry T is the norm of the identity block).

    Memory is O(n² + T n): products are not stored, so T = 10,000 and beyond is fine.

    Args:
      step_fn, carry, xs: the recurrence, its initial carry and inputs (time axis first).
      rows, cols: block of the product (see ``state_blocks``); default the whole state.
      norm: "spectral" (‖·‖₂, certified: see below), "svd" (‖·‖₂ by the SVD at every step), or
        "frobenius" (an upper bound of ‖·‖₂).
      tol: for "spectral", the relative width of the interval [lower, upper] that must hold σ₁
        before the lower bound is returned (default 1e-12 in float64, 1e-5 in float32); where a
        warm-started subspace iteration cannot certify it, σ₁ comes from the SVD.
      max_iters: cap on subspace iterations per step before falling back to the SVD.

    Returns:
      (T+1,) natural-log norms, -inf only where the block is exactly zero.
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
    max_iters: int = 100,
) -> jax.Array:
    """Natural log of ‖∂s_k/∂s_0‖ for k = 0..T (k = 0: the identity block). Arguments as
    ``log_norms_to_last``."""
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
    max_iters: int = 100,
    chunks: int = 8,
    block: int | None = None,
) -> jax.Array:
    """The lower-triangular matrix L[k, t] = log ‖∂s_k/∂s_t‖ (natural log) for all 0 <= t <= k <= T.

    The per-step Jacobians are formed once (``step_jacobians``); then a scan over the lag d = k - t
    carries the products for every start time t at once (a batch of matrix products per lag), each
    column renormalised, with the certified norm of ``log_norms_to_last`` warm-started from the
    previous lag. The batch shrinks in ``chunks`` stages as fewer start times remain, so little of
    the T²/2 products' work is wasted. ``block`` is the width of the warm subspace per pair; None =
    max(4, c // 8) for c selected columns: a block narrower than a cluster of near-equal singular
    values cannot certify the norm (the SVD is taken instead), and the clusters grow with the state
    (``bench/results/all_pairs_blocks.txt``: 4 and 8 are about as fast for a 64-unit tanh RNN,
    c = 64, and 16 is the fastest for a 64-unit LSTM, c = 128, where 4 takes two thirds longer).

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
    zero = jnp.zeros((1, len(cols)), dtype)
    v0 = _start_block(len(cols), dtype, max(4, len(cols) // 8) if block is None else block)
    diag, v_first = _log_norm(eye[rows], zero, v0, norm, tol, max_iters)
    all_rows = np.array_equal(rows, np.arange(n))
    whole = _whole_lines(carry, rows, "rows")  # every column of a product selected whole
    q = jnp.broadcast_to(eye, (T + 1, n, len(cols)))  # products for start times t = 0..T
    ls = jnp.zeros((T + 1, 1, len(cols)), dtype)  # one log-scale per column
    v = jnp.broadcast_to(v_first, (T + 1, *v_first.shape))
    by_lag = [jnp.full((T + 1,), diag, dtype)]  # by_lag[d][t] = L[t + d, t]
    for a, b in plan:
        size = T - a + 1  # start times t = 0..T-a are valid at lag a
        q, ls, v = q[:size], ls[:size], v[:size]

        def step(carry, d, size=size):
            q, ls, v = carry
            j = jax.lax.dynamic_slice_in_dim(jacs, d - 1, size)  # J_{t+d} for t = 0..size-1
            q, ls = _renormalise(jnp.einsum("tij,tjc->tic", j, q), ls, axis=-2)
            lognorm, v = _log_norm(q if all_rows else q[:, rows], ls, v, norm, tol, max_iters,
                                   whole)  # fmt: skip
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
    loss = jax.eval_shape(lambda s: loss_fn(unravel(s)), states[-1])
    if getattr(loss, "shape", None) != ():
        raise ValueError(f"loss_fn: must return a scalar, got {getattr(loss, 'shape', loss)!r}")
    g_T = jax.grad(lambda s: loss_fn(unravel(s)))(states[-1])  # ∂E/∂s_T, flat

    def lognorm(g, ls):
        nrm = jnp.linalg.norm(g)
        return jnp.where(nrm > 0, jnp.log(jnp.where(nrm > 0, nrm, 1.0)), -jnp.inf) + ls[0, 0]

    def step(carry, inp):
        g, ls = carry
        s_prev, x = inp
        _, vjp = jax.vjp(lambda s: f(s, x), s_prev)
        g, ls = _renormalise(vjp(g[0])[0][None, :], ls, axis=-1)
        return (g, ls), lognorm(g, ls)

    g0, ls0 = _renormalise(g_T[None, :], jnp.zeros((1, 1), states.dtype), axis=-1)
    _, out = jax.lax.scan(step, (g0, ls0), (states[:-1], xs), reverse=True)
    return jnp.concatenate([out, lognorm(g0, ls0)[None]])
