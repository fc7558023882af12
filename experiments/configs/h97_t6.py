"""H97-T6: Experiment 3c, noisy real-valued targets (H97 Table 6).

Paper: H97 Table 6 (means of 10 trials, 102 weights, α 0.1; sequences until stop, fraction
misclassified and mean |y − expected target| of rows T100_N3, T100_N1; numbers in
experiments/h97/paper.py, TABLES["H97-T6"]).
Stop: none of 256 fresh sequences with |y − noise-free target| > 0.1, and their mean below 0.015.
Command:  python -m experiments.run --config=experiments/configs/h97_t6.py:quick
Time:     quick (T100_N3, budget 60,000: shorter than the paper's mean) about 1 minute.
"""

from experiments.configs import h97_t4

ROWS = {k: h97_t4.ROWS[k] for k in ("T100_N3", "T100_N1")}


def get_config(profile: str = "quick"):
    c = h97_t4.exp3(profile, "H97-T6", "h97_3c", ROWS)
    c.statement = "LSTM learns noisy real-valued targets of long noisy sequences to a small mean absolute error (Exp. 3c, H97 Table 6)."
    c.trials = 5 if profile == "quick" else 10
    c.max_sequences = 60_000 if profile == "quick" else 5_000_000
    c.lr = 0.1
    c.tolerance = 0.1
    c.check_mean_error = 0.015
    return c
