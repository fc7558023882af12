"""Hochreiter & Schmidhuber (1997) and Gers et al. (2000): ``python -m experiments.run`` with H97-T7's
config by default.

Usage:
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:quick
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t4.py:paper
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:paper \
      --config.only_rows=T500 --config.rows.T500.trials=4 --config.models=lstm1997

A config names a task (``task``, as in ``repro.tasks``) and the rows of the paper's table (``rows``);
each (row, model) trains ``trials`` independent trials in one run directory under ``out_dir``: a killed
run resumes, a finished one is reused, so a second call only redraws. Writes ``table.json`` and
``table.md`` (ours beside the paper's numbers, ``experiments/h97/paper.py``) and the figure.
H97-T10 and H97-T11 rebuild H97's conditions tables from the claim configs. The protocol is
``experiments/h97/claim.py`` (rules in ``protocol.py``).
"""

from experiments import common
from experiments import run as _run

DEFAULT_CONFIG = common.config_path("h97_t7.py")
run = _run.run

if __name__ == "__main__":
    _run.main(DEFAULT_CONFIG)
