"""The practitioners' questions as one protocol of the claim pipeline: the rules
(``experiments.questions.protocol``), the numbers of the posts (``paper``) and each claim's figures
(``figures``; S1-cell's from ``s1``, which reads the protocol's cells), tied together here so
that none of them imports another in a circle."""

from __future__ import annotations

from pathlib import Path

from experiments.claims.protocol import Protocol
from experiments.questions import figures, paper, protocol, s1

__all__ = ["PROTOCOL", "draw"]


def draw(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """The claim's figures."""
    if config.claim == "S2-ablation":
        return figures.success_grid(config, rows, entries) + figures.symptoms(
            config, rows, runs, entries
        )
    if config.claim == "S3-exists":
        return figures.lag_radius(config, rows, runs, entries) + figures.backflow(
            config, rows, runs, entries
        )
    if config.claim == "S3-optim":
        return figures.optimizers(config, rows, runs, entries)
    if config.claim == "S1-cell":
        return s1.draw(config, rows, runs, entries)
    raise ValueError(f"config.claim={config.claim!r}: no figure for it (S2-ablation, S3-exists, "
                     "S3-optim, S1-cell)")  # fmt: skip


PROTOCOL = Protocol(
    validate=protocol.validate,
    build=protocol.build,
    paper=paper.TABLES,
    summarize=protocol.summarize,
    columns=protocol.COLUMNS,
    unit="updates",
    per_unit=lambda c: c.batch,
    budget=lambda c: c.max_updates,
    table_note="success: < 1% of the fresh check sequences wrong; one optimiser setting for all",
    draw=draw,
    summary=False,  # the questions have their own section in the docs
)
