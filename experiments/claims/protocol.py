"""What a paper adds to the shared pipeline: a :class:`Protocol`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import optax
from flax import linen as nn

from repro import problems, train

CHUNK = 1000  # fresh sequences per chunk of a check in minibatches (one chunk in memory at a time)


@dataclasses.dataclass(frozen=True)
class Trials:
    """One (row, model, part): what ``train.train`` runs, and the model it trains."""

    model: nn.Module
    problem: train.Problem
    schedule: train.Schedule
    optimizer: optax.GradientTransformation


@dataclasses.dataclass(frozen=True)
class Column:
    """A table column a protocol adds: ``cell(entry, paper) -> str`` (ours / paper)."""

    header: str
    cell: Callable[[dict, dict], str]


@dataclasses.dataclass(frozen=True)
class Protocol:
    """How a paper's rows become trials, and what its table adds to the shared columns.

    validate: ``(row config) -> None``; raises a one-line ValueError naming the field.
    build: ``(row config, model name, part) -> Trials``.
    paper: the paper's numbers, ``paper[claim][row id]`` (``row id@model`` for a second model).
    parts: the names of the independent runs of a (row, model) merged into one (H97 Exp. 1: one
      per data pair; default one unnamed run).
    milestones: the labelled ``train.Milestone``'s a row records, as its schedule does (drawn in
      the figures; their numbers come from ``summarize``).
    summarize: ``(row config, results) -> dict``: the protocol's own fields of a table entry.
    columns: the protocol's table columns after the shared ones.
    unit: what the budget counts ("sequences").
    table_note: a clause ending the table's note (e.g. which trials the test columns cover).
    note: ``(table entry) -> str``: a line under the row in the figure (e.g. its test error beside
      the paper's).
    not_run_fields: config fields of this paper that do not change what a run computes (left out
      of a run's config.json, like the pipeline's own ``runner.NOT_RUN_FIELDS``).
    per_unit: ``(row config) -> int``: training sequences per ``unit`` (P13 counts updates of 20).
    budget: ``(row config) -> int``: a trial's budget in ``unit``.
    added_fields: config fields added after runs were committed, each with the value that computes
      what those runs computed: at that value a field is left out of a run's identity, so the
      earlier runs stay theirs (e.g. H97's output-layer options, off).
    summary: whether the claim's rows join the docs' one summary table of every paper (False: a
      claim with a section of its own, as the practitioners' questions have).
    figures: the paper's own figures by name, each ``(config, rows, runs, entries, comparisons) ->
      [paths]``; a config's ``draw`` field picks which (default: the shared ``figures.draw``, each
      trial's time to success, the share solved and the training curves of every row).
    paper_text: ``(a row's paper numbers) -> str``, its cell in the docs' tables (default:
      ``table.paper_text``, the numbers every protocol shares and a quoted statement).
    run: ``(config, overridden) -> [paths]``, the whole of a claim's run where the paper does more
      than the shared pipeline (``pipeline.run_claim``, the default): H97 draws the flow and the
      gates beside the table; P13's natural data train epochs with no success rule.
    """

    validate: Callable[[Any], None]
    build: Callable[[Any, str, int], Trials]
    paper: Mapping[str, Mapping[str, dict]]
    parts: Callable[[Any], tuple[str, ...]] = lambda c: ("",)
    milestones: Callable[[Any], tuple[train.Milestone, ...]] = lambda c: ()
    summarize: Callable[[Any, dict], dict] = lambda c, r: {}
    columns: tuple[Column, ...] = ()
    unit: str = "sequences"
    table_note: str = ""
    not_run_fields: tuple[str, ...] = ()
    note: Callable[[dict], str] = lambda e: ""
    per_unit: Callable[[Any], int] = lambda c: 1
    budget: Callable[[Any], int] = lambda c: c.max_sequences
    figures: Mapping[str, Callable[..., list]] = dataclasses.field(default_factory=dict)
    paper_text: Callable[[dict], str] | None = None
    summary: bool = True
    added_fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    run: Callable[[Any, Any], list] | None = None


def check_chunked(c, what: str = "checked") -> None:
    """``c.eval_sequences`` and ``c.test_sequences`` are whole chunks of :data:`CHUNK`.

    Raises:
      ValueError: one line naming both fields.
    """
    if c.eval_sequences % CHUNK or c.test_sequences % CHUNK:
        raise ValueError(
            f"config.eval_sequences={c.eval_sequences}, test_sequences={c.test_sequences}: "
            f"must be multiples of {CHUNK} (sequences are {what} in chunks of {CHUNK})"
        )


def wrong_count(model, objective, sample: Callable, sequences: int) -> Callable:
    """``(params, key) -> wrong`` among ``sequences`` fresh ones, ``sample(key, CHUNK)`` at a time
    (``problems.test_on_fresh`` in chunks; the key of every chunk, the first of one included, is
    split from ``key``)."""
    n = sequences // CHUNK
    if n == 1:  # one chunk: its key split from the key, as for many
        one = lambda k: sample(jax.random.split(k, 1)[0], CHUNK)
    else:
        one = lambda k: sample(k, CHUNK)
    test = problems.test_on_fresh(model, objective, one, chunks=n)
    return lambda params, key: test(params, key)["wrong"]
