"""A claim's figure, drawn at full width (7 in): (a) each trial's time to success, one line per row
and model, unsolved trials censored at the budget; (b) the share of trials solved against the
training presented; (c) each trial's training error and the median of those still training.

Colours: one per model; where every series is one model (conditions of one net), one per row. A
trial that spent its budget is an open ▲ at the budget, never a point on the "until success" axis;
the median is drawn only where more than half the trials solved (otherwise it lies beyond the
budget); a budget below the paper's mean makes failures inconclusive, and the row says so. A row
that solved no trial is drawn in (a) alone (its share in (b) would be a line at 0), with its last
training error in its label. A figure whose trials solved nothing draws (c) alone, one column wide:
(a) and (b) would hold no point.
The caption starts with the claim in words (the config's ``statement``).
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import matplotlib.patheffects
import matplotlib.ticker
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.claims.protocol import Protocol
from experiments.claims.table import paper_of
from repro import plotting

__all__ = ["draw", "fraction_solved", "median_of_most", "per_trial", "series_of", "training_error"]

_STYLES = ("-", "--", ":", "-.")
_HALO = matplotlib.patheffects.withStroke(linewidth=3.0, foreground="white")  # bold over thin
# a colour per row where every series is one model: Okabe & Ito's, black last
_ROW_COLOURS = (
    "blue",
    "vermillion",
    "bluish green",
    "reddish purple",
    "orange",
    "sky blue",
    "black",
)


def _count(v, _=None) -> str:
    """Tick labels 100, 1k, 20k, 1M."""
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"


def per_trial(rows: list[dict], key: str) -> np.ndarray:
    """``key`` at every log point, (points, trials), NaN where a trial logged nothing."""
    return np.array([[np.nan if v is None else v for v in r[key]] for r in rows], float)


def training_error(run_dir: Path, key: str = "train/error_rate") -> tuple[np.ndarray, np.ndarray]:
    """(sequences at each log point, the training error rate (or another per-trial training
    ``key``, e.g. "train/loss") (points, trials), NaN once a trial stopped) from the run's log."""
    rows = runner.logged(run_dir)
    err = per_trial(rows, key)
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


@dataclasses.dataclass
class Series:
    """One (row, model) of the figure: its trials, style, the paper's numbers and its label."""

    row: rows_lib.Row
    model: str
    label: str  # the row (and model, where the figure has several) as a reader names it
    style: dict  # color, linestyle
    results: dict
    paper: dict
    budget: int  # in sequences
    note: str  # what the row adds under its label (test error beside the paper's, inconclusive)
    milestones: tuple = ()  # train.Milestone's the row records, each drawn with its label

    @property
    def solved(self) -> np.ndarray:
        return np.asarray(self.results["solved"], bool)

    @property
    def at(self) -> np.ndarray:
        return np.asarray(self.results["solved_at"], float)

    @property
    def seen(self) -> np.ndarray:
        return np.asarray(self.results["sequences_seen"], float)

    @property
    def running(self) -> bool:
        return not self.results.get("finished", True)

    def count(self) -> str:
        """ "k/n solved" (with "by N, running" for a run still going)."""
        text = f"{self.solved.sum()}/{self.solved.size} solved"
        if self.running:
            text += f" by {int(self.seen.max()):,} (running)"
        if np.any(self.results["diverged"]):
            text += f", {int(np.sum(self.results['diverged']))} diverged"
        return text


def series_of(config, rows, runs, protocol: Protocol, entries=()) -> list[Series]:
    """The figure's series in row order: a colour per model and a line style per row of a model;
    where every series is one model (conditions of one net), a colour per row instead."""
    entry_of = {(e["row"], e["model"]): e for e in entries}
    combos = [
        (row, model, i)
        for row in rows
        for i, model in enumerate(rows_lib.models_of(row.config))
        if runs[(row.id, model)] is not None
    ]
    one_model = len({m for _, m, _ in combos}) == 1
    out = []
    for k, (row, model, first) in enumerate(combos):
        c, r = row.config, runs[(row.id, model)]
        if one_model and len(combos) > 1:
            colour = plotting.OKABE_ITO[_ROW_COLOURS[k % len(_ROW_COLOURS)]]
            style = {"color": colour, "linestyle": _STYLES[k // len(_ROW_COLOURS) % 4]}
        else:
            style = plotting.model_style(model)
            same = sum(1 for _, m, _ in combos[:k] if m == model)
            style = {**style, "linestyle": _STYLES[same % 4]} if same else style
        paper = paper_of(protocol, config, row.id, model, first == 0)
        ref = config.reference_row
        if "ratio" in paper and "after" not in paper and ref:
            ref_after = paper_of(protocol, config, ref, model, True).get("after")
            if ref_after:
                paper = {**paper, "after": paper["ratio"] * ref_after, "derived": True}
        budget = protocol.budget(c) * protocol.per_unit(c)
        s = Series(
            row, model, row.title if one_model else f"{row.title}, {plotting.model_label(model)}",
            style, r, paper, budget, "", protocol.milestones(c) if first == 0 else (),
        )  # fmt: skip
        notes = [s.count()]
        if (~s.solved).any() and paper.get("after") and budget < paper["after"] and not s.running:
            notes.append(f"inconclusive: budget {100 * budget / paper['after']:.0f}% of paper mean")
        extra = protocol.note(entry_of[(row.id, model)]) if (row.id, model) in entry_of else ""
        notes += [extra.replace("\n", " ")] if extra else []
        s.note = "; ".join(notes)
        out.append(s)
    return out


def _until_success(ax, series: list[Series], unit: str) -> list:
    """(a): one line per series, top to bottom; returns the x values drawn (for the limits)."""
    xs, seen_labels = [], set()

    def once(text):
        if text in seen_labels:
            return None
        seen_labels.add(text)
        return text

    n = len(series)
    for k, s in enumerate(series):
        y = n - 1 - k
        colour = s.style["color"]
        m = s.solved.size
        jitter = np.linspace(-0.2, 0.2, m) if m > 1 else np.zeros(1)
        ax.hlines(y, 1, s.budget, color="0.88", linewidth=0.6, zorder=1)
        ax.scatter(s.at[s.solved], y + jitter[s.solved], s=9, color=colour, zorder=3,
                   label=once("ours: a solved trial") if s.solved.any() else None)  # fmt: skip
        unsolved = "ours: unsolved so far (running)" if s.running else "ours: unsolved at budget"
        ax.scatter(s.seen[~s.solved], y + jitter[~s.solved], s=14, marker="^",
                   facecolors="none", edgecolors=colour, linewidths=0.7, zorder=3,
                   label=once(unsolved) if (~s.solved).any() else None)  # fmt: skip
        ax.vlines(s.budget, y - 0.38, y + 0.38, color="0.45", linewidth=1.0,
                  label=once("budget"))  # fmt: skip
        if s.solved.any():
            ax.vlines(s.at[s.solved].mean(), y - 0.34, y + 0.34, color="k", linewidth=1.5,
                      zorder=4, label=once("ours: mean of the solved"))  # fmt: skip
        if s.solved.sum() > m / 2:
            med = np.quantile(np.where(s.solved, s.at, np.inf), 0.5, method="lower")
            ax.scatter([med], [y + 0.36], marker="v", s=16, facecolors="white", edgecolors="k",
                       zorder=4, label=once("ours: median of all trials (lower)"))  # fmt: skip
            xs.append(med)
        for m in s.milestones:
            mile, label = s.results["milestones"][m.name], m.label or m.name
            reached = np.asarray(mile["reached"], bool)
            at = np.asarray(mile["at"], float)[reached]
            ax.scatter(at, y + jitter[reached] - 0.05, s=10, marker="x", color=colour,
                       linewidths=0.7, zorder=3, label=once(f"ours: {label}"))  # fmt: skip
            xs += list(at)
            if s.paper.get(m.name):
                ax.vlines(s.paper[m.name], y - 0.38, y + 0.38,
                          color=plotting.OKABE_ITO["orange"], linestyle=":", linewidth=1.4,
                          label=once(f"paper: mean {label}"))  # fmt: skip
                xs.append(s.paper[m.name])
        xs += _paper_marks(ax, s, y, once)
        xs += [s.budget, *s.at[s.solved], *s.seen]
    labels = [textwrap.fill(s.label, 30) + "\n" + textwrap.fill(s.note, 50) for s in series]
    ax.set_yticks(range(n)[::-1], labels, fontsize=7)
    for tick, s in zip(ax.get_yticklabels(), series, strict=True):
        tick.set_color(s.style["color"])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.6, n - 0.4)
    ax.spines["left"].set_visible(False)
    ax.set_title(f"(a) training {unit} until success, each trial", loc="left")
    return xs


def _paper_marks(ax, s: Series, y: float, once) -> list:
    """(a): the paper's mean until success and its range on series ``s``'s line; returns the x
    values drawn."""
    xs = []
    if s.paper.get("after"):
        derived = s.paper.get("derived")
        ax.vlines(s.paper["after"], y - 0.38, y + 0.38,
                  **{**plotting.PAPER_STYLE, "linewidth": 1.5, "color": "0.25"},
                  label=once("paper: its ratio × the reference row's mean" if derived
                             else "paper: mean until success"))  # fmt: skip
        xs.append(s.paper["after"])
    if "min" in s.paper:
        ax.hlines(y - 0.42, s.paper["min"], s.paper["max"], color="0.25", linewidth=0.8,
                  label=once("paper: range"))  # fmt: skip
        xs += [s.paper["min"], s.paper["max"]]
    return xs


def _solved_so_far(bx, series: list[Series]) -> None:
    """(b): the share of trials solved by each point; ◀ at the right edge: the paper's share."""
    marks = 0
    for s in series:
        x, y, known = fraction_solved(s.results, s.budget)
        bx.step(x, 100 * y, where="post", **s.style)
        bx.plot([known], [100 * y[-1]], marker="|", markersize=7, color=s.style["color"])
        if "success_pct" in s.paper:
            bx.plot([1.02 + 0.04 * marks], [s.paper["success_pct"]], marker="<", markersize=5,
                    color=s.style["color"], clip_on=False, transform=bx.get_yaxis_transform(),
                    linestyle="none")  # fmt: skip
            marks += 1
    bx.set_ylim(-3, 103)  # a row at 0% stays visible above the axis
    bx.set_ylabel("% of trials solved")
    bx.set_title("(b) trials solved so far", loc="left")


def _training_error(cx, series: list[Series], config, protocol: Protocol, loss=False):
    """(c): each trial's training error (or with ``loss`` its training loss) thin; bold: the median
    of the trials still training (a value one of them had: the lower median), while more than half
    of them train. Returns (the sequences between log points, each series' pooled values
    (points, trials), or None where its parts logged at other points)."""
    every, pooled = None, []
    key, scale = ("train/loss", 1.0) if loss else ("train/error_rate", 100.0)
    for s in series:
        dirs = runner.run_dirs(config, s.row, s.model, protocol.parts(s.row.config))
        curves = [training_error(d, key) for d in dirs]
        for seqs, _ in curves:
            first = float(seqs[0]) if len(seqs) else None
            every = first if every is None or (first and first < every) else every
        floor = 0.0 if loss else 50.0 / (every or 1)
        for seqs, err in curves:
            cx.plot(seqs, np.maximum(scale * err, floor), color=s.style["color"], linewidth=0.35,
                    alpha=0.25, linestyle="-", marker="." if len(seqs) < 3 else None)  # fmt: skip
        seqs, err = _pooled(curves)
        pooled.append(err)
        if seqs is not None:
            med = median_of_most(err)
            cx.plot(seqs, np.maximum(scale * med, floor), linewidth=1.5, zorder=3, **s.style,
                    path_effects=[_HALO])  # fmt: skip
    every = int(every or 1)
    if loss:
        cx.set_yscale("log")
        cx.set_ylabel("training loss (per sequence)")
        cx.set_title(f"training loss, mean of each {every:,}", loc="left")
        return every, pooled
    floor = 50.0 / every
    cx.axhline(floor, color="0.6", linewidth=0.6, linestyle=":")
    # the label sits below the floor, where no curve is drawn
    cx.annotate(f"none wrong of the last {every:,}", (1, floor), xycoords=("axes fraction", "data"),
                xytext=(-2, -2), textcoords="offset points", ha="right", va="top", fontsize=7,
                color="0.3")  # fmt: skip
    cx.set_yscale("log")
    cx.set_ylim(floor / 3.5, 150)
    cx.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    cx.set_ylabel("training error (% wrong)")
    cx.set_title(f"(c) training error per {every:,}", loc="left")
    return every, pooled


def median_of_most(values: np.ndarray) -> np.ndarray:
    """(points,) the lower median over the trials (a value one of them had) at every point where
    more than half of them have a value (NaN: stopped), else NaN."""
    out = np.full(values.shape[0], np.nan)
    most = np.isfinite(values).sum(axis=1) > values.shape[1] / 2
    out[most] = np.nanquantile(values[most], 0.5, axis=1, method="lower")
    return out


def _pooled(curves):
    """The trials of every part side by side, where the parts logged at the same points (parts are
    trained apart; a part that stopped early logged fewer points and is padded with NaN)."""
    if not curves or any(len(c[0]) == 0 for c in curves):
        return None, None
    longest = max(curves, key=lambda c: len(c[0]))[0]
    if any(not np.array_equal(seqs, longest[: len(seqs)]) for seqs, _ in curves):
        return None, None
    pad = lambda e: np.vstack([e, np.full((len(longest) - len(e), e.shape[1]), np.nan)])
    return longest, np.hstack([pad(err) for _, err in curves])


def _log_x(ax, unit: str, lo: float, hi: float) -> None:
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(
        matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0) if hi / lo < 1e3 else (1.0,))
    )
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_count))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel(f"training {unit} presented")


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
    series = series_of(config, rows, runs, protocol, entries)
    if not series:
        return []
    if any(s.solved.any() for s in series):
        fig, panels = _three_panels(config, series, protocol)
    else:  # nothing solved: (a) and (b) would hold no point; the legend carries each row's note
        fig, panels = _training_only(config, series, protocol)
    statement = config.get("statement", "")
    budget_text = ", ".join(f"{b:,}" for b in sorted({s.budget for s in series}))
    text = (
        f"{statement + ' ' if statement else ''}{config.claim}, {runner.shown_label(config)}: "
        f"budget {budget_text} {protocol.unit} per trial. {panels}"
    )
    for c in comparisons:
        if c["p"] is not None:
            text += f" Welch's t-test, {c['a']} vs {c['b']}: p = {c['p']:.2g}."
    lines = plotting.caption(fig, text, size=7)
    # the panels' heights leave room for six lines of caption; a longer one adds its own height
    fig.set_figheight(fig.get_figheight() + max(0, lines - 6) * 7 * 1.25 / 72)
    return plotting.save(fig, runner.figure_path(config))


def _three_panels(config, series: list[Series], protocol: Protocol):
    """(a) each trial until success, (b) the share solved, (c) the training error; the figure
    and the caption's account of its panels."""
    unit, n = protocol.unit, len(series)
    learned = [s for s in series if s.solved.any()]  # (b) and (c); a row that solved none: (a) only
    idle = [s for s in series if not s.solved.any()]
    for s in idle:
        s.note += _last_error(config, s, protocol)
    legend = [plotting.handle(s.style, f"{s.label}: {s.count()}") for s in learned]
    top_height = max(0.45 * n + 0.7, 1.6)  # (a)'s legend needs about 1.5 in
    fig = plotting.blank(width=plotting.FULL_WIDTH, height=top_height + 2.3)
    # two subfigures: (a)'s row labels and legend take no width from (b) and (c)
    top, bottom = fig.subfigures(2, 1, height_ratios=[top_height, 2.0])
    ax = top.add_subplot()
    bx, cx = bottom.subplots(1, 2)
    xs = _until_success(ax, series, unit)
    every, _ = _training_error(cx, learned, config, protocol)
    _solved_so_far(bx, learned)
    lo = max(min([every, *(v for v in xs if v > 0)]) / 2, 1)
    hi = max(xs) * 1.6
    for a in (bx, cx):
        _log_x(a, unit, lo, hi)
    _log_x(ax, unit, max(min(v for v in xs if v > 0) / 2.5, lo), hi)  # its own trials
    ax.set_xlabel(f"training {unit} until success")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, handlelength=1.4,
              borderaxespad=0)  # fmt: skip
    if len({s.style["color"] for s in learned}) < len(learned):  # (a)'s colours do not say it all
        bx.legend(handles=legend, loc="upper left", fontsize=7, handlelength=2.2)
    paper_share = "; ◀ the paper's share" if any("success_pct" in s.paper for s in learned) else ""
    only_a = (
        f" A row that solved no trial ({'; '.join(s.label for s in idle)}) is drawn in (a) only, "
        "its training error at the end in its label."
        if idle else ""
    )  # fmt: skip
    panels = (
        f"(a) each trial's training {unit} until it solved (●), or △ at the budget if it did "
        "not (censored: not slower, unsolved); (b) the share solved by each point (| where the "
        f"budget ends{paper_share}); (c) each "
        "trial's training error (thin) and the median of the trials still training while more "
        "than half of them train (bold); the training error counts a sequence wrong if any step "
        "it is trained on is wrong, which the stopping rule's check need not score, so a trial "
        f"can stop above 0. Colours as the rows of (a).{only_a}"
    )
    return fig, panels


def _last_error(config, s: Series, protocol: Protocol) -> str:
    """ "; training error at the end: X–Y%" over the trials of series ``s`` (each trial's last
    logged training error), or "" where none was logged."""
    dirs = runner.run_dirs(config, s.row, s.model, protocol.parts(s.row.config))
    last = []
    for d in dirs:
        _, err = training_error(d)
        for trial in err.T:
            logged = trial[np.isfinite(trial)]
            last += [100 * logged[-1]] if logged.size else []
    if not last:
        return ""
    lo, hi = min(last), max(last)
    span = f"{lo:.0f}%" if round(lo) == round(hi) else f"{lo:.0f}–{hi:.0f}%"
    return f"; training error at the end {span}"


def _training_only(config, series: list[Series], protocol: Protocol):
    """One column: the training loss of every trial, the legend carrying each row's note and the
    paper's numbers; the figure and the caption's account of it."""
    legend = [plotting.handle(s.style, textwrap.fill(f"{s.label}: {s.note}", 46)) for s in series]
    fig = plotting.blank(width=plotting.COLUMN_WIDTH, height=3.0 + 0.25 * len(series))
    cx = fig.add_subplot()
    every, losses = _training_error(cx, series, config, protocol, loss=True)
    _log_x(cx, protocol.unit, every / 2, max(s.budget for s in series) * 1.3)
    papers = [s for s in series if s.paper.get("after") or "success_pct" in s.paper]
    legend += [
        plotting.handle({"color": "none"}, "paper, " + s.label + ": " + _paper_text(s.paper))
        for s in papers
    ]
    fig.legend(handles=legend, loc="outside upper left", fontsize=7, handlelength=2.2)
    cx.set_title(cx.get_title(loc="left").removeprefix("(c) "), loc="left")
    panels = (
        "No trial solved within its budget, so only training is drawn: the loss (the training "
        "error can sit at 100% while the loss falls), each trial thin, their median bold."
        + _spread(losses)
    )
    return fig, panels


def _spread(losses: list) -> str:
    """ " Every trial's loss stays within X% of its row's median." (X rounded up) where the thin
    lines would hide under the bold one (X < 5), else "". ``losses``: each row's pooled training
    losses (points, trials), as ``_training_error`` drew them."""
    worst = 0.0
    for loss in losses:
        if loss is None:
            return ""
        med = median_of_most(loss)
        with np.errstate(invalid="ignore", divide="ignore"):
            worst = max(worst, float(np.nanmax(np.abs(loss / med[:, None] - 1))))
    if not worst < 0.05:
        return ""
    pct = 100 * worst  # rounded up to two digits: never narrower than the data
    step = 10.0 ** (np.floor(np.log10(pct)) - 1) if pct > 0 else 1.0
    return f" Every trial's loss stays within {np.ceil(pct / step) * step:.2g}% of its median."


def _paper_text(p: dict) -> str:
    parts = [f"{p['success_pct']}% solved"] if "success_pct" in p else []
    if p.get("after"):  # a mean the paper states, or its ratio to the reference row's mean
        derived = p.get("derived")
        parts += [f"{'ratio ' + format(p['ratio'], 'g') + ' × reference mean = ' if derived else 'mean '}"
                  f"{p['after']:,.0f}"]  # fmt: skip
    return ", ".join(parts)
