"""One command for every claim of every paper: the config file names the claim.

Usage:
  python -m experiments.run --config=experiments/configs/h97_t7.py:quick
  python -m experiments.run --config=experiments/configs/p13_f7.py:paper --config.only_rows=...
  python -m experiments.run --config=experiments/configs/b94_theory.py --helpfull
  python -m experiments.run --config=path/to/my_claim.py:quick   # a paper with no driver

The driver that runs a config is the one whose ``CONFIGS`` patterns match its file name (H97 and
G00: ``hochreiter1997``; P13: ``pascanu2013``; B94: ``bengio1994``; the practitioners' questions:
``questions``; ``gradient_flow``); this command is exactly that driver's, with its flags, help and
one-line errors. The per-paper commands stay as they are.

A config no driver claims is run here, by the shared pipeline alone: its ``protocol`` field names
the paper's :class:`~experiments.claims.protocol.Protocol` ("module:NAME"). A new paper needs
nothing else: a protocol, its numbers (the protocol's ``paper``) and its configs.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import sys
from pathlib import Path

from experiments import common
from experiments.claims import pipeline
from experiments.claims.protocol import Protocol

# The drivers, each with DEFAULT_CONFIG, CONFIGS (the config files it runs), define_flag, main,
# run(config, overridden) and protocol_of(config).
DRIVERS = ("hochreiter1997", "pascanu2013", "questions", "bengio1994", "gradient_flow")
GENERIC = "experiments.run"  # this module: the driver of a config whose paper has none
DEFAULT_CONFIG = ""  # none: this command always names its config (common.call reads the name)


def driver_for(spec: str) -> str:
    """The driver module whose CONFIGS match the config file of ``spec`` (FILE[:PROFILE]); for an
    existing file no driver claims, this module (the config's ``protocol`` names its Protocol).

    Raises:
      ValueError: no driver runs that file (one line).
    """
    path = Path(spec.rsplit(":", 1)[0])
    for module in DRIVERS:
        driver = importlib.import_module(f"experiments.{module}")
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in driver.CONFIGS):
            return driver.__name__
    if path.is_file():
        return GENERIC
    raise ValueError(
        f"--config={spec}: no driver runs {path.name!r} (experiments/configs/<claim>.py, or an "
        "existing config file whose protocol field names its Protocol)"
    )


def _module(name: str):
    """A module by its dotted name, or by its file (``path/to/protocol.py``, relative to here)."""
    if not name.endswith(".py"):
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(Path(name).stem, name)
    if spec is None or not Path(name).is_file():
        raise ImportError(f"no file {name!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def protocol_of(config) -> Protocol:
    """The Protocol named by ``config.protocol``: "module:NAME" or "path/to/file.py:NAME".

    Raises:
      ValueError: the field is empty or names no Protocol (one line, before any compute).
    """
    spec = str(config.get("protocol", ""))
    module, _, name = spec.partition(":")
    why = "must be 'module:NAME' or 'file.py:NAME' of the Protocol that trains this claim (no driver runs its file)"
    if not module or not name:
        raise ValueError(f"config.protocol={spec!r}: {why}")
    try:
        found = getattr(_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"config.protocol={spec!r}: {err} ({why})") from None
    if not isinstance(found, Protocol):
        raise ValueError(f"config.protocol={spec!r}: {name} is a {type(found).__name__} ({why})")
    return found


def run(config, overridden=()) -> list:
    """A claim of a paper with no driver: validate, train or reuse, write the table and figure."""
    protocol = protocol_of(config)
    common.setup(config)
    return pipeline.run_claim(config, protocol, overridden)[2]


def _main(argv):
    common.no_arguments(argv)
    for path in run(_CONFIG.value, common.overridden(_CONFIG)):
        print(path)


def define_flag(path: str):
    """The ``--config`` flag of a config no driver claims: the shared fields' help, then the file's."""
    return common.define_config(
        path,
        help_text="Config file and profile (path:quick or path:paper). Override any field with "
        "--config.NAME=VALUE, and a field a row sets with --config.rows.ROW.NAME=VALUE. Fields:\n",
        field_paths=(common.config_path("_claim.py"), path),
    )


def main() -> None:
    global _CONFIG
    given = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--config=")]
    if not given:
        sys.exit("error: --config: give a claim's config, e.g. experiments/configs/h97_t7.py:quick")
    try:
        module = driver_for(given[-1])
    except ValueError as err:
        sys.exit(f"error: {err}")
    if module == GENERIC:
        _CONFIG = define_flag(given[-1].rsplit(":", 1)[0])
        common.run(_main)
        return
    driver = importlib.import_module(module)
    driver._CONFIG = driver.define_flag()  # the driver's main reads its module's _CONFIG
    common.run(driver.main)


if __name__ == "__main__":
    main()
