"""Draw figures/gradient_flow.{pdf,png}: how gradients vanish, explode or persist through cells.

Usage:
  python -m experiments.gradient_flow                      # quick profile
  python -m experiments.gradient_flow --config=experiments/configs/gradient_flow.py:paper
  python -m experiments.gradient_flow --config.T=2000 --config.curves=rnn_tanh@1.1,gru
Results are cached in config.out_dir: a second run with the same config only redraws.
"""

from __future__ import annotations

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from experiments import common
from experiments.claims import runner
from repro import flow, plotting, results

LOG10 = np.log10(np.e)


def _curves(config) -> list[tuple[str, flow.Curve]]:
    """(spec, parsed curve) for every entry of config.curves; raises a one-line ValueError."""
    specs = common.items(config, "curves")
    if not specs:
        raise ValueError("config.curves='': must name at least one curve")
    return [(spec, flow.parse_curve(spec, "config.curves")) for spec in specs]


def compute(config) -> tuple[dict, dict]:
    """Log-norms of every curve (natural log) and the heat map; returns (arrays, summary)."""
    common.positive(config, "T", "hidden", "n_in", "trials", "heatmap_T")
    heat = flow.parse_curve(config.heatmap, "config.heatmap")
    dtype = jnp.dtype(config.dtype)
    root = jax.random.key(config.seed)
    keys = jax.vmap(lambda i: jax.random.fold_in(root, i))(jnp.arange(config.trials))
    size = {"hidden": config.hidden, "n_in": config.n_in, "dtype": dtype}
    arrays, summary = {}, {}
    curves, start = _curves(config), time.perf_counter()
    for i, (spec, curve) in enumerate(curves):
        t0 = time.perf_counter()
        ln = np.asarray(flow.to_last(curve, keys, T=config.T, **size))  # (trials, T+1)
        arrays[f"curve{i}"] = ln
        lag = ln[:, ::-1]  # index = T - t
        summary[spec] = {
            "label": curve.label,
            "median_log10_norm_at_lag": {
                str(d): float(np.median(lag[:, d])) * LOG10
                for d in (1, 10, 100, config.T)
                if d <= config.T
            },
            "finite": bool(np.all(np.isfinite(ln[ln != -np.inf]))),
        }
        done = i + 1
        spent = time.perf_counter() - start
        logging.info(
            "curve %d/%d (%s): %.1f s; ETA of the curves ≈ %.0f s",
            done,
            len(curves),
            curve.label,
            time.perf_counter() - t0,
            spent / done * (len(curves) - done),
        )
    t0 = time.perf_counter()
    arrays["heatmap"] = np.asarray(flow.all_pairs(heat, root, T=config.heatmap_T, **size))
    logging.info("heat map (T = %d): %.1f s", config.heatmap_T, time.perf_counter() - t0)
    return arrays, summary


# P13's γ: the largest derivative of the activation, so that ‖∂h_t/∂h_{t-1}‖₂ ≤ γ ‖W_rec‖₂ for
# h_t = act(W_rec h_{t-1} + W_in x_t + b). Only the sigmoid's bound (γ = 1/4) is drawn.
GAMMA = {"rnn_sigmoid": 0.25}
ZOOM_LAGS = 150  # panel (b): lags 0..150 ...
ZOOM_YLIM = (-4.0, 0.5)  # ... and log10 norms in [-4, 0.5]
LABEL_PT = 6.5  # size of every label drawn next to a line
WRAP = 30  # characters: a longer label breaks before its slope
# Line styles for several curves of one model (the tanh RNN at three radii): the model's own first.
_STYLES = ("--", (0, (7, 1.5)), "-.", (0, (4, 1.2, 1, 1.2, 1, 1.2)), (0, (1.5, 1)))


def _slope_text(slope: float) -> str:
    """Decades per step, two significant digits, with a real minus sign: "−0.20/step"."""
    text = "0" if slope == 0 else f"{slope:#.2g}".rstrip(".")
    return text.replace("-", "−") + "/step"


def _styles(curves) -> list[dict]:
    """``plotting.model_style`` per curve; a model drawn more than once (the tanh RNN at several ρ)
    keeps its colour and takes a different line style per curve, in order of radius."""
    out = []
    for i, curve in enumerate(curves):
        style = plotting.model_style(curve.name, i)
        # The model's own style for ρ = 1 (its default), then the others in order of radius.
        same = sorted(
            (c.radius not in (None, 1.0), c.radius or 1.0, j)
            for j, c in enumerate(curves)
            if c.name == curve.name
        )
        if len(same) > 1:
            rank = [j for *_, j in same].index(i)
            others = [s for s in _STYLES if s != style["linestyle"]]
            style["linestyle"] = [style["linestyle"], *others][rank % len(_STYLES)]
        out.append(style)
    return out


def _recurrent_norms(curve: flow.Curve, config) -> np.ndarray:
    """‖W_rec‖₂ of each trial's cell, rebuilt from the keys that ``flow.to_last`` used (trial i:
    fold_in(key(seed), i), split into (inputs, params)); only the initialisation is run."""
    dtype = jnp.dtype(config.dtype)
    cell = flow.build(curve, config.hidden, dtype)
    root = jax.random.key(config.seed)
    norms = []
    for i in range(config.trials):
        _, k_p = jax.random.split(jax.random.fold_in(root, i))
        params = cell.init(k_p, cell.initialize_carry(), jnp.zeros((config.n_in,), dtype))
        w = np.asarray(params["params"]["W_rec"], np.float64)
        norms.append(np.linalg.norm(w, 2))
    return np.array(norms)


def _spread(targets: np.ndarray, heights: np.ndarray, top: float) -> np.ndarray:
    """Label centres (points) nearest to ``targets`` in least squares with no two overlapping:
    sorted from the top, centre i lies at least (heights[i-1] + heights[i]) / 2 below centre i-1.
    With offsets c_i this asks q_i = p_i + c_i to be non-increasing: isotonic regression (PAVA).
    No label rises above ``top`` (the axes' top: the title is above it); those pushed up past it
    are moved down, and the ones below them as far as they need."""
    order = np.argsort(-targets, kind="stable")
    t, h = targets[order], heights[order]
    c = np.concatenate([[0.0], np.cumsum((h[:-1] + h[1:]) / 2)])
    blocks = []  # [sum, count] of pooled q's, means non-increasing
    for q in t + c:
        blocks.append([q, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            s, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
    p = np.concatenate([[s / n] * n for s, n in blocks]) - c
    p[0] = min(p[0], top - h[0] / 2)
    for i in range(1, len(p)):
        p[i] = min(p[i], p[i - 1] - (h[i - 1] + h[i]) / 2)
    out = np.empty_like(targets)
    out[order] = p
    return out


def _end_labels(fig, ax, labels: list[tuple[float, float, str, str]], dx: float = 9.0) -> None:
    """Write each (x, y, text, colour) right of the point (x, y) (data coordinates), nudged apart
    vertically so that none overlaps, with a thin leader line in the curve's colour."""
    if not labels:
        return
    anns = [
        ax.annotate(
            text,
            xy=(x, y),
            xytext=(dx, 0.0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=LABEL_PT,
            annotation_clip=False,
            arrowprops={
                "arrowstyle": "-",
                "relpos": (0.0, 0.5),  # from the text's left middle
                "color": colour,
                "linewidth": 0.6,
                "shrinkA": 0,
                "shrinkB": 0.5,
            },
        )
        for x, y, text, colour in labels
    ]
    heights = np.array([1.15 * LABEL_PT * (text.count("\n") + 1) + 0.8 for _, _, text, _ in labels])
    # The layout moves the axes once the labels take their room: place, lay out, place again.
    for _ in range(3):
        fig.canvas.draw()
        px = ax.transData.transform([(x, y) for x, y, _, _ in labels])[:, 1]
        targets = px * 72.0 / fig.dpi
        top = ax.get_window_extent().y1 * 72.0 / fig.dpi
        dy = _spread(targets, heights, top) - targets
        for ann, d in zip(anns, dy, strict=True):
            ann.xyann = (dx, float(d))


def _band(ax, lag, ln, style, **kwargs) -> np.ndarray:
    """Median line and min-max band of (trials, lag) log10 norms; returns the median."""
    median = np.median(ln, axis=0)
    ax.fill_between(lag, ln.min(axis=0), ln.max(axis=0), color=style["color"], alpha=0.18, lw=0)
    ax.plot(lag, median, **style, **kwargs)
    return median


def _name(curve: flow.Curve) -> str:
    """The model's name as in every figure (``plotting.model_label``), then radius and block."""
    base = plotting.model_label(curve.name)
    if base == curve.name:  # a cell plotting does not name: the curve's own label
        return curve.label
    radius = "" if curve.radius is None else f", ρ = {curve.radius:g}"
    return base + radius + ("" if curve.block is None else f", ∂{curve.block}")


def _label(name: str, slope: float) -> str:
    """``name: slope``, on two lines when one would be wider than the label column."""
    one = f"{name}: {_slope_text(slope)}"
    return one if len(one) <= WRAP else f"{name}:\n{_slope_text(slope)}"


def _sigmoid_bound(ax, curve, config, lag, ln, colour, labels) -> None:
    """P13 eq. 6 for h_t = act(W h_{t-1} + ...): ‖∂h_T/∂h_t‖₂ ≤ (γ‖W‖₂)^(T−t), γ = max act'.

    ‖W‖₂ is measured on the trials' own weights (the largest of them, so one line bounds every
    trial). It is not ρ: W is N(0, 1) rescaled to spectral radius ρ and is not normal, so
    ‖W‖₂ > ρ (about 2ρ). The line is drawn only if every trial lies under it.
    """
    gamma = GAMMA[curve.name]
    norm = float(_recurrent_norms(curve, config).max())
    slope = np.log10(gamma * norm)
    bound = lag * slope
    finite = np.isfinite(ln)
    if not np.all(ln[finite] <= np.broadcast_to(bound + 1e-3, ln.shape)[finite]):
        # The rebuilt weights are not those computed with: no bound rather than a wrong one.
        logging.warning("%s: the (γ‖W‖₂)^(T−t) bound fails; not drawn", curve.label)
        return
    ax.plot(lag, bound, color=colour, lw=0.8, ls=(0, (5, 1.5, 1, 1.5)))
    text = (
        f"P13 bound, {_name(curve)}:\n"
        rf"$(\|W\|_2/{1 / gamma:g})^{{T-t}}$, $\|W\|_2 = {norm:.2f}$:"
        f"\n{_slope_text(slope)}"
    )
    labels.append((lag[-1], bound[-1], text, colour))
    logging.info("%s: max ‖W‖₂ = %.3f, bound slope %.3f decades/step", curve.label, norm, slope)


def _in_zoom(curve: flow.Curve) -> bool:
    """Panel (b): the gated cells, and the tanh RNN at ρ = 1 (P13's boundary)."""
    return not curve.name.startswith("rnn_") or (
        curve.name == "rnn_tanh" and curve.radius in (None, 1.0)
    )


def _heat_map(sub, config, arrays) -> None:
    hm = sub.subplots()
    heat = flow.parse_curve(config.heatmap)
    img = hm.imshow(
        arrays["heatmap"] * LOG10,
        origin="lower",
        cmap="viridis",
        aspect="auto",
        extent=(-0.5, config.heatmap_T + 0.5, -0.5, config.heatmap_T + 0.5),
    )
    cbar = sub.colorbar(img, ax=hm, shrink=0.9)
    cbar.set_label(r"$\log_{10}\|\partial h_k/\partial h_t\|_2$")
    hm.set_xlabel("from step $t$")
    hm.set_ylabel(r"to step $k \geq t$")
    hm.set_title(f"(c) all pairs, {heat.label}, one trial", loc="left")


CAPTION = (
    "At initialisation the gradient reaching a state T − t steps back shrinks or grows "
    "exponentially in the lag for RNNs, at a rate set by ρ (P13-C1), while the 1997 LSTM's "
    "constant error carousel keeps it at 1 (H97-EQ) and the forget-gate LSTM's decays slowly "
    "(S1-cell); {profile} profile, exact norms from the Jacobian engine."
)


def draw(config, arrays) -> list[Path]:
    curves = [curve for _, curve in _curves(config)]
    styles = _styles(curves)
    fig, ax0 = plotting.figure(height=7.0)
    ax0.remove()
    # One subfigure per panel, so that each panel's labels take room beside that panel only.
    top, middle, bottom = fig.subfigures(3, 1, height_ratios=[3.1, 1.6, 2.3])
    ax, zoom = top.subplots(), middle.subplots()
    T, n = config.T, min(ZOOM_LAGS, config.T)
    lag = np.arange(T + 1)
    zero = {**plotting.PAPER_STYLE, "linewidth": 0.8, "zorder": 3}
    labels, zoom_labels = [], []
    ax.axhline(0.0, **zero)
    zoom.axhline(0.0, **zero)
    for i, (curve, style) in enumerate(zip(curves, styles, strict=True)):
        ln = arrays[f"curve{i}"][:, ::-1] * LOG10  # (trials, lag)
        # A curve on the line at 0 (the carousel) is drawn wide, under that line, so both show.
        width = 2.2 if np.all(ln == 0) else None
        # (a) the whole horizon, each curve named at its right end with its mean slope.
        median = _band(ax, lag, ln, style, linewidth=width, zorder=2)
        if np.isfinite(median[T]):
            labels.append((T, median[T], _label(_name(curve), median[T] / T), style["color"]))
        if curve.name == "rnn_tanh" and curve.radius not in (None, 1.0):
            # A linear RNN's ‖W^k‖ grows as ρ^k: the dotted theory line (ρ = 1 is the line at 0).
            theory = lag * np.log10(curve.radius)
            ax.plot(lag, theory, color=style["color"], lw=0.8, ls=":")
            labels.append((T, theory[T], f"theory ρ = {curve.radius:g}", style["color"]))
        if curve.name in GAMMA:
            _sigmoid_bound(ax, curve, config, lag, ln, style["color"], labels)
        if _in_zoom(curve):
            zmed = _band(zoom, lag[: n + 1], ln[:, : n + 1], style, linewidth=width, zorder=2)
            if np.all(zmed[np.isfinite(zmed)] >= ZOOM_YLIM[0]):
                zoom_labels.append((n, zmed[n], _name(curve), style["color"]))
            else:  # it leaves through the bottom: named right of it, just above the bottom
                low = ZOOM_YLIM[0] + 0.15 * (ZOOM_YLIM[1] - ZOOM_YLIM[0])
                zoom.annotate(
                    _name(curve),
                    xy=(np.flatnonzero(zmed < low)[0], low),
                    xytext=(4, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=LABEL_PT,
                )
    cec = "1: H97's constant error\ncarousel"
    if any(c.name == "rnn_tanh" for c in curves):
        cec += " (= theory ρ = 1)"
    labels.append((T, 0.0, cec, zero["color"]))
    ylabel = r"$\log_{10}\|\partial s_T/\partial s_t\|_2$"
    ax.set(xlim=(0, T), xlabel="lag $T-t$ (steps)", ylabel=ylabel)
    ax.set_title(f"(a) median and range of {config.trials} trials, n = {config.hidden}", loc="left")
    zoom.set(xlim=(0, n), ylim=ZOOM_YLIM, xlabel="lag $T-t$ (steps)", ylabel=ylabel)
    zoom.set_title(f"(b) zoom near 0, lags 0–{n}", loc="left")
    _heat_map(bottom, config, arrays)
    plotting.caption(fig, CAPTION.format(profile=config.profile))
    _end_labels(fig, ax, labels)
    _end_labels(fig, zoom, zoom_labels)
    return plotting.save(fig, config.figure)


DEFAULT_CONFIG = common.config_path("gradient_flow.py")


def run(config, overridden=()) -> list:
    """Everything the command line asks for; returns the paths written."""
    common.setup(config)
    # Validate every curve and output path before any compute, so a bad one fails at once.
    _curves(config)
    flow.parse_curve(config.heatmap, "config.heatmap")
    common.positive(config, "T", "hidden", "n_in", "trials", "heatmap_T")
    common.check_writable(config, out_dir=config.out_dir, figure=config.figure)
    runner.check_keeps_figure(config, stem=config.figure)
    plain = {k: v for k, v in config.to_dict().items() if k != "protocol"}  # the code's name
    out = Path(config.out_dir)
    if results.is_complete(out, plain):
        logging.info("results in %s are complete for this config: redrawing only", out)
        arrays = dict(np.load(out / "results.npz"))
    else:
        t0 = time.perf_counter()
        arrays, summary = compute(config)
        results.write_run(
            out, plain, {"summary": summary}, wall_time_s=time.perf_counter() - t0, arrays=arrays
        )
    return list(draw(config, arrays))


if __name__ == "__main__":  # python -m experiments.run with this config by default
    from experiments import run as _run

    _run.main(DEFAULT_CONFIG)
