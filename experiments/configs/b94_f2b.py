"""B94-F2b: convergence frequency against the sequence length T (B94 Fig. 2(b), §III).

Paper: s = 0.2, initial w = 1.25, T = 5…60; the frequency falls from 1.00 (T ≤ 11) through 0.81
(T = 20) to ≈0.05 (T ≥ 50) (experiments/b94/paper.py). Spec Decision: w is trained (the caption's
reading; ``train_w=False`` is the text's, drawn with its ceiling), 100 runs per T, otherwise as
Fig. 2(a). Also B94-F1: the inputs a converged run at T = 20 learned.
Command:  python -m experiments.run --config=experiments/configs/b94_f2b.py:quick
Time:     quick (T = 5, 10, 20, 30, 40, 60; 20 runs) about 20 s on 2 cores; paper (T = 5…60,
          100 runs: 5,600 runs padded to T = 60, one program) about 10 minutes.
"""

from experiments.configs import _b94


def get_config(profile: str = "quick"):
    c = _b94.minimal(profile)
    quick = profile == "quick"
    c.claim = "B94-F2b"
    c.protocol = "experiments.b94.fig2:f2b"  # computed without the trainer
    c.w0 = 1.25  # initial self-loop weight (paper: 1.25)
    c.s = 0.2  # noise variance (paper: 0.2)
    # the lengths, comma-separated; "a-b" is every integer from a to b
    c.lengths = "5,10,20,30,40,60" if quick else "5-60"
    c.runs = 20 if quick else 100  # runs per length (spec Decision: 100)
    c.ceiling_sequences = 20_000 if quick else 400_000  # Monte Carlo draws for the frozen-w ceiling
    return c
