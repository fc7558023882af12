"""B94-F4-parity = BF93-T3, BF93-T4: six algorithms on parity (B94 Fig. 4 row 3, BF93 Tables 3–4).

Paper (BF93 Table 3): DEP 0 % at T = 3, 10, 20 and 5 % at 50; SA 0–10 %; BP, PN, TWPN and MGRS
15–47 % beyond T = 5; Table 4: SA 5.1e5–1.2e6 presentations. The net: 7 weights, a hidden and an
output unit, both fed by the input and a constant (spec Decision); targets ±1; noise ±0.2.
Command:  python -m experiments.run --config=experiments/configs/b94_f4_parity.py:quick
Time:     quick (T ≤ 50, 5 trials, 10⁵ presentations) a few minutes on 2 cores; paper (T up to
          500, 20 trials, 2×10⁶) hours.
"""

from experiments.configs import _b94


def get_config(profile: str = "quick"):
    c = _b94.comparative(profile)
    c.claim = "B94-F4-parity"
    c.protocol = "experiments.b94.fig4:comparative"  # computed without the trainer
    c.task = "parity"
    # budget200k (the CPU's cut-budget run) stops at T = 100; T = 500 is the paper profile's
    lengths = {"quick": "3,5,10,20,50", "budget200k": "3,5,10,20,50,100"}
    c.lengths = lengths.get(profile, "3,5,10,20,50,100,500")
    c.target = 1.0  # ±1 (spec Decision; option 0.8)
    return c
