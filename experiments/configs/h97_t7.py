"""H97-T7: Hochreiter & Schmidhuber (1997), Experiment 4, the adding problem (Table 7).

Paper (Table 7, means of 10 trials, 2 blocks × 2 cells, 93 weights, α = 0.5, ST3(0.01)):
  T = 100: 1 wrong prediction of 2560, success after 74,000 sequences;
  T = 500: 0 wrong, 209,000;  T = 1000: 1 wrong, 853,000 (trials 370,000 to 2,020,000).
The paper says gradient-based recurrent nets such as BPTT fail at such lags; the baseline here is a
tanh RNN trained by full BPTT on the same task, learning rate and budget.

Command:  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:quick
          (or :paper). Override any field, e.g. --config.lengths=500 --config.trials=4.
Time:     quick (T = 100, 10 trials, budget 600,000 sequences) about 9 minutes on a 2-core CPU;
          paper (T = 100, 500, 1000, budget 5,000,000) many hours on a CPU.
"""

import ml_collections

PROFILES = ("quick", "paper")


def get_config(profile: str = "quick") -> ml_collections.ConfigDict:
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    quick = profile == "quick"
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" (T = 100 only, a lower budget) or "paper" (Table 7)
    c.claim = "H97-T7"  # claim id in REPRODUCTION.md
    c.lengths = (
        "100" if quick else "100,500,1000"
    )  # minimal lengths T, comma-separated (Table 7 rows)
    c.trials = 10  # independent trials per length (paper: 10)
    c.seed = 0  # root key; trial i uses fold_in(key(seed), i)
    c.dtype = "float32"  # "float32" or "float64"
    # Budget in training sequences per trial; a trial that spends it has failed. The paper gives no
    # cap for Exp. 4; the spec applies Exp. 2's 5,000,000 (H97 §2.4). quick: 600,000 for time.
    c.max_sequences = 600_000 if quick else 5_000_000
    # The 1997 LSTM of Exp. 4 (H97 §5, Table 10): 2 blocks × 2 cells, topology F, biases on all
    # non-input units, input-gate biases -3 and -6, everything else in U[-0.1, 0.1].
    c.blocks = 2  # memory blocks
    c.block_size = 2  # cells per block (the paper: size 1 also works)
    c.in_gate_bias = "-3,-6"  # initial input-gate bias per block (comma-separated)
    c.init_scale = 0.1  # initial weights uniform in [-init_scale, init_scale]
    c.gradient = "truncated"  # "truncated" (H97 §4) or "full" (BPTT through all paths)
    c.lr = 0.5  # SGD learning rate α, one update per sequence (online, batch 1)
    c.first_pair_rule = "any"  # "any" or "x1_only": which marked pair at position 1 gets value 0
    # ST3(β): the `window` most recent training sequences all correct (|error| < tolerance) and
    # their mean absolute error below max_avg_error (H97 §2.2).
    c.tolerance = 0.04  # a sequence is correct when |error| < tolerance at its last step
    c.window = 2000  # most recent training sequences that must all be correct
    c.max_avg_error = 0.01  # β of ST3: mean absolute error over the window
    c.test_sequences = 2560  # fresh test sequences after stopping (Table 7's "# wrong of 2560")
    # Baseline: a tanh RNN (full BPTT) with a sigmoid output unit, same task, α and budget;
    # "" skips it. rnn_hidden = 8 gives 97 weights, close to the LSTM's 93.
    c.baseline = "rnn_tanh"  # "rnn_tanh" or "" (none)
    c.rnn_hidden = 8  # hidden units of the baseline
    c.log_every = 1000  # updates between lines of metrics.jsonl (per-trial error rate and loss)
    c.logs_per_chunk = 25  # log points per jitted host call (a chunk = logs_per_chunk·log_every)
    c.out_dir = (
        f"runs/h97_t7/{profile}"  # one run directory per (T, model): config, metrics, results
    )
    c.figure = "figures/h97_t7"  # writes .pdf and .png
    return c
