"""S3-exists (and S3-backflow): does a shared-weight state-space RNN learn long lags (seeds.md S3)?

The model of Schaefer, Udluft & Zimmermann (2008): s_t = tanh(A s_{t−1} + B u_t), y_t = C s_t, no
biases, A drawn N(0, 1/n) and rescaled to an initial spectral radius; rows: delayed recall
(y_k = u_0, u = ±1) at lag k × radius, trained by backpropagation through time with Adam.
Command:  python -m experiments.run --config=experiments/configs/s3_exists.py:quick
Time:     quick (k = 10, 30, 100; radius 0.5, 1, 1.5; 10 trials; 1,000 updates) about 4 minutes;
          full (k up to 200, radius 0.5-1.5, adding too; 10 trials; 10,000 updates) hours: a GPU job.
"""

from experiments.configs import _questions

_NAMES = {"s_delayed_recall": "recall", "s_adding": "adding"}


def get_config(profile: str = "quick"):
    c = _questions.base(profile)
    quick = profile == "quick"
    c.claim = "S3-exists"
    c.draw = "lag_radius,backflow"
    c.models_are = "optimizers"
    c.models = "adam"
    c.variant = "ssm"
    tasks = ("s_delayed_recall",) if quick else ("s_delayed_recall", "s_adding")
    lags = (10, 30, 100) if quick else (10, 20, 50, 100, 200)
    radii = (0.5, 1.0, 1.5) if quick else (0.5, 0.75, 1.0, 1.25, 1.5)
    c.rows = _questions.rows(*(
        (f"{_NAMES[t]}_k{k}_r{r:g}".replace(".", "p"), {"task": t, "L": max(k, 10) if t == "s_adding" else k,
                                      "radius": r, "title": f"{_NAMES[t]}, k = {k}, ρ₀ = {r:g}"})
        for t in tasks for k in lags for r in radii
    ))  # fmt: skip
    c.trials = 10
    c.lr = 1e-3
    c.flow_at_checks = True  # S3-backflow: the error backflow along training
    c.max_updates = 1000 if quick else 10_000
    c.eval_every = 100 if quick else 500
    return c
