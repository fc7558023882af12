"""The practitioners' questions as one protocol of the claim pipeline: the rules
(``experiments.questions.protocol``), the numbers of the posts (``paper``) and each claim's figures
(``figures``; S1-cell's from ``s1``, which reads the protocol's cells), named for the configs'
``draw`` field and tied together here so that none of them imports another in a circle."""

from __future__ import annotations

from experiments.claims.protocol import Protocol
from experiments.questions import figures, paper, protocol, s1

__all__ = ["FIGURES", "PROTOCOL"]


# The figures a question's config may draw (its ``draw`` field).
FIGURES = {
    "success_grid": figures.success_grid,
    "symptoms": figures.symptoms,
    "lag_radius": figures.lag_radius,
    "backflow": figures.backflow,
    "optimizers": figures.optimizers,
    "cell_and_forget": s1.draw,
}


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
    figures=FIGURES,
    summary=False,  # the questions have their own section in the docs
)
