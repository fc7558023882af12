"""S3-optim: plain SGD, Nesterov momentum, RMSProp and Adam on the same state-space RNN (seeds.md S3).

Rows: delayed recall at one lag and initial radius 1, one row per learning rate (the same grid for
every optimiser: the tuning procedure, applied equally); models: the optimisers.
Command:  python -m experiments.run --config=experiments/configs/s3_optim.py:quick
Time:     quick (k = 30; lr 1e-3, 1e-2, 1e-1; 10 trials; 1,000 updates) about 3 minutes;
          full (k = 30 and 100; lr 1e-4 ... 1; 10,000 updates) hours: a GPU job.
"""

from experiments.configs import _questions


def get_config(profile: str = "quick"):
    c = _questions.base(profile)
    quick = profile == "quick"
    c.claim = "S3-optim"
    c.draw = "optimizers"
    c.models_are = "optimizers"
    c.models = "sgd,nesterov,rmsprop,adam"
    c.variant = "ssm"
    c.task = "s_delayed_recall"
    lags = (30,) if quick else (30, 100)
    lrs = (1e-3, 1e-2, 1e-1) if quick else (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    c.rows = _questions.rows(*(
        (f"k{k}_lr{lr:g}".replace(".", "p"), {"L": k, "lr": lr, "radius": 1.0, "title": f"k = {k}, lr {lr:g}"})
        for k in lags for lr in lrs
    ))  # fmt: skip
    c.trials = 10
    c.max_updates = 1000 if quick else 10_000
    c.eval_every = 100 if quick else 500
    return c
