"""The fields of Bengio, Simard & Frasconi (1994) configs computed without the trainer (spec §1, §2.1).

``minimal(profile)`` holds Fig. 2's set-up (the minimal task and its training, spec §2.1); each of
b94_f2a.py, b94_f2b.py and b94_f2_sens.py starts from it and sets its grid. b94_theory.py has its
own fields.
"""

import ml_collections

from experiments.configs._claim import PROFILES

__all__ = ["PROFILES", "minimal"]


def minimal(profile: str) -> ml_collections.ConfigDict:
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" (2-core CPU, minutes) or "paper" (the paper's scale)
    c.claim = ""  # claim id in REPRODUCTION.md
    c.dtype = "float32"  # the runs' precision ("float32" or "float64")
    c.seed = 0  # root key; run r of cell i uses fold_in(fold_in(key(seed), i), r)
    # -- the minimal task (spec §2.1)
    c.L = 3  # trainable leading inputs h_1..h_L per class (paper: 3)
    c.T = 20  # sequence length (Fig. 2(a): 20)
    c.per_class = 50  # training sequences per class, drawn once per run (spec Decision: 50)
    c.noise_param = "variance"  # s is the noise "variance" (paper) or its "std" (option)
    c.fresh_noise = False  # draw a new training set every epoch (option; paper: one fixed set)
    c.target = 0.8  # targets ±0.8 (paper)
    c.h_init = 0.1  # h starts uniform in [−h_init, h_init] (spec Decision: 0.1)
    c.train_w = True  # train w too (spec Decision for 2(b); False: the text's "only h")
    # -- training (spec §2.1 Decisions)
    c.lr = 0.1  # full-batch gradient descent on the mean cost, step size η
    c.epochs = 2000  # budget in epochs (= updates)
    c.cost_below = 0.05  # converged: every sign right and mean cost below this
    c.chunk = 50  # epochs per jitted chunk (speed only)
    # -- outputs
    c.out_dir = ""  # numbers.json and blocks/ go here; "" = runs/<claim>/<profile>
    c.figure = ""  # figure path without extension; "" = figures/<claim> (quick), <claim>_paper
    return c
