"""H97-T11: H97 Table 11 (conditions of every experiment), built from the claim configs.

Builds every column of the paper's Table 11 from the paper profile of each claim config (weights
counted on the built network) and compares it cell by cell with the paper; the differences the
spec expects are listed with their reasons, any other difference is an error. No training.
Command:  python -m experiments.run --config=experiments/configs/h97_t11.py:quick
"""

from experiments.configs import _h97


def get_config(profile: str = "quick"):
    c = _h97.base(profile)
    c.claim = "H97-T11"
    c.protocol = "experiments.h97.conditions:main"  # computed without the trainer
    c.conditions = "table11"
    return c
