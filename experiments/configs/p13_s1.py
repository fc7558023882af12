"""P13-S1: one temporal-order model for lengths 50-200, tested up to length 5000 (P13 §4.1.2).

Paper: 50 tanh units, basic-tanh initialisation, a new length from 50-200 for every minibatch;
5/5 runs reach 0 wrong of 10,000 sequences of random length, and the same model has 0 wrong of
10,000 at every length 50, 100, ..., 5000 (experiments/p13/paper.py). Spec Decisions: MSGD-CR with
the §2.1 settings, trained to 0 wrong (the code's rule), recording when < 1% was first reached.
Command:  python -m experiments.run --config=experiments/configs/p13_s1.py:quick
Time:     quick (2 trials, 2,000 updates, tests of 1,000 sequences up to length 1000: far below
          the paper's budget, so it shows the pipeline, not the result) about 1.5 minutes;
          paper (5 trials, 5M updates) days on a CPU: a GPU job.
"""

from experiments.configs import _p13


def get_config(profile: str = "quick"):
    c = _p13.base(profile)
    quick = profile == "quick"
    c.claim = "P13-S1"
    c.draw = "errors_vs_length,flow_vs_outcome"
    c.statement = "One tanh RNN trained on the temporal order problem at lengths 50 to 200 makes no error at any of the lengths tested from 50 to 5,000 (P13 §4; arXiv v2 reports up to 400)."
    c.task = "p13_temporal_order"
    c.models = "msgd_cr"
    c.init = "basic_tanh"
    c.success = "zero"
    c.rows = _p13.rows(("L50_200", {"L": 50, "L_max": 200, "title": "L = 50-200"}))
    c.trials = 2 if quick else 5
    c.max_updates = 2_000 if quick else 5_000_000
    c.eval_every = 1000 if quick else 2000
    c.eval_sequences = 1000 if quick else 10_000
    c.test_sequences = 1000 if quick else 10_000
    c.test_lengths = "50,200,1000" if quick else "50,100,150,200,250,500,1000,2000,3000,5000"
    return c
