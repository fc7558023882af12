"""One command for every claim of every paper: the config names what computes its claim.

Usage:
  python -m experiments.run --config=experiments/configs/h97_t7.py:quick
  python -m experiments.run --config=experiments/configs/p13_f7.py:paper --config.only_rows=...
  python -m experiments.run --config=experiments/configs/b94_theory.py --helpfull
  python -m experiments.run --config=path/to/my_claim.py:quick   # a paper of your own

A config's ``protocol`` field names what computes its claim, "module:NAME" or
"path/to/file.py:NAME" (a paper's base config sets it for its trained claims; a claim computed
without the trainer names its function in its own config):

- a :class:`~experiments.claims.protocol.Protocol`: the shared pipeline (``experiments/claims``)
  trains the config's rows, writes the table and draws the figures (the protocol's ``run`` hook,
  where a paper has one, does the whole run);
- a function ``(config) -> [paths]``: a claim computed without the trainer
  (``experiments/claims/computed.py``).

A new paper needs nothing else: a protocol, its numbers (the protocol's ``paper``) and its configs.
The per-paper commands (``python -m experiments.hochreiter1997``, ``pascanu2013``, ``bengio1994``,
``questions``, ``gradient_flow``) are this command with that paper's default config.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path

from experiments import common
from experiments.claims import pipeline
from experiments.claims.protocol import Protocol

DEFAULT_CONFIG = ""  # none: this command always names its config (common.call reads the name)
_WHY = (
    "must be 'module:NAME' or 'file.py:NAME' of the Protocol that trains this claim, or of the "
    "function (config) -> [paths] that computes it"
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


def target_of(config):
    """What ``config.protocol`` names: a :class:`Protocol` or a function ``(config) -> [paths]``.

    Raises:
      ValueError: the field is missing, empty or names neither (one line, before any compute).
    """
    spec = str(config.get("protocol", ""))
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"config.protocol={spec!r}: {_WHY}")
    try:
        found = getattr(_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"config.protocol={spec!r}: {err} ({_WHY})") from None
    if not isinstance(found, Protocol) and not _takes_a_config(found):
        raise ValueError(f"config.protocol={spec!r}: {name} is a {type(found).__name__} ({_WHY})")
    return found


def _takes_a_config(found) -> bool:
    """Whether ``found`` is a function that can be called with the config alone."""
    try:
        inspect.signature(found).bind(None)
    except (TypeError, ValueError):  # not callable, or another signature
        return False
    return True


def protocol_of(config) -> Protocol | None:
    """The Protocol that trains ``config``'s rows; None for a claim computed without the trainer."""
    found = target_of(config)
    return found if isinstance(found, Protocol) else None


def run(config, overridden=()) -> list:
    """Everything the command line asks for: validate, train or reuse, write the tables and the
    figures; returns the paths written."""
    found = target_of(config)
    common.setup(config)
    if not isinstance(found, Protocol):
        return list(found(config) or [])
    if found.run is not None:
        return list(found.run(config, overridden))
    return pipeline.run_claim(config, found, overridden)[2]


def config_files(path: str) -> list[str]:
    """The config file ``path`` and the configs of experiments/configs it imports, recursively,
    each after those it imports (the shared head first, then the paper's base, then the file)."""
    where = Path(common.config_path(""))
    out: list[str] = []

    def visit(file: Path) -> None:
        text = file.read_text() if file.is_file() else ""
        for names in re.findall(
            r"^from experiments\.configs(?:\.(\w+))? import ([\w, ]+)", text, re.M
        ):
            for name in [names[0]] if names[0] else names[1].replace(" ", "").split(","):
                found = where / f"{name}.py"
                if found.is_file() and str(found) not in out:
                    visit(found)
        if str(file) not in out:
            out.append(str(file))

    visit(Path(path))
    # the shared head's fields, for configs that start from it (B94's import only its profiles)
    starts = any("head(" in Path(f).read_text() for f in out if Path(f).name != "_claim.py")
    return [f for f in out if starts or Path(f).name != "_claim.py"]


def define_flag(spec: str):
    """The ``--config`` flag for ``spec`` (FILE[:PROFILE]): ``--help`` explains every field that
    file's config has, with the comments of the config files that set it."""
    path, _, profile = spec.partition(":")
    try:
        values = dict(_module(path).get_config(profile or "quick"))
    except Exception:  # noqa: BLE001 - the flag's own loading reports a bad file or profile
        values = None
    return common.define_config(
        path,
        profile or "quick",
        help_text="Config file and profile (path:quick or path:paper), one per claim: "
        "experiments/configs/<claim>.py. Override any field with --config.NAME=VALUE, and a field "
        "a row sets with --config.rows.ROW.NAME=VALUE. Fields of this config, with its values:\n",
        field_paths=tuple(config_files(path)),
        keep=values,
    )


def _main(argv):
    common.no_arguments(argv)
    for path in run(_CONFIG.value, common.overridden(_CONFIG)):
        print(path)


def main(default: str = "") -> None:
    """The command: ``--config`` (the last one given, else ``default``) picks the config file."""
    global _CONFIG
    args, given = sys.argv[1:], []
    for i, arg in enumerate(args):  # --config=FILE or --config FILE, as absl reads them
        if arg.startswith("--config="):
            given.append(arg.split("=", 1)[1])
        elif arg == "--config" and i + 1 < len(args):
            given.append(args[i + 1])
    if not given and not default:
        sys.exit("error: --config: give a claim's config, e.g. experiments/configs/h97_t7.py:quick")
    spec = given[-1] if given else default
    if not Path(spec.rsplit(":", 1)[0]).is_file():
        sys.exit(
            f"error: --config={spec}: cannot load {spec.rsplit(':', 1)[0]!r} (no such config file?)"
        )
    _CONFIG = define_flag(spec)
    common.WATCH = True  # on the CPU, a stalled run restarts itself (common.watch_for_stalls)
    common.run(_main)


if __name__ == "__main__":
    main()
