"""Every field of a Hochreiter & Schmidhuber (1997) config, with neutral defaults.

Each claim's config (h97_t1.py ... g00_nto.py) starts from ``base(profile)`` and sets what its task
needs; ``rows`` then holds the rows of the paper's table, each setting some fields.
"""

import ml_collections

from experiments.configs._claim import PROFILES, head, outputs, rows

__all__ = ["PROFILES", "base", "rows"]


def base(profile: str) -> ml_collections.ConfigDict:
    c = head(profile)  # the claim, its rows, models, trials, seed, dtype
    c.protocol = "experiments.h97.claim:PROTOCOL"  # trains every claim of this file's configs
    c.models = "lstm1997"  # lstm1997, rnn_tanh, rnn_sigmoid (BPTT baselines)
    c.trials = 10  # H97: 10 (Exp. 1: per data pair)
    # Budget in training sequences per trial; a trial that spends it has not solved (H97 §2.4).
    c.max_sequences = 5_000_000
    # -- the task (H97 §5; names as in repro.tasks)
    # h97_reber, h97_2a, h97_2b, h97_2c, h97_3a, h97_3b, h97_3c, h97_adding, h97_multiplication,
    # h97_temporal_order_6a or h97_temporal_order_6b.
    c.task = "h97_adding"
    c.T = 100  # minimal sequence length (Exp. 3, 4, 5)
    c.N = 3  # Exp. 3: number of information-carrying elements
    c.p = 100  # Exp. 2: p (2a/2b: delay; 2c: number of distractor symbols)
    c.q = 50  # Exp. 2c: minimal number of distractors (lag q + 1)
    c.max_extra = 250  # Exp. 2c: bucket for the geometric extra distractors (clipped above this)
    # Exp. 4/5: "any" or "x1_only" (which pair at position 1 gets value 0).
    c.first_pair_rule = "any"
    c.data_pairs = 3  # Exp. 1: independent train/test set pairs (trials run per pair)
    c.unique_strings = False  # Exp. 1: every string of a set distinct
    # Exp. 1 targets: "next" (one-hot of the actual next symbol, spec Decision) or "legal" (every
    # legal successor 1, the rest 0: the reading that the success rule scores).
    c.reber_targets = "next"
    # -- the 1997 LSTM (H97 Table 10)
    c.blocks = 2  # memory blocks
    c.block_size = 2  # cells per block
    c.topology = "F"  # "F" (fully connected hidden layer) or "B" (Exp. 2a/2b)
    c.bias = "all"  # "ga" (gates), "b1" (hidden units), "all" (hidden and output units), "none"
    c.in_gate_bias = ""  # initial input-gate bias per block, comma-separated; "" = random ("r")
    c.out_gate_bias = ""  # initial output-gate bias per block; "" = random ("r")
    c.output_gate = True  # blocks have output gates (Exp. 2a/2b: no)
    c.forget_gate = False  # add G00's forget gate
    c.forget_gate_bias = ""  # initial forget-gate bias per block; "" = random
    c.g = "g2"  # cell-input squashing: "g2" (4σ-2) or "g1" (σ)
    c.h = "h1"  # cell-output squashing: "h1" (2σ-1) or "id"
    c.init_scale = 0.1  # initial weights uniform in [-init_scale, init_scale]
    c.gradient = "truncated"  # "truncated" (H97 §4) or "full" (BPTT through all paths, H97-D1)
    # Output-layer readings (issue 28; off: the net of the text and Table 10). Direct input→output
    # weights with topology F too (Exp. 1: W 276 → 325; topology B always has them).
    c.input_output = False
    c.output_bias = False  # a bias on every output unit whatever `bias` says (Exp. 1: W → 283)
    # "sync": every unit reads the previous step's activations (spec); "gates_first": the cell
    # inputs read this step's input and output gates (same weights; the order is spec [uncertain]).
    c.update_order = "sync"
    # Exp. 2a/2b: the memory cell joins after this many sequences of training the direct input→output
    # connections alone (H97's sequential construction with a stated trigger); 0: present from the
    # start (the spec's Decision). Needs topology "B" and update_rule "sequence".
    c.cell_added_after = 0
    c.rnn_hidden = 8  # hidden units of the BPTT baselines (tanh or sigmoid RNN, sigmoid outputs)
    # -- training and stopping (H97 §2, Table 11)
    c.lr = 0.5  # SGD learning rate α, one update per sequence (online, batch 1)
    # "sequence": one update per sequence, the gradient summed over its steps (spec Decision);
    # "step": an update at every time step (real-time recurrent learning, H97's "on-line" reading).
    # The two differ only where targets come before the last step (Exp. 1, 2a, 2b).
    c.update_rule = "sequence"
    c.tolerance = 0.04  # a sequence is correct when every target's |error| < tolerance
    c.window = 0  # ST3: this many most recent training sequences (0: no window rule)
    c.window_max_wrong = 0  # ... of which at most this many wrong (Exp. 5: 12 = "fewer than 13")
    c.max_avg_error = 0.0  # ST3(β): their mean absolute error below β (0: no such rule)
    # Exp. 5: record (and test) when at most this many of the window are wrong (-1: no such event).
    c.mark_max_wrong = -1
    # Frozen-weight checks every eval_every sequences: Exp. 1's sets, Exp. 2's 10,000 sequences,
    # Exp. 3's ST1/ST2 on 256 fresh sequences. check_sequences = 0: no check (Exp. 4-6).
    c.check_sequences = 0  # fresh sequences per check (Exp. 1 and 2a check their fixed sets)
    c.check_max_wrong = 0  # a check passes with at most this many wrong (3b's ST1: 5)
    c.check_mean_error = 0.0  # ... and mean absolute error below this (ST2, 3c); 0: no such rule
    c.gate_eval = False  # check only trials whose last eval_every training sequences were correct
    # Spec option: every check of a trial uses one fixed set of sequences (the spec's Decision, False:
    # fresh sequences at every check). Exp. 1 and 2a check their fixed sets either way.
    c.fixed_test_set = False
    c.test_sequences = 2560  # fresh test sequences after stopping (Exp. 1: its fixed test set)
    # -- what to compare and draw
    c.flow = False  # after training: the error flow through the first row's trained networks
    # After training: keep every trial of each row training this many more sequences, no stopping
    # rule, checked every after_stop_every (does a stopped net stay solved? is an error a floor?).
    c.after_stop = 0
    c.after_stop_every = 1000  # sequences between the after-stop checks (and gate_trace's points)
    # H97-D3: trace each block's mean output gate on the test set every after_stop_every sequences,
    # training this many sequences from initialisation without stopping (0: no trace).
    c.gate_trace = 0
    # Exp. 1: every frozen-weight check also measures how the net stores the embedded symbol
    # (largest |s|, the best cell's T/P separation at the long-lag step, its y_out·h'(s));
    # experiments/h97/mechanism.py. Changes nothing that is trained.
    c.probe = False
    # "table10" or "table11": rebuild that conditions table from every claim config; no training.
    c.conditions = ""
    # Sequences between log points and frozen-weight checks (the checks' resolution).
    c.eval_every = 100
    c.evals_per_chunk = 100  # log points per jitted host call
    return outputs(c)  # run_missing, only_rows, out_dir, figure
