"""H97-T9: Experiment 6, temporal order (H97 Table 9).

Paper: H97 Table 9 (ST3(0.1), correct when every output's |error| < 0.3; 2560 test sequences;
numbers in experiments/h97/paper.py, TABLES["H97-T9"]):
  6a (2 blocks × 2 cells, 156 weights, α 0.5): mean of 20 trials;
  6b (3 blocks × 2 cells, 308 weights, α 0.1): mean of 10 trials.
Baseline: a tanh RNN (BPTT) on 6a, same α and budget.
Command:  python -m experiments.run --config=experiments/configs/h97_t9.py:quick
Time:     quick (6a only, 10 trials, budget 60,000) about 1.5 minutes.
"""

from experiments.configs import _h97, h97_t7

ROW_6A = {"task": "h97_temporal_order_6a", "blocks": 2, "in_gate_bias": "-2,-4", "lr": 0.5}
ROW_6B = {"task": "h97_temporal_order_6b", "blocks": 3, "in_gate_bias": "-2,-4,-6", "lr": 0.1}


def temporal_order(profile: str):
    c = h97_t7.adding(profile)
    c.block_size = 2
    c.tolerance = 0.3
    c.max_avg_error = 0.1
    return c


def get_config(profile: str = "quick"):
    c = temporal_order(profile)
    quick = profile == "quick"
    c.claim = "H97-T9"
    c.statement = "LSTM classifies sequences by the temporal order of two or three widely separated symbols (Exp. 6, H97 Table 9)."
    c.task, c.blocks, c.in_gate_bias, c.lr = "h97_temporal_order_6a", 2, "-2,-4", 0.5
    if quick:
        c.rows = _h97.rows(("6a", ROW_6A))
        c.trials = 10
        c.max_sequences = 60_000
    else:
        c.rows = _h97.rows(("6a", {**ROW_6A, "trials": 20}), ("6b", {**ROW_6B, "trials": 10}))
    c.models = "lstm1997,rnn_tanh"
    return c
