"""H97 Exp. 1: does a net store the embedded symbol, and when? Measured during training (issue 28).

With ``config.probe`` every frozen-weight check of Exp. 1 (the 256 training and 256 test strings) also
measures, at the check's weights:

- ``s_max``: the largest |s| of any cell at any step of any string (saturation);
- ``store``: the best cell's separation of the T strings from the P strings at the long-lag step (the
  step whose target is the second embedded symbol, after the inner grammar's E): the least state of
  one group minus the largest of the other. Positive when that cell alone tells the two apart: the
  symbol is stored;
- ``gain``: that cell's mean y_out·h′(s) at the long-lag step over the strings, the factor by which an
  output error there enters its constant error carousel (H97 eq. 23).

``summary(run_dirs)`` turns the logs into per trial numbers (largest |s| over training, the first
check that found the symbol stored and the gain then, success and when), stored beside the claim's
table as ``mechanism_<row>.json``; ``draw`` puts runs side by side:

``sets()`` describes Exp. 1's train/test pairs as drawn (distinct strings, the shortest strings'
share, mean lengths), the facts behind the spec's Decision on duplicates.

  python -m experiments.h97.mechanism   # runs/h97_t1/sets.json, figures/h97_t1_mechanism.{pdf,png}
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from experiments.claims import figures, runner
from experiments.h97 import paper, protocol
from repro import plotting, results
from repro.tasks import hochreiter1997 as h97

CHECK_STRINGS = 512  # Exp. 1's check: the 256 training and 256 test strings


def summary(run_dirs: list[Path]) -> dict:
    """Per trial, over the data pairs in order: success and when, the largest |s| over training,
    the first check with the symbol stored (None: never) and the gain then."""
    out = {k: [] for k in ("solved", "solved_at", "s_max", "stored_at", "gain_at_store")}
    for run_dir in run_dirs:
        rows = runner.logged(run_dir)
        if "eval/store" not in rows[0]:
            raise ValueError(f"{run_dir}: its log has no probe entries (run it with probe=true)")
        seen, _ = figures.training_error(run_dir)
        r = results.load_json(run_dir / "results.json")
        s_max, store, gain = (
            figures.per_trial(rows, f"eval/{k}") for k in ("s_max", "store", "gain")
        )
        for j in range(s_max.shape[1]):
            stored = np.flatnonzero(store[:, j] > 0)
            out["solved"].append(bool(r["solved"][j]))
            out["solved_at"].append(int(r["solved_at"][j]) if r["solved"][j] else None)
            out["s_max"].append(float(np.nanmax(s_max[:, j])))
            out["stored_at"].append(int(seen[stored[0]]) if stored.size else None)
            out["gain_at_store"].append(float(gain[stored[0], j]) if stored.size else None)
    solved = np.asarray(out["solved"])
    stored = np.asarray([v is not None for v in out["stored_at"]])
    out["n"] = len(solved)
    out["n_solved"] = int(solved.sum())
    out["n_stored"] = int(stored.sum())
    out["n_solved_never_stored"] = int((solved & ~stored).sum())
    out["median_s_max"] = float(np.median(out["s_max"]))
    when = [v for v in out["stored_at"] if v is not None]
    gain = [v for v in out["gain_at_store"] if v is not None]
    out["median_stored_at"] = float(np.median(when)) if when else None
    out["median_gain_at_store"] = float(np.median(gain)) if gain else None
    return out


def sets(config) -> dict:
    """Per data pair of ``config`` (Exp. 1): how many of the 256 training strings are distinct,
    how many are the shortest strings (length 9: two inner strings × two embedded symbols), and
    the mean length of the training and test strings."""
    out = []
    for pair in range(config.data_pairs):
        key = jax.random.fold_in(jax.random.key(config.seed), protocol.REBER_SETS_STREAM + pair)
        drawn = h97.reber_sets(key, 256, 256, unique_strings=config.unique_strings)
        length = {k: np.asarray(v["length"]) for k, v in drawn.items()}
        symbols = np.asarray(drawn["train"]["symbols"])
        strings = {tuple(row[:n]) for row, n in zip(symbols, length["train"], strict=True)}
        out.append(
            {
                "pair": pair,
                "train_distinct": len(strings),
                "train_shortest": int((length["train"] == length["train"].min()).sum()),
                "shortest_length": int(length["train"].min()),
                "train_mean_length": float(length["train"].mean()),
                "test_mean_length": float(length["test"].mean()),
            }
        )
    return {"pairs": out, "unique_strings": config.unique_strings, "seed": config.seed}


def wrong_steps(c, pair: int, run_dir: Path) -> dict:
    """Per trial of ``run_dir`` (its last checkpoint): how many steps of the 512 check strings the
    net gets wrong by Exp. 1's rule, how many of those are the long-lag step (the second T or P),
    and how many strings are wrong."""
    from repro import problems, train

    t = protocol.build(c, "lstm1997", pair)
    state = train.load_state(run_dir, t.problem, t.optimizer, t.schedule)
    batch = protocol.FAMILIES[c.task].data(c, pair).check(jax.random.key(0))
    lag = (jnp.arange(batch.mask.shape[1])[None, :] == (batch.length - 2)[:, None]) & (
        batch.mask > 0
    )

    def count(params):
        y = problems.unroll(t.model, params, batch.inputs)
        legal = batch.extra["legal"] > 0
        low = jnp.min(jnp.where(legal, y, jnp.inf), axis=-1)
        high = jnp.max(jnp.where(legal, -jnp.inf, y), axis=-1)
        wrong = (low <= high) & (batch.mask > 0)  # (strings, steps)
        return jnp.sum(wrong), jnp.sum(wrong & lag), jnp.sum(jnp.any(wrong, axis=1))

    steps, at_lag, strings = jax.vmap(count)(state.params)
    return {
        "wrong_steps": np.asarray(steps).tolist(),
        "wrong_lag": np.asarray(at_lag).tolist(),
        "wrong_strings": np.asarray(strings).tolist(),
    }


def write(config, row) -> dict:
    """``mechanism_<row>.json`` beside the claim's table, from the row's runs."""
    dirs = runner.run_dirs(config, row, "lstm1997", protocol.parts(row.config))
    got = summary(dirs)
    for pair, run_dir in enumerate(dirs):  # where the final nets go wrong
        for key, values in wrong_steps(row.config, pair, run_dir).items():
            got.setdefault(key, []).extend(values)
    failed = ~np.asarray(got["solved"])
    lag = np.asarray(got["wrong_lag"])
    quarter = CHECK_STRINGS // 4
    got["n_failed"] = int(failed.sum())
    # where the unsolved nets fail: every long-lag step right (local contexts only), a few wrong,
    # or at least a quarter of the 512 strings wrong there (T and P largely not told apart)
    got["n_failed_lag_none"] = int((failed & (lag == 0)).sum())
    got["n_failed_lag_few"] = int((failed & (lag > 0) & (lag < quarter)).sum())
    got["n_failed_lag_quarter"] = int((failed & (lag >= quarter)).sum())
    got["label"] = config.label
    results.write_json_with_provenance(runner.out_dir(config) / f"mechanism_{row.id}.json", got)
    return got


# ----------------------------------------------------------------------------------- figure

RUNS = (  # (directory under runs/h97_t1, name on the figure): today's net and the readings
    ("probed", "the paper's net"),
    ("input_output", "+ input→output weights"),
    ("output_bias", "+ output biases"),
    ("gates_first", "cells read this step's gates"),
    ("output_layer", "+ input→output + output biases"),
)
ROW = "3x2_a05"


def draw(root: Path, stem: str) -> list[Path]:
    """(a) largest |s| over training against when (or whether) the trial solved; (b) when the
    symbol was first stored; one colour and marker per net, one marker per trial, unsolved trials
    censored at the budget (open marker on the top edge), never stored ones on the right edge."""
    got = []  # (index in RUNS: a net's colour and marker in every drawing, title, summary)
    for i, (name, title) in enumerate(RUNS):
        path = root / "runs" / "h97_t1" / name / f"mechanism_{ROW}.json"
        if path.exists():
            got.append((i, title, results.load_json(path)))
    if not got:
        raise ValueError(f"no mechanism_{ROW}.json under {root / 'runs' / 'h97_t1'}")
    budget, theirs = 200_000, paper.TABLES["H97-T1"][ROW]["after"]
    fig, (a, b, c) = plotting.figure(1, 3, height=3.4, width=7.0)
    for k, title, m in got:
        _draw_net(a, b, c, k, title, m, budget)
    _label_axes(a, b, c, budget, theirs)
    fig.legend(loc="outside upper center", ncol=2, fontsize=7, frameon=False)
    plotting.caption(
        fig,
        "H97-T1, 3×2 net, α 0.5, paper profile (30 trials = 3 data pairs × 10, budget 200,000 "
        "strings; paper: 30/30 solved, mean 8,440). Direct input→output weights, which the paper "
        "does not describe, let the nets store the embedded symbol within a few thousand strings "
        "and solve more often; the paper's net stores it late or never, saturates more, and most of "
        "its unsolved nets cannot tell T from P. 'Stored': at the step that must predict the second "
        "T or P, one cell's state separates every T string from every P string of the 512 check "
        "strings (a net can also hold it across cells, which this misses). (c) Wrong long-lag "
        "steps against wrong local steps of each unsolved net at the end. Every reading but the "
        "paper's net is an option the paper does not describe.",
        size=7,
    )
    return plotting.save(fig, stem)


_ORDER = ("black", "blue", "vermillion", "bluish green", "reddish purple")  # one per net in RUNS
_MARKERS = ("o", "s", "D", "v", "P")


def _draw_net(a, b, c, k: int, title: str, m: dict, budget: int) -> None:
    """One net's trials in the three panels: solved filled, unsolved open at the budget."""
    color, marker = plotting.OKABE_ITO[_ORDER[k]], _MARKERS[k]
    solved = np.asarray(m["solved"])
    when = np.array([v if v is not None else budget for v in m["solved_at"]], float)
    stored = np.array([v if v is not None else budget for v in m["stored_at"]], float)
    label = f"{title}: {m['n_solved']}/{m['n']} solved, {m['n_stored']}/{m['n']} stored"
    for ax, x in ((a, np.asarray(m["s_max"])), (b, stored)):
        ax.scatter(x[solved], when[solved], s=12, color=color, marker=marker, label=label)
        ax.scatter(x[~solved], when[~solved], s=16, marker=marker, facecolors="none",
                   edgecolors=color, lw=0.8)  # fmt: skip
        label = None
    if "wrong_lag" in m:  # the unsolved nets at the end: the long-lag step or the others
        lag = np.asarray(m["wrong_lag"], float)[~solved]
        other = np.asarray(m["wrong_steps"], float)[~solved] - lag
        c.scatter(
            other, lag, s=16, marker=marker, facecolors="none", edgecolors=color, lw=0.8,
            alpha=0.8,
        )  # fmt: skip


def _label_axes(a, b, c, budget: int, theirs: int) -> None:
    """The paper's mean, the scales, labels and titles of the three panels."""
    a.axhline(theirs, **plotting.PAPER_STYLE, label=f"paper: 30/30 solved, mean {theirs:,} strings")
    b.axhline(theirs, **plotting.PAPER_STYLE)
    for ax in (a, b):
        ax.set_yscale("log")
        ax.set_ylim(1_000, 1.3 * budget)  # the censored markers sit at the top edge
        ax.tick_params(labelsize=7)
    a.set_ylabel("strings until solved\n(open, top edge: not by 200,000)", fontsize=7.5)
    a.set_xlabel("largest |s| of any cell over training", fontsize=7.5)
    b.set_xscale("log")
    b.set_xlim(1_000, 1.3 * budget)  # never stored: at the right edge
    b.set_xlabel("strings until one cell first stores T vs P\n(right edge: never)", fontsize=7.5)
    c.set_xlabel("wrong steps elsewhere (local contexts)\nof the 512 check strings", fontsize=7.5)
    c.set_ylabel("wrong long-lag steps", fontsize=7.5)
    c.set_title("(c) the unsolved nets at the end", loc="left", fontsize=7.5)
    c.axhline(CHECK_STRINGS // 4, color="0.6", lw=0.8, ls=":")
    c.annotate("a quarter of the strings", (0.98, CHECK_STRINGS // 4), xycoords=("axes fraction",
               "data"), fontsize=7, color="0.4", ha="right", va="bottom")  # fmt: skip
    a.set_title("(a) saturation", loc="left", fontsize=7.5)
    b.set_title("(b) storing the embedded symbol", loc="left", fontsize=7.5)
    c.tick_params(labelsize=7)


def main() -> int:
    from experiments.configs import h97_t1

    config = h97_t1.get_config("paper")
    path = Path("runs/h97_t1/sets.json")
    results.write_json_with_provenance(path, sets(config))
    print(path)
    for p in draw(Path("."), "figures/h97_t1_mechanism"):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
