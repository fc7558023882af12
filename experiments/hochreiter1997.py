"""Hochreiter & Schmidhuber (1997) and Gers et al. (2000): the papers' experiments, one config per claim.

Usage:
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:quick
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t4.py:paper
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:paper \
      --config.only_rows=T500 --config.rows.T500.trials=4 --config.models=lstm1997

A config names a task (``task``, as in ``repro.tasks``) and the rows of the paper's table (``rows``);
each (row, model) trains ``trials`` independent trials in one run directory under ``out_dir``: a killed
run resumes, a finished one is reused, so a second call only redraws. Writes ``table.json`` and
``table.md`` (ours beside the paper's numbers, ``experiments/h97/paper.py``) and the figure.
``conditions = "table10"`` / ``"table11"`` rebuilds H97's conditions tables from the claim configs.
The shared pipeline is ``experiments/claims``; the H97 protocol is ``experiments/h97/protocol.py``.
"""

from __future__ import annotations

from experiments import common
from experiments.claims import pipeline, runner
from experiments.h97 import after_stop, conditions, flow, gates, mechanism, protocol
from repro import results

DEFAULT_CONFIG = common.config_path("h97_t7.py")
CONFIGS = ("h97_*.py", "g00_*.py")  # the config files it runs (experiments/configs)


def protocol_of(config):
    """The protocol that trains ``config``'s rows; None for a claim computed without trials."""
    return None if config.conditions else protocol.PROTOCOL


def run(config, overridden=()) -> list:
    """Everything the command line asks for; returns the paths written."""
    common.setup(config)
    if config.conditions:
        common.check_writable(config, out_dir=runner.out_dir(config))
        return conditions.main(config) or []
    _check_keeps_extras(config)
    rows, runs, paths = pipeline.run_claim(config, protocol.PROTOCOL, overridden)
    first = rows[0]
    if config.flow and runs[(first.id, "lstm1997")] is not None:
        paths += flow.draw(config, first, flow.cached_flow(config, first))
    ran = [row for row in rows if runs.get((row.id, "lstm1997")) is not None]
    if config.gate_trace and ran:
        paths += gates.draw(config, ran, [gates.trace(config, row) for row in ran])
    for row in ran if config.probe else ():  # what the probe saw, beside the claim's table
        got = mechanism.write(config, row)
        print(row.id, "stored:", got["n_stored"], "of", got["n"], "solved:", got["n_solved"])
    for row in ran if config.after_stop else ():
        res = after_stop.after_stop(config, row)
        summary = after_stop.summary(res, row.config.test_sequences)
        print(row.id, "after the stop:", summary)
        # what the docs cite, beside the claim's table (the checks themselves stay in the run dir)
        results.write_json_with_provenance(
            runner.out_dir(config) / f"after_stop_{row.id}.json", summary
        )
        paths += after_stop.draw(config, row, res)
    return paths


def _check_keeps_extras(config) -> None:
    """The figures this run adds beside the claim's (the flow, the gate traces, what the stopped
    nets do next) are not replaced by a command with other options that shape them (before any
    compute; ``runner.check_keeps_figure``)."""
    after_stop = ("after_stop", "after_stop_every")  # the fields that shape each figure
    extras = {"_flow": (config.flow, ("flow",))}
    extras["_gates"] = (config.gate_trace, ("gate_trace", "after_stop_every"))
    extras |= {f"_{row}_after_stop": (config.after_stop, after_stop) for row in config.rows}
    for suffix, (wanted, shaping) in extras.items():
        if wanted:
            skip = tuple(set(protocol.PROTOCOL.not_run_fields) - set(shaping))
            runner.check_keeps_figure(config, skip, suffix)


def main(argv):
    common.no_arguments(argv)
    for path in run(_CONFIG.value, common.overridden(_CONFIG)):
        print(path)


def define_flag():
    """The ``--config`` flag of this driver (with its ``--help``); main reads it."""
    return common.define_claim_config("h97_t7.py", ", ".join(CONFIGS), "_h97.py")


if __name__ == "__main__":
    # The flag is defined only when run as a script, so tests can import several drivers.
    _CONFIG = define_flag()
    common.run(main)
