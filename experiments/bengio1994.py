"""Bengio, Simard & Frasconi (1994) and Bengio & Frasconi (1993): ``python -m experiments.run`` with
B94-THEORY's config by default.

Usage:
  python -m experiments.bengio1994 --config=experiments/configs/b94_theory.py:quick
  python -m experiments.bengio1994 --config=experiments/configs/b94_f2a.py:paper
  python -m experiments.bengio1994 --config=experiments/configs/b94_f2b.py:quick \
      --config.train_w=False --config.figure=figures/b94_f2b_frozen_w

The theory (``b94_theory``), Fig. 2 (``b94_f2a``, ``b94_f2b``, ``b94_f2_sens``) and Fig. 4
(``b94_f4_*``) are computed by ``experiments/b94/`` on the latch neuron of ``repro/latch.py``; each
writes runs/<claim>/<profile>/numbers.json with provenance, and its figure.
"""

from experiments import common
from experiments import run as _run

DEFAULT_CONFIG = common.config_path("b94_theory.py")
run = _run.run

if __name__ == "__main__":
    _run.main(DEFAULT_CONFIG)
