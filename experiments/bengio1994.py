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
from experiments.b94 import CLAIMS


def main(argv):
    common.no_arguments(argv)
    config = _CONFIG.value
    common.setup(config)
    if config.claim not in CLAIMS:
        raise ValueError(f"config.claim={config.claim!r}: must be one of {sorted(CLAIMS)}")
    for path in CLAIMS[config.claim](config):
        print(path)


if __name__ == "__main__":
    # The flag is defined only when run as a script, so tests can import several drivers.
    where = Path(__file__).parent / "configs"
    _CONFIG = common.define_config(
        str(where / "b94_theory.py"),
        help_text="Config file and profile (path:quick or path:paper), one per claim: "
        "experiments/configs/b94_*.py. Override any field with --config.NAME=VALUE. Fields, "
        "per file (quick defaults):\n",
        field_paths=tuple(str(p) for p in (where / "_b94.py", *sorted(where.glob("b94_*.py")))),
    )
    common.run(main)
