"""B94 theory (B94-ATT, -DEF, -TH1…TH4, -LEM, -EQ4, -F3): the latch neuron's basins, and where its
gradients vanish (B94 §§III–IV, Thms. 1–4, App. lemma, eq. (4); the paper's Fig. 3 in one dimension).

Nothing is trained. Panels: (a) M(a) = w·tanh(a) with the basin β(+ā), the reduced attracting set
Γ(+ā) and the band |M'| > 1 (spec Decision for Fig. 3); (b) Thm. 1's noise amplification: the
probability of losing the sign from a_0, with a_c marked; (c) Thm. 4 and the lemma:
|∂a_t/∂a_0| from the Jacobian engine, latched (with and without noise) and on the basin boundary;
(d) eq. (4): the per-step terms of ∂C/∂w of a latched neuron against their lag, beside the mean
log-slope. The theorems are checked numerically in tests/test_latch.py.
Command:  python -m experiments.run --config=experiments/configs/b94_theory.py:quick
Time:     about 10 s (quick: 20,000 noise runs; paper: 200,000).
"""

import ml_collections

from experiments.configs._claim import PROFILES


def get_config(profile: str = "quick"):
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" (2-core CPU, seconds) or "paper" (the paper's scale)
    c.claim = "B94-THEORY"  # claim id in REPRODUCTION.md
    c.protocol = "experiments.b94.theory:theory"  # computed without the trainer
    c.dtype = "float64"  # the figure is computed in float64 either way
    c.seed = 0  # of the noise draws
    # -- panels (a), (b): the latch and Thm. 1
    c.w = 1.5  # self-loop weight (spec: Fig. 3 and the Thm. 1 check use 1.5)
    c.noise = 0.2  # input noise uniform in [−noise, noise]
    c.steps = 100  # steps of the sign-loss experiment
    c.runs = 20_000 if profile == "quick" else 200_000  # noise sequences per a_0
    c.starts = 41  # a_0 points on [0, 1] for panel (b)
    # -- panel (c): Thm. 4 and the lemma
    c.latched = "1.25,2"  # w of the latched neurons (started at ā)
    c.horizon = 60  # t from 0 to horizon
    # -- panel (d): eq. (4) on a latched neuron
    c.eq4_w = 2.5  # self-loop weight
    c.eq4_h = 2.0  # input at t <= eq4_L (writes the bit)
    c.eq4_L = 3  # steps of input that write the bit (then noise only)
    c.eq4_s = 0.2  # Gaussian noise variance after eq4_L
    c.eq4_T = 40  # sequence length
    c.out_dir = ""  # numbers.json goes here; "" = runs/b94_theory/<profile>
    c.figure = ""  # figure path without extension; "" = figures/b94_theory (quick), _paper
    return c
