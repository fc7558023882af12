"""One command for every claim of every paper: the config file names the claim.

Usage:
  python -m experiments.run --config=experiments/configs/h97_t7.py:quick
  python -m experiments.run --config=experiments/configs/p13_f7.py:paper --config.only_rows=...
  python -m experiments.run --config=experiments/configs/b94_theory.py --helpfull

The driver that runs a config is the one whose ``CONFIGS`` patterns match its file name (H97 and
G00: ``hochreiter1997``; P13: ``pascanu2013``; B94: ``bengio1994``; the practitioners' questions:
``questions``; ``gradient_flow``); this command is exactly that driver's, with its flags, help and
one-line errors. The per-paper commands stay as they are.
"""

from __future__ import annotations

import fnmatch
import importlib
import sys
from pathlib import Path

from experiments import common

# The drivers, each with DEFAULT_CONFIG, CONFIGS (the config files it runs), define_flag, main,
# run(config, overridden) and protocol_of(config).
DRIVERS = ("hochreiter1997", "pascanu2013", "questions", "bengio1994", "gradient_flow")


def driver_for(spec: str) -> str:
    """The driver module whose CONFIGS match the config file of ``spec`` (FILE[:PROFILE]).

    Raises:
      ValueError: no driver runs that file (one line).
    """
    name = Path(spec.rsplit(":", 1)[0]).name
    for module in DRIVERS:
        driver = importlib.import_module(f"experiments.{module}")
        if any(fnmatch.fnmatch(name, pattern) for pattern in driver.CONFIGS):
            return driver.__name__
    raise ValueError(f"--config={spec}: no driver runs {name!r} (experiments/configs/<claim>.py)")


def main() -> None:
    given = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--config=")]
    if not given:
        sys.exit("error: --config: give a claim's config, e.g. experiments/configs/h97_t7.py:quick")
    try:
        driver = importlib.import_module(driver_for(given[-1]))
    except ValueError as err:
        sys.exit(f"error: {err}")
    driver._CONFIG = driver.define_flag()  # the driver's main reads its module's _CONFIG
    common.run(driver.main)


if __name__ == "__main__":
    main()
