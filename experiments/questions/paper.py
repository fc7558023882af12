"""What the practitioners' posts claim (seeds.md), per claim id: statements, not numbers; drawn in captions."""

STATEMENTS = {
    "S2-ablation": "remedies listed: Glorot init, clipping, ReLU and leaky variants, skip "
    "connections, LSTM, GRU, attention",
    "S3-exists": "Schaefer et al. 2008: a shared-weight state-space RNN learns lags of at least 100",
    "S3-optim": "the answer cites RMSProp and Nesterov momentum as remedies",
}

# S0's post, the author's own case (seeds.md): wall time to the maximum epochs, in seconds, by
# sequence length after downsampling (their data and MATLAB on their machine, not ours).
S0_POST_SECONDS = {2000: 554 * 60 + 51, 200: 155 * 60 + 18}

# The pipeline's per-row numbers (``Protocol.paper``): the posts give none per row.
TABLES: dict = {}
