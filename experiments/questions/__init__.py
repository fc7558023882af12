"""The practitioners' questions (the spec ../shared/papers/seeds.md): protocol, claims and figures.

Usage:
  python -m experiments.questions --config=experiments/configs/s0_downsampling.py:quick
  python -m experiments.questions --config=experiments/configs/s2_ablation.py:quick
  python -m experiments.questions --config=experiments/configs/s3_exists.py:quick
  python -m experiments.questions --config=experiments/configs/s3_optim.py:full --config.trials=20
  python -m experiments.questions --config=experiments/configs/s_reach.py:quick  # after S1-S3

``python -m experiments.questions`` is ``python -m experiments.run`` with S2-ablation's config by
default. S0 (downsampling before a BiLSTM) is computed by ``experiments/questions/s0.py`` in
resumable blocks. The other trained claims (S1-cell with S1-forget, S2-ablation with S2-symptoms,
S3-exists with S3-backflow, S3-optim) run on the shared pipeline (``experiments/claims``): every
(row, model) trains ``trials`` seeds in one run directory under ``out_dir``; a killed run resumes,
a finished one is reused. Writes ``table.json``, ``table.md`` and the figures. The protocol is
``experiments/questions/claim.py`` (rules in ``protocol.py``).

The package holds the questions' protocol, computed claims and figures; ``python -m
experiments.questions`` runs ``__main__.py``.
"""

from experiments import common
from experiments import run as _run

DEFAULT_CONFIG = common.config_path("s2_ablation.py")
run = _run.run
