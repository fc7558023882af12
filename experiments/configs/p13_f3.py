"""P13-F3: the bifurcation diagram of a one-unit RNN (P13 Fig. 3, §2.2), computed, not trained.

Paper: x ↦ 5σ(x) + b (Doya's example; theory form) has two attractors between the folds b₁, b₂;
crossing a bifurcation need not make gradients explode, crossing a basin boundary does. The spec
derives (logistic σ) the bistable interval b ∈ (−2.6556, −2.3444), checked in tests/test_one_unit.py.
Command:  python -m experiments.run --config=experiments/configs/p13_f3.py
Time:     a few seconds (both profiles are the same).
"""

import ml_collections


def get_config(profile: str = "quick"):
    if profile not in ("quick", "paper"):
        raise ValueError(f"--config profile {profile!r}: must be one of ['quick', 'paper']")
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" or "paper": the same figure (nothing is trained)
    c.claim = "P13-F3"  # claim id in REPRODUCTION.md
    c.protocol = "experiments.p13.one_unit_figures:f3"  # computed without the trainer
    c.dtype = "float64"  # the figure is computed in float64 either way
    c.w = 5.0  # recurrent weight (Doya's example)
    c.sigma = "logistic"  # "logistic" (spec Decision) or "tanh" (option)
    c.b_range = "-4,-1"  # the bias axis, "low,high"
    c.points = 3001  # biases on that axis
    c.steps = 50  # x_T with T = steps
    c.starts = "3,0"  # x_0 of the |∂x_T/∂b| curves: 3 crosses only the fold, 0 only the boundary
    c.kick = 0.01  # panel (b): x_0 = ±kick at the middle of the bistable interval
    c.out_dir = ""  # numbers.json goes here; "" = runs/p13_f3/<profile>
    c.figure = ""  # figure path without extension; "" = figures/p13_f3 (quick), p13_f3_paper
    return c
