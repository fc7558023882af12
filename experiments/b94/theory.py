"""B94's theory drawn on one neuron (B94-THEORY: ATT, DEF, TH1, TH4, LEM, EQ4, F3), nothing trained.

The statements are checked in tests/test_latch.py; this draws them and writes their numbers:
(a) the map M(a) = w·tanh(a), its attractors ±ā, the basin β(+ā) = (0, ∞), the reduced attracting set
Γ(+ā) = (a_c, ∞) and the band |M'| > 1 where noise is amplified; (b) Thm. 1: the probability that
noise flips the sign, from a_0 across a_c; (c) Thm. 4 and the lemma: log₁₀|∂a_t/∂a_0| from the
Jacobian engine while latched (no noise, and noise that keeps a_t in Γ) and on the boundary a_0 = 0;
(d) eq. (4): log₁₀|term_τ| of ∂C/∂w for a neuron that latched a bit, against the lag T − τ.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from experiments import common
from experiments.claims import computed, runner
from repro import jacobians, latch, plotting

__all__ = ["theory"]

_LOG10 = 1 / math.log(10)
_NORM = "frobenius"  # of a 1×1 product: |·|, exact (and no certified-norm program to compile)
# The spec's own Monte Carlo of Thm. 1 at w = 1.5 (not a paper number: B94 gives none), ±0.005.
_SPEC_A0, _SPEC_LOSS = (0.05, 0.1, 0.2, 0.3, 0.5), (0.33, 0.18, 0.026, 0.0005, 0.0)


def _check(c) -> None:
    computed.finite(c, "w", "noise", "eq4_w", "eq4_h", "eq4_s", positive=True)
    common.positive(c, "steps", "runs", "starts", "horizon", "eq4_L", "eq4_T")
    for name in ("w", "eq4_w"):
        if c[name] <= 1:
            raise ValueError(
                f"config.{name}={c[name]!r}: must be > 1 (the neuron latches only then)"
            )
    ws = computed.floats(c, "latched")
    if not ws or min(ws) <= 1:
        raise ValueError(f"config.latched={c.latched!r}: must be weights > 1, comma-separated")
    if c.eq4_T <= c.eq4_L + 2:
        raise ValueError(f"config.eq4_T={c.eq4_T!r}: must exceed eq4_L + 2 = {c.eq4_L + 2}")
    computed.prepare(c)


def _eq4(c, key) -> dict:
    """Per-τ terms of ∂C/∂w for a neuron driven by h at t <= L, then Gaussian noise."""
    T, L = c.eq4_T, c.eq4_L
    noise = math.sqrt(c.eq4_s) * jax.random.normal(key, (T,), jnp.float64)
    drive = jnp.where(jnp.arange(1, T + 1) <= L, c.eq4_h, 0.0)
    u = jnp.where(jnp.arange(1, T + 1) <= L, 0.0, noise)
    step = lambda p, a, x: p["w"] * jnp.tanh(a) + x
    loss = lambda a: 0.5 * (jnp.tanh(a) - 0.8) ** 2
    terms = latch.gradient_terms(
        step, {"w": jnp.float64(c.eq4_w)}, jnp.float64(0.0), drive + u, loss
    )
    log10 = np.asarray((jnp.log(jnp.abs(terms.mantissa[:, 0, 0])) + terms.log_scale) * _LOG10)
    states = np.asarray(latch.run_neuron(c.eq4_w, 0.0, drive + u))
    lag = T - np.arange(1, T + 1)
    fit = slice(L + 1, T - 1)  # past the drive and the last step
    slope = float(np.polyfit(lag[fit], log10[fit], 1)[0])
    mean = float(np.mean(np.log10(latch.slope(c.eq4_w, states[L + 1 : T - 1]))))
    return {"lag": lag, "log10_term": log10, "slope": slope, "mean_log10_slope": mean,
            "latched": bool(np.all(states[L:] > latch.critical_state(c.eq4_w)))}  # fmt: skip


def theory(c) -> list:
    """Compute the theory's curves and numbers on one neuron, write them and draw the figure."""
    _check(c)
    got = _compute(c)
    computed.write(c, got["numbers"])
    fig, axes = plotting.figure(2, 2, height=4.8, width=plotting.FULL_WIDTH)
    (ax, bx), (cx, dx) = axes
    _latch_map(ax, c, got["numbers"])
    _sign_loss(bx, c, got)
    _flows(cx, got)
    _eq4_terms(dx, c, got["eq4"])
    plotting.caption(
        fig,
        "One tanh neuron a ↦ w·tanh(a) + h stores a bit robustly only by entering a region where "
        "its own gradient vanishes (B94 §III–IV): outside Γ noise can flip the sign, inside it "
        "∂aₜ/∂a₀ decays exponentially, so eq. (4)'s terms from long ago are negligible. "
        "B94-ATT, -DEF, -TH1, -TH4, -LEM, -EQ4, -F3 (one-dimensional Fig. 3; "
        f"{computed.label(c)}): computed in float64, Jacobians from repro.jacobians; checks in "
        "tests/test_latch.py.",
    )
    return plotting.save(fig, runner.figure_path(c))


def _compute(c) -> dict:
    """Thm. 1's sign loss, the flows of Thm. 4 and the lemma, eq. (4)'s terms, and the numbers."""
    k_sign, k_noise, k_eq4 = jax.random.split(jax.random.key(c.seed), 3)
    w = c.w
    abar, a_c, h_star = latch.fixed_point(w), latch.critical_state(w), latch.threshold(w)
    with jax.enable_x64(True):
        a0 = np.linspace(0.0, 1.0, c.starts)
        spec_a0 = np.array(_SPEC_A0)
        loss = np.asarray(latch.sign_loss(k_sign, w, jnp.asarray(np.r_[a0, spec_a0]),
                                          noise=c.noise, steps=c.steps, runs=c.runs))  # fmt: skip
        zeros = jnp.zeros(c.horizon)
        flows = {}
        for wl in computed.floats(c, "latched"):
            step = latch.neuron_step(wl)
            flows[f"latched, w = {wl:g}"] = jacobians.log_norms_from_first(
                step, jnp.float64(latch.fixed_point(wl)), zeros, norm=_NORM)  # fmt: skip
        wl = max(computed.floats(c, "latched"))
        u = jax.random.uniform(k_noise, (c.horizon,), jnp.float64, -c.noise, c.noise)
        flows[f"latched, w = {wl:g}, noise ±{c.noise:g}"] = jacobians.log_norms_from_first(
            latch.neuron_step(wl), jnp.float64(latch.fixed_point(wl)), u, norm=_NORM)  # fmt: skip
        flows[f"boundary a₀ = 0, w = {w:g}"] = jacobians.log_norms_from_first(
            latch.neuron_step(w), jnp.float64(0.0), zeros, norm=_NORM)  # fmt: skip
        flows = {k: np.asarray(v) * _LOG10 for k, v in flows.items()}
        eq4 = _eq4(c, k_eq4)
    numbers = {
        "w": w, "abar": abar, "a_c": a_c, "h_star": h_star, "slope_at_abar": latch.slope(w, abar),
        "sign_loss": {"a0": spec_a0.tolist(), "probability": loss[c.starts:].tolist(),
                      "noise": c.noise, "steps": c.steps, "runs": c.runs},
        "log10_da_t_da_0_at_horizon": {k: float(v[-1]) for k, v in flows.items()},
        "eq4": {"slope_per_step_log10": eq4["slope"], "mean_log10_slope": eq4["mean_log10_slope"],
                "latched_throughout": eq4["latched"]},
    }  # fmt: skip
    return {"numbers": numbers, "a0": a0, "loss": loss, "flows": flows, "eq4": eq4}


def _latch_map(ax, c, numbers: dict) -> None:
    """(a) M(a) = w·tanh(a), its attractors, the basin, Γ and the band where noise is amplified."""
    w, abar, a_c, h_star = c.w, numbers["abar"], numbers["a_c"], numbers["h_star"]
    col = plotting.OKABE_ITO
    a = np.linspace(-2.5, 2.5, 1001)
    top = w + 0.35
    ax.axvspan(-a_c, a_c, color=col["vermillion"], alpha=0.15, label="|M′| > 1: noise amplified")
    ax.plot([0, a[-1]], [top, top], color=col["sky blue"], linewidth=3, solid_capstyle="butt",
            label="basin β(+ā) = (0, ∞)")  # fmt: skip
    ax.plot([a_c, a[-1]], [top + 0.25, top + 0.25], color=col["bluish green"], linewidth=3,
            solid_capstyle="butt", label=f"Γ(+ā) = ($a_c$, ∞), $a_c$ = {a_c:.3f}")  # fmt: skip
    ax.plot(a, w * np.tanh(a), color="k", label=f"M(a) = {w:g}·tanh(a)")
    ax.plot(a, a, color="0.5", linestyle=":", linewidth=0.8, label="a")
    ax.plot([-abar, abar], [-abar, abar], "o", color="k", markersize=4)
    ax.plot([0], [0], "o", markerfacecolor="white", color="k", markersize=4)
    ax.set_xlabel("state a")
    ax.set_ylabel("M(a)")
    ax.set_title(f"(a) latch: attractors ±ā = ±{abar:.3f}, h* = {h_star:.3f}")
    ax.set_ylim(-2.7, 4.9)  # headroom: the legend sits above the bars, clear of the band's data
    ax.legend(loc="upper center", fontsize=7, ncol=2, handlelength=1.5, columnspacing=1.0)


def _sign_loss(bx, c, got: dict) -> None:
    """(b) Thm. 1: the probability that noise flips the sign, against the starting state."""
    col, a_c = plotting.OKABE_ITO, got["numbers"]["a_c"]
    bx.plot(got["a0"], got["loss"][: c.starts], "o-", markersize=2.5, color=col["vermillion"],
            label="ours")  # fmt: skip
    if (c.w, c.noise, c.steps) == (1.5, 0.2, 100):
        bx.plot(_SPEC_A0, _SPEC_LOSS, "s", markerfacecolor="none", color="k", markersize=5,
                label="spec's derivation (2·10⁵ runs)")  # fmt: skip
    bx.axvline(
        a_c, color=col["bluish green"], linestyle="--", linewidth=1, label=f"$a_c$ = {a_c:.3f}"
    )
    bx.set_xlabel("starting state a₀")
    bx.set_ylabel("P(sign lost)")
    bx.set_title(f"(b) Thm. 1: noise ±{c.noise:g}, {c.steps} steps, {c.runs:,} runs")
    bx.legend()


def _flows(cx, got: dict) -> None:
    """(c) Thm. 4 and the lemma: log₁₀|∂a_t/∂a_0| while latched and on the boundary."""
    col = plotting.OKABE_ITO
    colours = (col["blue"], col["bluish green"], col["orange"], col["vermillion"])
    for (name, v), colour in zip(got["flows"].items(), colours, strict=False):
        t = np.arange(len(v))
        cx.plot(t, v, color=colour, label=name, linestyle="--" if "boundary" in name else "-")
    cx.axhline(0, color="0.5", linewidth=0.6)
    cx.set_xlabel("time step t")
    cx.set_ylabel(r"log₁₀ $|\partial a_t/\partial a_0|$")
    cx.set_title("(c) Thm. 4 (latched) and the lemma (boundary)")
    cx.legend(fontsize=7)


def _eq4_terms(dx, c, eq4: dict) -> None:
    """(d) eq. (4): each term of ∂C/∂w against its lag, beside the path's mean log-slope."""
    finite = np.isfinite(eq4["log10_term"])
    dx.plot(eq4["lag"][finite], eq4["log10_term"][finite], "o", markersize=2.5,
            color=plotting.OKABE_ITO["blue"], label=r"ours: log₁₀$|\mathrm{term}_\tau|$ of ∂C/∂w")  # fmt: skip
    mid = eq4["lag"][c.eq4_L + 1]
    ref = eq4["log10_term"][c.eq4_L + 1] + eq4["mean_log10_slope"] * (eq4["lag"] - mid)
    dx.plot(eq4["lag"], ref, color="k", linestyle=":", linewidth=1,
            label=f"mean log₁₀ M′ on the path: {eq4['mean_log10_slope']:.2f}/step")  # fmt: skip
    dx.set_xlabel("lag T − τ")
    dx.set_ylabel(r"log₁₀ $|\mathrm{term}_\tau|$")
    dx.set_title(
        f"(d) eq. (4): w = {c.eq4_w:g}, h = {c.eq4_h:g} for t ≤ {c.eq4_L}, s = {c.eq4_s:g}"
    )
    dx.legend(fontsize=7)
