"""S2-ablation (and S2-symptoms): which remedy for vanishing gradients helps, and how much (seeds.md S2).

Rows: copy/recall (marker anywhere: lags 0 to T − 1) and the adding problem (first marker in the
first tenth: lag ≥ 0.9 T) at lengths T; models: the remedies the
post lists, each a cell and initialisation (experiments/questions/protocol.py, VARIANTS), all
trained by Adam (lr 1e-3, batch 32) with the same budget; nothing is tuned per remedy.
Command:  python -m experiments.run --config=experiments/configs/s2_ablation.py:quick
Time:     quick (copy/recall T = 10, 40, adding T = 10; 10 trials; 1,000 updates) about 6 minutes
          on 2 cores beside another job, about half of it compilation of its 33 runs
          (bench/results/make_figures_compile.txt);
          full (T = 10-200; 10 trials; 20,000 updates) hours on a CPU: a GPU job.
"""

from experiments.configs import _questions

REMEDIES = (
    "tanh_default,tanh_glorot,tanh_orthogonal,tanh_clip,relu,irnn,leaky_relu,residual,lstm,gru,"
    "attention"
)
_NAMES = {"s_recall": "recall", "s_adding": "adding"}


def get_config(profile: str = "quick"):
    c = _questions.base(profile)
    quick = profile == "quick"
    c.claim = "S2-ablation"
    c.draw = "success_grid,symptoms"
    c.models = REMEDIES
    # quick: copy/recall at two lengths, the adding problem at the shortest
    lengths = {"s_recall": (10, 40), "s_adding": (10,)} if quick else dict.fromkeys(
        _NAMES, (10, 20, 50, 100, 200))  # fmt: skip
    c.rows = _questions.rows(*(
        (f"{_NAMES[task]}_T{L}", {"task": task, "L": L, "title": f"{_NAMES[task]}, T = {L}"})
        for task in _NAMES for L in lengths[task]
    ))  # fmt: skip
    c.trials = 10
    c.max_updates = 1000 if quick else 20_000
    c.eval_every = 100 if quick else 500
    c.eval_sequences = 1000
    c.test_sequences = 1000 if quick else 10_000
    return c
