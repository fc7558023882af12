"""The fields of Bengio, Simard & Frasconi (1994) configs computed without the trainer (spec §1, §2.1).

``minimal(profile)`` holds Fig. 2's set-up (the minimal task and its training, spec §2.1); each of
b94_f2a.py, b94_f2b.py and b94_f2_sens.py starts from it and sets its grid. b94_theory.py has its
own fields.
"""

import ml_collections

from experiments.configs._claim import PROFILES

__all__ = ["PROFILES", "comparative", "minimal"]


def _base(profile: str, profiles: tuple[str, ...] = PROFILES) -> ml_collections.ConfigDict:
    if profile not in profiles:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(profiles)}")
    c = ml_collections.ConfigDict()
    c.profile = profile  # "quick" (2-core CPU, minutes) or "paper" (the paper's scale)
    c.claim = ""  # claim id in REPRODUCTION.md
    c.dtype = "float32"  # the runs' precision ("float32" or "float64")
    c.seed = 0  # root key; run r of cell i uses fold_in(fold_in(key(seed), i), r)
    return c


def _outputs(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    c.out_dir = ""  # numbers.json and blocks/ go here; "" = runs/<claim>/<profile>
    c.figure = ""  # figure path without extension; "" = figures/<claim> (quick), <claim>_paper
    return c


def minimal(profile: str) -> ml_collections.ConfigDict:
    c = _base(profile)
    # -- the minimal task (spec §2.1)
    c.L = 3  # trainable leading inputs h_1..h_L per class (paper: 3)
    c.T = 20  # sequence length (Fig. 2(a): 20)
    c.per_class = 50  # training sequences per class, drawn once per run (spec Decision: 50)
    c.noise_param = "variance"  # s is the noise "variance" (paper) or its "std" (option)
    c.fresh_noise = False  # draw a new training set every epoch (option; paper: one fixed set)
    c.target = 0.8  # targets ±0.8 (paper)
    c.h_init = 0.1  # h starts uniform in [−h_init, h_init] (spec Decision: 0.1)
    c.train_w = True  # train w too (spec Decision for 2(b); False: the text's "only h")
    # -- training (spec §2.1 Decisions)
    c.lr = 0.1  # full-batch gradient descent on the mean cost, step size η
    c.epochs = 2000  # budget in epochs (= updates)
    c.cost_below = 0.05  # converged: every sign right and mean cost below this
    c.chunk = 50  # epochs per jitted chunk (speed only)
    return _outputs(c)


def comparative(profile: str) -> ml_collections.ConfigDict:
    """Fig. 4 / BF93 Tables 1–4: six algorithms on one task (spec §2.4–2.5).

    Profiles: quick, paper, and budget200k, the paper's protocol with the budget cut to 2×10⁵
    presentations (a tenth of the spec's 2×10⁶; what this CPU ran), named so that nothing calls it
    the paper profile."""
    _base(profile, (*PROFILES, "budget200k"))  # the profile's one-line error
    c = minimal("paper" if profile == "budget200k" else profile)
    c.profile = profile
    for name in list(c.keys()):  # the minimal task's fields do not apply
        if name not in ("profile", "claim", "dtype", "seed", "target", "out_dir", "figure"):
            del c[name]
    quick = profile == "quick"
    # -- the comparison (spec §2.4)
    c.task = "latch"  # "latch", "two_sequence" or "parity"
    c.lengths = ""  # the T grid, comma-separated (T = the longest sequence; lengths ⌈T/2⌉..T)
    c.algorithms = "bp,pn,twpn,dep,mgrs,sa"  # comma-separated, of these six
    c.trials = 5 if quick else 20  # per (task, T) (BF93: at least 20); all algorithms share them
    # presentations per trial (spec Decision: 2×10⁶)
    c.budget = {"quick": 100_000, "paper": 2_000_000, "budget200k": 200_000}[profile]
    c.train_size = 20  # training sequences per trial (spec Decision; 10 per class but parity)
    c.noise = 0.2  # uniform input noise in [−noise, noise] (B94; 0: the clean variant)
    c.target = 0.8  # targets ±target (each task's config sets its own)
    c.init_range = 0.5  # initial parameters uniform in [−init_range, init_range] (paper)
    c.stuck_eps = 0.001  # stuck: the last 4 recorded costs within this of each other and the best
    # True: all lengths padded into one program (fast to compile); False: one program per length
    c.pad_together = quick
    c.output_unit = 5  # 2-sequence read-out unit, 1-based (spec Decision: 5; option 1)
    c.n_key = 3  # 2-sequence key length (BF93: 3)
    # -- the algorithms' constants (spec §2.5 Decisions)
    c.bp_lr = 0.1  # BP: step size on the per-sequence cost
    c.pn_lr = 0.01  # PN: η
    c.pn_mu = 0.01  # PN: μ (fixed)
    c.twpn_lr = 0.01  # TWPN: η (paper)
    c.twpn_mu = 0.01  # TWPN: initial μ, adapted so the largest |Δθ| stays in [twpn_lo, twpn_hi]
    c.twpn_lo = 0.001  # TWPN: lower end of the range μ keeps a step's largest |Δθ| in
    c.twpn_hi = 0.3  # TWPN: upper end of that range
    c.twpn_momentum = 0.8  # momentum on ln μ (paper: 0.8)
    c.dep_lr = 0.01  # DEP: η
    c.dep_eps = 0.1  # DEP: a flip moves x to ±ε
    c.dep_low = -2.0  # DEP: eq. (10)'s MIN (−2: unbiased requests)
    c.dep_high = 2.0  # DEP: eq. (10)'s MAX
    # DEP: activations before a unit's first update: "zero" (as tanh 0; the reading under which a
    # threshold net computes parity) or "plus" (sign(0) = +1 from the start, the spec's literal rule)
    c.dep_start = "zero"
    c.mgrs_r0 = 1.0  # MGRS: initial half-width of the box, per parameter
    c.mgrs_shrink = 0.9  # MGRS: half-widths shrink by this on each improvement (paper)
    c.sa_t0 = 0.1  # SA: initial temperature (mean-cost units)
    c.sa_v0 = 1.0  # SA: initial step range per parameter
    c.sa_n_s = 20  # SA: cycles between step adjustments (Corana)
    c.sa_n_t_min = 100  # SA: adjustments per temperature, max(this, 5n) (Corana)
    c.sa_c = 2.0  # SA: step-adjustment factor c (Corana)
    c.sa_cooling = 0.85  # SA: temperature factor per stage (paper)
    return _outputs(c)
