"""H97-T4–T6 under the two readings of "a randomly chosen test set": one figure from the runs.

For each row: every trial's sequences until its stop with a fresh check set at every check (the
spec's Decision; ``runs/<claim>/paper``) and with one fixed set per trial (``fixed_test_set``;
``runs/<claim>/fixed_set``), trials unsolved at their budget drawn as censored at it, the paper's
mean beside them, and how many stopped nets still passed their check after 50,000 more sequences
(``after_stop.json``, written by the driver's ``after_stop`` option).

  python -m experiments.h97.readings      # figures/h97_check_readings.{pdf,png}
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from experiments.h97 import paper
from repro import plotting, results

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
        res = results.load_json(run / "after_stop.json")
        solved = np.asarray(res["solved"], bool)
        passed = np.asarray(res["checks"]["passed"], float)[solved] > 0.5
        out["survive"] = (int(passed[:, -1].sum()), int(solved.sum()), float(passed.mean()))
        out["extra"] = res["source"]["after_stop"]
    return out


def draw(root: Path, stem: str) -> list[Path]:
    fig, ax = plotting.figure(1, 1, height=4.2, width=plotting.COLUMN_WIDTH * 2)
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
                ax.annotate("not run", (1.01, y), xycoords=side, va="center", fontsize=6.5)
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
            ax.annotate(text, (1.01, y), xycoords=side, va="center", fontsize=6.5, color=colors[k])
        if theirs:
            ax.plot([theirs, theirs], [y - 0.4, y + 1.4], **plotting.PAPER_STYLE)
        y -= 0.6
    ax.plot([], [], **plotting.PAPER_STYLE, label="paper's mean")
    ax.plot([], [], "|", ms=9, mew=2, color="0.3", label="our mean (all trials solved)")
    ax.plot([], [], ">", mfc="none", color="0.3", label="unsolved at the budget (censored)")
    ax.set_xscale("log")
    ax.set_xlim(4e3, 2e7)
    ax.set_yticks([p for p, _, _ in labels], [t for _, t, _ in labels], fontsize=6.5)
    for tick, (_, _, color) in zip(ax.get_yticklabels(), labels, strict=True):
        tick.set_color(color)
    ax.set_xlabel("training sequences until the check passed (one dot per trial)")
    ax.legend(loc="center right", fontsize=6.5)  # beside the T5 rows, which end before 10^5
    plotting.caption(
        fig,
        "H97-T4, T5, T6 (Exp. 3), paper protocol, 10 trials per row: when does a trial stop, and "
        "does the net stay solved? Right: solved/trials; of the stopped "
        "nets, how many still pass their check after training on (no stopping), and the share of "
        "those later checks passed. Fixed-set runs: budget 500,000; fresh-set runs: 5,000,000.",
    )
    return plotting.save(fig, stem)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    for path in draw(root, str(root / "figures" / "h97_check_readings")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
