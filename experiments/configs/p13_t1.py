"""P13-T1: Table 1, the natural tasks: polyphonic music (NLL per time step) with MSGD, MSGD-C, MSGD-CR.

Paper: P13 Table 1 (numbers in experiments/p13/paper.py, TABLES["P13-T1"]): a sigmoid RNN on
Piano-midi.de, Nottingham and MuseData (NLL per time step) and Penn Treebank characters (bits per
character, the next one and 5 ahead; paper profile, needs `make install-ptb`), train and test. Hyper-parameters are the arXiv-v2 appendix's where it
gives them (spec §2.3: 300 sigmoid units, 400 for MuseData; 200-step segments; clip 8 on the cost
averaged over the segment; lr 1.0 (MuseData 0.5), halved when an epoch's training cost does not
fall; Ω weighted α/epoch, α = 0.5 (MuseData 0.1)); the rest are stated decisions
(experiments/p13/natural.py).
Profile "modern" (not the paper's): the modern rows, an LSTM and a GRU beside the paper's sigmoid
RNN on Piano-midi.de, all three trained the same way (Adam at 10⁻³, clipping, no halving of the
rate) with their weight counts matched to the RNN's (143,188; LSTM 142 units: 143,792; GRU 167
units: 143,207).
Command:  python -m experiments.run --config=experiments/configs/p13_t1.py:quick
Time:     quick (Piano-midi.de, 2 seeds, 10 epochs) about 5 minutes on 2 cores; modern (2 seeds,
          50 epochs) about 20 minutes; paper: hours per data set and method.
"""

from experiments.configs import _claim

ROWS = {  # data set: its own settings (spec §2.3)
    "piano_midi": {"data": "piano_midi", "title": "Piano-midi.de"},
    "nottingham": {"data": "nottingham", "title": "Nottingham"},
    "musedata": {"data": "musedata", "hidden": 400, "lr": 0.5, "alpha": 0.1, "title": "MuseData"},
}
_PTB = {  # spec §2.3: 500 sigmoid units without biases, cost summed over 200 steps, clip 45
    "hidden": 500,
    "hidden_bias": False,
    "cost": "sum",
    "clip": 45.0,
    "method_lr": "msgd:0.001,msgd_c:0.01,msgd_cr:0.05",
    "lr_halving": False,
}
PTB_ROWS = {  # need the ptb extra (make install-ptb); paper profile only
    "ptb_1": {"data": "ptb_1", **_PTB, "title": "PTB, next character"},
    "ptb_5": {"data": "ptb_5", **_PTB, "title": "PTB, 5 characters ahead"},
}


# Weight counts matched to the 300-unit RNN's 143,188 (tests/test_experiments_p13_natural.py).
MODERN_ROWS = {
    "rnn": {"cell": "rnn", "title": "sigmoid RNN, 300 units"},
    "lstm": {"cell": "lstm", "hidden": 142, "title": "LSTM, 142 units"},
    "gru": {"cell": "gru", "hidden": 167, "title": "GRU, 167 units"},
}


def get_config(profile: str = "quick"):
    c = _claim.head(profile, (*_claim.PROFILES, "modern"))
    quick, modern = profile == "quick", profile == "modern"
    c.claim = "P13-T1"
    c.protocol = "experiments.p13.natural:PROTOCOL"  # epochs on the data, no success rule
    rows = {**ROWS, **PTB_ROWS} if profile == "paper" else {"piano_midi": ROWS["piano_midi"]}
    c.rows = _claim.rows(*(MODERN_ROWS if modern else rows).items())
    # Methods, comma-separated: msgd (plain SGD), msgd_c (gradient-norm clipping), msgd_cr
    # (clipping and the regulariser Ω); adam_c (Adam and clipping: not the paper's, the modern rows').
    c.models = "adam_c" if modern else "msgd,msgd_c,msgd_cr"
    c.trials = 2 if quick or modern else 5  # seeds per data set and method (P13 §2.1: 5)
    # Data set of a row: piano_midi, nottingham, musedata, jsb_chorales (repro.tasks.natural), or
    # Penn Treebank characters, ptb_1 (the next character) or ptb_5 (5 ahead; the ptb extra).
    c.data = "piano_midi"
    # "rnn" (the paper's: SimpleRNN with `activation`, every weight N(0, init_std²)), or "lstm" /
    # "gru" (the modern rows: repro.cells' own initialisation, a Glorot readout).
    c.cell = "rnn"
    c.hidden = 300  # hidden units
    c.hidden_bias = True  # hidden units have biases (PTB rows: none, spec §2.3)
    c.activation = "sigmoid"  # "sigmoid" (spec §2.3) or "tanh" (option)
    c.init_std = 0.01  # every weight N(0, init_std²), biases 0 (P13's sigmoid initialisation)
    c.segment = 200  # predictions per training segment; every segment starts from a zero state
    c.batch = 20  # segments per update, drawn uniformly at random (with replacement)
    # budget in epochs (one epoch: ⌈segments / batch⌉ updates)
    c.epochs = 10 if quick else 50 if modern else 200
    c.lr = 1.0  # SGD learning rate at the start
    # per method, "msgd:0.001,msgd_c:0.01" (PTB rows); "" = lr for every method
    c.method_lr = "adam_c:0.001" if modern else ""
    # "mean": a segment's cost averaged over its predictions (music); "sum": summed (PTB)
    c.cost = "mean"
    # Halve lr when an epoch's mean training cost does not fall below the best (the paper's SGD rule);
    # the modern profile's Adam runs without it (runs/p13_t1/modern_lr_halving: with it, the rate
    # fell at every noisy epoch and the nets stalled).
    c.lr_halving = not modern
    c.clip = 8.0  # threshold of the global gradient norm (msgd_c, msgd_cr)
    c.alpha = 0.5  # weight of Ω (msgd_cr), divided by the epoch number with alpha_schedule "1/t"
    c.alpha_schedule = "1/t"  # "1/t" (α/epoch, spec §2.3) or "constant" (P13-C4's other arm)
    c.omega_form = "code"  # "code" (squared norms, averaged) or "eq9" (plain norms, summed over t)
    c.eval_groups = 4  # whole pieces are scored in this many length-sorted, padded batches
    c.eval_chars = 400_000  # PTB: the first this many characters of each split are scored
    c.evals_per_chunk = 5  # epochs per jitted host call
    return _claim.outputs(c)
