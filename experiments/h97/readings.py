"""H97-T4–T6 under the two readings of "a randomly chosen test set": one figure from the runs.

For each row: every trial's sequences until its stop with a fresh check set at every check (the
spec's Decision; ``runs/<claim>/paper``) and with one fixed set per trial (``fixed_test_set``;
``runs/<claim>/fixed_set``), trials unsolved at their budget drawn as censored at it, the paper's
mean beside them, and how many stopped nets still passed their check after 50,000 more sequences
(``after_stop.json``, written by the ``after_stop`` option).

  python -m experiments.h97.readings      # figures/h97_check_readings.{pdf,png}
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import jax
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.h97 import after_stop, paper, protocol
from repro import plotting, results, train

ROWS = (  # (claim, row id, title)
    ("H97-T4", "T100_N3", "3a, N = 3"),
    ("H97-T4", "T100_N1", "3a, N = 1"),
    ("H97-T5", "T100_N3", "3b, N = 3"),
    ("H97-T5", "T100_N1", "3b, N = 1"),
    ("H97-T6", "T100_N3", "3c, N = 3"),
    ("H97-T6", "T100_N1", "3c, N = 1"),
)
READINGS = (("paper", "fresh set per check"), ("fixed_set", "one fixed set per trial"))


def _load(root: Path, claim: str, profile: str, row: str) -> dict | None:
    run = root / "runs" / claim.lower().replace("-", "_") / profile / row / "lstm1997"
    if not (run / "results.json").exists():
        return None
    out = {"results": results.load_json(run / "results.json")}
    out["budget"] = results.load_json(run / "config.json")["max_sequences"]
    if (run / "after_stop.json").exists():
        s = after_stop.summary(results.load_json(run / "after_stop.json"))
        out["survive"] = (s["pass_end"], s["stopped"], s["pass_share"])
        out["extra"] = s["extra"]
    return out


def draw(root: Path, stem: str) -> list[Path]:
    fig, ax = plotting.figure(1, 1, height=4.2, width=plotting.FULL_WIDTH)
    colors = (plotting.OKABE_ITO["blue"], plotting.OKABE_ITO["vermillion"])
    labels, y = [], 0.0
    side = ("axes fraction", "data")  # text right of the axes, at a row's height
    for claim, row, title in ROWS:
        theirs = paper.TABLES[claim][row].get("after")
        for k, (profile, name) in enumerate(READINGS):
            got = _load(root, claim, profile, row)
            y -= 1
            labels.append((y, f"{claim} {title}: {name}", colors[k]))
            if got is None:
                ax.annotate("not run", (1.01, y), xycoords=side, va="center", fontsize=7)
                continue
            r = got["results"]
            solved = np.asarray(r["solved"], bool)
            at = np.asarray(r["solved_at"], float)
            ax.plot(at[solved], np.full(solved.sum(), y), "o", ms=3, color=colors[k], alpha=0.8)
            if (~solved).any():  # censored at the budget: no time to success exists
                ax.plot([got["budget"]] * int((~solved).sum()), [y] * int((~solved).sum()), ">",
                        ms=4, mfc="none", color=colors[k])  # fmt: skip
            if solved.all():
                ax.plot([at.mean()], [y], "|", ms=9, mew=2, color=colors[k])
            text = f"{solved.sum()}/{len(solved)}"
            if "survive" in got:
                alive, stopped, share = got["survive"]
                text += (
                    f"; {alive}/{stopped} pass after +{got['extra'] // 1000}k ({100 * share:.0f}%)"
                )
            ax.annotate(text, (1.01, y), xycoords=side, va="center", fontsize=7, color=colors[k])
        if theirs:
            ax.plot([theirs, theirs], [y - 0.4, y + 1.4], **plotting.PAPER_STYLE)
        y -= 0.6
    ax.plot([], [], **plotting.PAPER_STYLE, label="paper's mean")
    ax.plot([], [], "|", ms=9, mew=2, color="0.3", label="our mean (all trials solved)")
    ax.plot([], [], ">", mfc="none", color="0.3", label="unsolved at the budget (censored)")
    ax.set_xscale("log")
    ax.set_xlim(4e3, 2e7)
    ax.set_yticks([p for p, _, _ in labels], [t for _, t, _ in labels], fontsize=7)
    for tick, (_, _, color) in zip(ax.get_yticklabels(), labels, strict=True):
        tick.set_color(color)
    ax.set_xlabel("training sequences until the check passed (one dot per trial)")
    ax.legend(loc="center right", fontsize=7)  # beside the T5 rows, which end before 10^5
    plotting.caption(
        fig,
        "H97-T4, H97-T5, H97-T6 (Exp. 3), paper protocol, 10 trials per row: when does a trial stop, and "
        "does the net stay solved? Right: solved/trials; of the stopped "
        "nets, how many still pass their check after training on (no stopping), and the share of "
        "those later checks passed. Fixed-set runs: budget 500,000; fresh-set runs: 5,000,000.",
    )
    return plotting.save(fig, stem)


# The sequential-construction runs of Tasks 2a and 2b (as `make h97-readings` runs them).
CONSTRUCTION = (
    ("h97_t2", "2a, cell added after 4,500", {"cell_added_after": 4500}),
    (
        "h97_2b",
        "2b, cell added after 1,500",
        {
            "cell_added_after": 1500,
            "gate_eval": True,
            "check_sequences": 1000,
            "test_sequences": 1000,
        },
    ),
)


def construction_weights(root: Path, claim: str, fields: dict) -> dict | None:
    """The input-gate and cell-input weights on x, y and the middle symbols of every trial of a
    sequential-construction run, at its last checkpoint; None if it has none."""
    config = importlib.import_module(f"experiments.configs.{claim}").get_config("paper")
    config.update(fields, models="lstm1997", max_sequences=1_000_000)
    config.out_dir = str(root / "runs" / claim / "sequential")
    (row,) = rows_lib.rows_of(config, protocol.validate)
    run_dir = runner.run_dirs(config, row, "lstm1997", ("",))[0]
    if not (run_dir / "checkpoint.npz").exists():
        return None
    t = protocol.build(row.config, "lstm1997")
    state = train.load_state(run_dir, t.problem, t.optimizer, t.schedule)
    w = jax.tree.map(np.asarray, state.params["params"])
    p = row.config.p  # inputs: a_1..a_{p-1}, then x (index p − 1) and y (index p)
    return {
        "solved": np.asarray(state.solved),
        "seen": int(np.asarray(state.seen).max()),
        "in_x": w["W_in"][:, 0, p - 1],
        "in_y": w["W_in"][:, 0, p],
        "in_middle": w["W_in"][:, 0, : p - 1].mean(axis=1),
        "c_split": np.abs(w["W_c"][:, 0, p - 1] - w["W_c"][:, 0, p]),
        "out_x": w["W_y"][:, p - 1, 0],  # the cell's weights to the x and y outputs
        "out_y": w["W_y"][:, p, 0],
    }


def draw_construction(root: Path, stem: str) -> list[Path]:
    got = [(title, construction_weights(root, claim, f)) for claim, title, f in CONSTRUCTION]
    got = [(title, w) for title, w in got if w is not None]
    if not got:
        return []
    fig, axes = plotting.figure(1, len(got), height=2.8, width=plotting.FULL_WIDTH, sharey=True)
    axes = np.atleast_1d(axes)
    colors = {True: plotting.OKABE_ITO["blue"], False: plotting.OKABE_ITO["vermillion"]}
    names = ("in_x", "in_y", "in_middle", "c_split", "out_x", "out_y")
    labels = ("in gate\n← x", "in gate\n← y", "in gate\n← a_i\n(mean)", "|W_c(x) −\nW_c(y)|",
              "cell →\nout x", "cell →\nout y")  # fmt: skip
    for ax, (title, w) in zip(axes, got, strict=True):
        n = len(w["solved"])
        jitter = np.linspace(-0.25, 0.25, n)
        for k, name in enumerate(names):
            for solved in (True, False):
                pick = w["solved"] == solved
                ax.scatter(k + jitter[pick], w[name][pick], s=10, color=colors[solved],
                           label=("solved" if solved else "not solved") if k == 0 else None)  # fmt: skip
        ax.axhline(0, color="0.7", lw=0.6)
        ax.set_xticks(range(len(names)), labels, fontsize=7)
        ax.set_title(f"{title}: {int(w['solved'].sum())}/{n} solved by {w['seen']:,}", loc="left")
    axes[0].set_ylabel("weight at the last checkpoint")
    axes[0].legend(loc="lower left")
    plotting.caption(
        fig,
        "Tasks 2a and 2b with the paper's sequential construction: what the cell learned to store "
        "and whether its outputs read it. Per trial (one dot; 18 per task): the input gate's "
        "weights from x, y and the middle symbols, how differently the cell input sees x and y, "
        "and the cell's weights to the x and y outputs (the same sign: the class stored in the "
        "cell does not reach the outputs). H97-T2, H97-2B, paper profile, budget 1,000,000 (both "
        "runs finished).",
    )
    return plotting.save(fig, stem)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    for path in draw(root, str(root / "figures" / "h97_check_readings")):
        print(path)
    for path in draw_construction(root, str(root / "figures" / "h97_construction")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
