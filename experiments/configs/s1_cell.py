"""S1-cell and S1-forget: why the LSTM's gradient survives, on trained networks (seeds.md S1).

One row: copy/recall (marker anywhere) at length T; models: the forget-gate LSTM with the full
gradient, the same LSTM with G00's truncated gradient, and a tanh RNN (orthogonal W_rec), all
trained by Adam with the same budget. From their final weights: ‖∂c_T/∂c_t‖ against the product of
forget-gate activations, ‖∂h_T/∂h_t‖ of the LSTM against the tanh RNN, and the forget gates per
unit before and after training (experiments/questions/s1.py).
Command:  python -m experiments.run --config=experiments/configs/s1_cell.py:quick
Time:     quick (T = 30, 10 trials, 1,500 updates) about 3 minutes on 2 cores;
          full (T = 100, 10 trials, 20,000 updates) an hour or more on a CPU.
"""

from experiments.configs import _questions


def get_config(profile: str = "quick"):
    c = _questions.base(profile)
    quick = profile == "quick"
    c.claim = "S1-cell"
    c.draw = "cell_and_forget"
    c.models = "lstm,lstm_truncated,tanh_orthogonal"
    L = 30 if quick else 100
    c.rows = _questions.rows((f"recall_T{L}", {"task": "s_recall", "L": L, "title": f"T = {L}"}))
    c.trials = 10
    c.max_updates = 1500 if quick else 20_000
    c.eval_every = 100 if quick else 500
    return c
