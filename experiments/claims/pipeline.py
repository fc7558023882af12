"""One claim, end to end: rows → runs → table beside the paper (json, markdown) → figure."""

from __future__ import annotations

from pathlib import Path

from experiments import common
from experiments.claims import figures, runner, table
from experiments.claims import rows as rows_lib
from experiments.claims.protocol import Protocol


def run_rows(config, protocol: Protocol, overridden=()) -> tuple[list, dict, dict]:
    """Validate every row and the trial block, check the output paths, label the run, train or
    reuse every (row, model). Returns (rows, runs, the options that changed what ran); a block run
    (``trial_block``) prints which trials ran."""
    rows = rows_lib.rows_of(config, protocol.validate, overridden)
    figures_of(config, protocol)
    for row in rows:  # a trial block must lie within every row's trials
        runner.block_of(config, row.config.trials)
    common.check_writable(config, out_dir=runner.out_dir(config), figure=runner.figure_path(config))
    runner.check_keeps_figure(config, protocol.not_run_fields)
    options = runner.options(config, overridden, protocol)
    config.label = runner.label(config, options)
    runs = runner.run(config, rows, protocol)
    if config.get("trial_block"):  # a block writes its run directories only; a run without
        print(runner.blocks_done(config, rows, runs))  # trial_block merges them and draws
    return rows, runs, options


def run_claim(config, protocol: Protocol, overridden=()) -> tuple[list, dict, list[Path]]:
    """Validate every row, check the output paths, train or reuse every (row, model), write the
    table and draw the figure. Returns (rows, runs, paths written), and prints the table."""
    rows, runs, options = run_rows(config, protocol, overridden)
    if config.get("trial_block"):
        return rows, runs, []
    entries = table.entries(config, rows, runs, protocol)
    tests = table.comparisons(config, runs)
    print(table.write(config, entries, protocol, tests, options))
    drawers = figures_of(config, protocol)
    if not drawers:
        return rows, runs, figures.draw(config, rows, runs, protocol, entries, tests)
    return rows, runs, [p for draw in drawers for p in draw(config, rows, runs, entries, tests)]


def figures_of(config, protocol: Protocol) -> list:
    """The drawers ``config.draw`` names among the protocol's figures ([]: the shared figure).

    Raises:
      ValueError: a name the protocol does not know (one line, before any compute).
    """
    names = common.items(config, "draw")
    unknown = [n for n in names if n not in protocol.figures]
    if unknown:
        known = ", ".join(protocol.figures) or "none: leave it empty for the shared figure"
        raise ValueError(f"config.draw={config.draw!r}: no figure {unknown[0]!r} (known: {known})")
    return [protocol.figures[n] for n in names]
