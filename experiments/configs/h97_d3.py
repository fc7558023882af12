"""H97-D3: large learning rates drive the output gates toward 0 (H97 §5.1, Exp. 1; no numbers).

The 3×2 net of Table 1 at α 0.1 and α 0.5 (rows 3x2_a01, 3x2_a05; one train/test pair), trained as
in H97-T1, and each block's mean output-gate activation on the test strings traced from
initialisation, every 1,000 strings, training on without stopping (figure h97_d3_gates).
Command:  python -m experiments.run --config=experiments/configs/h97_d3.py:quick
Time:     quick (10 trials, 20,000 strings per row) about 3 minutes; paper (10 trials, 100,000) 15.
"""

from experiments.configs import _h97, h97_t1


def get_config(profile: str = "quick"):
    c = h97_t1.get_config(profile)
    c.claim = "H97-D3"
    c.statement = "Large learning rates drive the output gates toward zero (H97 §6); this figure shows how the nets whose gates h97_d3_gates traces trained."
    c.rows = _h97.rows(*((k, h97_t1.ROWS[k]) for k in ("3x2_a01", "3x2_a05")))
    c.data_pairs = 1
    c.max_sequences = 20_000 if profile == "quick" else 100_000
    c.gate_trace = c.max_sequences
    return c
