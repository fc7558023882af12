"""The practitioners' questions (the spec ../shared/papers/seeds.md): their driver, one config per claim.

Usage:
  python -m experiments.questions --config=experiments/configs/s0_downsampling.py:quick
  python -m experiments.questions --config=experiments/configs/s2_ablation.py:quick
  python -m experiments.questions --config=experiments/configs/s3_exists.py:quick
  python -m experiments.questions --config=experiments/configs/s3_optim.py:full --config.trials=20
  python -m experiments.questions --config=experiments/configs/s_reach.py:quick  # after S1-S3

S0 (downsampling before a BiLSTM) is computed by ``experiments/questions/s0.py`` in resumable blocks.
The other trained claims (S1-cell with S1-forget, S2-ablation with S2-symptoms, S3-exists with S3-backflow, S3-optim) run on the
shared pipeline (``experiments/claims``): every (row, model) trains ``trials`` seeds in one run
directory under ``out_dir``; a killed run resumes, a finished one is reused. Writes ``table.json``,
``table.md`` and the figures. The protocol is ``experiments/questions/claim.py`` (rules in ``protocol.py``).

The package holds the questions' protocol, computed claims and figures; ``python -m experiments.questions``
runs this driver (``__main__.py``).
"""

from __future__ import annotations

from experiments import common
from experiments.claims import pipeline
from experiments.questions import claim, reach, s0

# claims computed without the shared pipeline
COMPUTED = {"S0-time": s0.run, "S-reach": reach.draw}


DEFAULT_CONFIG = common.config_path("s2_ablation.py")
_CONFIG = None  # the --config flag, defined by __main__.py (or experiments.run) before main runs
CONFIGS = ("s*.py",)  # the config files it runs (experiments/configs)


def protocol_of(config):
    """The protocol that trains ``config``'s rows; None for a claim computed without trials."""
    return None if config.claim in COMPUTED else claim.PROTOCOL


def run(config, overridden=()) -> list:
    """Everything the command line asks for; returns the paths written."""
    common.setup(config)
    return pipeline.claim_or_computed(config, claim.PROTOCOL, COMPUTED, overridden)


def main(argv):
    common.no_arguments(argv)
    for path in run(_CONFIG.value, common.overridden(_CONFIG)):
        print(path)


def define_flag():
    """The ``--config`` flag of this driver (with its ``--help``); main reads it."""
    return common.define_claim_config(
        "s2_ablation.py", ", ".join(CONFIGS), "_questions.py", "s0_downsampling.py", "s_reach.py"
    )
