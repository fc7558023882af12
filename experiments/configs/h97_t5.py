"""H97-T5: Experiment 3b, Gaussian noise on the information elements too (H97 Table 5).

Paper: H97 Table 5 (means of 10 trials, 102 weights, α 1.0; ST1, ST2 and the fraction
misclassified of rows T100_N3, T100_N1, T1000_N1; numbers in experiments/h97/paper.py,
TABLES["H97-T5"]).
ST1: fewer than 6 of 256 fresh sequences misclassified; ST2: ST1 and mean absolute error < 0.04.
Command:  python -m experiments.run --config=experiments/configs/h97_t5.py:quick
"""

from experiments.configs import h97_t4

ROWS = {
    "T100_N3": h97_t4.ROWS["T100_N3"],
    "T100_N1": h97_t4.ROWS["T100_N1"],
    "T1000_N1": {"T": 1000, "N": 1, "title": "T = 1000, N = 1"},
}


def get_config(profile: str = "quick"):
    c = h97_t4.exp3(profile, "H97-T5", "h97_3b", ROWS)
    c.statement = "LSTM classifies long noisy sequences whose class lies only in their first elements, with Gaussian noise on those elements too (Exp. 3b, H97 Table 5)."
    c.check_max_wrong = 5
    c.check_mean_error = 0.04
    return c
