"""Every field of a Pascanu, Mikolov & Bengio (2013) config, with the paper's defaults (spec §2.1).

Each claim's config (p13_f7.py, p13_s1.py, ...) starts from ``base(profile)`` and sets what its
task needs; ``rows`` then holds the rows of its table, each setting some fields.
"""

import ml_collections

from experiments.configs._claim import PROFILES, head, outputs, rows

__all__ = ["PROFILES", "base", "rows"]


def base(profile: str) -> ml_collections.ConfigDict:
    c = head(profile)  # the claim, its rows, models, trials, seed, dtype
    c.protocol = "experiments.p13.protocol:PROTOCOL"  # trains every claim of this file's configs
    # training methods: msgd (plain SGD), msgd_c (gradient-norm clipping, Algorithm 1), msgd_cr
    # (clipping and the regulariser Ω), msgd_r (Ω, no clipping).
    c.models = "msgd,msgd_c,msgd_cr"
    c.trials = 5  # P13: 5 runs with different seeds
    c.max_updates = 5_000_000  # budget per trial in updates (P13: at most 5M)
    # -- the task
    # Names as in repro.tasks: p13_temporal_order, p13_temporal_order_3bit, p13_addition,
    # p13_multiplication, p13_random_permutation, p13_memorization.
    c.task = "p13_temporal_order"
    c.L = 50  # sequence length (temporal order, permutation, memorisation: >= 10, 2, 1)
    # > 0: one nominal length per minibatch, drawn from {L..L_max} (P13 §4.1.2: 50-200); 0: all L.
    c.L_max = 0
    # "inclusive": lengths {L..L_max} (spec Decision); "code": {L..L_max-1}, as the authors' code.
    c.length_range = "inclusive"
    c.memo_K = 5  # memorisation: digits per symbol (5: the > 20-bit variant; 2: the 5-bit one)
    c.memo_P = 10  # memorisation: pattern length (10; 5 for the 5-bit variant)
    # -- the model (spec §1.1, §1.6)
    c.hidden = 50  # hidden units
    # "sigmoid" (logistic, N(0, 0.01)), "basic_tanh" (tanh, N(0, 0.1)) or "smart_tanh" (tanh, W_in
    # and W_out N(0, 0.01), W_rec sparse with 15 non-zeros per unit, rescaled to radius 0.95).
    c.init = "basic_tanh"
    c.smart_sparsity = "incoming"  # smart tanh: 15 "incoming" per unit (paper) or "outgoing" (code)
    # -- training (spec §2.1)
    c.lr = 0.01  # SGD learning rate, no momentum
    c.batch = 20  # sequences per update, all of one length
    c.clip = 1.0  # threshold of the global gradient norm (methods *_c*)
    c.alpha = 4.0  # weight α of Ω (methods *_r*; the code's default is 2)
    c.omega_form = "code"  # "code" (squared norms, averaged) or "eq9" (plain norms, summed over t)
    c.nan_guard = False  # the code's non-finite guard (only with clipping); off: NaN = failure
    # -- validation, stopping and tests
    c.eval_every = 2000  # updates between validations (the code's final default: 20)
    c.evals_per_chunk = 5  # validations per jitted host call
    c.eval_sequences = 10_000  # fresh sequences per validation, in chunks of 1000
    c.success = "lt1pct"  # "lt1pct": < 1% of them wrong (paper); "zero": none wrong (code)
    c.test_lengths = ""  # after stopping: wrong of test_sequences at each of these lengths
    c.test_sequences = 10_000  # per test length, in chunks of 1000
    return outputs(c)  # run_missing, only_rows, out_dir, figure
