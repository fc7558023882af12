"""Pascanu, Mikolov & Bengio (2013): ``python -m experiments.run`` with P13-F7's config by default.

Usage:
  python -m experiments.pascanu2013 --config=experiments/configs/p13_f7.py:quick
  python -m experiments.pascanu2013 --config=experiments/configs/p13_f3.py:quick
  python -m experiments.pascanu2013 --config=experiments/configs/p13_f7.py:paper \
      --config.only_rows=basic_tanh_L50 --config.models=msgd_cr --config.trials=2

Figs. 3 and 6 (``p13_f3``, ``p13_f6``) are computed from the one-unit nets and train nothing; Table 1
(``p13_t1``, ``p13_c4``) trains epochs on the natural data sets. The other claims train (row, method)
pairs on the shared pipeline (``experiments/claims``): each runs ``trials`` seeds in one run
directory under ``out_dir``; a killed run resumes, a finished one is reused. Writes ``table.json``
and ``table.md`` (ours beside the paper's statements, ``experiments/p13/paper.py``) and the
figures. The protocol is ``experiments/p13/protocol.py``.
"""

from experiments import common
from experiments import run as _run

DEFAULT_CONFIG = common.config_path("p13_f7.py")
run = _run.run

if __name__ == "__main__":
    _run.main(DEFAULT_CONFIG)
