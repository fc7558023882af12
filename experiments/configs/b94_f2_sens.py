"""B94-F2-SENS (ours): how Fig. 2's convergence depends on the learning rate η.

Not in the paper: η = 0.1 is a spec Decision, chosen once and never tuned per cell. This sweeps η at
the Fig. 2(b) setting (w_0 = 1.25, s = 0.2) for T = 10, 20, 40 and at two Fig. 2(a) cells at
T = 20: (w_0, s) = (1.5, 0.125) and (1.25, 0.225).
Command:  python -m experiments.run --config=experiments/configs/b94_f2_sens.py:quick
Time:     quick (20 runs, 500 epochs) about 30 s on 2 cores; paper (100 runs, 2000 epochs)
          about 5 minutes.
"""

from experiments.configs import _b94


def get_config(profile: str = "quick"):
    c = _b94.minimal(profile)
    quick = profile == "quick"
    c.claim = "B94-F2-SENS"
    c.protocol = "experiments.b94.fig2:f2_sens"  # computed without the trainer
    c.lrs = "0.01,0.03,0.1,0.3,1,3"  # the learning rates swept
    # the settings, "w0:s:T" comma-separated
    c.points = "1.25:0.2:10,1.25:0.2:20,1.25:0.2:40,1.5:0.125:20,1.25:0.225:20"
    c.runs = 20 if quick else 100  # runs per (setting, η)
    c.epochs = 500 if quick else 2000
    return c
