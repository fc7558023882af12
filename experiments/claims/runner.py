"""Runs of a claim: one run directory per (row, model, part), reused when finished, resumed when not.

A run directory holds ``config.json`` (the fields that decide what it computes), ``metrics.jsonl``,
``checkpoint.npz`` and, once finished, ``results.json`` with provenance (``repro.train.train``). A run
is recognised by its config alone, so other rows, a row subset or another figure path reuse it.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import shlex
from pathlib import Path

import jax
from absl import logging

from experiments.claims import rows as rows_lib
from experiments.claims.protocol import Protocol
from repro import cells, results, train

__all__ = [
    "check_keeps_figure",
    "command_options",
    "figure_path",
    "identity",
    "describe",
    "label",
    "logged",
    "options",
    "options_text",
    "shown_label",
    "out_dir",
    "run",
    "run_dirs",
    "run_one",
]

# Fields that do not change what a run computes: left out of its config.json.
NOT_RUN_FIELDS = (
    "statement",
    "protocol",
    "rows",
    "models",
    "reference_row",
    "compare",
    "run_missing",
    "only_rows",
    "out_dir",
    "figure",
    "draw",
    "label",
    "trial_block",
)


# Overrides that change where a run is written or whether it trains, not what it shows.
PLUMBING = ("run_missing", "only_rows", "trial_block", "out_dir", "figure")


def options(config, overridden, protocol: Protocol) -> dict:
    """The command-line overrides that change what a run computes: {field path: value}.

    ``overridden`` holds the names set on the command line (``rows.T500.trials`` for a row's
    field); fields in ``NOT_RUN_FIELDS`` or the protocol's ``not_run_fields`` name no option.
    """
    skip = {*NOT_RUN_FIELDS, *protocol.not_run_fields}
    out = {}
    for name in sorted(overridden):
        parts = name.split(".")
        if parts[0] in skip or (parts[0] == "rows" and parts[-1] in (*skip, "title")):
            continue
        value = config
        for part in parts:
            value = value[part]
        out[name] = value
    return out


def shown_label(config) -> str:
    """The label a run's table and figures carry (``config.label``, set by the pipeline)."""
    return config.get("label") or f"{config.profile} profile"


def describe(profile: str, options_: dict) -> str:
    """A run's name from its profile and options: "paper profile, cell_added_after=4500"."""
    extra = options_text(options_)
    return f"{profile} profile" + (f", {extra}" if extra else "")


def options_text(options_: dict) -> str:
    """``{"fixed_test_set": True, "T": 5}`` -> "fixed_test_set=true, T=5" (booleans as flags take them)."""
    shown = lambda v: str(v).lower() if isinstance(v, bool) else str(v)
    return ", ".join(f"{k}={shown(v)}" for k, v in options_.items())


def label(config, options_: dict) -> str:
    """How tables, figures and the docs name a run: ``config.label`` if set, else the profile and
    every option that changed what ran ("paper profile, cell_added_after=4500")."""
    return config.get("label") or describe(config.profile, options_)


def slug(config) -> str:
    """``H97-T7`` -> ``h97_t7``: the claim's directory and figure name."""
    return config.claim.lower().replace("-", "_")


def out_dir(config) -> Path:
    return Path(config.out_dir or f"runs/{slug(config)}/{config.profile}")


def figure_path(config, suffix: str = "") -> str:
    """The figure's path without extension: ``config.figure`` if given; else, for runs written
    elsewhere (``out_dir``, e.g. runs/h97_t2/sequential), figures/<claim>_<that folder's name>, so
    another reading never overwrites a profile's figure; else figures/<claim>[_<profile>]."""
    if config.figure:
        return config.figure + suffix
    where = Path(config.out_dir).name if config.out_dir else config.profile
    if where == config.profile:
        where = "" if config.profile == "quick" else config.profile
    return f"figures/{slug(config)}{'_' + where if where else ''}{suffix}"


def check_keeps_figure(
    config, skip: tuple[str, ...] = (), suffix: str = "", stem: str = ""
) -> None:
    """A run does not silently replace a figure that another command drew: where the figure
    ``stem`` + ``suffix`` (default stem: ``figure_path(config)``) exists, this command did not name
    its figure (``--config.figure``) and the command that drew it (recorded in the PNG) set other
    options, raise a one-line ValueError, before any compute. Options are the config file, its
    profile (default quick) and every ``--config.NAME=VALUE`` whose top-level field is not in
    ``PLUMBING`` or ``skip`` (fields that do not shape this figure, e.g. H97's ``after_stop`` for
    the claim's main figure); a driver, a field order or ``true``/``True`` are no difference. A
    run outside a command (a test, an interpreter) passes.
    """
    now = results.command()
    if now is None or "figure" in command_options(now, set())[2]:
        return  # not a command, or the user named where it goes
    png = Path((stem or figure_path(config)) + suffix + ".png")
    drawn = results.png_text(png).get("Command") if png.is_file() else None
    if drawn is None:
        return
    ignored = {*PLUMBING, *skip}
    if command_options(drawn, ignored) != command_options(now, ignored):
        raise ValueError(
            f"{png} was drawn by `{drawn}`; this run's options differ, so its figure would "
            "replace that one: name where this run goes with --config.figure=PATH and "
            "--config.out_dir=DIR"
        )


def command_options(command: str, ignored: set[str]) -> tuple:
    """(config file name, profile, {field: value}) of a recorded ``python -m MODULE ARGS``
    (``--config=X`` or ``--config X``; a profile left out is quick), leaving out the fields whose
    top-level name is in ``ignored``."""
    args, spec, values = shlex.split(command)[3:], "", {}
    for i, arg in enumerate(args):
        if not arg.startswith("--config"):
            continue
        name, eq, value = arg.partition("=")
        if not eq and i + 1 < len(args) and not args[i + 1].startswith("--"):
            value = args[i + 1]  # "--config.NAME VALUE"
        if name == "--config":
            spec = value
        elif name.startswith("--config.") and name[9:].split(".")[0] not in ignored:
            values[name[9:]] = value.lower() if value.lower() in ("true", "false") else value
    file, _, profile = spec.rpartition(":") if ":" in spec else (spec, "", "")
    return Path(file).name, profile or "quick", values


def run_dirs(config, row: rows_lib.Row, model: str, parts: tuple[str, ...]) -> list[Path]:
    base = out_dir(config) / row.id / model
    return [base / part if part else base for part in parts]


def identity(row: rows_lib.Row, model: str, part: int, protocol: Protocol) -> dict:
    """What decides a run's numbers: its config.json."""
    skip = (*NOT_RUN_FIELDS, *protocol.not_run_fields)
    added = protocol.added_fields
    plain = {
        k: v
        for k, v in row.config.to_dict().items()
        if k not in skip and not (k in added and v == added[k])
    }
    return {**plain, "row": row.id, "model": model, "part": part}


def selected(config, row: rows_lib.Row, model: str) -> bool:
    chosen = rows_lib.wanted(config)
    return not chosen or row.id in chosen or f"{row.id}@{model}" in chosen


def block_of(config, trials: int) -> tuple[int, int] | None:
    """``config.trial_block`` ("lo:hi", global trial ids lo … hi − 1) as (lo, hi); None for "".

    Raises:
      ValueError: not "lo:hi" with 0 <= lo < hi <= trials (one line naming the field).
    """
    text = str(config.get("trial_block", "")).strip()
    if not text:
        return None
    lo, _, hi = text.partition(":")
    try:
        lo, hi = int(lo), int(hi)
    except ValueError:
        lo = hi = -1
    if not 0 <= lo < hi <= trials:
        raise ValueError(
            f"config.trial_block={text!r}: must be 'lo:hi' with 0 <= lo < hi <= trials={trials}"
        )
    return lo, hi


def block_dir(run_dir: Path, lo: int, hi: int) -> Path:
    return run_dir / f"trials_{lo}_{hi}"


def merge_blocks(run_dir: Path, plain: dict, trials: int) -> dict | None:
    """The finished blocks of ``run_dir`` (``trials_<lo>_<hi>`` holding runs of ``plain``) merged
    by trial id into the results of one run, if they cover trials 0 … trials − 1 exactly; else None.
    The merged results are written as the run's own (``results.json``), so the row is then reused."""
    found = []
    for path in sorted(run_dir.glob("trials_*_*")):
        try:
            lo, hi = (int(v) for v in path.name.split("_")[1:])
        except ValueError:
            continue
        if results.is_complete(path, {**plain, "block": [lo, hi]}):
            found.append((lo, hi, results.load_json(path / "results.json")))
    found.sort(key=lambda b: b[0])
    edges = [0, *(hi for _, hi, _ in found)]
    if not found or [lo for lo, _, _ in found] != edges[:-1] or edges[-1] != trials:
        return None
    merged = train.concatenate([r for _, _, r in found])
    merged.pop("first_trial", None)
    _merge_logs([block_dir(run_dir, lo, hi) for lo, hi, _ in found], run_dir / "metrics.jsonl")
    merged["blocks"] = [
        {"trials": [lo, hi], "provenance": r.get("provenance")} for lo, hi, r in found
    ]
    provenance = merged.pop("provenance", None)
    results.atomic_write_json(run_dir / "config.json", plain)
    results.atomic_write_json(run_dir / "results.json", {**merged, "provenance": provenance})
    return merged


def blocks_done(config, rows: list[rows_lib.Row], runs: dict) -> str:
    """One line per (row, model) of a block run: which trials ran and how many solved."""
    lines = [f"{config.claim}: trials {config.trial_block} of each row and model"]
    for (row_id, model), r in runs.items():
        state = "not run" if r is None else f"{r['n_solved']}/{r['trials']} solved"
        lines.append(f"  {row_id} {model}: {state}")
    lines.append("Run again without --config.trial_block once every block has finished: it merges")
    lines.append("the blocks by trial id and writes the table and figure.")
    return "\n".join(lines)


def logged(run_dir: Path) -> list[dict]:
    """The log points of a run: metrics.jsonl, or metrics.jsonl.gz (committed long logs are
    compressed), one dict of per-trial lists per point."""
    path = run_dir / "metrics.jsonl"
    gz = path.with_suffix(".jsonl.gz")
    text = path.read_text() if path.exists() else gzip.decompress(gz.read_bytes()).decode()
    return [json.loads(line) for line in text.splitlines()]


def _merge_logs(dirs: list[Path], path: Path) -> None:
    """The blocks' logs as one run's: log point by log point, the per-trial lists concatenated in
    block order. A block whose trials had all stopped logged no more points; there it gets what a
    stopped trial logs (0 for training metrics, nothing for checks)."""
    logs = [logged(d) for d in dirs]
    widths = [len(results.load_json(d / "results.json")["solved"]) for d in dirs]
    longest = max(logs, key=len)
    out = []
    for i, head in enumerate(longest):
        row = {"chunk": head["chunk"], "point": head["point"]}
        for key in (k for k in head if k not in ("chunk", "point")):
            fill = 0.0 if key.startswith("train/") else None
            row[key] = [
                v for log, w in zip(logs, widths, strict=True)
                for v in (log[i][key] if i < len(log) else [fill] * w)
            ]  # fmt: skip
        out.append(json.dumps(row, allow_nan=False))
    results.atomic_write(path, ("\n".join(out) + "\n").encode())


def run_one(config, row: rows_lib.Row, model: str, protocol: Protocol) -> dict | None:
    """Train (or reuse) one row and model; None if it has no finished results and may not run now
    (``run_missing`` off, or not in ``only_rows``)."""
    c, out = row.config, []
    may_run = config.run_missing and selected(config, row, model)
    dirs = run_dirs(config, row, model, protocol.parts(c))
    block = block_of(config, c.trials)
    for part, run_dir in enumerate(dirs):
        plain = identity(row, model, part, protocol)
        if block:  # one block of the trials, in its own directory
            plain, run_dir = {**plain, "block": list(block)}, block_dir(run_dir, *block)
        done = results.is_complete(run_dir, plain)
        if not done and not block and run_dir.exists():
            done = merge_blocks(run_dir, plain, c.trials) is not None
        started = (run_dir / "checkpoint.npz").exists() and results.holds(run_dir, plain)
        if not may_run and not done and not started:
            logging.info("%s %s: no finished results in %s; not run", row.id, model, run_dir)
            return None
        t = protocol.build(c, model, part)
        if block:
            t = dataclasses.replace(
                t,
                schedule=dataclasses.replace(
                    t.schedule, trials=block[1] - block[0], first_trial=block[0]
                ),
            )
        where = f"{config.claim} {row.id} {model}" + (f" part {part}" if len(dirs) > 1 else "")
        if done:  # reused as it is
            res = results.load_json(run_dir / "results.json")
        elif not may_run:  # a run that spans sessions: reported as it stands, marked running
            logging.info("%s: unfinished in %s; reported as it stands", where, run_dir)
            res = train.progress_of(run_dir, t.problem, t.optimizer, t.schedule)
        else:
            res = train.train(
                t.problem,
                t.optimizer,
                t.schedule,
                run_dir=run_dir,
                config=plain,
                progress=lambda line, w=where: logging.info("%s: %s", w, line),
            )
        # shapes only (jax.eval_shape): run eagerly, the init compiled ~30 one-op programs (~1 s)
        params = jax.eval_shape(t.problem.init, jax.random.key(0))
        # the trained weights: a flax "params" collection, without any other (e.g. H97's "added")
        trained = params["params"] if isinstance(params, dict) and "params" in params else params
        res["n_weights"] = cells.count_params(trained)
        out.append(res)
    return train.concatenate(out)


def run(config, rows: list[rows_lib.Row], protocol: Protocol) -> dict:
    """{(row id, model): results or None} for every row and model, in order."""
    return {
        (row.id, model): run_one(config, row, model, protocol)
        for row in rows
        for model in rows_lib.models_of(row.config)
    }
