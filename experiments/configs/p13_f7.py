"""P13-F7: temporal order, success rate against sequence length (P13 Fig. 7, §4.1).

Paper: three panels (sigmoid, basic tanh, smart tanh initialisation), MSGD / MSGD-C / MSGD-CR,
5 runs per point, 50 units, lr 0.01, batch 20, clipping at 1, α = 4, at most 5M updates, success
when < 1% of 10,000 fresh sequences are wrong. No numbers in the text (experiments/p13/paper.py):
clipping matters more as the length grows.
Command:  python -m experiments.run --config=experiments/configs/p13_f7.py:quick
Profiles: quick, paper, and budget20k: the paper protocol with the budget cut to 20,000 updates
          (0.4% of 5M), run on the CPU for L = 20, 50, 100 (--config.only_rows=...); its name says
          the cut, so no table, figure or status takes it for the paper profile.
Time:     quick (L = 10 and 20, 3 trials, 4,000 updates: far below the paper's budget, so "not
          solved" there means not within budget) about 4 minutes on 2 cores; paper (L = 20..200,
          5 trials, 5M updates) days on a CPU: a GPU job.
"""

from experiments.configs import _p13
from experiments.p13.paper import F7_INITS, F7_LENGTHS

PROFILES = ("quick", "paper", "budget20k")


def get_config(profile: str = "quick"):
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    c = _p13.base("paper" if profile == "budget20k" else profile)
    c.profile = profile
    quick = profile == "quick"
    c.claim = "P13-F7"
    c.draw = "success_vs_length,flow_vs_outcome"
    c.statement = "On the temporal order problem, clipping matters more as the sequences grow longer (P13 Fig. 7; arXiv v2 adds that MSGD and MSGD-C fail beyond about 20 steps and MSGD-CR succeeds up to 200)."
    c.task = "p13_temporal_order"
    lengths = (10, 20) if quick else F7_LENGTHS
    c.rows = _p13.rows(
        *(
            (f"{init}_L{L}", {"init": init, "L": L, "title": f"{init.replace('_', ' ')}, L = {L}"})
            for init in F7_INITS
            for L in lengths
        )
    )
    c.trials = 3 if quick else 5
    c.max_updates = {"quick": 4_000, "paper": 5_000_000, "budget20k": 20_000}[profile]
    c.eval_every = 1000 if quick else 2000
    c.eval_sequences = 2000 if quick else 10_000
    return c
