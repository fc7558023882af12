"""G00-NTO: Gers et al. (2000), the forget gate on noisy temporal order (task 6b).

Paper: G00's text gives the mean sequences of the extended LSTM with forget-gate bias 5.0 and 1.0
(rows forget_bias5, forget_bias1; both solve the task) as ratios to the 1997 LSTM's, whose row
(lstm1997) is H97 Table 9's 6b (10 trials); numbers in experiments/h97/paper.py,
TABLES["G00-NTO"]. Same protocol as 6b (α 0.1, ST3(0.1)).
Command:  python -m experiments.run --config=experiments/configs/g00_nto.py:quick
Time:     quick (2 trials per row, budget 20,000: far below the paper's means) about 1 minute.
"""

from experiments.configs import _h97, h97_t9


def get_config(profile: str = "quick"):
    c = h97_t9.temporal_order(profile)
    quick = profile == "quick"
    c.claim = "G00-NTO"
    c.statement = "With a forget gate (bias 5 or 1) LSTM learns noisy temporal order, at a speed the paper gives relative to the 1997 LSTM's (Gers et al. 2000)."
    c.task, c.blocks, c.in_gate_bias, c.lr = "h97_temporal_order_6b", 3, "-2,-4,-6", 0.1
    c.rows = _h97.rows(
        ("lstm1997", {"title": "1997 LSTM"}),
        (
            "forget_bias5",
            {"forget_gate": True, "forget_gate_bias": "5,5,5", "title": "forget, bias 5"},
        ),
        (
            "forget_bias1",
            {"forget_gate": True, "forget_gate_bias": "1,1,1", "title": "forget, bias 1"},
        ),
    )
    c.models = "lstm1997"
    c.reference_row = "lstm1997"  # G00 reports each row's mean as a ratio to the 1997 LSTM's
    c.trials = 2 if quick else 10
    c.max_sequences = 20_000 if quick else 5_000_000
    return c
