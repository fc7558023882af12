"""A claim's figure: (a) sequences until success per trial, censored at the budget; (b) the fraction
of trials solved against sequences presented; (c) each trial's training error.

One colour per model in every figure (``plotting.model_style``). A trial that spent its budget is a
▲ at the budget line, never a point on the "until success" axis; the median is drawn only where more
than half the trials solved (otherwise it lies beyond the budget). A row whose budget is below the
paper's mean says so: its failures are inconclusive, not slower.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.claims.protocol import Protocol
from experiments.claims.table import paper_of
from repro import plotting

__all__ = ["draw", "fraction_solved", "per_trial", "training_error"]

_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "D", "v", "P")


def _count(v, _=None) -> str:
    """Tick labels 100, 1k, 20k, 1M."""
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"


def per_trial(rows: list[dict], key: str) -> np.ndarray:
    """``key`` at every log point, (points, trials), NaN where a trial logged nothing."""
    return np.array([[np.nan if v is None else v for v in r[key]] for r in rows], float)


def training_error(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(sequences at each log point, training error rate (points, trials), NaN once a trial stopped)
    from the run's log."""
    rows = runner.logged(run_dir)
    err = per_trial(rows, "train/error_rate")
    seqs = np.array([r["train/sequences"] for r in rows], float)
    upd = np.array([r["train/updates"] for r in rows], float)
    err[upd == 0] = np.nan  # a stopped trial has no training error
    return np.cumsum(np.nanmax(seqs, axis=1)), err


def fraction_solved(r: dict, budget: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(x, fraction solved by x, how far it is known): the empirical fraction of trials solved by
    each number of sequences (a step function), known up to the least a running trial has seen."""
    solved = np.asarray(r["solved"], bool)
    at = np.sort(np.asarray(r["solved_at"], float)[solved])
    seen = np.asarray(r["sequences_seen"], float)
    stopped = solved | np.asarray(r["diverged"], bool) | (seen >= budget)
    known = float(np.min(seen[~stopped])) if (~stopped).any() else float(budget)
    x = np.concatenate([[1.0], at, [known]])
    y = np.concatenate([[0.0], np.arange(1, at.size + 1), [at.size]]) / len(solved)
    return x, y, known


def _mark(ax, i, values, color, **kw):
    ax.hlines(values, i - 0.32, i + 0.32, color=color, **kw)


def draw(
    config,
    rows: list[rows_lib.Row],
    runs: dict,
    protocol: Protocol,
    entries: list[dict] = (),
    comparisons: list[dict] = (),
) -> list[Path]:
    """The claim's figure from its runs; ``entries`` (the table) give each row's note, and
    ``comparisons`` (Welch's tests) go into the caption."""
    entry_of = {(e["row"], e["model"]): e for e in entries}
    combos = [
        (row, model, i)
        for row in rows
        for i, model in enumerate(rows_lib.models_of(row.config))
        if runs[(row.id, model)] is not None
    ]
    if not combos:
        return []
    fig, (ax, a_key, bx, cx, bc_key) = plotting.figure(
        5, 1, height=8.6, height_ratios=[2.5, 0.6, 1.5, 1.7, 0.6]
    )
    for key in (a_key, bc_key):
        key.axis("off")
    seen_labels: set[str] = set()

    def once(text: str) -> str | None:  # one legend entry per kind of mark
        if text in seen_labels:
            return None
        seen_labels.add(text)
        return text

    tops, budgets, style_of, names, paper_marks = [], set(), {}, [], 0
    one_model = len({m for _, m, _ in combos}) == 1
    success_marks = []
    # updates between log points, from the schedule each run was trained with
    every = [protocol.build(row.config, m, 0).schedule.eval_every for row, m, _ in combos]
    for k, (row, model, first) in enumerate(combos):
        r, c = runs[(row.id, model)], row.config
        paper = paper_of(protocol, config, row.id, model, first == 0)
        budget = c.max_sequences
        budgets.add(budget)
        same_model = sum(1 for rw, m, _ in combos[:k] if m == model)
        style = plotting.model_style(model)
        if same_model:
            style = {**style, "linestyle": _STYLES[same_model % len(_STYLES)]}
        style_of[(row.id, model)] = style
        color = style["color"]
        solved = np.asarray(r["solved"], bool)
        at = np.asarray(r["solved_at"], float)
        n = len(solved)
        jitter = np.linspace(-0.22, 0.22, n) if n > 1 else np.zeros(1)
        ax.scatter(k + jitter[solved], at[solved], s=11, color=color, zorder=3,
                   label=once("ours, each trial") if solved.any() else None)  # fmt: skip
        running = not r.get("finished", True)
        seen = np.asarray(r["sequences_seen"], float)  # the budget, once a run has finished
        ax.scatter(k + jitter[~solved], seen[~solved], s=16, marker="^",
                   facecolors="none", edgecolors=color, zorder=3,
                   label=once("ours, unsolved so far (running)" if running else
                              "ours, unsolved (at budget)") if (~solved).any() else None)  # fmt: skip
        _mark(ax, k, budget, "0.6", linewidth=0.8, linestyle="-", label=once("budget"))
        if solved.any():
            _mark(ax, k, at[solved].mean(), "k", linewidth=1.4, label=once("ours: mean of solved"))
        if solved.sum() > n / 2:
            med = np.median(np.where(solved, at, np.inf))
            ax.scatter([k + 0.36], [med], marker="D", s=14, facecolors="white", edgecolors="k",
                       zorder=4, label=once("ours: median, all trials"))  # fmt: skip
        for event in protocol.events(c) if first == 0 else ():
            m = r["milestones"][event.name]
            reached = np.asarray(m["reached"], bool)
            ev = np.asarray(m["at"], float)
            tops += list(ev[reached])
            ax.scatter(k + jitter[reached] - 0.05, ev[reached], s=11, marker="x", color=color,
                       linewidths=0.8, zorder=3, label=once(f"ours: {event.label}, each trial"))  # fmt: skip
            if paper.get(event.name):
                _mark(ax, k, paper[event.name], plotting.OKABE_ITO["orange"], linestyle=":",
                      linewidth=1.4, label=once(f"paper: mean {event.label}"))  # fmt: skip
        if paper.get("after"):
            _mark(ax, k, paper["after"], **{**plotting.PAPER_STYLE, "linewidth": 1.4},
                  label=once("paper: mean until success"))  # fmt: skip
        if "min" in paper:
            ax.vlines(k + 0.3, paper["min"], paper["max"], **plotting.PAPER_STYLE,
                      label=once("paper: range"))  # fmt: skip
        ref = config.get("reference_row", "")
        ref_after = paper_of(protocol, config, ref, model, True).get("after") if ref else None
        paper_mean = paper.get("after")
        if "ratio" in paper and "after" not in paper and ref_after:
            paper_mean = paper["ratio"] * ref_after
            ref_title = next((r.title for r in rows if r.id == ref), ref)
            _mark(ax, k, paper_mean, color="0.35", linestyle=":", linewidth=1.4,
                  label=once(f"paper: its ratio × {ref_title}'s mean"))  # fmt: skip
            tops.append(paper_mean)
        if "min" in paper:
            tops.append(paper["min"])
        note = f"{solved.sum()}/{n} solved" + (
            f" by {int(seen.max()):,}\n(running)" if running else ""
        )
        if np.any(r["diverged"]):
            note += f", {int(np.sum(r['diverged']))} diverged"
        if (~solved).any() and paper_mean and budget < paper_mean and not running:
            note += f"\ninconclusive:\nbudget {100 * budget / paper_mean:.0f}% of\npaper mean"
        extra = protocol.note(entry_of[(row.id, model)]) if (row.id, model) in entry_of else ""
        note += f"\n{extra}" if extra else ""
        title = row.title.replace(", ", ",\n") if len(combos) > 3 else row.title
        names.append(
            title + ("" if one_model else f"\n{plotting.model_label(model)}") + f"\n{note}"
        )
        tops += [budget, *at[solved], paper.get("after", budget)]

        x, y, known = fraction_solved(r, budget)
        label = (
            f"{row.title}: {solved.sum()}/{n}"
            if one_model
            else (f"{row.title}, {plotting.model_label(model)}: {solved.sum()}/{n}")
        )
        bx.step(x, 100 * y, where="post", label=label, **style)
        bx.plot([known], [100 * y[-1]], marker="|", markersize=7, color=color)
        if paper.get("after"):
            marker = _MARKERS[paper_marks % len(_MARKERS)]
            paper_marks += 1
            bx.plot([paper["after"]], [104], marker=marker, markersize=4.5, color=color,
                    clip_on=False, linestyle="none", label=f"paper: mean, {row.title}")  # fmt: skip
        if "success_pct" in paper:  # the paper's share of trials solved, at the right edge
            success_marks.append((paper["success_pct"], color))

        for d in runner.run_dirs(config, row, model, protocol.parts(c)):
            seqs, err = training_error(d)
            floor = 50.0 / every[k]
            cx.plot(seqs, np.maximum(100 * err, floor), color=color, linewidth=0.5, alpha=0.55,
                    linestyle=style["linestyle"], marker="." if len(seqs) < 3 else None)  # fmt: skip
    ax.set_xticks(range(len(combos)), names, rotation=25 if len(combos) > 4 else 0)
    ax.set_xlim(-0.6, len(combos) - 0.4)
    ax.set_yscale("log")
    positive = [v for v in tops if v and v > 0]
    ax.set_ylim(max(min(positive) / 2, 10), max(positive) * 2)
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_count))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_ylabel(f"training {protocol.unit}\nuntil success")
    ax.set_title(f"(a) {protocol.unit} until success", loc="left")
    a_key.legend(*ax.get_legend_handles_labels(), loc="center", ncols=2, fontsize=6.5,
                 handlelength=1.4, columnspacing=0.8, borderaxespad=0)  # fmt: skip

    bx.set_xscale("log")
    bx.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_count))
    bx.set_xlim(left=max(min(every) / 2, 1))
    bx.set_ylim(-3, 100)  # a row at 0% stays visible above the axis
    bx.set_ylabel("% of trials solved")
    bx.set_title("(b) trials solved so far (| = end of budget)", loc="left")
    for i, (pct, color) in enumerate(success_marks):
        bx.plot([1.0 + 0.02 * i], [pct], marker="<", markersize=5, color=color, clip_on=False,
                transform=bx.get_yaxis_transform(), linestyle="none",
                label="paper: % of trials solved (◀)" if i == 0 else None)  # fmt: skip
    bx.tick_params(labelbottom=False)
    bc_key.legend(*bx.get_legend_handles_labels(), loc="center", ncols=1, fontsize=6.5,
                  handlelength=1.8, columnspacing=0.8, borderaxespad=0)  # fmt: skip

    every = sorted(set(every))
    floor = 50.0 / every[0]
    cx.axhline(floor, color="0.6", linewidth=0.6, linestyle=":")
    cx.annotate(f"none wrong of the last {every[0]}", (1, floor), xycoords=("axes fraction", "data"),
                xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom", fontsize=6.5,
                color="0.3")  # fmt: skip
    cx.set_xscale("log")
    cx.set_yscale("log")
    cx.set_ylim(floor / 1.5, 150)
    cx.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_count))
    cx.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    cx.set_xlim(bx.get_xlim())
    cx.set_xlabel(f"training {protocol.unit} presented")
    cx.set_ylabel("training error (% wrong)")
    cx.set_title(f"(c) training error of each trial, per {every[0]}", loc="left")
    budget_text = ", ".join(f"{b:,}" for b in sorted(budgets))
    text = f"{config.claim}   {runner.shown_label(config)}   budget per trial: {budget_text}"
    for c in comparisons:
        if c["p"] is not None:
            text += f"\nWelch's t-test, {c['a']} vs {c['b']}: p = {c['p']:.2g}"
    plotting.caption(fig, text)
    return plotting.save(fig, runner.figure_path(config))
