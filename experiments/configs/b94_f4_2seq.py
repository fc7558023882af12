"""B94-F4-2seq = BF93-T1, BF93-T2: six algorithms on the 2-sequence task (B94 Fig. 4 row 2, BF93
Tables 1–2): final classification error (%) and presentations against T = 5…100.

Paper (BF93 Table 1): BP 43–58 %, PN 2–29 %, TWPN 0–34 %, MGRS 1–6 %, DEP 6–29 %, SA 0–11 %;
Table 2: SA 3.9e4–2.0e5 presentations, the others 4.3e2–6.4e3. A 5-unit fully connected net
without biases (25 parameters), keys of 3 elements uniform in [−1, 1], noise ±0.2.
Command:  python -m experiments.run --config=experiments/configs/b94_f4_2seq.py:quick
Time:     quick (T ≤ 50, 5 trials, 10⁵ presentations) a few minutes on 2 cores; paper (T up to
          100, 20 trials, 2×10⁶) hours.
"""

from experiments.configs import _b94


def get_config(profile: str = "quick"):
    c = _b94.comparative(profile)
    c.claim = "B94-F4-2seq"
    c.protocol = "experiments.b94.fig4:comparative"  # computed without the trainer
    c.task = "two_sequence"
    c.lengths = "5,10,20,50" if profile == "quick" else "5,10,20,50,100"
    c.target = 0.8  # ±0.8 (spec Decision)
    return c
