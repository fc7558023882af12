"""absl drivers, one per paper or question, and their configs (experiments/configs)."""

import os

# Before numpy loads OpenBLAS (the LAPACK behind SVD and eig): with OpenBLAS's own threads beside
# XLA's, the paper-profile gradient-flow run hung after its RNN curves, every thread idle
# (2026-12-02). One OpenBLAS thread avoids it; a value set by the user is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
