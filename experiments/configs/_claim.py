"""The fields every trained claim's config has, whatever the paper: what the shared pipeline reads.

A paper's ``base(profile)`` (``_h97.py``, ``_p13.py``) starts from ``head(profile)``, adds its own
fields, and ends with ``outputs(c)``. ``--help`` lists these fields first, then the paper's.
"""

import ml_collections

from experiments.claims.rows import rows

PROFILES = ("quick", "paper")
__all__ = ["PROFILES", "head", "outputs", "rows"]


def head(profile: str, profiles: tuple[str, ...] = PROFILES) -> ml_collections.ConfigDict:
    if profile not in profiles:
        raise ValueError(f"--config profile {profile!r}: must be one of {list(profiles)}")
    c = ml_collections.ConfigDict()
    # -- the claim
    c.profile = profile  # "quick" (2-core CPU, minutes) or "paper"/"full" (the claim's scale)
    c.claim = ""  # claim id in REPRODUCTION.md
    # The claim in one plain sentence, as the paper makes it; the figure's caption starts with it.
    c.statement = ""
    # The rows of the paper's table: each row sets some of the fields below (and may set "title",
    # its label in figures). Change a row's field with --config.rows.ROW.FIELD=VALUE.
    c.rows = rows()
    # What computes the claim, "module:NAME" or "path/to/file.py:NAME": the paper's Protocol (the
    # shared pipeline trains the rows) or a function (config) -> [paths] (a claim computed without
    # the trainer). A paper's base config sets its protocol; python -m experiments.run reads it.
    c.protocol = ""
    # -- what every row trains
    # The models every row trains, comma-separated; the paper says what a name is (a cell, a
    # training method, an optimiser):
    c.models = ""
    c.trials = 1  # independent trials per row and model, a vmapped axis;
    c.seed = 0  # root key; trial i draws its keys from fold_in(key(seed), i) alone
    c.dtype = "float32"  # "float32" or "float64"
    return c


def outputs(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    # -- what to compare
    c.reference_row = ""  # a row id: the table gives every row's mean time as a ratio to its mean
    # Pairs of rows, "a:b,c:d", whose times until success are compared by Welch's t-test.
    c.compare = ""
    # -- what to run and draw
    # Train rows that have no finished results; False: only redraw what is there (e.g. the committed
    # paper-profile results), and the table says which rows were not run.
    c.run_missing = True
    # Run only these rows, comma-separated ids or id@model (e.g. "6a@lstm1997"); "" = all. The
    # others are drawn from their results if they have some, else reported as not run.
    c.only_rows = ""
    c.out_dir = ""  # one run directory per (row, model) under it; "" = runs/<claim>/<profile>
    # "lo:hi": run only the trials with global ids lo … hi-1 of every selected row and model, each
    # block in its own directory (<run dir>/trials_<lo>_<hi>), and write no table; a later run
    # without trial_block merges finished blocks that cover every trial, by id, into exactly the
    # results of one run (trial i draws its keys from the seed and i alone). "" = every trial.
    c.trial_block = ""
    # The figures to draw, comma-separated names of the paper's own (its protocol's figures, e.g.
    # "flow_vs_outcome"); "" = the shared figure: each trial's time to success, the share solved
    # and the training curves of every row.
    c.draw = ""
    # Figure path without extension; "" = figures/<claim> (quick), figures/<claim>_<profile>, or
    # with out_dir set, figures/<claim>_<out_dir's last folder> (another reading keeps its own).
    c.figure = ""
    # How tables, figures and the docs name this run; "" = the profile and every command-line
    # override that changes what runs (e.g. "paper profile, cell_added_after=4500"), so that a cut
    # budget or another reading is never labelled as the paper profile.
    c.label = ""
    return c
