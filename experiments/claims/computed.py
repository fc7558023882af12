"""Claims computed without the trainer (one-unit nets, a neuron's theory, small grids of runs).

Such a claim is a function ``claim(config) -> [figure paths]``, which its config's ``protocol``
field names (``python -m experiments.run`` calls it): it checks every field before any
compute (the helpers here raise one-line errors naming the field), computes, writes
``numbers.json`` (with provenance) to ``runs/<claim>/<profile>/`` and draws its figure. A claim
whose numbers take minutes saves them in blocks (``block``) and reuses those computed under the
same config, so a killed run resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from absl import logging

from experiments import common
from experiments.claims import runner
from repro import results

__all__ = ["block", "finite", "floats", "label", "options", "prepare", "reuse", "span", "write"]

# fields that do not change what a claim computes (``protocol`` names the code, which the
# provenance's commit pins)
_NOT_RUN = ("protocol", "out_dir", "figure", "label", "trial_block")


def floats(c, name: str) -> list[float]:
    """A comma-separated list of numbers."""
    try:
        return [float(v) for v in common.items(c, name)]
    except ValueError:
        raise ValueError(f"config.{name}={c[name]!r}: must be comma-separated numbers") from None


def finite(c, *names: str, positive: bool = False) -> None:
    """Each field a finite number (> 0 with ``positive``)."""
    for name in names:
        v = c[name]
        ok = isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
        if not (ok and (v > 0 or not positive)):
            kind = "a finite number > 0" if positive else "a finite number"
            raise ValueError(f"config.{name}={v!r}: must be {kind}")


def span(c, name: str) -> tuple[float, float]:
    """A "low,high" field with low < high."""
    values = floats(c, name)
    if len(values) != 2 or not np.all(np.isfinite(values)) or not values[0] < values[1]:
        raise ValueError(f"config.{name}={c[name]!r}: must be 'low,high' with low < high")
    return values[0], values[1]


def prepare(c) -> None:
    """The output paths must be writable (checked before any compute); trial blocks are for the
    claims trained on the shared runner."""
    if c.get("trial_block"):
        raise ValueError(
            f"config.trial_block={c.trial_block!r}: {c.claim} is not trained trial by trial on "
            "the shared runner; leave it empty"
        )
    common.check_writable(c, out_dir=runner.out_dir(c), figure=runner.figure_path(c))
    runner.check_keeps_figure(c)


def options(config: dict) -> dict:
    """The fields of a claim's config (a dict, e.g. a numbers.json's) that differ from its
    profile's, as set in ``experiments/configs/<claim>.py``: the options a run was made with."""
    import importlib

    slug = config["claim"].lower().replace("-", "_")
    try:
        module = importlib.import_module(f"experiments.configs.{slug}")
        profile = module.get_config(config["profile"]).to_dict()
    except (ImportError, ValueError):  # no config of that name or profile: nothing to compare
        return {}
    return {
        k: v
        for k, v in sorted(config.items())
        if k not in _NOT_RUN and k != "profile" and profile.get(k) != v
    }


def label(c) -> str:
    """How a claim's table, figure and the docs name its run: the profile and its options."""
    return runner.describe(c.profile, options(c.to_dict()))


def reuse(c) -> dict | None:
    """The numbers a finished run of exactly this config left (numbers.json), else None: a rerun
    only redraws, also where its blocks are not kept (they are not committed)."""
    path = runner.out_dir(c) / "numbers.json"
    try:
        saved = results.load_json(path)
    except (OSError, ValueError):
        return None
    same = lambda d: {k: v for k, v in d.items() if k not in _NOT_RUN}
    if same(saved.get("config", {})) != same(results.jsonable(c.to_dict())):
        return None
    return {k: v for k, v in saved.items() if k != "config"}  # with the run's own provenance


def write(c, numbers: dict) -> Path:
    """numbers.json with the config and provenance, atomically; an unchanged file is kept. Numbers
    from ``reuse`` keep the provenance of the run that computed them."""
    path = runner.out_dir(c) / "numbers.json"
    # whether missing runs would be trained says nothing about these numbers: left out, so that a
    # redraw and a run write the same file
    config = {k: v for k, v in c.to_dict().items() if k not in ("run_missing", "protocol")}
    if "provenance" in numbers:
        return results.atomic_write_json(path, {**numbers, "config": config})
    return results.write_json_with_provenance(path, {**numbers, "config": config})


def block(c, name: str, compute: Callable[[], dict]) -> dict:
    """``compute()``'s arrays, saved as ``blocks/<name>.npz`` beside the config that made them and
    reused when that config is unchanged (a killed run keeps its finished blocks)."""
    folder = runner.out_dir(c) / "blocks"
    path, stamp = folder / f"{name}.npz", folder / f"{name}.json"
    config = c.to_dict()
    for key in ("protocol", "out_dir", "figure"):
        config.pop(key, None)
    if path.exists() and stamp.exists() and results.load_json(stamp) == config:
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}
    logging.info("%s: block %s: computing", c.claim, name)
    t0 = time.perf_counter()
    arrays = {k: np.asarray(v) for k, v in compute().items()}
    logging.info("%s: block %s: done in %.0f s", c.claim, name, time.perf_counter() - t0)
    results.atomic_write_npz(path, **arrays)
    results.atomic_write_json(stamp, config)
    return arrays
