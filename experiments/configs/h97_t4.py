"""H97-T4: Experiment 3a, noise and signal on the same channel (H97 Table 4).

Paper: H97 Table 4 (means of 10 trials, 3 blocks × 1 cell, 102 weights, α 1.0; ST1, ST2 and the
fraction misclassified of rows T100_N3, T100_N1, T1000_N3; numbers in experiments/h97/paper.py,
TABLES["H97-T4"]).
ST1: none of 256 fresh sequences misclassified (|error| >= 0.2); ST2: ST1 and mean absolute error
< 0.01; both recorded in one run, checked every 100 sequences; then 2560 fresh test sequences.
Command:  python -m experiments.run --config=experiments/configs/h97_t4.py:quick
"""

from experiments.configs import _h97

ROWS = {
    "T100_N3": {"T": 100, "N": 3, "title": "T = 100, N = 3"},
    "T100_N1": {"T": 100, "N": 1, "title": "T = 100, N = 1"},
    "T1000_N3": {"T": 1000, "N": 3, "title": "T = 1000, N = 3"},
}


def exp3(profile: str, claim: str, task: str, rows: dict):
    c = _h97.base(profile)
    quick = profile == "quick"
    c.claim = claim
    c.task = task
    c.rows = _h97.rows(*((k, v) for k, v in rows.items() if not quick or k == "T100_N3"))
    c.trials = 10
    c.max_sequences = 60_000 if quick else 5_000_000
    c.blocks, c.block_size, c.bias = 3, 1, "b1"
    c.in_gate_bias, c.out_gate_bias = "-1,-3,-5", "-2,-4,-6"
    c.init_scale = 0.1
    c.lr = 1.0
    c.tolerance = 0.2
    c.check_sequences = 256
    c.check_mean_error = 0.01
    return c


def get_config(profile: str = "quick"):
    c = exp3(profile, "H97-T4", "h97_3a", ROWS)
    c.statement = "LSTM classifies long noisy sequences whose class lies only in their first elements, noise and signal on one channel (Exp. 3a, H97 Table 4)."
    c.models = "lstm1997,rnn_tanh"
    return c
