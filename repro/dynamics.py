"""Dynamics of a recurrent map: fixed and slow points, and Lyapunov spectra.

Everything takes a user's ``step_fn(carry, x) -> carry`` with any pytree carry, flattened to a state
vector s of size n as in ``repro.jacobians`` (f(s, x) is the flat step, J(s) = ∂f/∂s).

Fixed points. For a constant input x*, the speed q(s) = ½‖f(s, x*) − s‖² is minimised from many
starts (BFGS), then each minimum is polished by Newton's method on f(s, x*) − s = 0 (Sussillo &
Barak 2013). A minimum with q = 0 is a fixed point; one with q > 0 is a slow point, e.g. the ghost
of a saddle-node bifurcation (P13 §2.2, Fig. 3), where the state lingers but does not stay. The
eigenvalues of J at a fixed point say whether it attracts (all |λ| < 1), as the latch of B94 §III
needs: a unit that stores a bit has two attractors, and gradients vanish inside their basins.

Lyapunov exponents. The average log-rates at which the map stretches tangent vectors along a
trajectory, λ_1 ≥ λ_2 ≥ ..., by the QR method: Q_0 orthonormal (n, k); J_t Q_{t-1} = Q_t R_t;
λ_i = (1/T) Σ_t log |R_t[i, i]|. At an attracting fixed point they are the log |eigenvalues| of J.

References:
  D. Sussillo, O. Barak. Opening the black box: low-dimensional dynamics in high-dimensional
    recurrent neural networks. Neural Computation 25(3), 2013.
  G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn. Lyapunov characteristic exponents for
    smooth dynamical systems. Meccanica 15, 1980.
  Y. Bengio, P. Simard, P. Frasconi. Learning long-term dependencies with gradient descent is
    difficult. IEEE TNN 5(2), 1994. §III (information latching).
  R. Pascanu, T. Mikolov, Y. Bengio. On the difficulty of training RNNs. ICML 2013. §2.2.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from repro.jacobians import flatten_step

__all__ = ["FixedPoints", "deduplicate", "fixed_points", "lyapunov_exponents"]

StepFn = Callable[[Any, Any], Any]

# Newton converges quadratically from a minimiser's point; more steps than this mean it is not
# converging (a slow point: I - J is singular there).
_NEWTON_STEPS = 50


class FixedPoints(NamedTuple):
    """Fixed and slow points found from N starts; every field has leading axis N.

    points: (N, n) flat states.
    carries: the same points as carries (the ``carry`` pytree, each leaf with leading axis N).
    q: (N,) speed ½‖f(s, x*) − s‖² at each point.
    converged: (N,) bool, the minimiser met its tolerance, or stopped where ‖∇q‖ = ‖(J − I)ᵀr‖
      is at most ``tol`` × ‖r‖ (r = f(s) − s: the residual is in the null space of (J − I)ᵀ, a
      slow point; there rounding can stall BFGS's line search before its own test passes), or
      Newton polished the point.
    fixed: (N,) bool, q <= q_tol (a fixed point); False is a slow point (a minimum of q > 0, or a
      start that did not converge).
    jacobians: (N, n, n) J = ∂f/∂s at each point.
    eigenvalues: (N, n) complex eigenvalues of J, sorted by modulus, largest first.
    """

    points: jax.Array
    carries: Any
    q: jax.Array
    converged: jax.Array
    fixed: jax.Array
    jacobians: jax.Array
    eigenvalues: jax.Array

    @property
    def stable(self) -> jax.Array:
        """(N,) bool: every eigenvalue has modulus < 1 (the point attracts nearby states)."""
        return jnp.abs(self.eigenvalues[:, 0]) < 1

    def take(self, index) -> FixedPoints:
        """The points selected by ``index`` (integer indices or an (N,) bool mask), e.g.
        ``fps.take(fps.fixed)``."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return _take(self, index)


@jax.jit
def _take(tree, index):
    # One compilation for all leaves; eager indexing would compile a gather per leaf shape.
    return jax.tree_util.tree_map(lambda a: a[index], tree)


# ----------------------------------------------------------------------------- validation


def _positive_finite(name: str, value) -> None:
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name}={value!r}: must be a finite real number > 0")


def _positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r}: must be an integer >= 1")


def _check_step(f, s0, x) -> None:
    out = jax.eval_shape(f, s0, x)
    if out.shape != s0.shape:
        raise ValueError(
            f"carry: step_fn maps a state of size {s0.shape[0]} to one of size "
            f"{out.shape[0]}; the carry does not match the cell"
        )


def _flat_inits(inits, carry, n: int, dtype) -> jax.Array:
    """``inits`` as (N, n): either already flat, or a pytree like ``carry`` with a leading axis."""
    leaves, like = jax.tree_util.tree_leaves(inits), jax.tree_util.tree_leaves(carry)
    same_tree = jax.tree_util.tree_structure(inits) == jax.tree_util.tree_structure(carry)
    if same_tree and all(
        np.ndim(a) == np.ndim(c) + 1 and np.shape(a)[1:] == np.shape(c)
        for a, c in zip(leaves, like, strict=True)
    ):
        sizes = sorted({np.shape(a)[0] for a in leaves})
        if len(sizes) != 1:
            raise ValueError(f"inits: leaves have different leading axes {sizes}; must be one N")
        flat = jnp.concatenate(
            [jnp.reshape(a, (sizes[0], np.size(c))) for a, c in zip(leaves, like, strict=True)],
            axis=1,
        )  # (N, n), in ravel_pytree's order
    elif len(leaves) == 1 and np.ndim(leaves[0]) == 2 and np.shape(leaves[0])[1] == n:
        flat = jnp.asarray(leaves[0])
    else:
        shapes = jax.tree_util.tree_map(np.shape, inits)
        raise ValueError(
            f"inits: shapes {shapes}; must be (N, {n}) flat states (n = {n}, the size of the "
            "flattened carry) or a pytree like carry with a leading axis N"
        )
    if flat.shape[0] == 0:
        raise ValueError(f"inits: shape {flat.shape}: needs at least one initial state (N >= 1)")
    return flat.astype(dtype)


def _hashable(step_fn: StepFn) -> StepFn:
    """``step_fn`` as a static jit argument: an unhashable callable is wrapped (hashed by
    identity), so it works but compiles anew on each call."""
    try:
        hash(step_fn)
    except TypeError:
        return functools.partial(step_fn)
    return step_fn


def _defaults(dtype) -> tuple[float, float]:
    """(solver tolerance, q tolerance): ‖f(s) − s‖ ~ 1e-5 (float32) or 1e-10 (float64) is fixed."""
    if jnp.finfo(dtype).bits >= 64:
        return 1e-10, 1e-20
    return 1e-6, 1e-10


# ----------------------------------------------------------------------------- fixed points


def fixed_points(
    step_fn: StepFn,
    carry,
    x,
    inits,
    *,
    q_tol: float | None = None,
    tol: float | None = None,
    max_steps: int = 1_000,
    polish_radius: float = 0.1,
) -> FixedPoints:
    """Fixed and slow points of s ↦ f(s, x) for a constant input ``x``, from many starts.

    From each start, minimise q(s) = ½‖f(s, x) − s‖² with ``optimistix.BFGS``, then polish with
    ``optimistix.Newton`` on f(s, x) − s = 0; both run under ``jax.vmap`` over the starts. Newton's
    point is kept only if it converged, lowered q and moved by at most ``polish_radius`` (max-norm):
    at a slow point I − J is singular (∇q = (J − I)ᵀ(f − s) = 0 with f ≠ s), and Newton jumps to a
    far fixed point or diverges. The calls compile once per ``step_fn`` object, shapes and options:
    a new ``x`` (e.g. another bias as input) reuses the compilation.

    Args:
      step_fn: ``step(carry, x) -> carry``.
      carry: a carry of the right structure (its values are not used; it fixes shapes and dtype).
      x: the constant input, as for one step.
      inits: starts, (N, n) flat states or a pytree like ``carry`` with leading axis N.
      q_tol: a point is "fixed" when q <= q_tol, else "slow"; default 1e-10 in float32 and 1e-20
        in float64 (‖f(s) − s‖ ≈ 1.4e-5 and 1.4e-10).
      tol: ``rtol`` and ``atol`` of both solvers; default 1e-6 in float32, 1e-10 in float64.
      max_steps: the minimiser's step budget per start.
      polish_radius: the largest move (max-norm, state units) accepted from Newton.

    Returns:
      ``FixedPoints``, one row per start, in the order of ``inits``.

    Raises:
      ValueError: ``inits`` is empty or not of n entries per state, ``carry`` does not match
        ``step_fn``, or a tolerance or budget is not a finite positive number.
    """
    f, s0, _ = flatten_step(step_fn, carry)
    n = s0.shape[0]
    _check_step(f, s0, x)
    default_tol, default_q_tol = _defaults(s0.dtype)
    tol = default_tol if tol is None else tol
    q_tol = default_q_tol if q_tol is None else q_tol
    _positive_finite("tol", tol)
    _positive_finite("q_tol", q_tol)
    _positive_finite("polish_radius", polish_radius)
    _positive_int("max_steps", max_steps)
    starts = _flat_inits(inits, carry, n, s0.dtype)
    return _fixed_points(
        _hashable(step_fn),
        carry,
        x,
        starts,
        q_tol=float(q_tol),
        tol=float(tol),
        max_steps=max_steps,
        polish_radius=float(polish_radius),
    )


@functools.partial(
    jax.jit, static_argnames=("step_fn", "q_tol", "tol", "max_steps", "polish_radius")
)
def _fixed_points(step_fn, carry, x, starts, *, q_tol, tol, max_steps, polish_radius):
    f, _, unravel = flatten_step(step_fn, carry)

    def residual(s, x):
        return f(s, x) - s

    def speed(s, x):
        r = residual(s, x)
        return 0.5 * jnp.dot(r, r)

    minimiser = optx.BFGS(rtol=tol, atol=tol)
    newton = optx.Newton(rtol=tol, atol=tol)

    def one(start):
        low = optx.minimise(speed, minimiser, start, args=x, max_steps=max_steps, throw=False)
        s_min, q_min = low.value, speed(low.value, x)
        root = optx.root_find(residual, newton, s_min, args=x, max_steps=_NEWTON_STEPS, throw=False)
        s_new, q_new = root.value, speed(root.value, x)
        polished = (
            (root.result == optx.RESULTS.successful)
            & jnp.all(jnp.isfinite(s_new))
            & (q_new <= q_min)
            & (jnp.max(jnp.abs(s_new - s_min)) <= polish_radius)
        )
        # a stationary point of q with f ≠ s: (J − I)ᵀ r = 0, measured against ‖r‖ (scale-free)
        r_min = residual(s_min, x)
        stalled = jnp.linalg.norm(jax.grad(speed)(s_min, x)) <= tol * jnp.linalg.norm(r_min)
        converged = (low.result == optx.RESULTS.successful) | stalled | polished
        return jnp.where(polished, s_new, s_min), jnp.where(polished, q_new, q_min), converged

    points, q, converged = jax.vmap(one)(starts)
    jacobians = jax.vmap(jax.jacrev(f), in_axes=(0, None))(points, x)  # (N, n, n)
    eigenvalues = jnp.linalg.eigvals(jacobians)
    order = jnp.argsort(-jnp.abs(eigenvalues), axis=-1, stable=True)
    return FixedPoints(
        points=points,
        carries=jax.vmap(unravel)(points),
        q=q,
        converged=converged,
        fixed=q <= q_tol,
        jacobians=jacobians,
        eigenvalues=jnp.take_along_axis(eigenvalues, order, axis=-1),
    )


def deduplicate(points: FixedPoints, *, tol: float = 1e-3) -> FixedPoints:
    """One representative of each group of points closer than ``tol`` (max-norm, state units).

    Greedy, lowest q first: a point is kept unless a kept point lies within ``tol``. Filter
    first to keep only fixed points: ``deduplicate(fps.take(fps.fixed))``.

    Returns:
      ``FixedPoints`` of the kept points, lowest q first.

    Raises:
      ValueError: ``tol`` is not a finite positive number.
    """
    _positive_finite("tol", tol)
    s = np.asarray(points.points)
    kept: list[int] = []
    for i in np.argsort(np.asarray(points.q), kind="stable"):
        if not kept or np.min(np.max(np.abs(s[kept] - s[i]), axis=1)) > tol:
            kept.append(int(i))
    return points.take(np.asarray(kept, dtype=int))


# ----------------------------------------------------------------------------- Lyapunov spectra


def lyapunov_exponents(step_fn: StepFn, carry, xs, *, k: int | None = None, trace: bool = False):
    """The k largest Lyapunov exponents (natural log, per step) by the QR method (Benettin 1980).

    Q_0 (n, k) orthonormal;  J_t Q_{t-1} = Q_t R_t;  λ_i = (1/T) Σ_t log |R_t[i, i]|, with
    J_t = ∂s_t/∂s_{t-1} applied matrix-free: ``jax.jvp`` vmapped over the k columns, inside
    ``lax.scan``. Q_0 is the first k columns of a fixed random orthogonal matrix, not of I: the
    span of e_1..e_k can miss the leading directions (a diagonal map whose largest rate is at
    index n) and then never finds them. Since QR orthonormalises column by column, the k columns
    follow exactly the path of the first k columns of the full (k = n) computation: the top-k
    estimate equals the first k of the full spectrum up to rounding.

    Args:
      step_fn: ``step(carry, x) -> carry``.
      carry: the initial carry s_0.
      xs: inputs with leading time axis T.
      k: how many exponents, an integer in [1, n]; default n.
      trace: also return the running estimate after every step.

    Returns:
      (k,) exponents, largest first; with ``trace=True`` the pair (exponents, running) where
      running[t - 1] = (1/t) Σ_{u<=t} log |R_u[i, i]| (T, k), in the same column order, so
      running[-1] equals the exponents.

    Raises:
      ValueError: ``k`` is not an integer in [1, n], ``xs`` has no time steps, or ``carry`` does
        not match ``step_fn``.
    """
    f, s0, _ = flatten_step(step_fn, carry)
    n = s0.shape[0]
    k = n if k is None else k
    if not isinstance(k, int) or isinstance(k, bool) or not 0 < k <= n:
        raise ValueError(f"k={k!r}: must be an integer in [1, {n}] (n, the size of the state)")
    if not isinstance(trace, bool):
        raise ValueError(f"trace={trace!r}: must be True or False")
    leaves = jax.tree_util.tree_leaves(xs)
    if not leaves or np.ndim(leaves[0]) == 0 or np.shape(leaves[0])[0] <= 0:
        got = np.shape(leaves[0]) if leaves else None
        raise ValueError(f"xs: leading (time) axis of shape {got}: T must be >= 1")
    _check_step(f, s0, jax.tree_util.tree_map(lambda a: a[0], xs))
    exponents, running = _lyapunov(_hashable(step_fn), carry, xs, k=k)
    return (exponents, running) if trace else exponents


@functools.partial(jax.jit, static_argnames=("step_fn", "k"))
def _lyapunov(step_fn, carry, xs, *, k):
    f, s0, _ = flatten_step(step_fn, carry)
    n = s0.shape[0]

    def step(state, x):
        s, q, acc, t = state
        g = lambda s: f(s, x)
        # The primal does not depend on the tangent, so it comes out once, unbatched.
        s, z = jax.vmap(lambda v: jax.jvp(g, (s,), (v,)), in_axes=1, out_axes=(None, 1))(q)
        q, r = jnp.linalg.qr(z)  # (n, k), (k, k)
        acc = acc + jnp.log(jnp.abs(jnp.diagonal(r)))
        return (s, q, acc, t + 1), acc / (t + 1)

    q0 = jnp.linalg.qr(jax.random.normal(jax.random.key(0), (n, n), s0.dtype))[0][:, :k]
    init = (s0, q0, jnp.zeros((k,), s0.dtype), jnp.zeros((), s0.dtype))
    _, running = jax.lax.scan(step, init, xs)  # (T, k)
    order = jnp.argsort(-running[-1], stable=True)
    running = running[:, order]
    return running[-1], running
