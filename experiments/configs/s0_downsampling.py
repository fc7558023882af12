"""S0-time, S0-fit, S0-grad, S0-alias: downsampling a 10,000-point signal before a BiLSTM (seeds.md S0).

The seed author's regression (1 channel → BiLSTM, last output → dense → MSE) on simulated damped
oscillators, 10,000 samples over 5 ms, label the natural frequency; the same training set, seeds,
optimiser and number of updates at every downsampling factor. Computed by experiments/questions/s0.py.
Command:  python -m experiments.run --config=experiments/configs/s0_downsampling.py:quick
Time:     quick (16 units, 256 signals, 30 epochs = 240 updates, 3 trials, lr 1e-2) about
          5 minutes on 2 cores; full (64 units, 2,048 signals, 100 epochs, lr 1e-3) hours on a
          CPU (the 10,000-step net dominates).
"""

import ml_collections

from experiments.configs._questions import PROFILES


def get_config(profile: str = "quick"):
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    quick = profile == "quick"
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" (2-core CPU, minutes) or "full" (the claim's scale)
    c.claim = "S0-time"  # claim id (the figure also carries S0-fit, S0-grad and S0-alias)
    c.protocol = "experiments.questions.s0:run"  # computed without the trainer
    c.seed = 0
    c.dtype = "float32"
    # -- data: damped oscillators sampled at `samples` points over `duration` seconds
    c.samples = 10_000  # points per signal at full rate
    c.duration = 5e-3  # seconds each signal spans
    c.train_size = 256 if quick else 2048  # training signals (a multiple of batch)
    c.val_size = 128 if quick else 512  # validation signals
    # Downsampling factors of the main data set (lengths samples/factor), comma-separated.
    c.factors = "1,5,10,50,100"
    # Factors of the aliasing data set, each by naive striding and by anti-aliased decimation.
    c.alias_factors = "50" if quick else "10,50"
    # -- the network and its training (the same at every length)
    c.hidden = 16 if quick else 64  # LSTM units per direction
    c.trials = 3  # trials (each its own random seed), vmapped
    c.batch = 32  # signals per update
    # Adam's learning rate: MATLAB's default for "adam" (1e-3) at full scale; quick uses 1e-2 so
    # that its short budget shows any learning at all
    c.lr = 1e-2 if quick else 1e-3
    c.epochs = 30 if quick else 100  # passes over the training set
    c.target_rmse = 0.1  # S0-time's target validation RMSE (label std ≈ 0.29)
    c.out_dir = ""  # numbers.json and blocks/; "" = runs/s0_time/<profile>
    c.figure = ""  # "" = figures/s0_time (quick), figures/s0_time_full
    return c
