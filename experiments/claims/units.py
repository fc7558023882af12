"""Claims computed without the trainer (one-unit nets, a neuron's theory, small grids of runs).

Such a claim is a function ``claim(config) -> [figure paths]``: it checks every field before any
compute (the helpers here raise one-line errors naming the field), computes, writes
``numbers.json`` (with provenance) to ``runs/<claim>/<profile>/`` and draws its figure. A claim
whose numbers take minutes saves them in blocks (``block``) and reuses those computed under the
same config, so a killed run resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from experiments import common
from experiments.claims import runner
from repro import results

__all__ = ["block", "finite", "floats", "prepare", "span", "write"]


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
    """The output paths must be writable (checked before any compute)."""
    common.check_writable(runner.out_dir(c), runner.figure_path(c))


def write(c, numbers: dict) -> Path:
    """numbers.json with the config and provenance, atomically."""
    saved = {**numbers, "config": c.to_dict(), "provenance": results.provenance()}
    return results.atomic_write_json(runner.out_dir(c) / "numbers.json", saved)


def block(c, name: str, compute: Callable[[], dict]) -> dict:
    """``compute()``'s arrays, saved as ``blocks/<name>.npz`` beside the config that made them and
    reused when that config is unchanged (a killed run keeps its finished blocks)."""
    folder = runner.out_dir(c) / "blocks"
    path, stamp = folder / f"{name}.npz", folder / f"{name}.json"
    config = c.to_dict()
    for key in ("out_dir", "figure"):
        config.pop(key, None)
    if path.exists() and stamp.exists() and results.load_json(stamp) == config:
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}
    arrays = {k: np.asarray(v) for k, v in compute().items()}
    results.atomic_write_npz(path, **arrays)
    results.atomic_write_json(stamp, config)
    return arrays
