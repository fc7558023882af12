"""S-reach (beyond every anchor): per trial, the measured gradient reach against success, across the
trained questions' runs (S1-cell, S2-ablation, S3-exists, S3-optim of the same profile); reads their
table.json, trains nothing (experiments/questions/reach.py).
Command:  python -m experiments.run --config=experiments/configs/s_reach.py:quick
Time:     seconds, once those claims have run.
"""

import ml_collections

from experiments.configs._questions import PROFILES


def get_config(profile: str = "quick"):
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    c = ml_collections.ConfigDict()
    c.profile = profile  # whose runs to read: "quick" or "full"
    c.claim = "S-reach"
    c.protocol = "experiments.questions.reach:draw"  # computed without the trainer
    c.dtype = "float32"  # unused (nothing is computed); kept for the command's shared set-up
    c.figure = ""  # "" = figures/s_reach (quick), figures/s_reach_full
    c.out_dir = ""  # numbers.json (what the docs cite) goes here; "" = runs/s_reach/<profile>
    return c
