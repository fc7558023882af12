"""H97-T3: Task 2c, very long lags with many distractors (H97 Table 3).

Paper: H97 Table 3 (means of 20 trials, 2 blocks × 1 cell, no biases, α 0.01; numbers in
experiments/h97/paper.py, TABLES["H97-T3"]). Rows q50_p50 to q1000_p1000 (q = p = 50, 100, 200, 500,
1000) and q1000_p500 to q1000_p50 (q = 1000; p = 500, 200, 100, 50).
Success: 10,000 fresh sequences, frozen weights, both outputs' final |error| < 0.2.
quick: q50_p50 (4 trials, budget 50,000), 1,000 sequences per check, gated on 100 correct training
sequences.
Command:  python -m experiments.run --config=experiments/configs/h97_t3.py:quick
"""

from experiments.configs import _h97

ROWS = [(50, 50), (100, 100), (200, 200), (500, 500), (1000, 1000)]
ROWS += [(1000, 500), (1000, 200), (1000, 100), (1000, 50)]


def get_config(profile: str = "quick"):
    c = _h97.base(profile)
    quick = profile == "quick"
    c.claim = "H97-T3"
    c.statement = "LSTM bridges lags of up to 1,000 steps among many distractor symbols, its training growing slowly with the lag (Task 2c, H97 Table 3)."
    c.task = "h97_2c"
    chosen = ROWS[:1] if quick else ROWS
    c.rows = _h97.rows(
        *((f"q{q}_p{p}", {"q": q, "p": p, "title": f"q = {q}, p = {p}"}) for q, p in chosen)
    )
    c.trials = 4 if quick else 20
    c.max_sequences = 50_000 if quick else 5_000_000
    c.blocks, c.block_size, c.bias = 2, 1, "none"
    c.init_scale = 0.2
    c.lr = 0.01
    c.tolerance = 0.2
    c.check_sequences = 1000 if quick else 10_000
    c.gate_eval = quick
    c.test_sequences = 10_000
    return c
