"""Beyond every anchor: does the measured gradient reach predict which trials succeed?

Every trial of the trained questions (S1-cell, S2-ablation, S3-exists, S3-optim) ends with, from the
Jacobian engine, log₁₀‖∂s_T/∂s_{p+1}‖: how much of the state that first held the informative input
survives to the output step (the attention RNN, whose state holds every past state, is left out).
This figure puts that number, per trial, against whether the trial solved its task, with the
fraction solved in bins of reach. A trial that solved was measured at the check where it solved;
one that failed, at the end of its budget. Nothing is recomputed: it reads the claims' table.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from experiments.claims import computed, runner
from repro import plotting
from repro.stats import wilson

CLAIMS = ("s1_cell", "s2_ablation", "s3_exists", "s3_optim")
_COLOURS = {"s1_cell": "bluish green", "s2_ablation": "vermillion", "s3_exists": "blue",
            "s3_optim": "orange"}  # fmt: skip


def trials(root: Path, profile: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{claim: (log10 reach per trial, solved per trial)} from runs/<claim>/<profile>/table.json."""
    out = {}
    for claim in CLAIMS:
        path = root / "runs" / claim / profile / "table.json"
        if not path.exists():
            continue
        flows, solved = [], []
        for e in json.loads(path.read_text())["rows"]:
            if e.get("not_run") or e["model"] == "attention":
                continue
            flows += e["log10_flow"]
            solved += e["solved_list"]
        # -inf: exactly no path (the truncated LSTM's state h); kept, drawn at the floor
        out[claim] = (np.asarray(flows, float), np.asarray(solved, bool))
    return out


_FLOOR = -40.0  # reaches below 1e-40 are drawn at the floor (a saturated state can still hold its
# memory: the latch of B94; such trials solve with almost no gradient)
_BANDS = (  # decades of reach: (low, high, name)
    (-np.inf, -20.0, "≤ −20"), (-20.0, -5.0, "−20…−5"), (-5.0, -1.0, "−5…−1"), (-1.0, 0.0, "−1…0"),
    (0.0, np.inf, "> 0"),
)  # fmt: skip


def draw(config, root: Path = Path(".")) -> list[Path]:
    """Every trial's reach against its outcome, the share solved per band, and the numbers."""
    computed.prepare(config)  # the numbers' and the figure's paths, before anything is read
    data = trials(root, config.profile)
    if not data:
        raise ValueError(
            f"no table.json of {list(CLAIMS)} for profile {config.profile!r}: run them"
        )
    allf = np.concatenate([f for f, _ in data.values()])
    alls = np.concatenate([s for _, s in data.values()])
    bands = _per_band(allf, alls)
    computed.write(config, _numbers(allf, alls, bands["counts"]))  # what the docs cite
    fig, (ax, bx) = plotting.figure(2, 1, height=4.6, width=plotting.COLUMN_WIDTH, sharex=True,
                                    gridspec_kw={"height_ratios": [1.3, 1]})  # fmt: skip
    _every_trial(ax, data)
    fig.legend(*ax.get_legend_handles_labels(), fontsize=7, loc="outside upper center", ncol=2,
               markerscale=1.5, columnspacing=0.8, handletextpad=0.2)  # fmt: skip
    _share_solved(bx, bands)
    plotting.caption(
        fig,
        "Does the gradient that reaches a trial's informative input predict whether it solves? "
        f"S-reach: gradient reach against success, {config.profile} profile, every trial of "
        f"{', '.join(data)} but the attention RNN's; p = the informative input's step. A solved "
        "trial was measured when it solved, a failed one at the end of its budget. "
        f"{int(np.isneginf(allf).sum())} trials have no path at all (reach −∞: the truncated "
        f"LSTM's state h; {int(alls[np.isneginf(allf)].sum())} of them solved), drawn at the floor "
        "and counted in the lowest band.",
    )
    return plotting.save(fig, runner.figure_path(config))


def _per_band(allf: np.ndarray, alls: np.ndarray) -> dict:
    """Per band of reach with any trial: its median, share solved, Wilson interval and k/n."""
    out = {k: [] for k in ("centres", "frac", "lo", "hi", "counts", "names")}
    for a, b, name in _BANDS:
        m = (allf >= a) & (allf <= b)
        if not m.any():
            continue
        k, n = int(alls[m].sum()), int(m.sum())
        w = wilson(k, n)
        out["names"].append(name)
        out["centres"].append(np.median(allf[m]))
        out["frac"].append(k / n)
        out["lo"].append(k / n - float(w[0]))
        out["hi"].append(float(w[1]) - k / n)
        out["counts"].append(f"{k}/{n}")
    return out


def _numbers(allf: np.ndarray, alls: np.ndarray, counts: list[str]) -> dict:
    from scipy import stats as scipy_stats  # local: slow to import, and only this needs it

    return {  # the numbers the docs cite, beside the figure
        "trials": int(allf.size), "solved": int(alls.sum()),
        "no_path": int(np.isneginf(allf).sum()),
        "no_path_solved": int(alls[np.isneginf(allf)].sum()),
        "bands": ["<= -20", "-20..-5", "-5..-1", "-1..0", "> 0"],
        "band_counts": counts,  # "solved/trials" per band with any trial, in the bands' order
        "above_1": [int(alls[allf > 0].sum()), int((allf > 0).sum())],
        "at_most_1": [int(alls[allf <= 0].sum()), int((allf <= 0).sum())],
        "min_solved": float(allf[alls].min()), "failed_above_1": int((~alls & (allf > 0)).sum()),
        # do solved trials reach further? (ranks, so reach −∞ counts as the lowest)
        "mann_whitney_p": float(scipy_stats.mannwhitneyu(allf[alls], allf[~alls]).pvalue),
    }  # fmt: skip


def _every_trial(ax, data: dict) -> None:
    """(a) Each trial's reach, solved filled and failed open, jittered about its outcome."""
    rng = np.random.default_rng(0)
    for claim, (f, s) in data.items():  # the legend's order; drawn largest first (zorder below)
        colour = plotting.OKABE_ITO[_COLOURS[claim]]
        y = s.astype(float) + rng.uniform(-0.15, 0.15, s.size)
        fc = np.maximum(f, _FLOOR)
        z = 3 - s.size / max(len(v[1]) for v in data.values())  # a small claim stays visible
        ax.scatter(fc[s], y[s], s=6, color=colour, zorder=z,
                   label=f"{claim} ({s.sum()}/{s.size} solved)")  # fmt: skip
        ax.scatter(fc[~s], y[~s], s=6, facecolors="none", edgecolors=colour, zorder=z)
    ax.set_yticks([0, 1], ["failed", "solved"])
    ax.set_ylabel("trial")
    ax.set_title("(a) every trial: filled solved, open failed", loc="left")
    ax.axvline(_FLOOR, **plotting.PAPER_STYLE)
    ax.text(_FLOOR, 0.5, f" ≤ 10$^{{{_FLOOR:g}}}$ and −∞\n drawn here", fontsize=7, color="0.35",
            va="center")  # fmt: skip


def _share_solved(bx, bands: dict) -> None:
    """(b) The share solved per band at the band's median reach, with its k/n listed."""
    centres = np.maximum(bands["centres"], _FLOOR)
    lo, hi = np.maximum(bands["lo"], 0), np.maximum(bands["hi"], 0)
    bx.errorbar(centres, bands["frac"], yerr=[lo, hi], color="0.2", marker="o", markersize=3,
                capsize=2)  # fmt: skip
    # the bands' k/n as one list (the points crowd near 0), bands without trials left out
    listed = "\n".join(f"{b}: {t}" for b, t in zip(bands["names"], bands["counts"], strict=True))
    bx.text(0.03, 0.97, "solved / trials\n" + listed, transform=bx.transAxes, fontsize=7,
            va="top", ha="left", linespacing=1.15)  # fmt: skip
    bx.set_ylim(-0.05, 1.05)
    bx.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    bx.set_xlabel("log$_{10}$‖∂s$_T$/∂s$_{p+1}$‖ at the end (Jacobian engine)")
    bx.set_ylabel("fraction solved")
    bx.set_title("(b) share solved per band of reach, at the band's\nmedian; 95% Wilson intervals",
                 loc="left")  # fmt: skip
