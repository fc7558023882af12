"""What the seed posts claim (seeds.md), per claim id: statements, not numbers; drawn in captions."""

STATEMENTS = {
    "S2-ablation": "remedies listed: Glorot init, clipping, ReLU and leaky variants, skip "
    "connections, LSTM, GRU, attention",
    "S3-exists": "Schaefer et al. 2008: a shared-weight state-space RNN learns lags of at least 100",
    "S3-optim": "the answer cites RMSProp and Nesterov momentum as remedies",
}

# The pipeline's per-row numbers (``Protocol.paper``): the posts give none per row.
TABLES: dict = {}
