"""After the stop: does a stopped net stay solved, and is a slow row's error a floor? (issue 18)

``after_stop(config, row)`` loads a finished run's trials (stopped or not) and keeps training each of
them ``config.after_stop`` more sequences on its own stream, with no stopping rule
(``train.continue_training``), and checks it every ``config.after_stop_every`` sequences:

- a task with a frozen-weight check (Exp. 1–3) is checked by that same rule and set (fixed or fresh,
  as the run was): did the solution the check accepted survive?
- a task stopped by the training window (Exp. 4–6) gets its final test on ``test_sequences`` fresh
  sequences; for the adding problem the error is split by the target's tail (|target − ½| > 0.4, where
  every wrong sequence of the committed T7 nets lies) and its signed shift there (negative: the
  output is pulled toward ½).

The numbers are stored in ``out_dir/<row>/<model>/after_stop.json`` and recomputed only when the
checkpoint they start from or the two settings change; the figure is drawn from the stored numbers.
"""

from __future__ import annotations

import hashlib
import textwrap

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.claims.table import fmt
from experiments.h97 import paper, protocol
from repro import plotting, problems, results, train

TAIL = 0.4  # |target − 0.5| above this: the adding problem's tail targets
ZERO = 0.3  # where a count of 0 is drawn on a log axis (below a limit of "at most 0", drawn at 0.5)


def _adding_test(model, sample, tolerance: float):
    """The final test of the adding problem, its error split by target tail."""

    def test(params, key):
        batch = sample(key)
        y = problems.unroll(model, params, batch.inputs)[..., 0]
        mask = batch.mask
        last = jnp.sum(y * mask, axis=1)  # the one target step
        target = jnp.sum(batch.targets[..., 0] * mask, axis=1)
        err = jnp.abs(last - target)
        wrong = err >= tolerance
        tail = jnp.abs(target - 0.5) > TAIL
        n_tail = jnp.maximum(jnp.sum(tail), 1)
        n_rest = jnp.maximum(jnp.sum(~tail), 1)
        outward = (last - target) * jnp.sign(target - 0.5)  # < 0: pulled toward 0.5
        return {
            "wrong": jnp.sum(wrong),
            "wrong_tail": jnp.sum(wrong & tail),
            "tail": jnp.sum(tail),
            "mae_tail": jnp.sum(err * tail) / n_tail,
            "mae_rest": jnp.sum(err * ~tail) / n_rest,
            "shift_tail": jnp.sum(outward * tail) / n_tail,
        }

    return test


def _evaluate(c, t):
    """The check an after-stop interval ends with (see the module docstring)."""
    if t.problem.evaluate is not None:
        return t.problem.evaluate
    data = protocol.FAMILIES[c.task].data(c, 0)
    if c.task == "h97_adding" and data.test_chunks == 1:
        return _adding_test(t.model, data.test, c.tolerance)
    return problems.test_on_fresh(t.model, data.objective, data.test, chunks=data.test_chunks)


def _compute(c, t, run_dir) -> dict:
    state = train.load_state(run_dir, t.problem, t.optimizer, t.schedule)
    n = c.after_stop // c.after_stop_every
    _, checks = train.continue_training(
        t.problem,
        t.optimizer,
        t.schedule,
        state,
        intervals=n,
        every=c.after_stop_every,
        evaluate=_evaluate(c, t),
    )
    checks = jax.device_get(checks)
    out = {k: np.asarray(v, float).tolist() for k, v in checks.items()}
    out["seen"] = np.asarray(checks["seen"]).astype(int).tolist()
    return {
        "solved": np.asarray(state.solved).tolist(),
        "solved_at": np.asarray(state.solved_at).tolist(),
        "start": np.asarray(state.seen).tolist(),
        "checks": out,
    }


def after_stop(config, row: rows_lib.Row, model: str = "lstm1997") -> dict | None:
    """The stored after-stop numbers of a row's run (computed if missing or stale); None if the
    run has no checkpoint."""
    c = row.config
    run_dir = runner.run_dirs(config, row, model, protocol.parts(c))[0]
    ckpt = run_dir / "checkpoint.npz"
    if not ckpt.exists():
        return None
    source = {
        "checkpoint": hashlib.sha256(ckpt.read_bytes()).hexdigest(),
        "after_stop": c.after_stop,
        "every": c.after_stop_every,
    }
    compute = lambda: _compute(c, protocol.build(c, model), run_dir)
    return results.cached_json(run_dir / "after_stop.json", source, compute)


def summary(res: dict, test_sequences: int | None = None) -> dict:
    """Per row: how many stopped nets still pass at the end, and how often they passed (or, for a
    test without a pass rule, the wrong counts; ``test_sequences`` gives the tail targets' share)."""
    solved = np.asarray(res["solved"], bool)
    checks = {k: np.asarray(v, float) for k, v in res["checks"].items()}
    out = {
        "stopped": int(solved.sum()),
        "trials": len(solved),
        "extra": res["source"]["after_stop"],
    }
    if "passed" in checks:
        passed = checks["passed"][solved] > 0.5
        out["pass_end"] = int(passed[:, -1].sum()) if solved.any() else 0
        out["pass_share"] = float(passed.mean()) if solved.any() else None
        out["never_failed"] = int(passed.all(axis=1).sum()) if solved.any() else 0
    else:
        out["wrong_end"] = checks["wrong"][:, -1].tolist()
        out["wrong_start"] = checks["wrong"][:, 0].tolist()
        if "wrong_tail" in checks:
            wrong = checks["wrong"].sum()
            out["tail_share_of_wrong"] = (
                float(checks["wrong_tail"].sum() / wrong) if wrong else None
            )
            if test_sequences:
                out["tail_share_of_test"] = float(checks["tail"].mean() / test_sequences)
    return out


def _width(panels: int) -> float:
    return plotting.FULL_WIDTH if panels > 1 else plotting.COLUMN_WIDTH


def draw(config, row: rows_lib.Row, res: dict) -> list:
    """What the stopped nets do next: their checks (a row with a check rule) or their test error
    and its tail targets (the adding and multiplication rows)."""
    c = row.config
    checks = {k: np.asarray(v, float) for k, v in res["checks"].items()}
    gated = "passed" in checks
    if gated:
        fig, title = _draw_checks(config, row, res, checks)
    else:
        fig, title = _draw_test(config, row, res, checks)
    n = len(fig.axes)
    fig.suptitle(textwrap.fill(title, 42 * n), x=0.01, ha="left", fontsize=8)
    plotting.caption(
        fig,
        f"Do the nets that met the stopping rule stay solved, and is their error a floor? Each "
        f"stopped net trained {c.after_stop:,} sequences more, checked every "
        f"{c.after_stop_every:,} ("
        + (
            f"{'a fixed' if c.fixed_test_set else 'a fresh'} check set each time); thin: each "
            "trial; bold: their median; dashed: the limit of the check that stopped them. "
            if gated
            else f"a fresh test set of {c.test_sequences:,} each time). "
        )
        + f"{config.claim}, {runner.shown_label(config)}.",
    )
    return plotting.save(fig, runner.figure_path(config, f"_{row.id}_after_stop"))


def _counts_axis(ax, zero: float, most: int) -> None:
    """A log axis of counts out of ``most`` whose 0 is drawn at ``zero``, its tick labelled 0."""
    ax.set_yscale("log")
    top = ax.get_ylim()[1]  # the data's: no tick widens the axis
    ticks = [zero] + [10.0**k for k in range(len(str(most))) if 10.0**k <= top]
    ax.set_yticks(ticks, ["0"] + [f"{t:g}" for t in ticks[1:]])
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_ylim(zero / 1.5, top)


def _since(res: dict, checks: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's sequences since its stop (thousands), and their median (the same for all)."""
    since = (checks["seen"] - np.asarray(res["start"])[:, None]) / 1e3
    return since, np.median(since, axis=0)


def _draw_checks(config, row: rows_lib.Row, res: dict, checks: dict):
    """The check's wrong count (and mean error where the rule has one) of every stopped trial."""
    c = row.config
    solved = np.asarray(res["solved"], bool)
    blue = plotting.model_style("lstm1997")["color"]
    mean_rule = c.check_mean_error > 0
    n = 2 if mean_rule else 1
    fig, axes = plotting.figure(1, n, height=2.6, width=_width(n))
    axes = np.atleast_1d(axes)
    since, x = _since(res, checks)
    panels = [("wrong", f"check: wrong of {c.check_sequences}", c.check_max_wrong + 0.5)]
    if mean_rule:
        panels.append(("mean_error", "check: mean |error|", c.check_mean_error))
    for ax, (key, label, limit) in zip(axes, panels, strict=True):
        y = np.maximum(checks[key][solved], ZERO if key == "wrong" else 0)
        for j, trial in zip(np.flatnonzero(solved), y, strict=True):
            ax.plot(since[j], trial, color=blue, lw=0.5, alpha=0.35)
        if len(y):  # the lower median: a value one of the trials had
            ax.plot(x, np.quantile(y, 0.5, axis=0, method="lower"), color=blue, lw=1.8)
        ax.axhline(limit, **plotting.PAPER_STYLE)  # before the axis: its limits include it
        ax.set_yscale("log")
        if key == "wrong":
            _counts_axis(ax, ZERO, c.check_sequences)
        ax.set_ylabel(label)
        ax.set_xlabel("sequences after the stop (thousands)")
    s = summary(res, c.test_sequences)
    title = (
        f"{config.claim} {row.title}: {s['stopped']}/{s['trials']} trials stopped; "
        f"{s['pass_end']}/{s['stopped']} still pass the check after {c.after_stop:,} more "
        f"sequences, {s['never_failed']}/{s['stopped']} never failed one"
    )
    return fig, title


def _draw_test(config, row: rows_lib.Row, res: dict, checks: dict):
    """The test's wrong count of every stopped trial, and the error on tail and other targets."""
    c = row.config
    solved = np.asarray(res["solved"], bool)
    blue = plotting.model_style("lstm1997")["color"]
    tails = "mae_tail" in checks
    n = 2 if tails else 1
    fig, axes = plotting.figure(1, n, height=2.6, width=_width(n))
    axes = np.atleast_1d(axes)
    since, x = _since(res, checks)
    ax = axes[0]
    for j in range(len(solved)):
        ax.plot(since[j], np.maximum(checks["wrong"][j], 0.5), color=blue, lw=0.5, alpha=0.35)
    ax.plot(x, np.maximum(np.median(checks["wrong"], axis=0), 0.5), color=blue, lw=1.8,
            label="median over trials (thin: each trial)")  # fmt: skip
    theirs = paper.TABLES.get(config.claim, {}).get(row.id, {}).get("wrong")
    if theirs is not None:
        ax.axhline(max(theirs, 0.5), **plotting.PAPER_STYLE, label=f"paper: {fmt(theirs)} wrong")
    _counts_axis(ax, 0.5, c.test_sequences)
    ax.set_ylabel(f"test: wrong of {c.test_sequences}")
    ax.set_ylim(top=ax.get_ylim()[1] * 8)  # room for the legend above the trials
    ax.legend(loc="upper right")
    if tails:
        ax = axes[1]
        for key, label, ls in (
            ("mae_tail", f"tail targets, |target − ½| > {TAIL}", "-"),
            ("mae_rest", "the other targets", "--"),
        ):
            ax.plot(x, np.median(checks[key], axis=0), color=blue, ls=ls, label=label)
        ax.set_yscale("log")
        ax.set_ylabel("test: mean |y − target|")
        ax.legend(loc="center right")
    for ax in axes:
        ax.set_xlabel("sequences after the stop (thousands)")
    share = summary(res, c.test_sequences).get("tail_share_of_wrong")
    title = (
        f"{config.claim} {row.title}: {len(solved)} stopped trials trained {c.after_stop:,} "
        + (
            "more sequences"
            + (
                f"; {100 * share:.0f}% of all wrong test sequences have tail targets"
                if share
                else ""
            )
        )
    )
    return fig, title
