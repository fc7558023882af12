"""Gradient flow at initialisation: log‖∂h_T/∂h_t‖ against T - t, and the all-pairs heat map.

Claims: P13-C1 (vanishing when λ₁ < 1/γ, exploding needs ρ > 1; γ = 1 tanh, 1/4 sigmoid),
H97-EQ (the truncated 1997 LSTM's carousel: ∂s_T/∂s_t = I), S1-cell (the LSTM's additive cell path).
The papers give no numbers for this figure: the reference lines are theory (ρ^(T-t) for a linear
RNN; exactly 1 for the carousel).

Command:  python -m experiments.run --config=experiments/configs/gradient_flow.py:quick
          (or :paper). Override any field, e.g. --config.T=2000 --config.trials=20.
Time:     quick about 1 minute, paper about 4 minutes, on a 2-core laptop CPU (float32).
"""

import ml_collections

PROFILES = ("quick", "paper")


def get_config(profile: str = "quick") -> ml_collections.ConfigDict:
    if profile not in PROFILES:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(PROFILES)}")
    quick = profile == "quick"
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" (2-core CPU, about a minute) or "paper" (the full figure)
    c.protocol = "experiments.gradient_flow:run"  # what computes it (python -m experiments.run)
    c.T = 1000  # sequence length in steps (the horizon of panel a)
    c.hidden = 32 if quick else 64  # units per cell (the 1997 LSTM: blocks of one cell)
    c.n_in = 4  # input dimension; inputs x_t ~ N(0, 1)
    c.trials = 4 if quick else 10  # independent seeds (weights and inputs) per curve
    c.seed = 0  # root key; trial i uses fold_in(key(seed), i)
    c.dtype = "float32"  # "float32" or "float64"
    # Curves name[@radius][:block]: tanh RNN at spectral radius 0.8 / 1.0 / 1.2 (the P13 boundary at
    # ρ = 1), a sigmoid RNN at ρ = 1 (γ = 1/4: vanishing), the forget-gate LSTM's h block, and the
    # 1997 LSTM's carousel states s.
    c.curves = "rnn_tanh@0.8,rnn_tanh@1.0,rnn_tanh@1.2,rnn_sigmoid@1.0,lstm:h,lstm1997:s"
    c.heatmap = "rnn_tanh@1.0"  # the curve whose all-pairs matrix log‖∂h_k/∂h_t‖ is drawn
    c.heatmap_T = 300 if quick else 1000  # its length (the all-pairs cost grows as T²)
    c.out_dir = f"runs/gradient_flow/{profile}"  # config.json, results.json (provenance), npz
    # writes .pdf and .png; the paper profile beside the quick one, not over it
    c.figure = "figures/gradient_flow" + ("" if quick else "_paper")
    return c
