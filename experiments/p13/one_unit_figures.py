"""P13 Figs. 3 and 6 from the one-unit nets (``repro.one_unit``): nothing is trained.

P13-F3: the bifurcation diagram of x ↦ wσ(x) + b against b, trajectories on both sides of the basin
boundary, and |∂x_T/∂b| along b for a start that crosses only the fold and one that crosses only the
basin boundary. P13-F6: the error surface E_T over (w, b) with its wall, plain and clipped gradient
descent from the spec's starts, and an ensemble of starts near the wall (the largest step each
took and whether it reached E < 1e-3), since a single plain path near the wall is chaotic: whether
it is thrown depends on the seventh digit of the learning rate.

Each writes ``numbers.json`` (with provenance) to runs/<claim>/<profile>/ and its figure.
"""

from __future__ import annotations

import jax
import numpy as np

from experiments import common
from experiments.claims import computed, runner
from repro import one_unit, plotting

__all__ = ["f3", "f6"]


def _check(c) -> None:
    """The fields both figures share, before any compute."""
    if c.sigma not in one_unit.SIGMAS:
        raise ValueError(f"config.sigma={c.sigma!r}: must be one of {list(one_unit.SIGMAS)}")
    common.positive(c, "steps")
    computed.prepare(c)


def f3(c) -> list:
    """P13-F3: the bifurcation diagram and where gradients explode."""
    _check(c)
    got = _f3_compute(c)
    computed.write(c, got["numbers"])
    fig, (ax, bx, cx) = plotting.figure(
        3, 1, height=5.8, gridspec_kw={"height_ratios": [1.6, 1, 1.1]}
    )
    colours = [plotting.OKABE_ITO[k] for k in ("vermillion", "blue", "bluish green", "orange")]
    _f3_fixed_points(ax, c, got, colours)
    _f3_kicked(bx, c, got, colours[2:])
    _f3_gradients(cx, c, got, colours)
    plotting.caption(
        fig,
        f"P13-F3: the one-unit RNN x ↦ {c.w:g}σ(x) + b has two attractors between two folds; "
        f"|∂x$_T$/∂b| (T = {c.steps}) stays finite where b crosses a fold and explodes where it moves the "
        f"start across the basin boundary. σ = {c.sigma}, float64. Dotted lines: the folds.",
    )
    return plotting.save(fig, runner.figure_path(c))


def _f3_compute(c) -> dict:
    """Fixed points, folds, x_T and |∂x_T/∂b| along the bias axis, and two kicked paths."""
    lo, hi = computed.span(c, "b_range")
    starts = computed.floats(c, "starts")
    if not starts or not np.all(np.isfinite(starts)):
        raise ValueError(f"config.starts={c.starts!r}: must be finite numbers, comma-separated")
    computed.finite(c, "w", "kick", positive=True)
    common.positive(c, "points")
    with jax.enable_x64(True):
        xs = np.linspace(-12, 12, 24001)
        b_curve, stable = one_unit.fixed_point_curve(c.w, xs, c.sigma)
        folds = one_unit.folds(c.w, c.sigma)
        bs = np.linspace(lo, hi, c.points)
        x_T = lambda b, x0: one_unit.trajectory(c.w, b, x0, c.steps, c.sigma)[-1]
        grads = {
            x0: np.abs(np.asarray(jax.vmap(jax.grad(x_T), (0, None))(bs, x0))) for x0 in starts
        }
        ends = {x0: np.asarray(jax.vmap(x_T, (0, None))(bs, x0)) for x0 in starts}
        b_mid = float(np.mean([b for _, b in folds])) if folds else lo
        # the unstable fixed point at b_mid (the basin boundary); starts ± kick on either side
        x_mid = float(xs[~stable][np.argmin(np.abs(b_curve[~stable] - b_mid))]) if folds else 0.0
        paths = {
            eps: np.concatenate(
                [
                    [x_mid + eps],
                    np.asarray(one_unit.trajectory(c.w, b_mid, x_mid + eps, c.steps, c.sigma)),
                ]
            )
            for eps in (-c.kick, c.kick)
        }
    numbers = {
        "folds": [{"x": x, "b": b} for x, b in folds],
        "bistable": sorted(b for _, b in folds),
        "max_dxT_db": {
            str(x0): {
                "b": float(bs[np.argmax(g)]),
                "value": float(g.max()),
                "median": float(np.median(g)),
            }
            for x0, g in grads.items()
        },
        "kick": {str(eps): float(p[-1]) for eps, p in paths.items()},
    }
    return {
        "numbers": numbers, "xs": xs, "b_curve": b_curve, "stable": stable, "folds": folds,
        "bs": bs, "grads": grads, "ends": ends, "b_mid": b_mid, "x_mid": x_mid, "paths": paths,
        "span": (lo, hi),
    }  # fmt: skip


def _f3_fixed_points(ax, c, got: dict, colours: list) -> None:
    """(a) The fixed points against b (stable solid, unstable dashed), the folds, and x_T."""
    lo, hi = got["span"]
    xs, b_curve, stable, folds = got["xs"], got["b_curve"], got["stable"], got["folds"]
    inside = (b_curve >= lo) & (b_curve <= hi)
    for part, style in ((stable, "-"), (~stable, "--")):
        seg = np.where(inside & part, xs, np.nan)
        ax.plot(np.where(inside & part, b_curve, np.nan), seg, color="k", linestyle=style,
                label="stable" if style == "-" else "unstable: the basin\nboundary")  # fmt: skip
    for x, b in folds:
        ax.plot(b, x, "o", color="k", markersize=4)
    if folds:
        ax.plot([], [], "o", color="k", markersize=4, label="folds")
        ax.plot(got["b_mid"], got["x_mid"], "o", markerfacecolor="white", color="k", markersize=5,
                label=f"b = {got['b_mid']:.2f} of (b)")  # fmt: skip
    for (x0, e), col in zip(got["ends"].items(), colours, strict=False):
        ax.plot(got["bs"], e, color=col, linewidth=0.8, alpha=0.8,
                label=f"$x_{{{c.steps}}}$ from $x_0$ = {x0:g}")  # fmt: skip
    ax.set_xlabel("bias b")
    ax.set_ylabel("state x")
    ax.set_title(f"(a) fixed points of x ↦ {c.w:g}σ(x) + b", loc="left")
    if folds:
        lo_b, hi_b = min(got["numbers"]["bistable"]), max(got["numbers"]["bistable"])
        ax.text(0.98, 0.04, f"bistable for\nb ∈ ({lo_b:.4f}, {hi_b:.4f})", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7)  # fmt: skip
    ax.legend(fontsize=7, loc="upper left", handlelength=1.5)  # left of the folds, above the curve


def _f3_kicked(bx, c, got: dict, colours: list) -> None:
    """(b) Two starts either side of the basin boundary, in the middle of the bistable range."""
    x_mid = got["x_mid"]
    for (eps, p), col in zip(got["paths"].items(), colours, strict=False):
        bx.plot(np.arange(p.size), p, color=col, label=f"$x_0$ = {x_mid + eps:+.3g}")
    bx.set_xlabel("step t")
    bx.set_ylabel("$x_t$")
    bx.set_title(
        f"(b) b = {got['b_mid']:.2f}: x$_0$ = {x_mid:.2g} ± {c.kick:g} end in different attractors",
        loc="left",
    )
    bx.legend(fontsize=7)


def _f3_gradients(cx, c, got: dict, colours: list) -> None:
    """(c) |∂x_T/∂b| along b from each start: finite at the folds, exploding at the boundary."""
    for (x0, g), col in zip(got["grads"].items(), colours, strict=False):
        cx.semilogy(
            got["bs"], g, color=col, linewidth=0.9, label=f"$x_0$ = {x0:g}: max {g.max():.3g}"
        )
    for _, b in got["folds"]:
        cx.axvline(b, color="0.5", linewidth=0.6, linestyle=":")
    cx.set_xlabel("bias b")
    cx.set_ylabel(f"|∂x$_{{{c.steps}}}$/∂b|")
    cx.set_title("(c) fold crossing: finite; boundary crossing: explodes", loc="left")
    cx.legend(fontsize=7, loc="upper left")


def f6(c) -> list:
    """P13-F6: the error surface with its wall, and plain vs clipped gradient descent."""
    _check(c)
    got = _f6_compute(c, _f6_examples(c))
    computed.write(c, got["numbers"])
    fig, (ax, zx, bx) = plotting.figure(
        3, 1, height=8.2, gridspec_kw={"height_ratios": [1.25, 1.1, 1]}
    )
    colours = [plotting.OKABE_ITO[k] for k in ("black", "vermillion", "blue", "reddish purple")]
    mesh = _f6_surface(ax, zx, c, got)
    fig.colorbar(mesh, ax=ax, label="log$_{10}$ E", shrink=0.9)
    _f6_paths(zx, c, got, colours)
    ax.legend(fontsize=7, loc="lower left")  # the wall; the paths are (b)'s
    zx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    _f6_ensemble(bx, c, got, colours)
    plotting.caption(
        fig,
        "A one-unit RNN's error surface has a wall where the gradient explodes: plain gradient "
        "descent that hits it is thrown far, and clipping the gradient's norm bounds every step "
        f"(P13 Fig. 6). P13-F6, {runner.shown_label(c)}: clipping at ‖g‖ > {c.clip:g} bounds each "
        f"step by lr × {c.clip:g}; float64.",
    )
    return plotting.save(fig, runner.figure_path(c))


def _f6_examples(c) -> list[tuple[float, float, float]]:
    """``examples`` ("w:b:lr,...") as (w, b, lr) tuples; one-line errors."""
    examples = []
    for item in common.items(c, "examples"):
        try:
            w, b, lr = (float(v) for v in item.split(":"))
        except ValueError:
            w = b = lr = np.nan
        if not (np.isfinite([w, b, lr]).all() and lr > 0):
            raise ValueError(
                f"config.examples={c.examples!r}: must be 'w:b:lr,...' (finite, lr > 0)"
            )
        examples.append((w, b, lr))
    if not examples:
        raise ValueError("config.examples='': needs at least one 'w:b:lr'")
    return examples


def _largest_step(d) -> np.ndarray:
    return np.linalg.norm(np.diff(d.path, axis=-2), axis=-1).max(-1)


def _f6_compute(c, examples: list) -> dict:
    """The error surface on a grid, the examples' plain and clipped descents, and an ensemble of
    starts near the wall, with the numbers the docs cite."""
    lo, hi = computed.span(c, "grid_range")
    w_lo, w_hi = computed.span(c, "ensemble_w")
    computed.finite(c, "x0", "target")
    computed.finite(c, "clip", positive=True)
    common.positive(c, "grid", "ensemble", "descent_steps")
    kw = dict(x0=c.x0, horizon=c.steps, target=c.target, sigma=c.sigma)
    with jax.enable_x64(True):
        axis = np.linspace(lo, hi, c.grid)
        E, G = one_unit.error_surface(
            axis, axis, x0=c.x0, steps=c.steps, target=c.target, sigma=c.sigma
        )
        runs = {
            (w, b, lr): {m: one_unit.descend((w, b), lr=lr, steps=c.descent_steps, clip=clip, **kw)
                         for m, clip in (("plain", None), ("clipped", c.clip))}
            for w, b, lr in examples
        }  # fmt: skip
        rng = np.random.default_rng(c.seed)
        ws = rng.uniform(w_lo, w_hi, c.ensemble)
        starts = np.stack(
            [ws, one_unit.wall(ws, c.x0, c.sigma) + rng.uniform(-1, 1, c.ensemble)], 1
        )
        lrs = sorted({lr for _, _, lr in examples})
        ens = {
            (lr, m): one_unit.descend(starts, lr=lr, steps=c.descent_steps, clip=clip, **kw)
            for lr in lrs
            for m, clip in (("plain", None), ("clipped", c.clip))
        }
    numbers = {
        "surface": {"E_min": float(E.min()), "E_max": float(E.max()),
                    "fraction_below_1e-3": float((E < 1e-3).mean()),
                    "largest_gradient_at": [float(axis[i]) for i in np.unravel_index(G.argmax(), G.shape)[::-1]]},
        "examples": [
            {"start": [w, b], "lr": lr, **{m: {"end": d.path[-1].tolist(), "E_end": float(d.error[-1]),
                                              "max_grad_norm": float(d.grad_norm.max()),
                                              "largest_step": float(_largest_step(d))}
                                          for m, d in r.items()}}
            for (w, b, lr), r in runs.items()
        ],
        "ensemble": {
            f"lr={lr:g}, {m}": {
                "starts": c.ensemble,
                "thrown (a step > 5)": int((_largest_step(d) > 5).sum()),
                "E_end < 1e-3": int((d.error[:, -1] < 1e-3).sum()),
                "median largest step": float(np.median(_largest_step(d))),
                "largest step": float(_largest_step(d).max()),
            }
            for (lr, m), d in ens.items()
        },
    }  # fmt: skip
    return {
        "numbers": numbers, "axis": axis, "E": E, "runs": runs, "ens": ens, "lrs": lrs,
        "examples": examples, "span": (lo, hi),
    }  # fmt: skip


def _f6_surface(ax, zx, c, got: dict):
    """log₁₀ E in (a) and under (b)'s paths, with the wall dashed; returns (a)'s mesh."""
    axis = got["axis"]
    logE = np.log10(np.maximum(got["E"], 1e-8))
    wall_b = one_unit.wall(axis, c.x0, c.sigma)
    for a in (ax, zx):
        mesh = a.pcolormesh(axis, axis, logE, cmap="viridis", shading="auto", rasterized=True)
        a.plot(axis, wall_b, color="white", linestyle="--", linewidth=0.9,
               label=f"wall b = {c.x0:g} − σ({c.x0:g})w")  # fmt: skip
        a.set_xlabel("recurrent weight w")
        a.set_ylabel("bias b")
    ax.set_title(f"(a) E = (σ(x$_{{{c.steps}}}$) − {c.target:g})², x$_0$ = {c.x0:g}", loc="left")
    return mesh


def _f6_paths(zx, c, got: dict, colours: list) -> None:
    """(b) Each example's plain (wide, pale) and clipped (dashed) descent, zoomed to the paths."""
    runs, examples, (lo, hi) = got["runs"], got["examples"], got["span"]
    every = np.concatenate([np.concatenate([r[m].path for m in r]) for r in runs.values()])
    finite = every[np.all(np.isfinite(every), axis=1)]
    for ((w, b, lr), r), col in zip(runs.items(), colours, strict=False):
        for m, style in (
            ("plain", {"linestyle": "-", "linewidth": 2.4, "alpha": 0.45}),
            ("clipped", {"linestyle": "--", "linewidth": 1.0, "zorder": 3}),
        ):
            p = r[m].path  # plain wide and pale under the clipped path, which stays visible
            zx.plot(p[:, 0], p[:, 1], color=col, **style,
                    label=f"({w:g}, {b:g}), lr {lr:g}, {m}")  # fmt: skip
            zx.plot(*p[-1], "x", color=col, markersize=5)
        zx.plot(w, b, "o", color=col, markersize=3.5)
    starts_xy = np.array([(w, b) for w, b, _ in examples])
    span_lo = np.minimum(starts_xy.min(0) - 1.5, np.percentile(finite, 5, axis=0))
    span_hi = np.maximum(starts_xy.max(0) + 1.5, np.percentile(finite, 95, axis=0))
    zx.set_xlim(max(lo, span_lo[0]), min(hi, span_hi[0]))
    zx.set_ylim(max(lo, span_lo[1]), min(hi, span_hi[1]))
    zx.set_title(f"(b) gradient descent, {c.descent_steps} steps: o start, × end", loc="left")


def _f6_ensemble(bx, c, got: dict, colours: list) -> None:
    """(c) The distribution of each run's largest single step over the starts near the wall."""
    for i, lr in enumerate(got["lrs"]):
        for m, style in (("plain", "-"), ("clipped", "--")):
            d = got["ens"][(lr, m)]
            s = np.sort(_largest_step(d))
            n_ok = int((d.error[:, -1] < 1e-3).sum())
            bx.step(s, np.arange(1, s.size + 1) / s.size, where="post", linestyle=style,
                    color=colours[i], label=f"lr {lr:g}, {m}: {n_ok}/{c.ensemble}")  # fmt: skip
    bx.set_xscale("log")
    bx.set_xlabel("largest single step ‖Δ(w, b)‖ of a run")
    bx.set_ylabel("fraction of starts")
    bx.set_title(
        f"(c) {c.ensemble} starts within 1 of the wall, w ∈ [{c.ensemble_w}];\n"
        "legend: how many reach E < 10$^{-3}$",
        loc="left",
    )
    bx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)  # off the CDFs
