"""H97-T2: Task 2a, noise-free sequences with long time lags (H97 Table 2), p = 100.

Paper: H97 Table 2 (18 trials, cap 5,000,000; numbers in experiments/h97/paper.py,
TABLES["H97-T2"]): LSTM with 1 cell + input gate, no output gate, 10504 weights, α 1.0; RTRL
and BPTT with a logistic hidden unit fail at p = 100.
Success: on the two possible sequences, every output's |error| < 0.25 at every step.
Baseline here: a sigmoid RNN (BPTT) with as many hidden units as rnn_hidden.
Command:  python -m experiments.run --config=experiments/configs/h97_t2.py:quick
Time:     quick (4 trials, budget 10,000) about 30 seconds.
"""

from experiments.configs import _h97


def get_config(profile: str = "quick"):
    c = _h97.base(profile)
    quick = profile == "quick"
    c.claim = "H97-T2"
    c.statement = "With lags of 100 steps and no noise (Task 2a), LSTM solves every trial and a sigmoid RNN trained by BPTT none (H97 Table 2)."
    c.task = "h97_2a"
    c.rows = _h97.rows(("p100", {"p": 100, "title": "p = 100"}))
    c.trials = 4 if quick else 18
    c.max_sequences = 10_000 if quick else 5_000_000
    c.topology, c.bias, c.output_gate, c.g, c.h = "B", "none", False, "g1", "id"
    c.blocks, c.block_size = 1, 1
    c.init_scale = 0.2
    c.lr = 1.0
    c.tolerance = 0.25
    c.test_sequences = 2  # the two possible sequences
    c.models = "lstm1997,rnn_sigmoid"
    c.rnn_hidden = 1
    return c
