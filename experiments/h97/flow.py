"""The error flow inside trained networks (H97-EQ on trained weights), drawn after a claim's runs.

On one fresh sequence of the first row's task: log₁₀‖∂s_T/∂s_t‖ of the trained 1997 LSTM's cell
states through the truncated step (the gradient it learns with: the carousel, exactly 1), the same
weights' full forward Jacobian, and each trained baseline RNN's ‖∂h_T/∂h_t‖, by the Jacobian engine.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jax
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.h97 import protocol
from repro import cells, jacobians, plotting, results, train

FLOW_SEQUENCE_STREAM = 1  # the sequence is drawn with key(seed + 1)


def _trained(config, row, name):
    """(model, params of the trial that stopped first (else trial 0), whether it solved), or None."""
    t = protocol.build(row.config, name)
    run_dir = runner.run_dirs(config, row, name, protocol.parts(row.config))[0]
    try:
        state = train.load_state(run_dir, t.problem, t.optimizer, t.schedule)
    except ValueError:  # this model was not run (run_missing off)
        return None
    solved = np.asarray(state.solved)
    at = np.where(solved, np.asarray(state.solved_at), np.iinfo(np.int32).max)
    trial = int(np.argmin(at))
    return t.model, jax.tree.map(lambda a: a[trial], state.params), bool(solved[trial])


def flow(config, row: rows_lib.Row) -> list[tuple[str, str, bool, np.ndarray]]:
    """[(label, model, solved, log10 norms indexed by t = 0..T)] for the row's trained models."""
    c = row.config
    batch = (
        protocol.FAMILIES[c.task].data(c, 0).sample(jax.random.key(c.seed + FLOW_SEQUENCE_STREAM))
    )
    xs = batch.inputs[0][: int(batch.length[0])]
    out = []
    for name in rows_lib.models_of(c):
        got = _trained(config, row, name)
        if got is None:
            continue
        model, params, solved = got
        carry = model.initialize_carry()
        if name == "lstm1997":
            trunc, full = model.clone(gradient="truncated"), model.clone(gradient="full")
            curves = [
                (
                    r"LSTM 1997, truncated: $\partial s_T/\partial s_t$",
                    jacobians.log_norms_to_last(
                        cells.step_fn(trunc, params), carry, xs, rows="s", cols="s"
                    ),
                ),
                (
                    "LSTM 1997, full Jacobian",
                    jacobians.log_norms_to_last(cells.step_fn(full, params), carry, xs),
                ),
            ]
        else:
            curves = [
                (
                    f"{plotting.model_label(name)} (BPTT): " + r"$\partial h_T/\partial h_t$",
                    jacobians.log_norms_to_last(cells.step_fn(model, params), carry, xs),
                )
            ]
        out += [(label, name, solved, np.asarray(v) / np.log(10)) for label, v in curves]
    return out


def cached_flow(config, row: rows_lib.Row) -> list[tuple[str, str, bool, np.ndarray]]:
    """flow(), stored in out_dir/flow.json and recomputed only when the checkpoints it reads change."""
    cached = runner.out_dir(config) / "flow.json"
    source = {}
    for name in rows_lib.models_of(row.config):
        ckpt = runner.run_dirs(config, row, name, protocol.parts(row.config))[0] / "checkpoint.npz"
        if ckpt.exists():
            source[name] = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    old = results.load_json(cached) if cached.exists() else {}
    if old.get("source") != source or "curves" not in old:
        old = {
            "source": source,
            "curves": [  # the drawing order
                {
                    "label": label,
                    "model": name,
                    "solved": solved,
                    "log10_norms": [x if np.isfinite(x) else None for x in v.tolist()],
                }
                for label, name, solved, v in flow(config, row)
            ],
        }
        results.atomic_write_json(cached, old)
    # drawn from the stored numbers either way, so a redraw gives the same figure
    return [
        (d["label"], d["model"], d["solved"], np.array(d["log10_norms"], dtype=float))
        for d in old["curves"]
    ]


def draw(config, row: rows_lib.Row, curves) -> list[Path]:
    fig, ax = plotting.figure(1, 1, height=3.6)
    for i, (label, name, solved, log10) in enumerate(curves):
        lag = np.arange(len(log10))[::-1]  # entry t is ∂·_T/∂·_t, lag T - t
        style = plotting.model_style(name)
        if "full" in label:
            style = {**style, "linestyle": ":"}
        mixed = len({c[2] for c in curves}) > 1
        text = f"{label} ({'solved' if solved else 'not solved'})" if mixed else label
        ax.plot(lag, np.where(np.isfinite(log10), log10, np.nan), label=text, **style)
        end = log10[0] if np.isfinite(log10[0]) else np.nan
        if np.isfinite(end) and i and name != "lstm1997" and len(log10) > 1:
            slope = end / (len(log10) - 1)
            mid = len(log10) // 2  # label the slope halfway, above the line
            ax.annotate(f"{slope:+.2f} decades/step", (lag[mid], log10[mid]), xytext=(8, 0),
                        textcoords="offset points", ha="left", va="bottom", fontsize=7,
                        color=style["color"])  # fmt: skip
    ax.axhline(
        0, **{**plotting.PAPER_STYLE, "zorder": 1}, label="paper: constant error carousel (= 1)"
    )
    ax.set_xlabel(r"lag $T - t$ (steps)")
    ax.set_ylabel(r"$\log_{10}\,\|\partial \mathrm{state}_T / \partial \mathrm{state}_t\|$")
    solved = {c[2] for c in curves}
    status = {frozenset({True}): "every net drawn solved the task",
              frozenset({False}): "no net drawn solved the task (trained to the budget)"}  # fmt: skip
    ax.set_title(
        f"{config.claim}: trained networks ({row.title}), one sequence;\n"
        + status.get(frozenset(solved), "some nets drawn did not solve the task"),
        loc="left",
    )
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", fontsize=7)
    plotting.caption(
        fig,
        "The error flow through trained networks against the lag: the 1997 LSTM's constant error "
        "carousel keeps the truncated flow of its cell state at 1 (H97-EQ)"
        + (
            ", a tanh RNN's flow falls by a fixed number of decades per step. "
            if any(name != "lstm1997" for _, name, _, _ in curves)
            else "; the full Jacobian adds the gates' paths. "
        )
        + f"{config.claim}, "
        f"{runner.shown_label(config)}, {row.title}; one sequence; norms from the Jacobian engine.",
    )
    return plotting.save(fig, runner.figure_path(config, "_flow"))
