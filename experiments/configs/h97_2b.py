"""H97-2B: Task 2b, no local regularities (H97 §5.2; text result, no table), p = 100.

Paper: H97 §5.2 text, 18 trials (numbers in experiments/h97/paper.py, TABLES["H97-2B"]); BPTT,
RTRL and the chunker fail.
Success: on 10,000 random sequences, frozen weights, every output's |error| < 0.25 at the final
step.
quick: 1,000 sequences per check, only for trials whose last 100 training sequences were correct.
Command:  python -m experiments.run --config=experiments/configs/h97_2b.py:quick
"""

from experiments.configs import h97_t2


def get_config(profile: str = "quick"):
    c = h97_t2.get_config(profile)
    quick = profile == "quick"
    c.claim = "H97-2B"
    c.statement = "Without local regularities in the sequences (Task 2b), LSTM still solves every trial (H97 §5.2)."
    c.task = "h97_2b"
    c.check_sequences = 1000 if quick else 10_000
    c.gate_eval = quick
    c.test_sequences = 10_000
    c.models = "lstm1997"
    return c
