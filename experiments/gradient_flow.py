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
from repro import flow, plotting, results

LOG10 = np.log10(np.e)


def _curves(config) -> list[tuple[str, flow.Curve]]:
    """(spec, parsed curve) for every entry of config.curves; raises a one-line ValueError."""
    return [(spec, flow.parse_curve(spec, "config.curves")) for spec in config.curves.split(",")]


def compute(config) -> tuple[dict, dict]:
    """Log-norms of every curve (natural log) and the heat map; returns (arrays, summary)."""
    common.positive(config, "T", "hidden", "n_in", "trials", "heatmap_T")
    heat = flow.parse_curve(config.heatmap, "config.heatmap")
    dtype = jnp.dtype(config.dtype)
    root = jax.random.key(config.seed)
    keys = jax.vmap(lambda i: jax.random.fold_in(root, i))(jnp.arange(config.trials))
    size = {"hidden": config.hidden, "n_in": config.n_in, "dtype": dtype}
    arrays, summary = {}, {}
    for i, (spec, curve) in enumerate(_curves(config)):
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
        logging.info("%s: %.1f s", curve.label, time.perf_counter() - t0)
    t0 = time.perf_counter()
    arrays["heatmap"] = np.asarray(flow.all_pairs(heat, root, T=config.heatmap_T, **size))
    logging.info("heat map (T = %d): %.1f s", config.heatmap_T, time.perf_counter() - t0)
    return arrays, summary


def draw(config, arrays) -> list[Path]:
    curves = [curve for _, curve in _curves(config)]
    fig, (ax, hm) = plotting.figure(2, 1, height=5.6, height_ratios=[1.2, 1.0])
    lag = np.arange(config.T + 1)
    theory_drawn = False
    for i, curve in enumerate(curves):
        ln = arrays[f"curve{i}"][:, ::-1] * LOG10  # (trials, lag)
        (line,) = ax.plot(lag, np.median(ln, axis=0), label=curve.label)
        ax.fill_between(
            lag, ln.min(axis=0), ln.max(axis=0), color=line.get_color(), alpha=0.2, linewidth=0
        )
        if curve.name == "rnn_tanh" and curve.radius is not None:
            ax.plot(
                lag,
                lag * np.log10(curve.radius),
                color=line.get_color(),
                linewidth=0.7,
                linestyle=":",
                label=None if theory_drawn else "ρ^(T−t): linear RNN (theory)",
            )
            theory_drawn = True
    ax.axhline(0.0, **plotting.PAPER_STYLE, label="1: CEC of H97 (theory)")
    ax.set_xlabel("lag T − t (steps)")
    ax.set_ylabel("log₁₀ ‖∂s_T/∂s_t‖₂")
    ax.set_xlim(0, config.T)
    ax.legend(
        loc="lower left",
        handlelength=1.5,
        frameon=True,
        facecolor="white",
        edgecolor="none",
        framealpha=0.9,
    )
    ax.set_title(f"(a) median and range of {config.trials} trials, n = {config.hidden}", loc="left")

    heat = flow.parse_curve(config.heatmap)
    img = hm.imshow(
        arrays["heatmap"] * LOG10,
        origin="lower",
        cmap="viridis",
        aspect="auto",
        extent=(-0.5, config.heatmap_T + 0.5, -0.5, config.heatmap_T + 0.5),
    )
    cbar = fig.colorbar(img, ax=hm, shrink=0.9)
    cbar.set_label("log₁₀ ‖∂h_k/∂h_t‖₂")
    hm.set_xlabel("from step t")
    hm.set_ylabel("to step k ≥ t")
    hm.set_title(f"(b) all pairs, {heat.label}, one trial", loc="left")
    plotting.caption(fig, f"P13-C1 · H97-EQ · S1-cell   profile: {config.profile}")
    return plotting.save(fig, config.figure)


def main(argv):
    del argv
    config = _CONFIG.value
    common.setup(config)
    # Validate every curve before any compute, so a bad one fails at once.
    _curves(config)
    flow.parse_curve(config.heatmap, "config.heatmap")
    plain = config.to_dict()
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
    for path in draw(config, arrays):
        print(path)


if __name__ == "__main__":
    # The flag is defined only when run as a script, so tests can import several drivers.
    _CONFIG = common.define_config(str(Path(__file__).parent / "configs" / "gradient_flow.py"))
    common.run(main)
