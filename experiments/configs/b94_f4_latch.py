"""B94-F4-latch: six algorithms on the latch, error and presentations against T (B94 Fig. 4, row 1).

Paper (read off the figure; no table): SA 0 % errors at every T with the most presentations
(1.26e4 at T = 30 to 5.3e4 at 100); BP 44–61 %, PN 34–49 %, TWPN 18–32 %, DEP 6.5–24 %, MGRS
0–10.5 % at T = 20…100 (experiments/b94/paper.py). Spec Decisions: 20 training sequences, 20 trials,
2×10⁶ presentations, the stuck rule (ε = 0.001, N_ε = 4), the constants of §2.5.
Command:  python -m experiments.run --config=experiments/configs/b94_f4_latch.py:quick
Time:     quick (T ≤ 50, 5 trials, 10⁵ presentations) about a minute on 2 cores; paper (T up to
          100, 20 trials, 2×10⁶) tens of minutes.
"""

from experiments.configs import _b94


def get_config(profile: str = "quick"):
    c = _b94.comparative(profile)
    c.claim = "B94-F4-latch"
    c.protocol = "experiments.b94.fig4:comparative"  # computed without the trainer
    c.task = "latch"
    c.lengths = "4,7,10,14,18,20,30,50" if profile == "quick" else "4,7,10,14,18,20,30,50,100"
    c.target = 0.8  # ±0.8 (spec Decision: the paper says only positive/negative)
    return c
