"""What B94 (and BF93) report, written once (spec ../shared/papers/bengio1994.md §2).

Fig. 2's values are read off the figure by the spec: grey levels as fractions ±0.2 (2(a)), bar
heights ±0.01 (2(b)). Nothing here is used to choose a constant; it is drawn beside ours.
"""

from __future__ import annotations

import numpy as np

# Fig. 2(a): paper cells. w_0 cells: [0.5, 1.0) merged, then [1.0, 1.1) … [2.4, 2.5); s cells
# [0, 0.05) … [0.30, 0.35). Rows with s > 0.35 are black apart from specks <= 0.2: drawn as 0.
F2A_W0_EDGES = np.array([0.5, *np.round(np.arange(1.0, 2.51, 0.1), 2)])  # 17 edges, 16 cells
F2A_S_EDGES = np.round(np.arange(0.0, 0.351, 0.05), 2)  # 8 edges, 7 cells
# rows from s = 0.00–0.05 (first) to 0.30–0.35 (last); the first column is 0.5–0.9 (≈.2 at 0.9 in
# the 0.05–0.10 row, a detail below the ±0.2 reading precision)
F2A = np.array(
    [
        [0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0.9, 1, 0.7, 1, 0.6],
        [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        [0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.3, 1, 0],
        [0, 0, 0.3, 1, 1, 1, 1, 1, 1, 1, 1, 0.8, 1, 0, 1, 0.9],
        [0, 0, 0, 0, 0.1, 1, 0, 1, 1, 1, 1, 0, 0, 0.7, 0.9, 0],
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0.1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0.3, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0.2],
    ]
)
F2A_PRECISION = 0.2

# Fig. 2(b): convergence frequency at s = 0.2, initial w = 1.25, T = 5…60 (±0.01).
F2B = {T: 1.00 for T in range(5, 12)} | {
    12: 0.99, 13: 1.00, 14: 0.99, 15: 0.97, 16: 0.95, 17: 0.95, 18: 0.88, 19: 0.83, 20: 0.81,
    21: 0.80, 22: 0.75, 23: 0.67, 24: 0.53, 25: 0.57, 26: 0.44, 27: 0.39, 28: 0.46, 29: 0.37,
    30: 0.30, 31: 0.35, 32: 0.25, 33: 0.22, 34: 0.24, 35: 0.26, 36: 0.21, 37: 0.16, 38: 0.17,
    39: 0.20, 40: 0.45, 41: 0.16, 42: 0.09, 43: 0.09, 44: 0.14, 45: 0.12, 46: 0.09, 47: 0.06,
    48: 0.09, 49: 0.09, 50: 0.06, 51: 0.04, 52: 0.06, 53: 0.06, 54: 0.05, 55: 0.06, 56: 0.05,
    57: 0.06, 58: 0.05, 59: 0.05, 60: 0.05,
}  # fmt: skip
F2B_PRECISION = 0.01
