"""H97-D2: Experiment 1 without output gates ("learning was not fast", H97 §5.1).

The 3x2_a05 net of Table 1 (3×2, α 0.5, 30 trials; numbers in experiments/h97/paper.py,
TABLES["H97-D2"]) beside the same net with its output gates removed (y_c = h(s); row
3x2_a05_no_og). The paper gives no number for this ablation.
Command:  python -m experiments.run --config=experiments/configs/h97_d2.py:quick
Time:     quick about 1 minute; paper about 10 minutes.
"""

from experiments.configs import _h97, h97_t1


def get_config(profile: str = "quick"):
    c = h97_t1.get_config(profile)
    c.claim = "H97-D2"
    c.statement = (
        "Without output gates the Reber-grammar net of Table 1 learns less quickly (H97 §5.1)."
    )
    row = h97_t1.ROWS["3x2_a05"]
    no_og = {"output_gate": False, "out_gate_bias": "", "title": "3×2, α 0.5, no output gates"}
    c.rows = _h97.rows(("3x2_a05", row), ("3x2_a05_no_og", {**row, **no_og}))
    return c
