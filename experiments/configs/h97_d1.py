"""H97-D1: the full gradient instead of the truncated one ("no significant difference", H97 §6).

The 1997 LSTM trained with plain BPTT through every path (gradient = "full") beside the truncated
gradient, on the adding problem (T = 100, Exp. 4) and on temporal order 6a (Exp. 6); 10 trials each.
The paper gives no numbers; its truncated results are Tables 7 and 9 (rows 6a_truncated and
adding_truncated; numbers in experiments/h97/paper.py, TABLES["H97-D1"]).
Command:  python -m experiments.run --config=experiments/configs/h97_d1.py:quick
Time:     quick (6a only, 6 trials, budget 50,000) about 1.5 minutes.
"""

from experiments.configs import _h97, h97_t9


def get_config(profile: str = "quick"):
    c = h97_t9.temporal_order(profile)
    quick = profile == "quick"
    c.claim = "H97-D1"
    c.statement = "In a few runs the full gradient instead of the truncated one performed about the same (H97 §6)."
    c.task, c.blocks, c.in_gate_bias, c.lr = "h97_temporal_order_6a", 2, "-2,-4", 0.5
    six_a = h97_t9.ROW_6A
    adding = {
        "task": "h97_adding",
        "T": 100,
        "in_gate_bias": "-3,-6",
        "lr": 0.5,
        "tolerance": 0.04,
        "max_avg_error": 0.01,
    }
    rows = [
        ("6a_truncated", {**six_a, "title": "6a, truncated"}),
        ("6a_full", {**six_a, "gradient": "full", "title": "6a, full"}),
    ]
    if not quick:
        rows += [
            ("adding_truncated", {**adding, "title": "adding, truncated"}),
            ("adding_full", {**adding, "gradient": "full", "title": "adding, full"}),
        ]
    c.rows = _h97.rows(*rows)
    c.compare = "6a_truncated:6a_full" + ("" if quick else ",adding_truncated:adding_full")
    c.models = "lstm1997"
    c.trials = 6 if quick else 10
    c.max_sequences = 50_000 if quick else 5_000_000
    return c
