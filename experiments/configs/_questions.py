"""Every field of a trained practitioners'-question config (S2, S3; seeds.md), with neutral defaults.

Each claim's config (s2_ablation.py, s3_exists.py, s3_optim.py) starts from ``base(profile)`` and
sets its rows. Profiles: "quick" (the 2-core CPU, minutes) and "full" (the claim's scale: ≥ 10
trials per point and longer budgets; hours on a CPU, a GPU job).
"""

import ml_collections

from experiments.configs._claim import head, outputs, rows

PROFILES = ("quick", "full")
__all__ = ["PROFILES", "base", "rows"]


def base(profile: str) -> ml_collections.ConfigDict:
    c = head(profile, PROFILES)  # the claim, its rows, models, trials, seed, dtype
    c.protocol = "experiments.questions.claim:PROTOCOL"  # trains every question's rows
    # What a row's models are: "variants" (remedies: tanh_default, tanh_glorot, tanh_orthogonal,
    # tanh_clip, relu, irnn, leaky_relu, residual, lstm, gru, attention, ssm) trained with
    # `optimizer`, or "optimizers" (sgd, nesterov, rmsprop, adam) training `variant`.
    c.models_are = "variants"
    c.models = "tanh_default,lstm"  # of the kind models_are names
    c.variant = "ssm"  # the cell when models are optimisers
    c.optimizer = "adam"  # the optimiser when models are variants
    c.trials = 10  # the quick profile's; full: at least 10
    # -- the task: s_recall (copy/recall), s_adding (adding problem), s_delayed_recall (y_k = u_0)
    c.task = "s_recall"  # which of the three tasks above
    c.L = 20  # sequence length T (s_delayed_recall: the lag k, sequences of k + 1 steps)
    c.symbols = 4  # s_recall: alphabet size (chance accuracy 1/symbols)
    # -- the model
    c.hidden = 32  # hidden units of every cell
    c.radius = 0.0  # > 0: rescale the initial W_rec (A) to this spectral radius; 0: the cell's own
    # -- training (the same for every model of a row)
    c.lr = 1e-3  # learning rate
    c.batch = 32  # sequences per update
    c.clip = 1.0  # global-norm threshold of the clipping variant (tanh_clip)
    c.max_updates = 2000  # budget per trial in updates
    # -- checks and the final test
    c.eval_every = 100  # updates between checks of the frozen weights
    c.evals_per_chunk = 5  # checks per jitted host call
    c.eval_sequences = 1000  # fresh sequences per check (multiple of 1000); < 1% wrong: solved
    c.test_sequences = 1000  # recall's recency test after stopping (multiple of 1000)
    # Measure the gradient's reach (Jacobian engine) at every check, not only after stopping.
    c.flow_at_checks = False
    return outputs(c)  # run_missing, only_rows, out_dir, figure
