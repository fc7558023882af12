"""H97-T7: Experiment 4, the adding problem (H97 Table 7).

Paper: H97 Table 7 (means of 10 trials, 2 blocks × 2 cells, 93 weights, α 0.5, ST3(0.01), 2560
test sequences; rows T100, T500, T1000; numbers in experiments/h97/paper.py, TABLES["H97-T7"]).
The paper says gradient-based recurrent nets such as BPTT fail at such lags; the baseline here is a
tanh RNN (8 units, 97 weights) trained by full BPTT on the same task, learning rate and budget.
Command:  python -m experiments.run --config=experiments/configs/h97_t7.py:quick
Time:     quick (T100, 4 trials, budget 100,000: below our trials' time to success, so the quick
          profile shows the learning curves) about 1.5 minutes; paper many hours on a CPU.
"""

from experiments.configs import _h97


def adding(profile: str):
    c = _h97.base(profile)
    c.task = "h97_adding"
    c.max_sequences = 5_000_000
    c.blocks, c.block_size, c.bias = 2, 2, "all"
    c.init_scale = 0.1
    c.tolerance = 0.04
    c.window = 2000
    c.max_avg_error = 0.01
    c.test_sequences = 2560
    c.eval_every = 1000
    c.evals_per_chunk = 25
    return c


def get_config(profile: str = "quick"):
    c = adding(profile)
    quick = profile == "quick"
    c.claim = "H97-T7"
    c.statement = "LSTM learns to add two marked real values in sequences of 100 to 1,000 steps (minimal lags 50 to 500), with few wrong test sequences (Exp. 4, H97 Table 7)."
    lengths = (100,) if quick else (100, 500, 1000)
    c.rows = _h97.rows(*((f"T{T}", {"T": T, "title": f"T = {T}"}) for T in lengths))
    c.trials = 4 if quick else 10
    c.max_sequences = 100_000 if quick else 5_000_000
    c.in_gate_bias = "-3,-6"
    c.lr = 0.5
    c.models = "lstm1997,rnn_tanh"
    c.flow = True  # the error flow through the trained networks (figure h97_t7_flow)
    return c
