"""H97-T8: Experiment 5, the multiplication problem (H97 Table 8), T = 100.

Paper: H97 Table 8 (means of 10 trials, 93 weights, α 0.1, no special gate biases; 2560 test
sequences; numbers in experiments/h97/paper.py, TABLES["H97-T8"]). The test set is scored when fewer
than 140 of the 2000 most recent training sequences are wrong (|error| >= 0.04; the n140 columns),
and again when training has gone on to fewer than 13 (wrong, MSE, sequences until success).
One run records both events (H97 §3.7); the MSE column is flagged (see spec).
Command:  python -m experiments.run --config=experiments/configs/h97_t8.py:quick
Time:     quick (3 trials, budget 60,000: shorter than the paper's means) about 1 minute.
"""

from experiments.configs import _h97, h97_t7


def get_config(profile: str = "quick"):
    c = h97_t7.adding(profile)
    quick = profile == "quick"
    c.claim = "H97-T8"
    c.statement = (
        "LSTM learns to multiply two marked real values across 100 steps (Exp. 5, H97 Table 8)."
    )
    c.task = "h97_multiplication"
    c.rows = _h97.rows(("T100", {"T": 100, "title": "T = 100"}))
    c.trials = 3 if quick else 10
    c.max_sequences = 60_000 if quick else 5_000_000
    c.lr = 0.1
    c.max_avg_error = 0.0  # no average-error rule: the n_seq rules only
    c.window_max_wrong = 12  # stop: fewer than 13 of the 2000 most recent wrong
    c.mark_max_wrong = 139  # and test when fewer than 140 were
    return c
