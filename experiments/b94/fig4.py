"""B94 Fig. 4 and BF93 Tables 1–4 (claims B94-F4-latch, B94-F4-2seq = BF93-T1/T2, B94-F4-parity =
BF93-T3/T4): six algorithms, error and presentations against the longest length T.

Trial i at length T has its training set, initial parameters and the algorithms' keys from
fold_in(fold_in(key(seed), T), i): every algorithm of a trial starts from the same parameters on the
same set (the paper's fairness). The trials of an algorithm (and, with ``pad_together``, all its
lengths, padded) are one vmapped program (``repro.credit.train``); each is a block that a killed
run keeps. Writes numbers.json, table.md (ours / paper in every cell) and the figures: this task's
row, and Fig. 4's three rows from whichever tasks have numbers for the profile.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np

from experiments import common
from experiments.b94 import paper
from experiments.claims import computed, runner
from repro import credit, plotting, results, stats
from repro.tasks import bengio1994 as tasks

__all__ = ["comparative", "entries"]

CLAIMS = {"latch": "B94-F4-latch", "two_sequence": "B94-F4-2seq", "parity": "B94-F4-parity"}
_COLOURS = {"bp": "vermillion", "pn": "orange", "twpn": "reddish purple", "dep": "blue",
            "mgrs": "sky blue", "sa": "bluish green"}  # fmt: skip


def _hp(c, algorithm: str) -> dict:
    prefix = f"{algorithm}_"
    return {k[len(prefix) :]: c[k] for k in c if k.startswith(prefix)}


def _check(c) -> tuple[list[int], list[str]]:
    if c.task not in CLAIMS:
        raise ValueError(f"config.task={c.task!r}: must be one of {list(CLAIMS)}")
    algorithms = common.items(c, "algorithms")
    bad = [a for a in algorithms if a not in credit.ALGORITHMS]
    if bad or not algorithms:
        raise ValueError(
            f"config.algorithms={c.algorithms!r}: must name some of {list(credit.ALGORITHMS)}"
        )
    common.positive(c, "trials", "budget", "train_size", "n_key")
    computed.finite(c, "init_range", "stuck_eps", "target", positive=True)
    computed.finite(c, "noise")
    if c.noise < 0:
        raise ValueError(f"config.noise={c.noise!r}: must be >= 0 (half-width of uniform noise)")
    if c.budget < c.train_size:
        raise ValueError(f"config.budget={c.budget!r}: must be at least train_size={c.train_size}")
    for a in credit.ALGORITHMS:
        computed.finite(c, *[f"{a}_{k}" for k, v in _hp(c, a).items() if not isinstance(v, str)])
    if c.dep_start not in credit.DEP_STARTS:
        raise ValueError(
            f"config.dep_start={c.dep_start!r}: must be one of {list(credit.DEP_STARTS)}"
        )
    try:
        Ts = [int(v) for v in common.items(c, "lengths")]
    except ValueError:
        raise ValueError(
            f"config.lengths={c.lengths!r}: must be integers, comma-separated"
        ) from None
    if not Ts:
        raise ValueError(f"config.lengths={c.lengths!r}: must name at least one T")
    try:  # the generator's rules (T >= 2; 2-sequence: the key fits the shortest sequence)
        credit.net(c.task, output_unit=c.output_unit)
        for T in Ts:
            _data(c, jax.random.key(0), T, T)
    except ValueError as err:
        raise ValueError(
            f"config.lengths={c.lengths!r} / output_unit / train_size: {err}"
        ) from None
    computed.prepare(c)
    return sorted(set(Ts)), algorithms


def _data(c, key, T: int, T_pad: int) -> credit.Sequences:
    n = c.train_size
    if c.task == "latch":
        b = tasks.latch(key, n, T, noise=c.noise, target=c.target)
    elif c.task == "two_sequence":
        b = tasks.two_sequence(key, n, T, n_key=c.n_key, noise=c.noise, target=c.target)
    else:
        b = tasks.parity(key, n, T, noise=c.noise, target=c.target)
    u = jnp.pad(b.inputs[..., 0], ((0, 0), (0, T_pad - T)))
    d = jnp.sum(b.targets[..., 0] * b.mask, axis=1)
    return credit.Sequences(u, b.length, b.extra["label"], d)


def _run(c, model, algorithm: str, Ts: list[int]) -> dict:
    """All trials of ``algorithm`` at the lengths Ts, padded to max(Ts): arrays (len(Ts), trials)."""
    T_pad = max(Ts)
    root = jax.random.key(c.seed)
    index = credit.ALGORITHMS.index(algorithm)
    sets, thetas, keys = [], [], []
    for T in Ts:
        for i in range(c.trials):
            k_data, k_theta, k_alg = jax.random.split(
                jax.random.fold_in(jax.random.fold_in(root, T), i), 3
            )
            sets.append(_data(c, k_data, T, T_pad))
            thetas.append(jax.random.uniform(k_theta, (model.n_params,), minval=-c.init_range,
                                             maxval=c.init_range))  # fmt: skip
            keys.append(jax.random.fold_in(k_alg, index))
    data = jax.tree.map(lambda *a: jnp.stack(a), *sets)
    run = jax.jit(jax.vmap(lambda d, th, k: credit.train(
        model, algorithm, d, th, k, budget=c.budget, stuck_eps=c.stuck_eps, **_hp(c, algorithm))))  # fmt: skip
    r = run(data, jnp.stack(thetas), jnp.stack(keys))
    shape = (len(Ts), c.trials)
    return {
        "error": np.asarray(r.errors).reshape(shape) / c.train_size,
        "presentations": np.asarray(r.presentations).reshape(shape),
        "stop": np.asarray(r.stop).reshape(shape),
        "cost": np.asarray(r.cost).reshape(shape),
    }


def comparative(c) -> list:
    Ts, algorithms = _check(c)
    numbers = computed.reuse(c)
    if numbers is None or not _has_trials(numbers):  # numbers from before per_trial: recompute
        numbers = _compute(c, Ts, algorithms)
    numbers["rows"] = entries(numbers)  # what the status rule reads, from today's paper numbers
    out = numbers["results"]
    computed.write(c, numbers)
    results.atomic_write(runner.out_dir(c) / "table.md", _table(c, Ts, algorithms, out).encode())
    paths = _draw_task(c, numbers)
    return paths + _draw_all(c)


def _compute(c, Ts: list[int], algorithms: list[str]) -> dict:
    model = credit.net(c.task, output_unit=c.output_unit)
    groups = [Ts] if c.pad_together else [[T] for T in Ts]
    out: dict = {}
    for a in algorithms:
        parts = [computed.block(c, f"{a}_T{'-'.join(map(str, g))}", lambda a=a, g=g: _run(c, model, a, g))
                 for g in groups]  # fmt: skip
        arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        out[a] = [_summary(arrays, j) for j in range(len(Ts))]
    numbers = {"task": c.task, "T": Ts, "trials": c.trials, "budget": c.budget, "results": out,
               "paper": {m: {a: [paper.f4_value(c.task, m, a, T) for T in Ts] for a in algorithms}
                         for m in ("error", "presentations")}}  # fmt: skip
    return numbers


def entries(numbers: dict) -> list[dict]:
    """One entry per (T, algorithm) with a paper error: ours (mean over the trials, its bootstrap
    interval) beside the paper's, in the shape the status rule reads (``numbers.json["rows"]``)."""
    out = []
    for a, per_T in numbers["results"].items():
        for T, r, v in zip(numbers["T"], per_T, numbers["paper"]["error"][a], strict=True):
            if v is None:
                continue
            paper_ = {"value": v, **paper.F4_PRECISION[numbers["task"]], **paper.F4_SCALE}
            out.append(
                {"row": f"T{T}", "title": f"T = {T}", "model": a, "value": r["error"],
                 "ci": r["error_ci"], "trials": r["trials"], "budget": numbers["budget"],
                 "budget_hit": r["budget_hit"], "paper": paper_}
            )  # fmt: skip
    return out


def _summary(arrays: dict, j: int) -> dict:
    err, pres, stop = arrays["error"][j], arrays["presentations"][j], arrays["stop"][j]
    return {
        "error": float(err.mean()), "error_ci": stats.bootstrap_mean(err),
        "presentations": float(pres.mean()), "presentations_ci": stats.bootstrap_mean(pres),
        "learned": int((stop == 0).sum()), "stuck": int((stop == 1).sum()),
        "budget_hit": int((stop == 2).sum()), "trials": int(stop.size),
        # every trial, in trial order: what the figures draw (stop: 0 learned, 1 stuck, 2 budget)
        "per_trial": {"error": err.tolist(), "presentations": pres.tolist(),
                      "stop": stop.astype(int).tolist()},
    }  # fmt: skip


def _fmt(v, pct: bool) -> str:
    if v is None:
        return "–"
    if pct:
        return f"{100 * v:.0f}"
    if v < 1000:
        return f"{v:.0f}"
    e = int(np.floor(np.log10(v)))
    return f"{v / 10**e:.1f}e{e}"


def _table(c, Ts, algorithms, out) -> str:
    head = (
        "| algorithm | " + " | ".join(f"T={T}" for T in Ts) + " |\n|---|" + "---|" * len(Ts) + "\n"
    )
    lines = [f"# {c.claim} ({computed.label(c)}): ours / paper\n",
             f"{c.trials} trials per T, budget {c.budget:,} presentations, training set "
             f"{c.train_size}. Cells: ours / paper; learned/stuck/over budget below.\n",
             "\n## Final classification error (% of the training set)\n\n" + head]  # fmt: skip
    for metric, pct in (("error", True), ("presentations", False)):
        if metric == "presentations":
            lines.append("\n## Presentations until stopping (mean over trials)\n\n" + head)
        for a in algorithms:
            cells = [f"{_fmt(s[metric], pct)} / {_fmt(paper.f4_value(c.task, metric, a, T), pct)}"
                     for s, T in zip(out[a], Ts, strict=True)]  # fmt: skip
            lines.append(f"| {paper.LABELS[a]} | " + " | ".join(cells) + " |\n")
    lines.append("\n## Trials learned / stuck / over budget\n\n" + head)
    for a in algorithms:
        cells = [f"{s['learned']}/{s['stuck']}/{s['budget_hit']}" for s in out[a]]
        lines.append(f"| {paper.LABELS[a]} | " + " | ".join(cells) + " |\n")
    return "".join(lines)


_TRIAL_MARKERS = {0: ("o", "learned"), 1: ("x", "stuck"), 2: ("^", "over budget (at the budget)")}


def _has_trials(numbers: dict) -> bool:
    return all("per_trial" in r for rows in numbers["results"].values() for r in rows)


def _per_trial(r: dict) -> dict:
    return {k: np.asarray(v) for k, v in r["per_trial"].items()}


def _trials(ax, T: int, values: np.ndarray, stop: np.ndarray, colour: str) -> None:
    """One trial's value per marker, by why it stopped (learned, stuck, over budget)."""
    for code, (m, _) in _TRIAL_MARKERS.items():
        pick = stop == code
        ax.plot(np.full(pick.sum(), T), values[pick], linestyle="none", marker=m, markersize=2.6,
                color=colour, alpha=0.45, markerfacecolor="none" if code else colour,
                markeredgewidth=0.6)  # fmt: skip


def _draw_error(ax, Ts, rows, colour, marker) -> None:
    """Each trial's final error and their mean (the paper's metric 1), on a linear axis."""
    for T, r in zip(Ts, rows, strict=True):
        t = _per_trial(r)
        _trials(ax, T, t["error"], t["stop"], colour)
    mean = np.array([r["error"] for r in rows])
    ax.plot(Ts, mean, color=colour, marker=marker, markersize=3.5, linewidth=1)


def _draw_presentations(ax, Ts, rows, colour, marker, budget: int) -> None:
    """Each trial's presentations until it stopped, by why it stopped; the mean over trials (the
    paper's metric 2) half filled where some trial hit the budget (then it is a lower bound)."""
    for T, r in zip(Ts, rows, strict=True):
        t = _per_trial(r)
        _trials(ax, T, t["presentations"], t["stop"], colour)
    mean = np.array([r["presentations"] for r in rows], float)
    censored = np.array([r["budget_hit"] > 0 for r in rows])
    ax.plot(Ts, mean, color=colour, linewidth=1)
    dots = {"linestyle": "none", "marker": marker, "markersize": 3.5, "color": colour}
    ax.plot(Ts[~censored], mean[~censored], **dots)
    ax.plot(Ts[censored], mean[censored], fillstyle="bottom", markerfacecoloralt="white", **dots)
    ax.axhline(budget, color="0.6", linestyle=":", linewidth=0.7)


def _draw_paper(ax, task: str, algorithm: str, metric: str, T_max: int) -> None:
    pT = np.array(paper.F4[task]["T"])
    vals = np.array([np.nan if v is None else v for v in paper.F4[task][metric][algorithm]], float)
    keep = (pT <= max(100, T_max)) & np.isfinite(vals)
    ax.plot(pT[keep], vals[keep], marker=paper.MARKERS[algorithm], markerfacecolor="none",
            markersize=3.5, **{**plotting.PAPER_STYLE, "linewidth": 0.8})  # fmt: skip


def _draw_stops(ax, Ts, rows, colour, marker, n: int) -> None:
    """How many trials learned (k of n, in colour) and how many hit the budget (grey), at each T;
    the rest got stuck."""
    learned = [r["learned"] for r in rows]
    ax.plot(Ts, learned, color=colour, marker=marker, markersize=3, linewidth=1)
    ax.plot(Ts, [r["budget_hit"] for r in rows], color="0.45", linestyle="--", marker="^",
            markersize=3, markerfacecolor="none", linewidth=0.8)  # fmt: skip
    ax.set_ylim(-0.08 * n, 1.08 * n)
    ax.set_yticks([0, n])


def _draw_task_rows(axes, numbers: dict, task: str, columns: list[str]) -> None:
    """A column per algorithm (``columns``): error, presentations and the trials' stops against T,
    on three rows of ``axes``."""
    Ts, n = np.array(numbers["T"]), numbers["trials"]
    for a, rows in numbers["results"].items():
        j = columns.index(a)
        colour, marker = plotting.OKABE_ITO[_COLOURS[a]], paper.MARKERS[a]
        _draw_error(axes[0][j], Ts, rows, colour, marker)
        _draw_presentations(axes[1][j], Ts, rows, colour, marker, numbers["budget"])
        for ax, metric in ((axes[0][j], "error"), (axes[1][j], "presentations")):
            _draw_paper(ax, numbers["task"], a, metric, Ts.max())
        _draw_stops(axes[2][j], Ts, rows, colour, marker, n)
        axes[0][j].set_title(paper.LABELS[a], color=colour, fontweight="bold")
    label = task.replace("_", "-")
    axes[0][0].set_ylim(-0.04, 1.04)
    axes[0][0].set_yticks([0, 0.5, 1])
    axes[0][0].set_ylabel(f"{label}\nfinal error")
    axes[1][0].set_yscale("log")
    axes[1][0].set_ylabel(f"{label}\npresentations")
    axes[2][0].set_ylabel("trials")


def _legend(fig, numbers: dict) -> None:
    dark = {"color": "0.25", "linestyle": "none"}
    handles = [
        matplotlib.lines.Line2D([], [], color="0.25", marker="o", markersize=3.5, linewidth=1,
                                label=f"ours: mean of {numbers['trials']} trials"),
        matplotlib.lines.Line2D([], [], color="0.25", marker="o", markersize=3.5, linewidth=1,
                                fillstyle="bottom", markerfacecoloralt="white",
                                label="mean, some trial over budget"),
        *[matplotlib.lines.Line2D([], [], marker=m, markersize=3, markerfacecolor="none" if code else "0.25",
                                  label=f"a trial: {what}", **dark)
          for code, (m, what) in _TRIAL_MARKERS.items()],
        matplotlib.lines.Line2D([], [], marker="o", markerfacecolor="none", markersize=3.5,
                                label="paper", **plotting.PAPER_STYLE),
        matplotlib.lines.Line2D([], [], color="0.6", linestyle=":", label="budget"),
    ]  # fmt: skip
    handles += [
        matplotlib.lines.Line2D([], [], color="0.25", marker="o", markersize=3, linewidth=1,
                                label=f"trials learned (of {numbers['trials']})"),
        matplotlib.lines.Line2D([], [], color="0.45", linestyle="--", marker="^", markersize=3,
                                markerfacecolor="none", linewidth=0.8, label="trials over budget"),
    ]  # fmt: skip
    fig.legend(handles=handles, ncol=4, loc="outside upper center")


def _caption(numbers: dict) -> str:
    n, budget = numbers["trials"], numbers["budget"]
    return (
        "The paper's claims (B94-S1…S5): PN beats BP and TWPN beats both, all three degrading as "
        "the longest length T grows; DEP does well on all three tasks, MGRS too but for parity; SA "
        "does well everywhere at about 10× the presentations (ours against them: REPRODUCTION.md). "
        f"A column per algorithm; {n} trials per T on shared data and initial weights, budget "
        f"{budget:,} presentations. Ours in colour (each trial faint, by why it stopped; the mean "
        "bold), the paper grey, hollow, dashed. Error: the fraction of the training set "
        "misclassified (a linear axis: 0 is 0). Presentations until stopping: a trial over "
        "budget is censored at the budget (a half-filled mean is a lower bound). Bottom rows: "
        "trials that learned (k of n) and that hit the budget; the others got stuck."
    )


def _grid(n_tasks: int, n_cols: int):
    """Three rows per task (error, presentations, the trials' stops), a column per algorithm."""
    return plotting.figure(3 * n_tasks, n_cols, height=2.6 * n_tasks + 1.5,
                           width=plotting.FULL_WIDTH, sharex=True, sharey="row", squeeze=False,
                           gridspec_kw={"height_ratios": [1, 1, 0.5] * n_tasks})  # fmt: skip


def _draw_task(c, numbers: dict) -> list:
    fig, axes = _grid(1, len(numbers["results"]))
    columns = [a for a in credit.ALGORITHMS if a in numbers["results"]]
    _draw_task_rows(axes, numbers, c.task, columns)
    for ax in axes[-1]:
        ax.set_xlabel("longest length T")
    _legend(fig, numbers)
    plotting.caption(fig, f"{c.claim} ({computed.label(c)}): " + _caption(numbers))
    return plotting.save(fig, runner.figure_path(c))


def _draw_all(c) -> list:
    """Fig. 4: two rows (error, presentations) per task with numbers in the same folder of its
    claim (runs/<claim>/<name>, name = the profile, or the last part of an out_dir under
    runs/<claim>/); others draw nothing."""
    slug = runner.slug(c)
    out = Path(c.out_dir) if c.out_dir else Path(f"runs/{slug}/{c.profile}")
    if out.parent != Path(f"runs/{slug}"):
        return []
    found = {}
    for task, claim in CLAIMS.items():
        path = Path(f"runs/{claim.lower().replace('-', '_')}/{out.name}/numbers.json")
        if path.exists() and _has_trials(numbers := json.loads(path.read_text())):
            found[task] = numbers  # (a row written before per_trial waits for its rerun)
    if not found:
        return []
    columns = [a for a in credit.ALGORITHMS if any(a in n["results"] for n in found.values())]
    fig, axes = _grid(len(found), len(columns))
    for i, (task, numbers) in enumerate(found.items()):
        _draw_task_rows(axes[3 * i : 3 * i + 3], numbers, task, columns)
    for ax in axes[1:].flat:  # the algorithms named once, over the top row
        ax.set_title("")
    for ax in axes[-1]:
        ax.set_xlabel("longest length T")
    first = next(iter(found.values()))
    _legend(fig, first)
    ids = ", ".join(CLAIMS[task] for task in found)
    plotting.caption(fig, f"B94 Fig. 4, {ids} ({out.name}): " + _caption(first))
    suffix = "" if out.name == "quick" else f"_{out.name}"
    return plotting.save(fig, f"figures/b94_f4{suffix}")
