"""What the protocols whose budget counts minibatch updates share (P13, the practitioners'
questions): the schedule, the state flow measured along and after training, the summary fields
and the table columns every such claim reports."""

from __future__ import annotations

import jax
import numpy as np

from experiments.claims.protocol import Column
from experiments.claims.table import fmt, stats
from repro import jacobians, train

__all__ = [
    "FLOW_SEQUENCES",
    "MEDIAN",
    "SOLVED",
    "final_error_column",
    "schedule",
    "state_flow",
    "summary",
]

FLOW_SEQUENCES = 4  # sequences whose Jacobian chain is measured at each check and at the end


def schedule(c, milestones: tuple[train.Milestone, ...] = ()) -> train.Schedule:
    """``c.max_updates`` updates of ``c.batch`` sequences, checked every ``c.eval_every`` updates,
    ``c.evals_per_chunk`` checks per compiled chunk."""
    return train.Schedule(
        trials=c.trials,
        seed=c.seed,
        max_sequences=c.max_updates * c.batch,
        eval_every=c.eval_every,
        evals_per_chunk=c.evals_per_chunk,
        milestones=milestones,
    )


def state_flow(model, params, inputs: jax.Array, first) -> jax.Array:
    """ln‖∂h_T/∂h_first‖ of one sequence (``inputs`` (T, n_in)): the spectral norm of the
    Jacobian from state ``first`` (the first to hold the informative input; may be traced) to the
    last, by the SVD at every step (exact, the Jacobian engine), as a natural log."""
    cell = {"params": params["params"]["cell"]}
    step = lambda h, x: model.cell.apply(cell, h, x)[0]
    logs = jacobians.log_norms_to_last(step, model.cell.initialize_carry(), inputs, norm="svd")
    return logs[first]


def summary(c, r: dict) -> dict:
    """The entry fields of every update-budget claim: median updates to success (None unless more
    than half solved), the times' stats, each trial's final error on its ``c.eval_sequences`` check
    sequences and whether it solved."""
    solved = np.asarray(r["solved"], bool)
    at = np.asarray(r["solved_at"], float)[solved] / c.batch
    return {
        "median_updates": float(np.median(at)) if solved.sum() * 2 > solved.size else None,
        "updates": stats(at),
        "eval_sequences": c.eval_sequences,
        "final_error_pct": (
            100 * np.asarray(r["test"]["wrong"], float) / c.eval_sequences
        ).tolist(),
        "solved_list": solved.tolist(),
    }


def final_error_column(title: str) -> Column:
    """Each trial's final error (% of its check sequences wrong)."""
    return Column(title, lambda e, p: ", ".join(f"{v:.3g}" for v in e["final_error_pct"]))


SOLVED = Column(
    "solved within budget", lambda e, p: f"{e['solved']}/{e['trials']} in {e['budget']:,}"
)
MEDIAN = Column("median updates", lambda e, p: fmt(e.get("median_updates")))
