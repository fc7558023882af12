"""What every driver shares: one-line errors instead of tracebacks, and the float64 switch."""

from __future__ import annotations

import sys

import jax
from absl import app, logging


def run(main) -> None:
    """``app.run(main)``, turning a ValueError (bad config or flag) into one line on stderr."""

    def guarded(argv):
        try:
            return main(argv)
        except ValueError as err:
            sys.exit(f"error: {err}")

    app.run(guarded)


def setup(config) -> None:
    """Apply run-wide settings of a config (dtype) and log the environment."""
    if config.get("dtype") not in ("float32", "float64"):
        raise ValueError(f"config.dtype={config.get('dtype')!r}: must be 'float32' or 'float64'")
    if config.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    logging.info("jax %s, devices %s", jax.__version__, jax.devices())


def positive(config, *names: str) -> None:
    """Raise a one-line ValueError for any of ``names`` that is not an integer > 0."""
    for name in names:
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"config.{name}={value!r}: must be an integer > 0")
