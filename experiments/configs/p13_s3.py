"""P13-S3: addition and multiplication models generalising to length 500 (P13 §4.2).

Paper: the models trained on lengths 50-200 keep < 1% error on sequences up to 500 steps; the
error grows with length (no per-length numbers). Trained as in P13-S2 (its own runs), then tested on
10,000 sequences at each length 50, 100, ..., 500 (a sequence is wrong when its squared error
exceeds 0.04).
Command:  python -m experiments.run --config=experiments/configs/p13_s3.py:quick
Time:     quick (2 trials, 1,500 updates, 1,000 test sequences at 50, 200, 500) about 1 minute;
          paper (5 trials, 5M updates) days on a CPU: a GPU job.
"""

from experiments.configs import _p13


def get_config(profile: str = "quick"):
    c = _p13.base(profile)
    quick = profile == "quick"
    c.claim = "P13-S3"
    c.draw = "errors_vs_length,flow_vs_outcome"
    c.statement = "Nets trained with MSGD-CR on addition and multiplication generalise to sequences of length 500 with under 1% error (P13 §4)."
    c.models = "msgd_cr"
    c.init = "basic_tanh"
    c.L, c.L_max = 50, 200
    c.rows = _p13.rows(
        ("addition", {"task": "p13_addition", "title": "addition"}),
        ("multiplication", {"task": "p13_multiplication", "title": "multiplication"}),
    )
    c.trials = 2 if quick else 5
    c.max_updates = 1_500 if quick else 5_000_000
    c.eval_every = 500 if quick else 2000
    c.eval_sequences = 1000 if quick else 10_000
    c.test_sequences = 1000 if quick else 10_000
    c.test_lengths = "50,200,500" if quick else ",".join(str(L) for L in range(50, 501, 50))
    return c
