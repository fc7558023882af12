"""P13-S2: the other pathological tasks with MSGD-CR (P13 §4.2).

Paper: addition, multiplication, 3-bit temporal order and random permutation (one model for
lengths 50-200 each), noiseless memorisation (5-bit and > 20-bit patterns, one model per length
50, 100, 150, 200); SGD-CR solved all (5/5) but random permutation (2/5). Spec Decisions: the §2.1
defaults for every task (50 tanh units, basic tanh, lr 0.01, clip 1, α = 4, 5M updates, < 1%).
Command:  python -m experiments.run --config=experiments/configs/p13_s2.py:quick
Time:     quick (3 rows, 2 trials, 1,500 updates: far below the paper's budget) about 1.5
          minutes; paper (12 rows, 5 trials, 5M updates) days on a CPU: a GPU job.
"""

from experiments.configs import _p13

_VARIABLE = {"L": 50, "L_max": 200}
_ROWS = (
    ("order3", {"task": "p13_temporal_order_3bit", **_VARIABLE, "title": "3-bit order"}),
    ("addition", {"task": "p13_addition", **_VARIABLE, "title": "addition"}),
    ("multiplication", {"task": "p13_multiplication", **_VARIABLE, "title": "multiplication"}),
    ("permutation", {"task": "p13_random_permutation", **_VARIABLE, "title": "permutation"}),
    *(
        (
            f"memo{bits}_L{L}",
            {
                "task": "p13_memorization",
                "L": L,
                "memo_K": K,
                "memo_P": P,
                "title": f"memorisation {bits}-bit, L = {L}",
            },
        )  # fmt: skip
        for bits, K, P in ((5, 2, 5), (20, 5, 10))
        for L in (50, 100, 150, 200)
    ),
)


def get_config(profile: str = "quick"):
    c = _p13.base(profile)
    quick = profile == "quick"
    c.claim = "P13-S2"
    c.draw = "flow_vs_outcome"
    c.models = "msgd_cr"
    c.init = "basic_tanh"
    keep = ("addition", "permutation", "memo5_L50") if quick else tuple(r for r, _ in _ROWS)
    c.rows = _p13.rows(*(row for row in _ROWS if row[0] in keep))
    c.trials = 2 if quick else 5
    c.max_updates = 1_500 if quick else 5_000_000
    c.eval_every = 500 if quick else 2000
    c.eval_sequences = 1000 if quick else 10_000
    return c
