"""Pascanu, Mikolov & Bengio (2013): the paper's experiments, one config per claim.

Usage:
  python -m experiments.pascanu2013 --config=experiments/configs/p13_f7.py:quick
  python -m experiments.pascanu2013 --config=experiments/configs/p13_f3.py:quick
  python -m experiments.pascanu2013 --config=experiments/configs/p13_f7.py:paper \
      --config.only_rows=basic_tanh_L50 --config.models=msgd_cr --config.trials=2

Figs. 3 and 6 (``p13_f3``, ``p13_f6``) are computed from the one-unit nets and train nothing. The
other claims train (row, method) pairs on the shared pipeline (``experiments/claims``): each runs
``trials`` seeds in one run directory under ``out_dir``; a killed run resumes, a finished one is
reused. Writes ``table.json`` and ``table.md`` (ours beside the paper's statements,
``experiments/p13/paper.py``) and the figures. The protocol is ``experiments/p13/protocol.py``.
"""

from __future__ import annotations

from experiments import common
from experiments.claims import pipeline
from experiments.p13 import natural, one_unit_figures, protocol

DEFAULT_CONFIG = common.config_path("p13_f7.py")
CONFIGS = ("p13_*.py",)  # the config files it runs (experiments/configs)


def protocol_of(config):
    """The protocol that trains ``config``'s rows; None for a claim computed without trials."""
    if config.claim in natural.CLAIMS:
        return natural.PROTOCOL
    return None if config.claim in one_unit_figures.COMPUTED else protocol.PROTOCOL


def run(config, overridden=()) -> list:
    """Everything the command line asks for; returns the paths written."""
    common.setup(config)
    if config.claim in natural.CLAIMS:  # Table 1's natural data: epochs, no success rule
        return natural.CLAIMS[config.claim](config, overridden)
    return pipeline.claim_or_computed(
        config, protocol.PROTOCOL, one_unit_figures.COMPUTED, overridden
    )


def main(argv):
    common.no_arguments(argv)
    for path in run(_CONFIG.value, common.overridden(_CONFIG)):
        print(path)


def define_flag():
    """The ``--config`` flag of this driver (with its ``--help``); main reads it."""
    return common.define_claim_config(
        "p13_f7.py", ", ".join(CONFIGS), "_p13.py", "p13_t1.py", "p13_f3.py", "p13_f6.py"
    )


if __name__ == "__main__":
    # The flag is defined only when run as a script, so tests can import several drivers.
    _CONFIG = define_flag()
    common.run(main)
