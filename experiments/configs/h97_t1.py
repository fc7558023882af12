"""H97-T1: Experiment 1, the embedded Reber grammar (H97 Table 1).

Paper: H97 Table 1 (means of 30 trials = 3 train/test pairs × 10 initialisations; numbers
in experiments/h97/paper.py, TABLES["H97-T1"]). Rows 4x1_a01, 3x2_a01, 3x2_a02, 4x1_a05, 3x2_a05
(blocks × cells per block, α). Success: every prediction of the 256 training and 256 test
strings correct; cap 200,000 strings.
Command:  python -m experiments.run --config=experiments/configs/h97_t1.py:quick
Time:     quick (the 3x2_a05 row, one data pair) about 30 seconds; paper about 30 minutes.
Readings: --config.update_rule=step (an update at every step, RTRL; about 8× slower) and
--config.reber_targets=legal (every legal successor as target) are options; the defaults are the
spec's.
"""

from experiments.configs import _h97

_4X1 = {"blocks": 4, "block_size": 1, "out_gate_bias": "-1,-2,-3,-4"}
_3X2 = {"blocks": 3, "block_size": 2, "out_gate_bias": "-1,-2,-3"}
ROWS = {  # Table 1's rows: blocks × cells per block, learning rate α
    "4x1_a01": {**_4X1, "lr": 0.1, "title": "4×1, α 0.1"},
    "3x2_a01": {**_3X2, "lr": 0.1, "title": "3×2, α 0.1"},
    "3x2_a02": {**_3X2, "lr": 0.2, "title": "3×2, α 0.2"},
    "4x1_a05": {**_4X1, "lr": 0.5, "title": "4×1, α 0.5"},
    "3x2_a05": {**_3X2, "lr": 0.5, "title": "3×2, α 0.5"},
}


def get_config(profile: str = "quick"):
    c = _h97.base(profile)
    quick = profile == "quick"
    c.claim = "H97-T1"
    c.statement = "LSTM learns the embedded Reber grammar: every trial, or nearly every, of each net solves it (H97 Table 1)."
    c.task = "h97_reber"
    c.rows = _h97.rows(*((k, v) for k, v in ROWS.items() if not quick or k == "3x2_a05"))
    c.trials = 10  # initialisations per data pair
    c.data_pairs = 1 if quick else 3
    c.max_sequences = 20_000 if quick else 200_000
    c.bias = "ga"  # biases on gates only; input-gate biases random
    c.init_scale = 0.2
    c.eval_every = 100
    return c
