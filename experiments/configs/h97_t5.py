"""H97-T5: Experiment 3b, Gaussian noise on the information elements too (H97 Table 5).

Paper (means of 10 trials, 102 weights, α 1.0):
  T=100, N=3: ST1 41,740, ST2 43,250, fraction misclassified 0.00828;
  T=100, N=1: 74,950, 78,430, 0.01500;  T=1000, N=1: 481,060, 485,080, 0.01207.
ST1: fewer than 6 of 256 fresh sequences misclassified; ST2: ST1 and mean absolute error < 0.04.
Command:  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t5.py:quick
"""

from experiments.configs import h97_t4

ROWS = {
    "T100_N3": h97_t4.ROWS["T100_N3"],
    "T100_N1": h97_t4.ROWS["T100_N1"],
    "T1000_N1": {"T": 1000, "N": 1, "title": "T = 1000, N = 1"},
}


def get_config(profile: str = "quick"):
    c = h97_t4.exp3(profile, "H97-T5", "h97_3b", ROWS)
    c.check_max_wrong = 5
    c.check_mean_error = 0.04
    return c
