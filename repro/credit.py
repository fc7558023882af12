"""Credit assignment through time without (only) back-propagation: the six algorithms of B94 §V.

The three small nets of B94 Fig. 4 / BF93 Tables 1–4 (the latch, the 5-unit 2-sequence net and the
7-weight parity net) are written in one form: a state of unit pre-activations x, updated in
``micro`` sub-steps per time step, each sub-step setting some units to a function of the current
activations y = f(x) (tanh, or sign for discrete error propagation), the step's input and the
parameters θ. Parity needs two sub-steps (the hidden unit at t feeds the output at t); the others one.

The update rules, each per trial (trials are a vmapped axis):
- ``bp``: on-line BPTT, one gradient step per sequence.
- ``pn``: pseudo-Newton (B94 eq. 5): Δθ_i = −η Σ_t g_i(t) / (Σ_t c_i(t) + μ).
- ``twpn``: time-weighted pseudo-Newton (B94 eq. 6): Δθ_i = −η Σ_t g_i(t) / (c_i(t) + μ), μ adapted.
  g_i(t) is the gradient through the copy of θ_i used at step t; c_i(t) the diagonal Gauss–Newton
  curvature of Becker & LeCun, carried back by a second reverse scan with squared Jacobians (BL88:
  no cross terms; tested against a hand expansion).
- ``dep``: discrete error propagation (B94 eqs. 7–10) on the same net with sign units.
- ``mgrs``: multi-grid random search (batch).
- ``sa``: simulated annealing, Corana et al.'s algorithm (batch).
Every constant the paper leaves open is a spec Decision and a keyword argument.

References:
  Y. Bengio, P. Simard, P. Frasconi. Learning long-term dependencies with gradient descent is
    difficult. IEEE TNN 5(2):157-166, 1994. §V, eqs. (5)-(10), Fig. 4.
  Y. Bengio, P. Frasconi. Credit assignment through time: alternatives to backpropagation.
    NIPS 6, 1993. §§3-7, Tables 1-4.
  S. Becker, Y. LeCun. Improving the convergence of back-propagation learning with second order
    methods. 1988.
  A. Corana, M. Marchesi, C. Martini, S. Ridella. Minimizing multimodal functions of continuous
    variables with the "simulated annealing" algorithm. ACM TOMS 13(3):262-280, 1987.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "ALGORITHMS",
    "NETS",
    "Net",
    "Sequences",
    "curvature_terms",
    "dep_update",
    "forward",
    "net",
    "signed_request",
]


class Net(NamedTuple):
    """A net in sub-step form: ``pre(θ, y, u, cls, t, k) -> (n,)`` pre-activations of the units
    that sub-step k updates (``updates[k]``); the others keep their x."""

    name: str
    n_units: int
    n_params: int
    micro: int
    output: int
    updates: np.ndarray  # (micro, n_units) bool
    pre: Callable


class Sequences(NamedTuple):
    """A training set: inputs (B, T), lengths (B,), classes (B,) and targets (B,) (±target)."""

    u: jax.Array
    length: jax.Array
    cls: jax.Array
    d: jax.Array


def _latch_pre(theta, y, u, cls, t, k):
    # a_t = w·y_{t−1} + input_t, plus the class's trainable input at t = 1 (z = 1 there only)
    first = jnp.where(t == 1, jnp.where(cls == 1, theta[1], theta[2]), 0.0)
    return jnp.stack([theta[0] * y[0] + u + first])


def _two_seq_pre(theta, y, u, cls, t, k):
    W = theta.reshape(5, 5)  # a_t = W y_{t−1} + u_t e_1, no biases (25 parameters)
    return W @ y + u * jnp.eye(5, dtype=y.dtype)[0]


def _parity_pre(theta, y, u, cls, t, k):
    a1, a2, a3, b1, b2, b3, b4 = (theta[i] for i in range(7))
    h = a1 * u + a2 * y[1] + a3  # sub-step 0: hidden from u_t, y_{t−1}, 1
    o = b1 * u + b2 * y[0] + b3 * y[1] + b4  # sub-step 1: output from u_t, h_t, y_{t−1}, 1
    return jnp.stack([h, o])


NETS = ("latch", "two_sequence", "parity")


def net(name: str, *, output_unit: int = 5) -> Net:
    """The B94 net of a task: "latch" (1 unit, 3 parameters), "two_sequence" (5 units, 25, read
    out at ``output_unit``, 1-based, spec Decision 5) or "parity" (2 units, 7)."""
    if name == "latch":
        return Net(name, 1, 3, 1, 0, np.ones((1, 1), bool), _latch_pre)
    if name == "two_sequence":
        if output_unit not in range(1, 6):
            raise ValueError(f"output_unit={output_unit!r}: must be 1..5")
        return Net(name, 5, 25, 1, output_unit - 1, np.ones((1, 5), bool), _two_seq_pre)
    if name == "parity":
        return Net(name, 2, 7, 2, 1, np.array([[True, False], [False, True]]), _parity_pre)
    raise ValueError(f"net={name!r}: must be one of {list(NETS)}")


# ----------------------------------------------------------------------------- forward


def _sign(x):
    return jnp.where(x >= 0, 1.0, -1.0).astype(x.dtype)  # sign(0) = +1 (spec Decision)


def _sign_from_zero(x):
    """sign, but 0 at a pre-activation of exactly 0: in practice only the initial state x_0 = 0,
    so the threshold net starts, like the tanh net (tanh 0 = 0), from activations 0. With the
    initial activations at +1 (sign(0) = +1) no threshold net of this form computes parity: its
    first step would need the opposite rule of the later ones."""
    return jnp.where(x > 0, 1.0, jnp.where(x < 0, -1.0, 0.0)).astype(x.dtype)


DEP_STARTS = {"zero": _sign_from_zero, "plus": _sign}


def _micro(model: Net, act):
    """One sub-step on the flat sub-step index s: x_new from x (held once t > ℓ)."""
    upd = jnp.asarray(model.updates)

    def step(theta, x, u, cls, t, k, valid):
        new = model.pre(theta, act(x), u, cls, t, k)
        return jnp.where(upd[k] & valid, new, x)

    return step


def _schedule(model: Net, T: int):
    """(t, k) of every sub-step, t 1-based: (T·micro,) each."""
    s = np.arange(T * model.micro)
    return jnp.asarray(s // model.micro + 1), jnp.asarray(s % model.micro)


def forward(model: Net, theta, u, length, cls, *, act=jnp.tanh):
    """States x after every sub-step of one sequence: (T·micro + 1, n), row 0 = 0."""
    step = _micro(model, act)
    ts, ks = _schedule(model, u.shape[0])

    def body(x, inp):
        t, k = inp
        x = step(theta, x, u[t - 1], cls, t, k, t <= length)
        return x, x

    x0 = jnp.zeros(model.n_units, theta.dtype)
    _, xs = jax.lax.scan(body, x0, (ts, ks))
    return jnp.concatenate([x0[None], xs])


def output(model: Net, theta, u, length, cls, *, act=jnp.tanh):
    """y_ℓ of one sequence (the state is held after ℓ, so the last row is step ℓ's)."""
    x = forward(model, theta, u, length, cls, act=act)[-1]
    return act(x[model.output])


def batch_cost(model: Net, theta, data: Sequences, *, act=jnp.tanh):
    """(mean ½(y_ℓ − d)², number wrong: sign(y_ℓ) ≠ sign(d)) over a training set."""
    y = jax.vmap(lambda u, n, c: output(model, theta, u, n, c, act=act))(
        data.u, data.length, data.cls
    )
    return jnp.mean(0.5 * (y - data.d) ** 2), jnp.sum(jnp.sign(y) != jnp.sign(data.d))


# ----------------------------------------------------------------------------- curvature


def _weights(model: Net, theta) -> jax.Array:
    """(micro, n, n) ∂pre/∂y of every sub-step: the weights, since pre is linear in y."""
    y0 = jnp.zeros(model.n_units, theta.dtype)
    jac = lambda k: jax.jacfwd(lambda y: model.pre(theta, y, 0.0, 0, 2, k))(y0)
    return jnp.stack([jac(k) for k in range(model.micro)])


def _param_vjp(model: Net, theta, x_prev, u, cls, ts, ks, cot, act):
    """P_sᵀ cot_s for every sub-step s at once: (S, p), P_s = ∂pre_s/∂θ at y = act(x_prev[s])."""

    def one(x, t, k, v):
        _, vjp = jax.vjp(lambda th: model.pre(th, act(x), u[t - 1], cls, t, k), theta)
        return vjp(v)[0]

    return jax.vmap(one)(x_prev, ts, ks, cot)


def curvature_terms(model: Net, theta, u, length, cls, d):
    """Per-sub-step gradient g(s) = ∂C/∂θ_s and BL88 curvature c(s) of C = ½(y_ℓ − d)², where θ_s
    is the copy of θ used at sub-step s: (S, p) each, S = T·micro.

    δ(s) = ∂C/∂x(s) by BPTT; σ(ℓ) = f'(x_o)² at the output (the (y − d)f'' term dropped) and
    σ(s − 1) = (J_s ∘ J_s)ᵀ σ(s) with J_s = ∂x(s)/∂x(s − 1): squared weights and squared slopes,
    no cross terms. With P_s = ∂x(s)/∂θ_s: g(s) = P_sᵀ δ(s), c(s) = (P_s ∘ P_s)ᵀ σ(s) >= 0. Assumes
    what holds for the three nets: pre-activations linear in the activations (so J_s is the
    weights times the slopes) and a parameter feeding one unit per sub-step.
    """
    ts, ks = _schedule(model, u.shape[0])
    xs = forward(model, theta, u, length, cls)
    f_prime = lambda x: 1 - jnp.tanh(x) ** 2
    x_end = xs[-1]
    e_o = jnp.eye(model.n_units, dtype=theta.dtype)[model.output]
    y = jnp.tanh(x_end[model.output])
    delta = (y - d) * f_prime(x_end[model.output]) * e_o
    sigma = f_prime(x_end[model.output]) ** 2 * e_o

    upd_all = jnp.asarray(model.updates, theta.dtype)
    A = _weights(model, theta)  # (micro, n, n): ∂pre/∂y of each sub-step

    def back(carry, inp):
        delta, sigma = carry
        x_prev, t, k = inp
        upd = upd_all[k] * (t <= length)
        fp = f_prime(x_prev)
        dv, sv = delta * upd, sigma * upd
        delta = fp * (A[k].T @ dv) + delta * (1 - upd)
        sigma = fp * fp * ((A[k] * A[k]).T @ sv) + sigma * (1 - upd)
        return (delta, sigma), (dv, sv)

    _, (dv, sv) = jax.lax.scan(back, (delta, sigma), (xs[:-1], ts, ks), reverse=True)
    # a parameter feeds one unit per sub-step, so P_s has one non-zero per column and
    # (P_s ∘ P_s)ᵀσ = (P_sᵀ√σ)²: both from VJPs, batched over the sub-steps after the scan
    g = _param_vjp(model, theta, xs[:-1], u, cls, ts, ks, dv, jnp.tanh)
    root = _param_vjp(model, theta, xs[:-1], u, cls, ts, ks, jnp.sqrt(sv), jnp.tanh)
    c = root * root
    return g, c


# ----------------------------------------------------------------------------- DEP


def signed_request(key, g, *, low: float = -2.0, high: float = 2.0):
    """B94 eq. (10): a discrete request S(g) ∈ {−2, +2}, P(+2) = (g − low)/(high − low), g clipped
    to [low, high]; E[S] = g exactly when low = −2 and high = 2 (B94-DEP-E)."""
    return _request(jax.random.uniform(key, jnp.shape(g)), g, low, high)


def _request(r, g, low, high):
    """S(g) from uniforms r in [0, 1): +2 where r < (clip(g) − low)/(high − low), else −2."""
    return jnp.where(r < (jnp.clip(g, low, high) - low) / (high - low), 2.0, -2.0)


def dep_update(
    model: Net, theta, u, length, cls, d, key, *, eps=0.1, lr=0.01, low=-2.0, high=2.0, start="zero"
):
    """Discrete error propagation on one sequence (B94 eqs. 7–10, spec §2.5 Decision): Δθ.

    Units are sign thresholds. If the output's sign is wrong, request the flip Δy = 2·sign(d). A
    requested flip of a unit at pre-activation x costs Δx = ±ε − x and sends e = 1/Δx; θ moves by
    lr·e·z (z the unit's inputs), and each source activation collects g = Σ w·e over every unit that
    reads it, which becomes the request S(g) when the reverse pass reaches the sub-step that set it
    — kept only if it flips that unit. ``start``: the activations before a unit's first update are
    0 ("zero") or sign(0) = +1 ("plus"; see ``_sign_from_zero``).
    """
    act = DEP_STARTS[start]
    ts, ks = _schedule(model, u.shape[0])
    xs = forward(model, theta, u, length, cls, act=act)
    upd_all = jnp.asarray(model.updates)
    A = _weights(model, theta)  # ∂x_j/∂y_i of each sub-step
    n = model.n_units
    x_o = xs[-1][model.output]
    first = jnp.where(_sign(x_o) != jnp.sign(d), 1.0 / (jnp.sign(d) * eps - x_o), 0.0)
    is_out = jnp.arange(n) == model.output
    draws = jax.random.uniform(key, (ts.shape[0], n))  # one uniform per unit and sub-step

    def back(carry, inp):
        G, fresh = carry
        x_new, t, k, r = inp
        upd = upd_all[k] & (t <= length)
        S = _request(r, G, low, high)  # eq. (10)
        flips = (G != 0) & (S * _sign(x_new) < 0)
        e = jnp.where(flips, 1.0 / (jnp.sign(S) * eps - x_new), 0.0)
        out_now = fresh & upd[model.output]
        e = jnp.where(upd, jnp.where(is_out & out_now, first, e), 0.0)
        G = jnp.where(upd, 0.0, G) + A[k].T @ e  # Σ_j w_ji e_j to each source activation
        return (G, fresh & ~out_now), e

    init = (jnp.zeros(n, theta.dtype), jnp.bool_(True))
    _, e = jax.lax.scan(back, init, (xs[1:], ts, ks, draws), reverse=True)
    dtheta = lr * _param_vjp(model, theta, xs[:-1], u, cls, ts, ks, e, act).sum(0)  # lr·e_j·z_i
    return dtheta


# ----------------------------------------------------------------------------- the trials


class Result(NamedTuple):
    theta: jax.Array  # final parameters (batch methods: the best point)
    presentations: jax.Array  # sequences presented until stopping
    stop: jax.Array  # 0 learned, 1 stuck, 2 budget
    errors: jax.Array  # final training errors (of the method's own net: sign units for DEP)
    cost: jax.Array  # final mean training cost


class _Stuck(NamedTuple):
    recent: jax.Array  # (4,) the last recorded costs (inf until filled)
    best: jax.Array


def _stuck_push(s: _Stuck, cost, eps, best=None):
    """Record a cost; stuck when the last N_ε = 4 differ by <= ε and all lie within ε of the best
    (the recorded costs' best, or ``best`` where the caller knows a lower one)."""
    recent = jnp.concatenate([s.recent[1:], cost[None]])
    best = jnp.minimum(s.best, cost) if best is None else jnp.minimum(best, cost)
    stuck = (jnp.max(recent) - jnp.min(recent) <= eps) & jnp.all(recent - best <= eps)
    return _Stuck(recent, best), stuck & jnp.all(jnp.isfinite(recent))


def _online(
    model: Net, rule: str, data: Sequences, theta0, key, *, budget: int, hp: dict
) -> Result:
    """BP, PN, TWPN or DEP: epochs of one update per sequence (reshuffled every epoch), a
    monitoring pass after each (not counted), stopping when learned, stuck or over budget."""
    B = data.u.shape[0]
    act = DEP_STARTS[hp["start"]] if rule == "dep" else jnp.tanh
    epochs = budget // B

    def update(theta, mu_v, i, k):
        u, length, cls, d = data.u[i], data.length[i], data.cls[i], data.d[i]
        if rule == "bp":
            loss = lambda th: 0.5 * (output(model, th, u, length, cls) - d) ** 2
            return theta - hp["lr"] * jax.grad(loss)(theta), mu_v
        if rule == "dep":
            dth = dep_update(model, theta, u, length, cls, d, k, eps=hp["eps"], lr=hp["lr"],
                             low=hp["low"], high=hp["high"], start=hp["start"])  # fmt: skip
            return theta + dth, mu_v
        g, c = curvature_terms(model, theta, u, length, cls, d)
        if rule == "pn":
            return theta - hp["lr"] * g.sum(0) / (c.sum(0) + hp["mu"]), mu_v
        mu, v = mu_v  # twpn: μ adapted so that max |Δθ| stays in [lo, hi], momentum on ln μ
        step = -hp["lr"] * jnp.sum(g / (c + mu), axis=0)
        m = jnp.max(jnp.abs(step))
        err = jnp.where(m > hp["hi"], jnp.log(m / hp["hi"]),
                        jnp.where(m < hp["lo"], jnp.log(jnp.maximum(m, 1e-30) / hp["lo"]), 0.0))  # fmt: skip
        step = jnp.where(m > hp["hi"], step * hp["hi"] / m, step)
        v = hp["momentum"] * v + err
        mu = jnp.clip(jnp.exp(jnp.log(mu) + v), 1e-8, 1e8)
        return theta + step, (mu, v)

    def epoch_fn(carry):
        theta, mu_v, e, stuck_s, done, stop = carry
        k = jax.random.fold_in(key, e)
        order = jax.random.permutation(k, B)
        keys = jax.random.split(jax.random.fold_in(k, 1), B)

        def one(c, ik):
            th, mv = c
            return update(th, mv, *ik), None

        (theta, mu_v), _ = jax.lax.scan(one, (theta, mu_v), (order, keys))
        cost, wrong = batch_cost(model, theta, data, act=act)
        stuck_s, stuck = _stuck_push(stuck_s, cost, hp["stuck_eps"])
        learned = wrong == 0
        finite = jnp.all(jnp.isfinite(theta))
        stop = jnp.where(learned, 0, jnp.where(stuck | ~finite, 1, 2))
        done = learned | stuck | ~finite
        return theta, mu_v, e + 1, stuck_s, done, stop

    cost0, wrong0 = batch_cost(model, theta0, data, act=act)
    mu_v0 = (jnp.asarray(hp.get("mu", 0.01), theta0.dtype), jnp.zeros((), theta0.dtype))
    init = (theta0, mu_v0, jnp.int32(0), _Stuck(jnp.full(4, jnp.inf, theta0.dtype), cost0),
            wrong0 == 0, jnp.int32(0))  # fmt: skip
    theta, _, e, _, done, stop = jax.lax.while_loop(
        lambda c: ~c[4] & (c[2] < epochs), epoch_fn, init
    )
    stop = jnp.where(done, stop, 2)
    cost, wrong = batch_cost(model, theta, data, act=act)
    return Result(theta, e * B, stop, wrong, cost)


def _mgrs(model: Net, data: Sequences, theta0, key, *, budget: int, hp: dict) -> Result:
    """Multi-grid random search: a uniform point in the box of half-width r around the best point;
    keep it if it lowers the cost, then re-centre and shrink r by ``shrink``."""
    B = data.u.shape[0]
    evals = budget // B
    cost0, wrong0 = batch_cost(model, theta0, data)

    def body(c):
        best, best_cost, r, i, stuck_s, done, stop, wrong_b = c
        k = jax.random.fold_in(key, i)
        trial = best + r * jax.random.uniform(k, best.shape, best.dtype, -1.0, 1.0)
        cost, wrong = batch_cost(model, trial, data)
        better = cost < best_cost
        stuck_s, stuck = _stuck_push(stuck_s, cost, hp["stuck_eps"])
        best = jnp.where(better, trial, best)
        wrong_b = jnp.where(better, wrong, wrong_b)
        r = jnp.where(better, r * hp["shrink"], r)
        best_cost = jnp.minimum(cost, best_cost)
        learned = wrong == 0
        best = jnp.where(learned, trial, best)
        stop = jnp.where(learned, 0, 1)
        return best, best_cost, r, i + 1, stuck_s, learned | stuck, stop, wrong_b

    init = (theta0, cost0, jnp.full_like(theta0, hp["r0"]), jnp.int32(0),
            _Stuck(jnp.full(4, jnp.inf, theta0.dtype), cost0), wrong0 == 0, jnp.int32(0), wrong0)  # fmt: skip
    best, _, _, i, _, done, stop, _ = jax.lax.while_loop(
        lambda c: ~c[5] & (c[3] < evals), body, init
    )
    cost, wrong = batch_cost(model, best, data)
    return Result(best, i * B, jnp.where(done, stop, 2), wrong, cost)


class _Anneal(NamedTuple):
    """Simulated annealing's state (``_sa``)."""

    x: jax.Array
    fx: jax.Array
    best: jax.Array
    fbest: jax.Array
    v: jax.Array
    accepted: jax.Array  # per coordinate, since the last adjustment
    h: jax.Array  # coordinate of the next move
    cycle: jax.Array  # cycles since the last adjustment
    adjust: jax.Array  # adjustments at this temperature
    temp: jax.Array
    i: jax.Array  # evaluations so far
    stuck_s: _Stuck
    done: jax.Array
    stop: jax.Array


def _corana_steps(v: jax.Array, ratio: jax.Array, c: float) -> jax.Array:
    """Corana's step-size rule: widen v_h where more than 60 % of its moves were accepted, narrow
    it where fewer than 40 % were."""
    return jnp.where(ratio > 0.6, v * (1 + c * (ratio - 0.6) / 0.4),
                     jnp.where(ratio < 0.4, v / (1 + c * (0.4 - ratio) / 0.4), v))  # fmt: skip


def _sa(model: Net, data: Sequences, theta0, key, *, budget: int, hp: dict) -> Result:
    """Simulated annealing after Corana et al. (1987): single-coordinate uniform moves within
    ±v_h, Metropolis acceptance at temperature τ; every N_S cycles v_h is adapted toward 60/40 %
    acceptance; every N_T adjustments τ ← 0.85τ and the search restarts from the best point, whose
    cost is recorded for the stuck rule. One cost evaluation = the training set's B presentations."""
    B = data.u.shape[0]
    n = theta0.shape[0]
    evals = budget // B
    n_t = max(hp["n_t_min"], 5 * n)
    cost0, wrong0 = batch_cost(model, theta0, data)

    def body(s: _Anneal) -> _Anneal:
        k = jax.random.fold_in(key, s.i)
        k_move, k_acc = jax.random.split(k)
        step = jax.random.uniform(k_move, (), s.x.dtype, -1.0, 1.0) * s.v[s.h]
        trial = s.x.at[s.h].add(step)
        f, wrong = batch_cost(model, trial, data)
        accept = (f <= s.fx) | (
            jax.random.uniform(k_acc, (), s.x.dtype) < jnp.exp(-(f - s.fx) / s.temp)
        )
        x = jnp.where(accept, trial, s.x)
        fx = jnp.where(accept, f, s.fx)
        better = f < s.fbest
        best = jnp.where(better, trial, s.best)
        fbest = jnp.minimum(f, s.fbest)
        accepted = s.accepted.at[s.h].add(accept.astype(s.accepted.dtype))
        learned = wrong == 0
        best = jnp.where(learned, trial, best)
        # end of a cycle (every coordinate tried once)
        h = (s.h + 1) % n
        cycle = s.cycle + (h == 0)
        adjust_now = (h == 0) & (cycle == hp["n_s"])
        ratio = accepted / hp["n_s"]
        v = jnp.where(adjust_now, _corana_steps(s.v, ratio, hp["c"]), s.v)
        accepted = jnp.where(adjust_now, 0.0, accepted)
        cycle = jnp.where(adjust_now, 0, cycle)
        adjust = s.adjust + adjust_now
        stage_end = adjust_now & (adjust == n_t)
        # Corana's stop: the stage's final cost (before the restart) against the last N_ε ones
        stuck_s, stuck = _stuck_push(s.stuck_s, fx, hp["stuck_eps"], fbest)
        temp = jnp.where(stage_end, s.temp * hp["cooling"], s.temp)
        adjust = jnp.where(stage_end, 0, adjust)
        x = jnp.where(stage_end, best, x)
        fx = jnp.where(stage_end, fbest, fx)
        stuck_s = jax.tree.map(lambda a, b: jnp.where(stage_end, a, b), stuck_s, s.stuck_s)
        stuck = stuck & stage_end
        stop = jnp.where(learned, 0, 1)
        return _Anneal(x, fx, best, fbest, v, accepted, h, cycle, adjust, temp, s.i + 1, stuck_s,
                       learned | stuck, stop)  # fmt: skip

    dt = theta0.dtype
    init = _Anneal(theta0, cost0, theta0, cost0, jnp.full(n, hp["v0"], dt), jnp.zeros(n, dt),
                   jnp.int32(0), jnp.int32(0), jnp.int32(0), jnp.asarray(hp["t0"], dt),
                   jnp.int32(0), _Stuck(jnp.full(4, jnp.inf, dt), cost0), wrong0 == 0,
                   jnp.int32(0))  # fmt: skip
    s = jax.lax.while_loop(lambda s: ~s.done & (s.i < evals), body, init)
    cost, wrong = batch_cost(model, s.best, data)
    return Result(s.best, s.i * B, jnp.where(s.done, s.stop, 2), wrong, cost)


# The spec's constants (§2.5 Decisions); every one a keyword of ``train``.
DEFAULTS = {
    "bp": {"lr": 0.1},
    "pn": {"lr": 0.01, "mu": 0.01},
    "twpn": {"lr": 0.01, "mu": 0.01, "lo": 0.001, "hi": 0.3, "momentum": 0.8},
    "dep": {"lr": 0.01, "eps": 0.1, "low": -2.0, "high": 2.0, "start": "zero"},
    "mgrs": {"r0": 1.0, "shrink": 0.9},
    "sa": {"t0": 0.1, "v0": 1.0, "n_s": 20, "n_t_min": 100, "c": 2.0, "cooling": 0.85},
}
ALGORITHMS = tuple(DEFAULTS)


def train(model: Net, algorithm: str, data: Sequences, theta0, key, *, budget: int,
          stuck_eps: float = 0.001, **hp) -> Result:  # fmt: skip
    """One trial of ``algorithm`` on a training set from ``theta0``; vmap it over trials.

    Args:
      model: ``net(...)``; algorithm: one of ALGORITHMS; data: the trial's training set.
      theta0: (p,) initial parameters (shared by every algorithm of a trial: the paper's fairness).
      key: the algorithm's randomness (shuffles, DEP's requests, proposals).
      budget: presentations (sequences) at most; stuck_eps: the stuck rule's ε (N_ε = 4).
      **hp: overrides of ``DEFAULTS[algorithm]``.

    Returns:
      Result: final θ, presentations until stopping, the stop reason (0 learned, 1 stuck or
      non-finite, 2 budget), final training errors and mean cost.
    """
    if algorithm not in DEFAULTS:
        raise ValueError(f"algorithm={algorithm!r}: must be one of {list(ALGORITHMS)}")
    unknown = set(hp) - set(DEFAULTS[algorithm])
    if unknown:
        raise ValueError(
            f"{algorithm}: unknown settings {sorted(unknown)}; allowed {sorted(DEFAULTS[algorithm])}"
        )
    hp = {**DEFAULTS[algorithm], **hp, "stuck_eps": stuck_eps}
    if algorithm == "dep" and hp["start"] not in DEP_STARTS:
        raise ValueError(f"dep start={hp['start']!r}: must be one of {list(DEP_STARTS)}")
    if algorithm == "mgrs":
        return _mgrs(model, data, theta0, key, budget=budget, hp=hp)
    if algorithm == "sa":
        return _sa(model, data, theta0, key, budget=budget, hp=hp)
    return _online(model, algorithm, data, theta0, key, budget=budget, hp=hp)
