"""Bengio, Simard & Frasconi (1994) and Bengio & Frasconi (1993): one config per claim.

Usage:
  python -m experiments.bengio1994 --config=experiments/configs/b94_theory.py:quick
  python -m experiments.bengio1994 --config=experiments/configs/b94_f2a.py:paper
  python -m experiments.bengio1994 --config=experiments/configs/b94_f2b.py:quick \
      --config.train_w=False --config.figure=figures/b94_f2b_frozen_w

The theory (``b94_theory``) and Fig. 2 (``b94_f2a``, ``b94_f2b``, ``b94_f2_sens``) are computed by
``experiments/b94/`` on the latch neuron of ``repro/latch.py``; each writes
runs/<claim>/<profile>/numbers.json with provenance, and its figure.
"""

from __future__ import annotations

from pathlib import Path

from experiments import common
from experiments.b94 import COMPUTED

DEFAULT_CONFIG = common.config_path("b94_theory.py")
CONFIGS = ("b94_*.py",)  # the config files it runs (experiments/configs)


def protocol_of(config):
    """No claim of this driver trains trials through the shared runner."""
    return None


def run(config, overridden=()) -> list:
    """Everything the command line asks for; returns the paths written."""
    common.setup(config)
    if config.claim not in COMPUTED:
        raise ValueError(f"config.claim={config.claim!r}: must be one of {sorted(COMPUTED)}")
    return list(COMPUTED[config.claim](config))


def main(argv):
    common.no_arguments(argv)
    for path in run(_CONFIG.value):
        print(path)


def define_flag():
    """The ``--config`` flag of this driver (with its ``--help``); main reads it."""
    where = Path(__file__).parent / "configs"
    return common.define_config(
        DEFAULT_CONFIG,
        help_text="Config file and profile (path:quick or path:paper), one per claim: "
        "experiments/configs/b94_*.py. Override any field with --config.NAME=VALUE. Fields, "
        "per file (quick defaults):\n",
        field_paths=tuple(str(p) for p in (where / "_b94.py", *sorted(where.glob("b94_*.py")))),
    )


if __name__ == "__main__":
    # The flag is defined only when run as a script, so tests can import several drivers.
    _CONFIG = define_flag()
    common.run(main)
