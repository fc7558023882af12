"""H97-T10: H97 Table 10 (conditions of every experiment), built from the claim configs.

Builds every column of the paper's Table 10 from the paper profile of each claim config (weights
counted on the built network) and compares it cell by cell with the paper; the differences the
spec expects are listed with their reasons, any other difference is an error. No training.
Command:  python -m experiments.run --config=experiments/configs/h97_t10.py:quick
"""

from experiments.configs import _h97


def get_config(profile: str = "quick"):
    c = _h97.base(profile)
    c.claim = "H97-T10"
    c.protocol = "experiments.h97.conditions:main"  # computed without the trainer
    c.conditions = "table10"
    return c
