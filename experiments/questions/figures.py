"""Figures of the trained practitioners' questions: success against length per remedy (S2-ablation)
and the failing variants' symptoms (S2-symptoms); success over lag × initial spectral radius
(S3-exists) with the error backflow along training (S3-backflow); optimisers against learning rate
(S3-optim); the trained LSTM's cell path and forget gates (S1-cell, S1-forget, in ``s1``).
Fractions solved carry 95% Wilson intervals; every caption gives trials and budget."""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np

from experiments.claims import figures as claim_figures
from experiments.claims import runner
from experiments.questions import paper
from experiments.questions.variants import VARIANTS
from repro import plotting

__all__ = ["TASK_LABELS", "label", "style"]

TASK_COLOURS = {"s_recall": "blue", "s_adding": "vermillion", "s_delayed_recall": "bluish green"}
TASK_LABELS = {
    "s_recall": "copy/recall",
    "s_adding": "adding",
    "s_delayed_recall": "delayed recall",
}


def style(name: str) -> dict:
    """A remedy's or optimiser's colour, line style and marker (``plotting``'s, as every model's)."""
    return plotting.model_style(name, marker=True)


def label(name: str) -> str:
    """A remedy's own label, or a model's reader's name (``plotting.model_label``)."""
    return VARIANTS[name].label if name in VARIANTS else plotting.model_label(name)


def _budget(entries) -> str:
    done = [e for e in entries if not e.get("not_run")]
    budgets = sorted({e["budget"] for e in done})
    trials = sorted({e["trials"] for e in done})
    t = "/".join(str(n) for n in trials)
    return f"{t} trials each, budget {', '.join(f'{b:,}' for b in budgets)} updates"


def _frac(e) -> tuple[float, float, float]:
    p = e["solved"] / e["trials"]
    lo, hi = e["wilson"]
    return p, max(p - lo, 0.0), max(hi - p, 0.0)


def success_grid(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S2-ablation: one panel per remedy, fraction solved against length, one colour per task."""
    done = [e for e in entries if not e.get("not_run")]
    models = list(dict.fromkeys(e["model"] for e in entries))
    ncols = 4
    nrows = -(-len(models) // ncols)
    fig, axes = plotting.figure(nrows, ncols, height=1.45 * nrows + 0.9, width=7.0,
                                sharex=True, sharey=True)  # fmt: skip
    axes = np.atleast_1d(axes).ravel()
    Ls = sorted({e["L"] for e in done})
    tasks = list(dict.fromkeys(e["task"] for e in done))
    for ax, model in zip(axes, models, strict=False):
        for k, task in enumerate(tasks):
            pts = sorted((e["L"], e) for e in done if e["model"] == model and e["task"] == task)
            if not pts:
                continue
            x = np.array([L for L, _ in pts], float) * (1.0 + 0.06 * (k - (len(tasks) - 1) / 2))
            y, lo, hi = np.array([_frac(e) for _, e in pts]).T
            colour = plotting.OKABE_ITO[TASK_COLOURS[task]]
            ax.errorbar(x, y, yerr=[lo, hi], color=colour, marker="os^"[k % 3], markersize=3,
                        linewidth=1.0, capsize=1.5, label=TASK_LABELS[task])  # fmt: skip
            # k/n in a band above the data, a row per task
            for xi, (_, e) in zip(x, pts, strict=True):
                ax.text(xi, 1.1 + 0.13 * k, f"{e['solved']}/{e['trials']}", ha="center",
                        fontsize=7, color=colour)  # fmt: skip
        ax.set_title(label(model), loc="left")
    for ax in axes[len(models) :]:
        ax.set_visible(False)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlim(min(Ls) * 0.75, max(Ls) * 1.3)  # room for the k/n labels at either end
        ax.set_xticks(Ls, [str(L) for L in Ls])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_ylim(-0.05, 1.1 + 0.13 * len(tasks))
        ax.set_yticks([0, 0.5, 1])
    for ax in axes[::ncols]:
        ax.set_ylabel("fraction solved")
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel("length T")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncol=len(tasks), fontsize=7)
    plotting.caption(
        fig,
        "Which of the post's remedies for vanishing gradients let a net learn long lags: trials "
        "solved against the length, per remedy. "
        f"S2-ablation, {runner.shown_label(config)}: solved = < 1% of {done[0]['eval_sequences']:,} "
        f"fresh sequences wrong; {_budget(entries)}; bars: 95% Wilson intervals. Copy/recall: "
        "the marked symbol anywhere (lags 0 to T − 1); adding: first marker in the first tenth "
        "(lag ≥ 0.9 T). Same optimiser "
        f"({config.optimizer}, lr {config.lr:g}, batch {config.batch}) for every remedy, not tuned "
        f"per remedy. The post: {paper.STATEMENTS['S2-ablation']}.",
    )
    return plotting.save(fig, runner.figure_path(config))


def symptoms(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S2-symptoms at the longest length of each task: (a) the gradient reaching each input,
    (b) recall accuracy against lag (recency), (c) training loss along training (plateaus)."""
    done = [e for e in entries if not e.get("not_run")]
    if not done:
        return []
    recall = [e for e in done if e["task"] == "s_recall"]
    longest = max(e["L"] for e in (recall or done))
    shown = [e for e in (recall or done) if e["L"] == longest]
    fig, (ax, bx, cx) = plotting.figure(1, 3, height=2.9, width=7.0)
    row_of = {r.id: r for r in rows}
    for e in shown:
        s = style(e["model"])
        prof = np.asarray(e["reach_profile"], float)  # (trials, L)
        lag = np.arange(prof.shape[1])[::-1]
        med = np.nanmedian(prof, axis=0)
        ax.plot(lag, med, color=s["color"], linestyle=s["linestyle"], linewidth=1.0,
                label=f"{label(e['model'])} ({e['solved']}/{e['trials']})")  # fmt: skip
        if "recency" in e:
            rec = np.asarray(e["recency"], float)
            centres = (np.arange(rec.shape[1]) + 0.5) * longest / rec.shape[1]
            bx.plot(centres, np.mean(rec, axis=0), color=s["color"], linestyle=s["linestyle"],
                    marker=s["marker"], markersize=2.5, linewidth=1.0)  # fmt: skip
        run_dir = runner.run_dirs(config, row_of[e["row"]], e["model"], ("",))[0]
        rows_ = runner.logged(run_dir)
        upd = np.cumsum([np.nanmax(r["train/updates"]) for r in rows_])
        loss = claim_figures.per_trial(rows_, "train/loss")
        loss[claim_figures.per_trial(rows_, "train/updates") == 0] = np.nan  # stopped: solved
        med = claim_figures.median_of_most(loss)  # while more than half still train
        cx.plot(upd, med, color=s["color"], linestyle=s["linestyle"], linewidth=1.0)
    task = shown[0]["task"]
    _label_symptoms(ax, bx, cx, task, longest, recall)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", ncol=4, fontsize=7)
    plotting.caption(
        fig,
        "The post's claim: a vanishing gradient shows as little gradient reaching early inputs, a "
        "loss plateau and a bias toward recent inputs. "
        f"S2-symptoms, {runner.shown_label(config)}, {TASK_LABELS[task]} at T = {longest}: "
        f"{_budget(shown)}; (k/n) = trials solved. Gradients exact (reverse mode) on 4 fresh "
        "sequences at the end of training; a trial that solved stopped there. (c) the median (a "
        "value one trial had) of the trials still training, drawn while more than half of them "
        "train: a curve ends where most trials had solved.",
    )
    return plotting.save(fig, runner.figure_path(config, "_symptoms"))


def _label_symptoms(ax, bx, cx, task: str, longest: int, recall: list) -> None:
    """Axes, chance level and titles of S2-symptoms' three panels."""
    ax.set_xlabel("lag T − t (steps back from the output)")
    ax.set_ylabel("log$_{10}$‖∂y$_T$/∂x$_t$‖ (median of trials)")
    ax.set_title(
        f"(a) gradient reaching each input,\n{TASK_LABELS[task]} T = {longest}", loc="left"
    )
    if recall:
        bx.axhline(1.0 / recall[0].get("symbols", 4), **plotting.PAPER_STYLE)
        bx.text(longest, 1.0 / recall[0].get("symbols", 4) - 0.08, "chance", fontsize=7,
                color="0.35", ha="right")  # fmt: skip
    bx.set_xlabel("lag of the marked symbol")
    bx.set_ylabel("accuracy (mean of trials)")
    bx.set_ylim(0, 1.05)
    bx.set_title("(b) recency: accuracy against\nthe lag of the marked symbol", loc="left")
    cx.set_xlabel("updates")
    cx.set_ylabel("training loss")
    cx.set_yscale("log")
    cx.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.05, 0.1, 0.2, 0.5, 1, 2, 5]))
    cx.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    cx.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    cx.set_title("(c) training loss, median of the\ntrials still training: plateaus", loc="left")


def lag_radius(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S3-exists: k/n solved over lag × initial spectral radius, one panel per task and model."""
    done = [e for e in entries if not e.get("not_run")]
    panels = list(dict.fromkeys((e["task"], e["model"]) for e in done))
    width = plotting.FULL_WIDTH if len(panels) > 1 else plotting.COLUMN_WIDTH
    fig, axes = plotting.figure(1, max(len(panels), 1), height=2.5, width=width)
    axes = np.atleast_1d(axes)
    for ax, (task, model) in zip(axes, panels, strict=False):
        mine = [e for e in done if e["task"] == task and e["model"] == model]
        Ls = sorted({e["L"] for e in mine})
        radii = sorted({e["radius"] for e in mine})
        grid = np.full((len(radii), len(Ls)), np.nan)
        for e in mine:
            grid[radii.index(e["radius"]), Ls.index(e["L"])] = e["solved"] / e["trials"]
            ax.text(Ls.index(e["L"]), radii.index(e["radius"]), f"{e['solved']}/{e['trials']}",
                    ha="center", va="center", fontsize=7,
                    color="black" if e["solved"] / e["trials"] > 0.5 else "white")  # fmt: skip
        im = ax.imshow(grid, origin="lower", cmap="cividis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(Ls)), [str(L) for L in Ls])
        ax.set_yticks(range(len(radii)), [f"{r:g}" for r in radii])
        ax.set_xlabel("lag k" if task == "s_delayed_recall" else "length T")
        ax.set_title(f"{TASK_LABELS[task]}, {label(model)}", loc="left")
    axes[0].set_ylabel("initial spectral radius of A")
    if panels:
        fig.colorbar(im, ax=list(axes), label="fraction solved", shrink=0.8)
    plotting.caption(
        fig,
        f"S3-exists, {runner.shown_label(config)}: state-space RNN s_t = tanh(A s_t−1 + B u_t), "
        f"{config.hidden} units; solved = < 1% of fresh sequences wrong; {_budget(entries)}. "
        f"Claim: {paper.STATEMENTS['S3-exists']}.",
    )
    return plotting.save(fig, runner.figure_path(config))


def backflow(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S3-backflow: log₁₀‖∂s_T/∂s_1‖ at every check along training, one panel per radius, colour by
    lag; solid: the trial solved, dotted: it did not."""
    done = [e for e in entries if not e.get("not_run")]
    radii = sorted({e["radius"] for e in done})
    Ls = sorted({e["L"] for e in done})
    colours = [plotting.OKABE_ITO[k] for k in ("sky blue", "blue", "bluish green", "orange",
                                               "vermillion", "reddish purple", "black")]  # fmt: skip
    fig, axes = plotting.figure(1, len(radii), height=2.5, width=7.0, sharey=True)
    axes = np.atleast_1d(axes)
    row_of = {r.id: r for r in rows}
    for ax, radius in zip(axes, radii, strict=True):
        for e in (e for e in done if e["radius"] == radius and e["task"] == done[0]["task"]):
            run_dir = runner.run_dirs(config, row_of[e["row"]], e["model"], ("",))[0]
            logged = runner.logged(run_dir)
            upd = np.cumsum([np.nanmax(r["train/updates"]) for r in logged])
            flow = claim_figures.per_trial(logged, "eval/log10_flow")
            colour = colours[Ls.index(e["L"]) % len(colours)]
            solved = np.asarray(e["solved_list"], bool)
            for j in range(flow.shape[1]):
                ax.plot(upd, flow[:, j], color=colour, linestyle="-" if solved[j] else ":",
                        linewidth=0.7)  # fmt: skip
        ax.axhline(0.0, **plotting.PAPER_STYLE)
        ax.set_title(f"initial radius {radius:g}", loc="left")
        ax.set_xlabel("updates")
    axes[0].set_ylabel("log$_{10}$‖∂s$_T$/∂s$_{1}$‖ (backflow)")
    for i, L in enumerate(Ls):
        axes[-1].plot([], [], color=colours[i % len(colours)], label=f"k = {L}")
    axes[-1].legend(fontsize=7, loc="best")
    plotting.caption(
        fig,
        "Does the error backflow of a state-space RNN adapt toward neither vanishing nor exploding "
        "as it learns a long lag (the self-regularisation claim)? "
        f"S3-backflow, {runner.shown_label(config)}, {TASK_LABELS[done[0]['task']]}: exact spectral "
        "norms (Jacobian engine), mean log over 4 fresh sequences at each check; solid: trial "
        f"solved, dotted: not; dashed line: norm 1 (neither vanishing nor exploding). {_budget(done)}.",
    )
    return plotting.save(fig, runner.figure_path(config, "_backflow"))


def optimizers(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S3-optim: fraction solved against learning rate, one line per optimiser, per row group."""
    done = [e for e in entries if not e.get("not_run")]
    groups = list(dict.fromkeys((e["task"], e["L"], e["radius"]) for e in done))
    fig, axes = plotting.figure(1, max(len(groups), 1), height=3.0,
                                width=3.4 if len(groups) < 2 else 7.0, sharey=True)  # fmt: skip
    axes = np.atleast_1d(axes)
    for ax, (task, L, radius) in zip(axes, groups, strict=False):
        for i, model in enumerate(dict.fromkeys(e["model"] for e in done)):
            pts = sorted((e["lr"], e) for e in done
                         if (e["task"], e["L"], e["radius"], e["model"]) == (task, L, radius, model))  # fmt: skip
            if not pts:
                continue
            x = np.array([lr for lr, _ in pts]) * (1.0 + 0.08 * (i - 1.5))
            y, lo, hi = np.array([_frac(e) for _, e in pts]).T
            s = style(model)
            ax.errorbar(x, y, yerr=[lo, hi], capsize=1.5, markersize=3, linewidth=1.0,
                        label=label(model), **s)  # fmt: skip
            for xi, (_, e) in zip(x, pts, strict=True):
                div = f", {e['diverged']} div." if e.get("diverged") else ""
                ax.text(
                    xi,
                    1.08 + 0.08 * i,
                    f"{e['solved']}/{e['trials']}{div}",
                    fontsize=7,
                    ha="center",
                    color=s["color"],
                )  # a row of k/n per optimiser
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_title(f"{TASK_LABELS[task]}, k = {L}, radius {radius:g}", loc="left")
        ax.set_ylim(-0.05, 1.42)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    axes[0].set_ylabel("fraction solved")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=2,
               fontsize=7)  # fmt: skip
    plotting.caption(
        fig,
        f"S3-optim, {runner.shown_label(config)}: state-space RNN; {_budget(done)}; bars: 95% Wilson "
        f"intervals; k/n solved, div. = trials whose weights became non-finite (failures); "
        f"each optimiser over the same learning-rate grid. Claim: "
        f"{paper.STATEMENTS['S3-optim']}.",
    )
    return plotting.save(fig, runner.figure_path(config))
