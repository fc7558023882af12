"""B94 Fig. 2 (claims B94-F2a, B94-F2b, B94-F1, B94-F2-SENS): the latch neuron trained by BPTT.

Every run is eq. (1) with 7 parameters trained by full-batch gradient descent on the minimal task
(``repro.latch.train_minimal``); the runs of a grid are one vmapped program. Run r of cell i draws
its data and initial h from fold_in(fold_in(key(seed), i), r). Each claim writes numbers.json
(ours beside the paper's where it has numbers) and its figure; the grid is computed in blocks that a
killed run keeps (``claims.computed.block``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from experiments import common
from experiments.b94 import paper
from experiments.claims import computed, runner
from repro import latch, plotting, stats

__all__ = ["f2_sens", "f2a", "f2a_entries", "f2b", "f2b_entries"]

_SHARED = dict(  # config field -> train_minimal argument
    L="L", per_class="per_class", lr="lr", epochs="epochs", cost_below="cost_below",
    train_w="train_w", noise_param="noise_param", target="target", h_init="h_init",
    fresh_noise="fresh_noise", chunk="chunk",
)  # fmt: skip


def _check(c) -> None:
    """Fig. 2's shared fields, before any compute."""
    common.positive(c, "L", "T", "per_class", "epochs", "chunk", "runs")
    computed.finite(c, "lr", "cost_below", "h_init", "target", positive=True)
    if c.noise_param not in ("variance", "std"):
        raise ValueError(f"config.noise_param={c.noise_param!r}: must be 'variance' or 'std'")
    if not 0 < c.target <= 1:
        raise ValueError(f"config.target={c.target!r}: must be in (0, 1] (tanh output)")
    for name in ("train_w", "fresh_noise"):
        if not isinstance(c[name], bool):
            raise ValueError(f"config.{name}={c[name]!r}: must be True or False")
    computed.prepare(c)


def _lengths_ok(c, field: str, Ts) -> None:
    if min(Ts) <= c.L:
        raise ValueError(
            f"config.{field}={c[field]!r}: T={min(Ts)} must be > L={c.L} (the first L steps hold "
            "the trainable inputs)"
        )


def _train(c, cells: list[int], w0, s, T, *, T_max: int, **over) -> dict:
    """``runs`` runs of each cell (index, w0, s, T); arrays (cells, runs)."""
    root = jax.random.key(c.seed)
    keys = jnp.stack(
        [jax.random.split(jax.random.fold_in(root, i), c.runs) for i in cells]
    ).reshape(-1)  # fmt: skip
    rep = lambda v: np.repeat(np.asarray(v, float), c.runs)
    kw = {arg: c[field] for field, arg in _SHARED.items()} | over
    out = latch.train_minimal(keys, rep(w0), rep(s), rep(T).astype(int), T_max=T_max, **kw)
    shape = (len(cells), c.runs)
    return {
        "converged": np.asarray(out.converged).reshape(shape),
        "epoch": np.asarray(out.epoch).reshape(shape),
        "w": np.asarray(out.w).reshape(shape),
        "h": np.asarray(out.h).reshape(*shape, 2, c.L),
        "accuracy": np.asarray(out.accuracy).reshape(shape),
        "cost": np.asarray(out.cost).reshape(shape),
    }


def _centres(c, name: str, cells: str) -> np.ndarray:
    lo, hi = computed.span(c, name)
    common.positive(c, cells)
    edges = np.linspace(lo, hi, c[cells] + 1)
    return (edges[:-1] + edges[1:]) / 2


def _on_paper_cells(w0s, ss, density) -> np.ndarray:
    """Our density averaged over our cells whose centres fall in each of the paper's cells (NaN
    where none does)."""
    out = np.full(paper.F2A.shape, np.nan)
    for i in range(len(paper.F2A_S_EDGES) - 1):
        rows = (ss >= paper.F2A_S_EDGES[i]) & (ss < paper.F2A_S_EDGES[i + 1])
        for j in range(len(paper.F2A_W0_EDGES) - 1):
            cols = (w0s >= paper.F2A_W0_EDGES[j]) & (w0s < paper.F2A_W0_EDGES[j + 1])
            if rows.any() and cols.any():
                out[i, j] = density[np.ix_(rows, cols)].mean()
    return out


def _value_entry(row: str, title: str, k: int, n: int, v: float, precision: float) -> dict:
    """A convergence frequency k/n (Wilson interval) beside the paper's v ± its reading precision,
    in the shape the status rule reads."""
    lo, hi = stats.wilson(k, n)
    return {"row": row, "title": title, "model": "gd", "value": k / n, "ci": [float(lo), float(hi)],
            "trials": n, "budget": 0, "paper": {"value": v, "precision": precision}}  # fmt: skip


def f2a_entries(numbers: dict, runs_per_cell: int) -> list[dict]:
    """One entry per paper cell of Fig. 2(a) that ours covers: the runs of our cells inside it."""
    w0s, ss = np.asarray(numbers["w0"]), np.asarray(numbers["s"])
    density = np.asarray(numbers["density"])
    out = []
    for i in range(len(paper.F2A_S_EDGES) - 1):
        rows = (ss >= paper.F2A_S_EDGES[i]) & (ss < paper.F2A_S_EDGES[i + 1])
        for j in range(len(paper.F2A_W0_EDGES) - 1):
            cols = (w0s >= paper.F2A_W0_EDGES[j]) & (w0s < paper.F2A_W0_EDGES[j + 1])
            if not (rows.any() and cols.any()):
                continue
            cell = density[np.ix_(rows, cols)]
            n = cell.size * runs_per_cell
            k = int(round(cell.sum() * runs_per_cell))
            title = f"w₀ {paper.F2A_W0_EDGES[j]:g}, s {paper.F2A_S_EDGES[i]:g}"
            out.append(_value_entry(f"w{j}_s{i}", title, k, n, float(paper.F2A[i, j]),
                                    paper.F2A_PRECISION))  # fmt: skip
    return out


def f2b_entries(numbers: dict) -> list[dict]:
    """One entry per T that the paper reads a frequency at."""
    return [
        _value_entry(f"T{T}", f"T = {T}", k, numbers["runs"], v, paper.F2B_PRECISION)
        for T, k, v in zip(numbers["T"], numbers["converged"], numbers["paper"], strict=True)
        if v is not None
    ]


# ----------------------------------------------------------------------------- Fig. 2(a)


def f2a(c) -> list:
    """B94-F2a: convergence density over (w_0, s)."""
    _check(c)
    _lengths_ok(c, "T", [c.T])
    w0s, ss = _centres(c, "w0_range", "w0_cells"), _centres(c, "s_range", "s_cells")
    if ss.min() < 0 or w0s.min() < 0:
        raise ValueError("config.s_range / w0_range: must not go below 0")
    nw = len(w0s)
    blocks = [
        computed.block(
            c,
            f"s{i:03d}",
            lambda i=i: _train(
                c,
                [i * nw + j for j in range(nw)],
                w0s,
                np.full(nw, ss[i]),
                np.full(nw, c.T),
                T_max=c.T,
            ),
        )  # fmt: skip
        for i in range(len(ss))
    ]
    conv = np.stack([b["converged"] for b in blocks])  # (s, w0, runs)
    w_end = np.stack([b["w"] for b in blocks])
    density = conv.mean(-1)
    ours_paper = _on_paper_cells(w0s, ss, density)
    diff = np.abs(ours_paper - paper.F2A)
    failed_w = w_end[~conv]
    numbers = {
        "w0": w0s.tolist(),
        "s": ss.tolist(),
        "density": density.tolist(),
        "mean_final_w": w_end.mean(-1).tolist(),
        "converged": int(conv.sum()),
        "runs": int(conv.size),
        "on_paper_cells": {"ours": ours_paper.tolist(), "paper": paper.F2A.tolist()},
        "paper_cells_compared": int(np.isfinite(diff).sum()),
        "paper_cells_within_precision": int((diff <= paper.F2A_PRECISION).sum()),
        "mean_abs_difference": float(np.nanmean(diff)),
        "failed_runs_final_w_median": float(np.median(failed_w)) if failed_w.size else None,
        "failed_runs_accuracy_median": float(np.median(np.stack([b["accuracy"] for b in blocks])[~conv]))
        if failed_w.size else None,
    }  # fmt: skip
    numbers["rows"] = f2a_entries(numbers, c.runs)
    computed.write(c, numbers)
    return _draw_f2a(c, w0s, ss, density, w_end.mean(-1), numbers)


def _draw_f2a(c, w0s, ss, density, mean_w, numbers) -> list:
    fig, axes = plotting.figure(1, 3, height=2.5, width=plotting.FULL_WIDTH)
    grey = dict(cmap="gray", vmin=0, vmax=1, origin="lower", aspect="auto", interpolation="nearest")
    # the paper's cells: 0.5–1.0 merged, then 0.1 wide, s up to 0.35; black (0) above, as drawn
    w_edges, s_edges = paper.F2A_W0_EDGES, np.r_[paper.F2A_S_EDGES, 1.0]
    values = np.vstack([paper.F2A, np.zeros((1, paper.F2A.shape[1]))])
    ax = axes[0]
    ax.pcolormesh(w_edges, s_edges, values, cmap="gray", vmin=0, vmax=1)
    ax.set_title("paper (read off Fig. 2(a), ±0.2)")
    lo_w, hi_w = computed.span(c, "w0_range")
    lo_s, hi_s = computed.span(c, "s_range")
    bx = axes[1]
    im = bx.imshow(density, extent=(lo_w, hi_w, lo_s, hi_s), **grey)
    bx.set_title(f"ours: {c.runs} runs per cell, {c.epochs} epochs")
    cx = axes[2]
    im2 = cx.imshow(mean_w, extent=(lo_w, hi_w, lo_s, hi_s), origin="lower", aspect="auto",
                    cmap="viridis", interpolation="nearest", vmin=-0.5, vmax=3.5)  # fmt: skip
    cx.set_title("ours: mean final w")
    for a in axes:
        a.axvline(1.0, color=plotting.OKABE_ITO["orange"], linewidth=1, linestyle="--")
        a.set_xlabel("initial weight w₀")
        a.set_xlim(lo_w, hi_w)
        a.set_ylim(lo_s, hi_s)
    axes[0].set_ylabel("noise variance s")
    fig.colorbar(im, ax=axes[:2], label="fraction converged", shrink=0.9)
    fig.colorbar(im2, ax=cx, label="w (clipped to [−0.5, 3.5])", shrink=0.9, extend="both")
    plotting.caption(fig, "The paper's claim: gradient descent learns the latch only from a large enough initial "
        f"self-weight w₀ and with little enough noise s. B94-F2a ({computed.label(c)}): T = {c.T}, L = {c.L}, {c.per_class} sequences per class, "
        f"η = {c.lr:g}; converged: all signs right and C̄ < {c.cost_below:g}. Dashed: w = 1 "
        f"(bistable above). {numbers['converged']}/{numbers['runs']} runs converged; "
        f"{numbers['paper_cells_within_precision']}/{numbers['paper_cells_compared']} paper cells "
        "within ±0.2.")  # fmt: skip
    return plotting.save(fig, runner.figure_path(c))


# ----------------------------------------------------------------------------- Fig. 2(b)


def _int_list(c, name: str) -> list[int]:
    out = []
    for item in common.items(c, name):
        a, _, b = item.partition("-")
        try:
            lo, hi = int(a), int(b or a)
        except ValueError:
            raise ValueError(f"config.{name}={c[name]!r}: must be integers or ranges a-b") from None
        out.extend(range(lo, hi + 1))
    if not out:
        raise ValueError(f"config.{name}={c[name]!r}: must name at least one length")
    return sorted(set(out))


def _ceiling(c, Ts, key) -> np.ndarray:
    """With w frozen at w0, the best any h can do: P(a sequence ends with its sign) when the state
    after step L is saturated (h → ∞), to the power of the training set (all must be right)."""
    std = np.sqrt(c.s) if c.noise_param == "variance" else c.s
    n = c.ceiling_sequences
    noise = std * jax.random.normal(key, (max(Ts) - c.L, n))
    a = jnp.full(n, c.w0 * 1.0)  # w·tanh(+∞) at step L + 1, before that step's noise
    right = []
    for t in range(1, max(Ts) - c.L + 1):
        a = (a if t == 1 else c.w0 * jnp.tanh(a)) + noise[t - 1]
        right.append(np.mean(np.asarray(a) > 0))
    p = np.array([right[T - c.L - 1] for T in Ts])
    return p ** (2 * c.per_class)


def f2b(c) -> list:
    """B94-F2b (and B94-F1): convergence frequency against T at s = 0.2, w_0 = 1.25."""
    _check(c)
    Ts = _int_list(c, "lengths")
    _lengths_ok(c, "lengths", Ts)
    computed.finite(c, "w0", "s")
    if c.s < 0:
        raise ValueError(f"config.s={c.s!r}: must be >= 0 (a noise variance)")
    common.positive(c, "ceiling_sequences")
    res = computed.block(c, "runs", lambda: _train(
        c, list(range(len(Ts))), np.full(len(Ts), c.w0), np.full(len(Ts), c.s), Ts, T_max=max(Ts),
    ))  # fmt: skip
    conv = res["converged"]
    k, n = conv.sum(1), conv.shape[1]
    lo, hi = stats.wilson(k, n)
    ceiling = None if c.train_w else _ceiling(c, Ts, jax.random.key(c.seed + 1))
    med = lambda m: [
        float(np.median(res["w"][i][m[i]])) if m[i].any() else None for i in range(len(Ts))
    ]
    numbers = {
        "T": Ts,
        "converged": k.tolist(),
        "runs": n,
        "frequency": (k / n).tolist(),
        "wilson95": [lo.tolist(), hi.tolist()],
        "paper": [paper.F2B.get(T) for T in Ts],
        "median_final_w_converged": med(conv),
        "median_final_w_failed": med(~conv),
        "median_epochs_converged": [
            float(np.median(res["epoch"][i][conv[i]])) if conv[i].any() else None
            for i in range(len(Ts))
        ],  # fmt: skip
        "frozen_w_ceiling": None if ceiling is None else ceiling.tolist(),
    }
    half = [T for T, f in zip(Ts, k / n, strict=True) if f < 0.5]
    numbers["first_T_below_half"] = half[0] if half else None
    numbers["rows"] = f2b_entries(numbers)
    computed.write(c, numbers)
    return _draw_f2b(c, Ts, numbers, res)


def _draw_f2b(c, Ts, numbers, res) -> list:
    fig, (ax, bx, cx) = plotting.figure(1, 3, height=2.4, width=plotting.FULL_WIDTH,
                                        gridspec_kw={"width_ratios": [2.2, 1.2, 1.2]})  # fmt: skip
    blue = plotting.OKABE_ITO["blue"]
    freq = np.array(numbers["frequency"])
    lo, hi = map(np.array, numbers["wilson95"])
    ax.bar(Ts, freq, width=0.8 if len(Ts) > 20 else 2.0, color=blue, alpha=0.6,
           label=f"ours ({numbers['runs']} runs per T)")  # fmt: skip
    ax.errorbar(Ts, freq, yerr=[freq - lo, hi - freq], fmt="none", ecolor=blue, elinewidth=0.8,
                label="Wilson 95%")  # fmt: skip
    pT = sorted(paper.F2B)
    ax.plot(pT, [paper.F2B[T] for T in pT], "o", markersize=2.5, color="k", label="paper (±0.01)")
    if numbers["frozen_w_ceiling"] is not None:
        ax.plot(Ts, numbers["frozen_w_ceiling"], **plotting.PAPER_STYLE, label="ceiling, w frozen")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("fraction converged")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"w₀ = {c.w0:g}, s = {c.s:g}, w {'trained' if c.train_w else 'frozen'}")
    ax.legend(loc="upper right")
    for key, colour, label in (("median_final_w_converged", "bluish green", "converged"),
                               ("median_final_w_failed", "vermillion", "failed")):  # fmt: skip
        vals = [np.nan if v is None else v for v in numbers[key]]
        bx.plot(Ts, vals, "o-", markersize=2.5, color=plotting.OKABE_ITO[colour], label=label)
    bx.axhline(1.0, color="0.5", linewidth=0.6, linestyle=":")
    bx.set_xlabel("sequence length T")
    bx.set_ylabel("median final w")
    bx.legend()
    _draw_f1(c, cx, Ts, res)
    plotting.caption(fig, "The paper's claim: the longer the sequence, the less often gradient descent learns the "
        f"latch. B94-F2b, B94-F1 ({computed.label(c)}): {c.per_class} sequences per class, η = {c.lr:g}, "
        f"≤ {c.epochs} epochs; converged: all signs right and C̄ < {c.cost_below:g}. "
        "Right: a converged run's learned inputs (bold) and one sequence per class.")  # fmt: skip
    return plotting.save(fig, runner.figure_path(c))


def _draw_f1(c, ax, Ts, res) -> None:
    """B94-F1: the inputs h_1..h_L of a converged run (at T = 20 if run) and one state path each."""
    i = Ts.index(20) if 20 in Ts else len(Ts) // 2
    runs = np.flatnonzero(res["converged"][i])
    ax.set_xlabel("time step t")
    ax.set_ylabel("input, state x_t")
    if not runs.size:
        ax.text(0.5, 0.5, f"no run converged at T = {Ts[i]}", ha="center", transform=ax.transAxes)
        return
    r = int(runs[0])
    T, w, h = Ts[i], float(res["w"][i, r]), res["h"][i, r]
    std = np.sqrt(c.s) if c.noise_param == "variance" else c.s
    noise = std * np.asarray(jax.random.normal(jax.random.key(c.seed + 2), (2, T)))
    for k, colour in ((1, "blue"), (0, "vermillion")):
        u = np.r_[h[k], noise[k, c.L :]]
        x = np.tanh(np.asarray(latch.run_neuron(w, 0.0, jnp.asarray(u))))
        t = np.arange(1, T + 1)
        ax.plot(t, u, color=plotting.OKABE_ITO[colour], linewidth=0.6, alpha=0.6)
        ax.plot(t[: c.L], h[k], "o-", color=plotting.OKABE_ITO[colour], linewidth=2, markersize=3)
        ax.plot(t, x, color=plotting.OKABE_ITO[colour], linestyle="--", label=f"class {k}: x_t")
    ax.set_title(f"T = {T}, learned w = {w:.2f}")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.25), ncol=2)


# ----------------------------------------------------------------------------- sensitivity


def _reached(points, table) -> str:
    """Where some η reaches the paper's Fig. 2(b) frequency (within its ±0.01) and where none does."""
    hit, miss = [], []
    for j, (pw, ps, pT) in enumerate(points):
        if (pw, ps) == (1.25, 0.2) and pT in paper.F2B:
            best = max(row[j] for row in table)
            (hit if best >= paper.F2B[pT] - paper.F2B_PRECISION else miss).append(f"T = {pT}")
    parts = [f"some η reaches it at {', '.join(hit)}"] if hit else []
    parts += [f"no η reaches it at {', '.join(miss)}"] if miss else []
    return ": " + "; ".join(parts) if parts else ""


def _points(c) -> list[tuple[float, float, int]]:
    out = []
    for item in common.items(c, "points"):
        try:
            w0, s, T = item.split(":")
            out.append((float(w0), float(s), int(T)))
        except ValueError:
            raise ValueError(
                f"config.points={c.points!r}: must be 'w0:s:T', comma-separated"
            ) from None
    if not out:
        raise ValueError(f"config.points={c.points!r}: must name at least one setting")
    if not all(np.isfinite(w0) and np.isfinite(s) and s >= 0 for w0, s, _ in out):
        raise ValueError(f"config.points={c.points!r}: w0 must be finite and s finite and >= 0")
    return out


_COLOURS = ("blue", "vermillion", "bluish green", "orange", "reddish purple", "sky blue")


def f2_sens(c) -> list:
    """B94-F2-SENS: convergence against η at Fig. 2 settings."""
    _check(c)
    points = _points(c)
    _lengths_ok(c, "points", [T for _, _, T in points])
    lrs = computed.floats(c, "lrs")
    if not lrs or min(lrs) <= 0:
        raise ValueError(f"config.lrs={c.lrs!r}: must be learning rates > 0, comma-separated")
    T_max = max(T for _, _, T in points)
    w0, s, T = (np.array(v) for v in zip(*points, strict=True))
    table = []
    for lr in lrs:
        res = computed.block(c, f"lr{lr:g}", lambda lr=lr: _train(
            c, list(range(len(points))), w0, s, T, T_max=T_max, lr=lr,
        ))  # fmt: skip
        table.append(res["converged"].mean(1).tolist())
    numbers = {"lrs": lrs, "points": [list(p) for p in points], "frequency": table, "runs": c.runs}
    computed.write(c, numbers)
    fig, ax = plotting.figure(height=2.6, width=plotting.FULL_WIDTH)
    for j, (pw, ps, pT) in enumerate(points):
        colour = plotting.OKABE_ITO[_COLOURS[j % len(_COLOURS)]]
        ax.plot(lrs, [row[j] for row in table], "o-", color=colour, markersize=3,
                label=f"w₀ = {pw:g}, s = {ps:g}, T = {pT}")  # fmt: skip
        if (pw, ps) == (1.25, 0.2) and pT in paper.F2B:  # Fig. 2(b)'s setting: the paper's value
            ax.axhline(paper.F2B[pT], color=colour, linestyle=(0, (1, 1.5)), linewidth=1.2)
    ax.axvline(c.lr, color="0.5", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("fraction converged")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    plotting.caption(
        fig,
        "How often the latch neuron of Fig. 2 learns, against the learning rate η (ours: B94 "
        f"states no η). B94-F2-SENS, {computed.label(c)}: {c.runs} runs per point, ≤ {c.epochs} "
        f"epochs; grey dotted: η = {c.lr:g}, used everywhere else; dotted in a curve's colour: "
        f"the paper's Fig. 2(b) frequency at that setting (its η not stated){_reached(points, table)}.",
    )
    return plotting.save(fig, runner.figure_path(c))
