"""P13-F6: the error surface of a one-unit RNN with its steep wall, and clipping (P13 Fig. 6, §3.2).

Paper: x_t = wσ(x_{t−1}) + b from x_0 = 0.5, E = (σ(x_50) − 0.7)²; plain gradient descent at the
wall jumps far, descent with a clipped gradient norm stays near it. The spec's starts, learning rates
and derived numbers (wall b = 0.5 − σ(0.5)w, E from 0 to 0.49, E < 1e-3 on ≈1.3% of the grid).
Command:  python -m experiments.run --config=experiments/configs/p13_f6.py
Time:     about 10 seconds (both profiles are the same).
"""

import ml_collections


def get_config(profile: str = "quick"):
    if profile not in ("quick", "paper"):
        raise ValueError(f"--config profile {profile!r}: must be one of ['quick', 'paper']")
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" or "paper": the same figure (nothing is trained)
    c.claim = "P13-F6"  # claim id in REPRODUCTION.md
    c.protocol = "experiments.p13.one_unit_figures:f6"  # computed without the trainer
    c.dtype = "float64"  # "float32" or "float64" the figure is computed in
    c.sigma = "logistic"  # the unit's nonlinearity σ: "logistic" or "tanh"
    c.x0 = 0.5  # initial state
    c.target = 0.7  # E = (σ(x_T) − target)²
    c.steps = 50  # T
    c.grid_range = "-10,10"  # w and b axes, "low,high"
    c.grid = 401  # points per axis
    c.examples = "6:-3:0.1,5:-2:1.0"  # example starts and learning rates, "w:b:lr,..." (spec)
    c.clip = 1.0  # clipping threshold of the gradient norm
    c.descent_steps = 300  # gradient steps per run
    c.ensemble = 400  # starts drawn within 1 of the wall (b = wall(w) + U(−1, 1))
    c.ensemble_w = "5,9.5"  # their w range, "low,high"
    c.seed = 0  # of the ensemble's starts
    c.out_dir = ""  # numbers.json goes here; "" = runs/p13_f6/<profile>
    c.figure = ""  # figure path without extension; "" = figures/p13_f6 (quick), p13_f6_paper
    return c
