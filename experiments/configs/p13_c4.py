"""P13-C4: on the natural tasks a constant weight α of Ω hurt; α had to decay like 1/t.

Paper: P13 §4.2 text (no numbers): "holding α constant degraded results". Here: MSGD-CR on
Piano-midi.de with Ω weighted α/epoch (the spec's §2.3 schedule) against a constant α, everything
else as P13-T1 (experiments/configs/p13_t1.py).
Command:  python -m experiments.run --config=experiments/configs/p13_c4.py:quick
Time:     quick (2 seeds, 10 epochs) about 3 minutes on 2 cores.
"""

from experiments.configs import _claim, p13_t1


def get_config(profile: str = "quick"):
    c = p13_t1.get_config(profile)
    c.claim = "P13-C4"
    c.models = "msgd_cr"
    c.rows = _claim.rows(
        ("inv_t", {"alpha_schedule": "1/t", "title": "α/epoch"}),
        ("constant", {"alpha_schedule": "constant", "title": "constant α"}),
    )
    return c
