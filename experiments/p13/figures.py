"""P13's figures from the claim runs: success against length (Fig. 7), the gradient flow of every
trial against its outcome (beyond the paper), and errors against test length (S1, S3)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.ticker
import numpy as np

from experiments.claims import figures as claim_figures
from experiments.claims import rows as rows_lib
from experiments.claims import runner, updates
from experiments.p13 import paper
from repro import plotting

__all__ = ["FIGURES", "errors_vs_length", "flow_vs_outcome", "success_vs_length"]

_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "h", "*", "p")


def _budget(entries) -> str:
    budgets = sorted({e["budget"] for e in entries if not e.get("not_run")})
    return ", ".join(f"{b:,}" for b in budgets) + " updates"


def _eval_log(run_dir: Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(updates at each validation, values (validations, trials); NaN where a trial was stopped)."""
    rows = runner.logged(run_dir)
    upd = np.cumsum([np.max(r["train/updates"]) for r in rows])
    return upd, claim_figures.per_trial(rows, key)


def success_vs_length(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """P13 Fig. 7: one panel per initialisation, trials solved against length, one line per method;
    the paper's (arXiv v2) statement in grey."""
    inits = list(dict.fromkeys(r.config.init for r in rows))
    fig, axes = plotting.figure(1, len(inits), height=3.0, width=plotting.FULL_WIDTH, sharey=True)
    axes = np.atleast_1d(axes)
    by = {(e["row"], e["model"]): e for e in entries}
    for ax, init in zip(axes, inits, strict=True):
        mine = [r for r in rows if r.config.init == init]
        Ls = [r.config.L for r in mine]
        methods = rows_lib.models_of(mine[0].config)
        for i, method in enumerate(methods):
            pts = [(r.config.L, by[(r.id, method)]) for r in mine]
            pts = [(L, e) for L, e in pts if not e.get("not_run")]
            if not pts:
                continue
            shift = 1 + 0.07 * (i - (len(methods) - 1) / 2)  # methods side by side, not on top
            x = [L * shift for L, _ in pts]
            y = [e["solved"] / e["trials"] for _, e in pts]
            ax.plot(x, y, marker="o", markersize=3, label=plotting.model_label(method),
                    **plotting.model_style(method, i))  # fmt: skip
            for L, e in pts:  # k/n in a band above the data, a line per method, off the lines
                ax.text(L, 1.1 + 0.1 * (len(methods) - 1 - i), f"{e['solved']}/{e['trials']}",
                        fontsize=7, ha="center", va="center",
                        color=plotting.model_style(method, i)["color"])  # fmt: skip
        # arXiv v2 (spec: uncertain): MSGD and MSGD-C fail beyond ≈ 20, MSGD-CR 100% up to 200
        ran = sorted({r.config.L for r in mine if any(not by[(r.id, m)].get("not_run")
                                                      for m in rows_lib.models_of(r.config))})  # fmt: skip
        lo, hi = min(ran or Ls), max(ran or Ls)
        # statements, not data: a shaded range and a reference line
        ax.axvspan(max(lo / 1.25, 20 * 1.15), hi * 1.25, color="0.93", zorder=0, lw=0,
                   label="v2: MSGD and -C fail here (beyond ≈20)")  # fmt: skip
        ax.axhline(1.0, color="0.55", linestyle=(0, (1, 2)), linewidth=0.9, zorder=0,
                   label="v2: MSGD-CR solves all, up to L = 200")  # fmt: skip
        ax.set_title(init.replace("_", " "), loc="left")
        ax.set_xlabel("sequence length L")
        ax.set_xscale("log")
        ax.set_xticks(ran or Ls, [str(L) for L in (ran or Ls)])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlim(lo / 1.25, hi * 1.25)
        ax.set_ylim(-0.08, 1.08 + 0.1 * len(methods))
    axes[0].set_ylabel("fraction of trials solved")
    axes[0].set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=3,
               fontsize=7, handlelength=2.2)  # fmt: skip
    plotting.caption(
        fig,
        f"{config.get('statement', '')} P13-F7, {runner.shown_label(config)}, temporal order: "
        f"solved = < 1% of {entries[0].get('eval_sequences', 0):,} fresh sequences wrong within "
        f"{_budget(entries)} (paper: 5M); k/n at every length in a band above the data, a line "
        "per method in the legend's order; the methods are drawn side by side at each length; v2 = arXiv v2 (grey: its statements, no numbers).",
    )
    return plotting.save(fig, runner.figure_path(config))


def flow_vs_outcome(config, rows, runs, entries=(), comparisons=()) -> list[Path]:
    """Beyond the paper: each trial's measured log₁₀‖∂h_T/∂h_t‖ (t: the first informative step)
    along training, and at its end against ρ(W_rec), solved filled, unsolved open."""
    fig, (ax, bx) = plotting.figure(2, 1, height=5.6)
    # one marker per initialisation where the rows' differ (Fig. 7's panels), else per row
    by_init = len({r.config.init for r in rows}) > 1
    group = (lambda r: r.config.init.replace("_", " ")) if by_init else (lambda r: r.title)
    groups = list(dict.fromkeys(group(r) for r in rows))
    marker_of = {g: _MARKERS[i % len(_MARKERS)] for i, g in enumerate(groups)}
    counts: dict[str, list] = {}  # method -> [solved, trials, colour] over the rows drawn
    for row in rows:
        methods = rows_lib.models_of(row.config)
        for i, method in enumerate(methods):
            size = 10 + 12 * (len(methods) - 1 - i)  # concentric: a later method never hides one
            r = runs.get((row.id, method))
            if r is None:
                continue
            run_dir = runner.run_dirs(config, row, method, ("",))[0]
            upd, flow = _eval_log(run_dir, "eval/log10_flow")
            style = plotting.model_style(method, i)
            solved = np.asarray(r["solved"], bool)
            k, n, _ = counts.setdefault(method, [0, 0, style["color"]])
            counts[method][:2] = [k + int(solved.sum()), n + solved.size]
            for j in range(flow.shape[1]):
                ax.plot(upd, flow[:, j], color=style["color"], linestyle="-" if solved[j] else ":",
                        linewidth=0.6 + 0.6 * (len(methods) - 1 - i), alpha=0.8)  # fmt: skip
            final_flow = np.asarray(r["test"]["log10_flow"], float)
            rho = np.asarray(r["test"]["rho"], float)
            marker = marker_of[group(row)]
            bx.scatter(final_flow[solved], rho[solved], marker=marker, s=size, color=style["color"])
            bx.scatter(final_flow[~solved], rho[~solved], marker=marker, s=size,
                       facecolors="none", edgecolors=style["color"])  # fmt: skip
    ax.set_xlabel("updates")
    ax.set_ylabel("log$_{10}$‖∂h$_T$/∂h$_t$‖")
    ax.set_title("(a) reach of the gradient at each validation\n(solid: trial solved; dotted: not)",
                 loc="left")  # fmt: skip
    bx.set_xlabel("log$_{10}$‖∂h$_T$/∂h$_t$‖ at the end")
    bx.set_ylabel("ρ(W$_{rec}$) at the end")
    bx.set_title("(b) at the end; filled: solved, open: not", loc="left")
    for method, (k, n, colour) in counts.items():  # one legend entry per method, with its k/n
        bx.scatter([], [], marker="o", s=14, color=colour,
                   label=f"{plotting.model_label(method)}: {k}/{n} solved")  # fmt: skip
    for g in groups:
        bx.scatter([], [], marker=marker_of[g], s=14, color="0.4", label=g)
    # under (b), so that both panels keep the column's width
    bx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=1, frameon=False)
    none = "" if any(k for k, _, _ in counts.values()) else (
        " No trial solved at this profile: nothing here tells solved from unsolved yet.")  # fmt: skip
    budget = f" within {_budget(entries)}" if entries else ""
    plotting.caption(
        fig,
        "Beyond the paper: does how far the gradient reaches back tell whether a trial learns the "
        f"task? {config.claim}, {runner.shown_label(config)}, solved{budget}: t = the first "
        "informative step, T = the last; exact spectral norms (Jacobian engine), mean log of "
        f"{updates.FLOW_SEQUENCES} sequences; methods drawn concentric (the first the largest)."
        f"{none}",
    )
    return plotting.save(fig, runner.figure_path(config, "_flow"))


def errors_vs_length(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S1 and S3: each trial's error (% of the test sequences wrong) at every test length, with the
    paper's statement; none where no row has such errors (none run)."""
    shown = [e for e in entries if not e.get("not_run") and e.get("generalisation")]
    if not shown:
        return []
    fig, ax = plotting.figure(1, 1, height=3.0)
    colours = [plotting.OKABE_ITO[k] for k in ("bluish green", "blue", "vermillion", "orange")]
    all_Ls = set()
    for e, colour, marker in zip(shown, colours, ("o", "s", "D", "^"), strict=False):
        gen = sorted(e["generalisation"].items(), key=lambda kv: int(re.sub(r"\D", "", kv[0])))
        Ls = [int(re.sub(r"\D", "", k)) for k, _ in gen]
        all_Ls |= set(Ls)
        vals = np.array([v for _, v in gen], float) * 100 / e["test_sequences"]  # (lengths, trials)
        solved = np.asarray(e["solved_list"], bool)
        for j in range(vals.shape[1]):
            ax.plot(Ls, np.maximum(vals[:, j], 1e-3), marker=marker, markersize=2.5, linewidth=0.8,
                    color=colour, linestyle="-" if solved[j] else ":",
                    label=(f"{e['title']}: {e['solved']}/{e['trials']} solved" if j == 0 else None))  # fmt: skip
    floor = 1e-3
    line = paper.WRONG_AT_LENGTHS.get(config.claim)
    if line and line["pct"] == 0:  # 0 wrong: drawn at the floor, marked
        ax.plot(line["lengths"], [floor] * 2, **plotting.PAPER_STYLE, marker="v", markersize=3,
                label=f"paper: {line['label']}")  # fmt: skip
    elif line:
        ax.plot(line["lengths"], [line["pct"]] * 2, **plotting.PAPER_STYLE,
                label=f"paper: {line['label']}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, 100)
    ax.set_xticks(sorted(all_Ls), [str(L) for L in sorted(all_Ls)])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("test sequence length")
    ax.set_ylabel("% of test sequences wrong\n(0 drawn at 10$^{-3}$)")
    ax.legend(fontsize=7, loc="lower left")
    solved = sum(e["solved"] for e in shown)
    plotting.caption(
        fig,
        f"{config.get('statement', '')} {config.claim}, {runner.shown_label(config)}: each "
        f"trial's error at each test length; dotted: not solved within {_budget(entries)}."
        + (
            ""
            if solved
            else " No trial solved at this budget, so the generalisation the claim is about is "
            "not measured yet: the lines are the errors of unsolved nets."
        ),
    )
    return plotting.save(fig, runner.figure_path(config))


# The figures a P13 config may draw (its ``draw`` field).
FIGURES = {
    "success_vs_length": success_vs_length,
    "errors_vs_length": errors_vs_length,
    "flow_vs_outcome": flow_vs_outcome,
}
