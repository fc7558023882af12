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
import numpy as np

from experiments import common
from experiments.b94 import paper
from experiments.claims import runner, units
from repro import credit, plotting, results, stats
from repro.tasks import bengio1994 as tasks

__all__ = ["comparative", "entries"]

CLAIMS = {"latch": "B94-F4-latch", "two_sequence": "B94-F4-2seq", "parity": "B94-F4-parity"}
_COLOURS = {"bp": "vermillion", "pn": "orange", "twpn": "reddish purple", "dep": "blue",
            "mgrs": "sky blue", "sa": "bluish green"}  # fmt: skip
_FLOOR = 0.025  # the paper draws an error of 0 here
_WIDTHS = {"width_ratios": [1.3, 1.3, 0.9]}


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
    units.finite(c, "init_range", "stuck_eps", "target", positive=True)
    units.finite(c, "noise")
    if c.noise < 0:
        raise ValueError(f"config.noise={c.noise!r}: must be >= 0 (half-width of uniform noise)")
    if c.budget < c.train_size:
        raise ValueError(f"config.budget={c.budget!r}: must be at least train_size={c.train_size}")
    for a in credit.ALGORITHMS:
        units.finite(c, *[f"{a}_{k}" for k, v in _hp(c, a).items() if not isinstance(v, str)])
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
    units.prepare(c)
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
    numbers = units.reuse(c)
    if numbers is None:
        numbers = _compute(c, Ts, algorithms)
    numbers["rows"] = entries(numbers)  # what the status rule reads, from today's paper numbers
    out = numbers["results"]
    units.write(c, numbers)
    results.atomic_write(runner.out_dir(c) / "table.md", _table(c, Ts, algorithms, out).encode())
    paths = _draw_task(c, numbers)
    return paths + _draw_all(c)


def _compute(c, Ts: list[int], algorithms: list[str]) -> dict:
    model = credit.net(c.task, output_unit=c.output_unit)
    groups = [Ts] if c.pad_together else [[T] for T in Ts]
    out: dict = {}
    for a in algorithms:
        parts = [units.block(c, f"{a}_T{'-'.join(map(str, g))}", lambda a=a, g=g: _run(c, model, a, g))
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
    lines = [f"# {c.claim} ({units.label(c)}): ours / paper\n",
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


def _draw_row(ax_err, ax_pres, ax_k, numbers: dict, title: str) -> None:
    Ts = np.array(numbers["T"])
    n = numbers["trials"]
    for a, rows in numbers["results"].items():
        colour = plotting.OKABE_ITO[_COLOURS[a]]
        marker = paper.MARKERS[a]
        err = np.array([max(r["error"], _FLOOR) for r in rows])
        lo = np.array([max(r["error_ci"][0], _FLOOR) for r in rows])
        hi = np.array([max(r["error_ci"][1], _FLOOR) for r in rows])
        ax_err.errorbar(Ts, err, yerr=[err - lo, hi - err], color=colour, marker=marker,
                        markersize=3.5, linewidth=1, elinewidth=0.6, capsize=1.5,
                        label=paper.LABELS[a])  # fmt: skip
        pres = np.array([r["presentations"] for r in rows], float)
        ax_pres.plot(Ts, pres, color=colour, marker=marker, markersize=3.5, linewidth=1)
        censored = np.array([r["budget_hit"] > 0 for r in rows])
        if censored.any():  # a mean over trials of which some hit the budget: a lower bound
            ax_pres.plot(Ts[censored], pres[censored] * 1.5, linestyle="none", marker="^",
                         color=colour, markersize=3, markerfacecolor="none")  # fmt: skip
        ax_k.plot(Ts, [r["learned"] for r in rows], color=colour, marker=marker, markersize=3.5,
                  linewidth=1)  # fmt: skip
        task = numbers["task"]
        pT = np.array(paper.F4[task]["T"])
        for ax, metric in ((ax_err, "error"), (ax_pres, "presentations")):
            vals = np.array([np.nan if v is None else v for v in paper.F4[task][metric][a]], float)
            if metric == "error":
                vals = np.where(vals == 0, _FLOOR, vals)
            keep = (pT <= max(100, Ts.max())) & np.isfinite(vals)
            ax.plot(pT[keep], vals[keep], color=colour, alpha=0.55, linestyle="--", linewidth=0.7,
                    marker=marker, markerfacecolor="none", markersize=4)  # fmt: skip
    ax_err.set_yscale("log")
    ax_err.set_ylim(_FLOOR * 0.85, 1.0)
    ax_err.set_ylabel("final error (fraction)")
    ax_pres.set_yscale("log")
    ax_pres.set_ylabel("presentations")
    ax_err.set_title(f"{title}: error", loc="left")
    ax_pres.set_title(f"{title}: presentations", loc="left")
    ax_k.set_ylim(-0.5, n + 0.5)
    ax_k.set_ylabel(f"trials learned (of {n})")
    ax_k.set_title(f"learned k/{n}", loc="left")
    for ax in (ax_err, ax_pres, ax_k):
        ax.set_xlabel("longest length T")


def _caption(numbers: dict) -> str:
    return (f"{numbers['trials']} trials per point, budget {numbers['budget']:,} presentations; "
            "ours filled, solid, with bootstrap 95% intervals; paper hollow, dashed; presentations until stopping; error 0 drawn at "
            f"{_FLOOR}; ▵ above a point: some trials hit the budget (the mean is a lower bound). Trials "
            "stuck or over budget: the claim's table.md.")  # fmt: skip


def _legend(fig, ax) -> None:
    ax.plot([], [], color="0.45", linestyle="--", marker="o", markerfacecolor="none",
            linewidth=0.7, label="paper (hollow, dashed)")  # fmt: skip
    fig.legend(*ax.get_legend_handles_labels(), ncol=7, fontsize=6.5, loc="outside upper center")


def _draw_task(c, numbers: dict) -> list:
    fig, (ax, bx, cx) = plotting.figure(1, 3, height=2.5, width=2 * plotting.COLUMN_WIDTH,
                                        gridspec_kw=_WIDTHS)  # fmt: skip
    _draw_row(ax, bx, cx, numbers, c.task.replace("_", "-"))
    _legend(fig, ax)
    plotting.caption(fig, f"{c.claim} ({units.label(c)}): " + _caption(numbers))
    return plotting.save(fig, runner.figure_path(c))


def _draw_all(c) -> list:
    """Fig. 4: a row per task with numbers in the same folder of its claim (runs/<claim>/<name>,
    name = the profile, or the last part of an out_dir under runs/<claim>/); others draw nothing."""
    slug = runner.slug(c)
    out = Path(c.out_dir) if c.out_dir else Path(f"runs/{slug}/{c.profile}")
    if out.parent != Path(f"runs/{slug}"):
        return []
    found = {}
    for task, claim in CLAIMS.items():
        path = Path(f"runs/{claim.lower().replace('-', '_')}/{out.name}/numbers.json")
        if path.exists():
            found[task] = json.loads(path.read_text())
    if not found:
        return []
    fig, axes = plotting.figure(len(found), 3, height=2.2 * len(found), width=2 * plotting.COLUMN_WIDTH,
                                squeeze=False, gridspec_kw=_WIDTHS)  # fmt: skip
    for (task, numbers), (ax, bx, cx) in zip(found.items(), axes, strict=True):
        _draw_row(ax, bx, cx, numbers, task.replace("_", "-"))
    _legend(fig, axes[0][0])
    first = next(iter(found.values()))
    ids = ", ".join(CLAIMS[task] for task in found)
    plotting.caption(fig, f"B94 Fig. 4, {ids} ({out.name}): " + _caption(first))
    suffix = "" if out.name == "quick" else f"_{out.name}"
    return plotting.save(fig, f"figures/b94_f4{suffix}")
