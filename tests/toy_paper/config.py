"""TOY-T1 (tests/toy_paper/protocol.py): a tanh RNN carries its first input's sign over 5 steps.

Command:  python -m experiments.run --config=tests/toy_paper/config.py:quick
"""

from experiments.configs import _claim


def get_config(profile: str = "quick"):
    c = _claim.head(profile)
    c.claim = "TOY-T1"
    c.statement = "A tanh RNN of 4 units carries the sign of its first input over 5 steps."
    c.protocol = "tests/toy_paper/protocol.py:PROTOCOL"  # its file, from the repository root
    c.rows = _claim.rows(("T5", {"T": 5, "title": "T = 5"}))
    c.models = "rnn_tanh"  # cells of repro.cells, comma-separated
    c.trials = 4  # seeds per row and model (vmapped)
    c.T = 5  # steps from the input to its target
    c.hidden = 4  # hidden units
    c.batch = 20  # sequences per update
    c.lr = 0.05  # Adam's learning rate
    c.max_sequences = 1000 if profile == "quick" else 3000  # budget per trial
    c.eval_every = 5  # updates (of batch sequences) between checks of 256 fresh sequences
    # (all right: solved)
    c.evals_per_chunk = 5  # checks per jitted host call
    return _claim.outputs(c)
