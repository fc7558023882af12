"""H97 and G00 as one protocol of the claim pipeline: the rules (``protocol``) and what a run adds
beside the claim's table and figure (the flow, the gate traces, the probe, what the stopped nets do
next), tied together here so that none of them imports another in a circle."""

from __future__ import annotations

import dataclasses

from experiments.claims import pipeline, runner
from experiments.h97 import after_stop, flow, gates, mechanism, protocol
from repro import results

__all__ = ["PROTOCOL", "check_keeps_extras", "run"]


def run(config, overridden=()) -> list:
    """The shared pipeline's run, then the figures the config's options add; the paths written."""
    check_keeps_extras(config)
    rows, runs, paths = pipeline.run_claim(config, PROTOCOL, overridden)
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


def check_keeps_extras(config) -> None:
    """The figures this run adds beside the claim's (the flow, the gate traces, what the stopped
    nets do next) are not replaced by a command with other options that shape them (before any
    compute; ``runner.check_keeps_figure``)."""
    stop = ("after_stop", "after_stop_every")  # the fields that shape each figure
    extras = {"_flow": (config.flow, ("flow",))}
    extras["_gates"] = (config.gate_trace, ("gate_trace", "after_stop_every"))
    extras |= {f"_{row}_after_stop": (config.after_stop, stop) for row in config.rows}
    for suffix, (wanted, shaping) in extras.items():
        if wanted:
            skip = tuple(set(protocol.PROTOCOL.not_run_fields) - set(shaping))
            runner.check_keeps_figure(config, skip, suffix)


PROTOCOL = dataclasses.replace(protocol.PROTOCOL, run=run)
