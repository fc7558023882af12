"""B94-F2a: convergence density of the latch neuron over (w_0, s) (B94 Fig. 2(a), §III).

Paper: T = 20, L = 3, 18 runs per (w_0, s) cell, grey level = fraction converged; convergence only
for w_0 ≳ 1.1 and s ≲ 0.3 (experiments/b94/paper.py holds its cells as read off the figure, ±0.2).
Spec Decisions: 50 sequences per class held fixed, full-batch gradient descent with η = 0.1 for at
most 2000 epochs, converged = every sign right and mean cost < 0.05, h_0 uniform in [−0.1, 0.1].
Command:  python -m experiments.run --config=experiments/configs/b94_f2a.py:quick
Time:     quick (8 × 8 cells, 6 runs, 500 epochs) about 15 s on 2 cores; paper (20 × 20 cells,
          18 runs, 2000 epochs: 7,200 runs in one vmapped program per s row) about 4 minutes.
"""

from experiments.configs import _b94


def get_config(profile: str = "quick"):
    c = _b94.minimal(profile)
    quick = profile == "quick"
    c.claim = "B94-F2a"
    c.protocol = "experiments.b94.fig2:f2a"  # computed without the trainer
    c.w0_range = "0.5,2.5"  # the w_0 axis, "low,high", cut into w0_cells equal cells
    c.w0_cells = 8 if quick else 20  # paper: about 20 (cells 0.1 wide)
    c.s_range = "0,1"  # the noise-variance axis, "low,high", cut into s_cells equal cells
    c.s_cells = 8 if quick else 20  # paper: about 20 (cells 0.05 high)
    c.runs = 6 if quick else 18  # runs per cell (paper: 18)
    c.epochs = 500 if quick else 2000
    return c
