"""What every command shares: one-line errors instead of tracebacks, the float64 switch, the
compilation cache and the watch for a stalled XLA run."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import jax
from absl import app, flags, logging

# JAX's asynchronous CPU dispatch can leave a run waiting forever for a result no thread computes
# (jax-ml/jax#25861). Every command computes synchronously, at the same speed on 2 cores (H97 and
# P13 training, measured); set at import, before a computation creates the CPU client that reads
# it. It did not end the stalls seen here (watch_for_stalls below), but it is that fix.
jax.config.update("jax_cpu_enable_async_dispatch", False)

# XLA:CPU builds the commands' machine code with LLVM at optimisation level 2 (its default is 3).
# bench/results/codegen.txt (python -m bench.codegen: one fresh process per level, 2 rounds,
# 2026-12-07): level 2 compiles in 0.51-0.83x the time of level 3 (an S2 training chunk
# 4.7 -> 2.4 s; compilation is much of make figures' quick profile) and runs in 0.86-1.09x its
# time; level 1 compiles about as fast as 2 or slower and ran up to 1.34x slower than 3 (S0's
# update, the 1997 LSTM's chunk, all pairs of a tanh RNN). Results move in float32's last digits
# (and quick-profile outcomes with them: README, "Two commands"). Set before any computation
# creates the CPU client; a level set by hand in XLA_FLAGS is kept; provenance records the flags
# (repro.results.provenance).
CODEGEN = "--xla_backend_optimization_level=2"
_GIVEN = os.environ.get("XLA_FLAGS", "")
if "xla_backend_optimization_level" not in _GIVEN:
    os.environ["XLA_FLAGS"] = f"{_GIVEN} {CODEGEN}".strip()


def _last_line(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[-1] if lines else type(err).__name__
    for prefix in ("ValueError: ", "KeyError: ", "AttributeError: "):
        text = text.removeprefix(prefix)
    return text


def _parse_flags(argv: list[str]) -> list[str]:
    """Parse flags; a malformed flag or config override exits with one line, no traceback."""
    try:
        return flags.FLAGS(argv)
    except (OSError, AttributeError, flags.Error, ValueError, KeyError, TypeError) as err:
        sys.exit(f"error: {_flag_error(err, argv)}")


def _flag_error(err: Exception, argv: list[str]) -> str:
    """The one line for an error raised while the command line is parsed."""
    if isinstance(err, OSError):  # the --config file could not be loaded
        return _no_config(err, argv)
    if isinstance(err, AttributeError):  # an override of a field the --config file does not have
        return _unknown_field(str(err).strip(chr(34) + chr(39)), argv)
    return _last_line(err)


def parse_config(argv: list[str], default: str):
    """(config, overridden field names) of a command line ``argv`` (``[program,
    --config=path:profile, --config.NAME=VALUE, ...]``; ``default``: the ``--config`` used when
    none is given), parsed as the command's ``--config`` flag does but on fresh flags, so it can be
    called in-process as often as needed (tests, the Ray runner).

    Raises:
      ValueError: one line, the one the command would exit with.
    """
    from ml_collections import config_flags

    holder, saved = flags.FlagValues(), sys.argv
    sys.argv = list(argv)  # ml_collections reads overrides from sys.argv while the flag is defined
    try:
        config_flags.DEFINE_config_file("config", default, flag_values=holder)
        rest = holder(list(argv))
    except (OSError, AttributeError, flags.Error, ValueError, KeyError, TypeError) as err:
        raise ValueError(_flag_error(err, list(argv))) from None
    finally:
        sys.argv = saved
    no_arguments(rest)
    return holder.config, set(config_flags.get_override_values(holder["config"]))


def call(driver, *args: str) -> list[Path]:
    """Run ``driver`` (a command module with ``DEFAULT_CONFIG`` and ``run(config, overridden)``:
    ``experiments.run`` or a per-paper alias) in this process as ``python -m <driver> args...``
    would, and return the paths it writes; an error is the one-line ValueError the command would
    print. The process-wide settings a run changes (float64, the compilation cache) are restored
    afterwards."""
    keys = ("jax_enable_x64", "jax_compilation_cache_dir")
    saved = {k: getattr(jax.config, k) for k in keys}
    try:
        config, overridden = parse_config([driver.__name__, *args], driver.DEFAULT_CONFIG)
        try:
            return driver.run(config, overridden)
        except OSError as err:
            raise ValueError(_no_config(err, [driver.__name__, *args])) from None
    finally:
        for k, v in saved.items():
            jax.config.update(k, v)


def _no_config(err: OSError, argv: list[str]) -> str:
    """One line for a --config file that ml_collections could not load (other errors: re-raised)."""
    if "Failed loading config file" not in str(err) and "earlier failure to load" not in str(err):
        raise err
    given = [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    value = given[-1] if given else ""
    return f"--config={value}: cannot load {value.rsplit(':', 1)[0]!r} (no such config file?)"


def _unknown_field(name: str, argv: list[str]) -> str:
    given = [a.split("=")[0] for a in argv if a.startswith("--config.") and f".{name}" in a]
    flag = given[0] if given else f"--config.{name}"
    parts = flag.split(".")
    if len(parts) == 4 and parts[1] == "rows":  # --config.rows.ROW.FIELD
        return (
            f"{flag}: row {parts[2]!r} does not set {parts[3]} (no such row, or a field it leaves "
            f"to the config: set that with --config.{parts[3]})"
        )
    return f"{flag}: no such config field (see --helpfull)"


def fields_help(paths, keep=None) -> str:
    """One line per config field of ``paths``, ``NAME = default: comment`` read from the configs'
    sources, so that ``--help`` explains every field with the comment written next to it; each
    field listed once, where it is first set. A field of the first file (the shared head) that the
    second (a paper's base) sets with a comment takes that default and adds that comment; other
    repeats (a claim's config, bare or about its own use of the field) change nothing. ``keep``:
    the config's fields and values (default: every field, with its default as written); only
    those are listed, a number, string or flag as the config has it, and a section left with none
    is dropped."""
    out: list = []  # section headers (str) and fields ([name, default, comment])
    field: dict[str, list] = {}
    shared: set[str] = set()  # the first file's fields
    refined: set[str] = set()
    for i, path in enumerate(paths):
        for entry in _field_entries(path):
            if isinstance(entry, str):  # a section header
                out.append(entry)
            elif entry[0] not in field:
                field[entry[0]] = list(entry)
                out.append(field[entry[0]])
                if i == 0:
                    shared.add(entry[0])
            elif entry[2] and entry[0] not in refined and i == 1 and entry[0] in shared:
                refined.add(entry[0])
                said = field[entry[0]][2]
                more = "" if entry[2] in said else entry[2]  # the same words once
                field[entry[0]][1:] = [entry[1], f"{said} {more}".strip()]
    if keep is not None:
        out = [e for e in out if isinstance(e, str) or e[0] in keep]
        for e in out:
            if not isinstance(e, str) and _plain(keep[e[0]]):
                e[1] = _shown(keep[e[0]])
        out = [e for i, e in enumerate(out) if not isinstance(e, str) or _has_field(out[i + 1 :])]
    return "\n".join(
        e if isinstance(e, str) else f"  --config.{e[0]} = {e[1]}: {e[2]}".rstrip() for e in out
    )


def _plain(value) -> bool:
    return isinstance(value, bool | int | float | str)


def _shown(value) -> str:
    """A value as --help shows it: a long string cut to its first 40 characters."""
    if not isinstance(value, str):
        return repr(value)
    return json.dumps(value if len(value) <= 40 else value[:39] + "…", ensure_ascii=False)


def _has_field(after: list) -> bool:
    """Whether a field comes before the next section header."""
    return bool(after) and not isinstance(after[0], str)


def _field_entries(path: str):
    """Section headers (their help line) and fields (name, default, comment) of a config file."""
    pending = []
    for line in Path(path).read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):  # a section header: its own line
            head = stripped.lstrip("# -")
            yield f"  {head[:1].upper()}{head[1:]}:"
            pending = []
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("# "))
            continue
        match = re.match(r"c\.(\w+)\s*=\s*(.*?)\s*(#\s*(.*))?$", stripped)
        if match:
            yield match.group(1), match.group(2), " ".join([*pending, match.group(4) or ""]).strip()
        pending = []


def define_config(
    path: str,
    profile: str = "quick",
    help_text: str = "",
    field_paths: tuple[str, ...] = (),
    keep=None,
):
    """``config_flags.DEFINE_config_file`` for ``path:profile``, with one-line errors.

    ``--help`` lists the fields documented in ``field_paths`` (default: the config file itself),
    those in ``keep`` only where given.

    ml_collections applies ``--config.NAME=...`` overrides from sys.argv while the flag is defined,
    so an unknown field must be caught here, not only when flags are parsed.
    """
    from ml_collections import config_flags

    text = (
        help_text
        or "Config file and profile (path:quick or path:paper); override any field "
        "with --config.NAME=VALUE. Fields (quick defaults):\n"
    ) + fields_help(field_paths or (path,), keep)
    try:
        return config_flags.DEFINE_config_file("config", f"{path}:{profile}", text)
    except (AttributeError, KeyError) as err:
        sys.exit(f"error: {_unknown_field(str(err).strip(chr(34) + chr(39)), sys.argv)}")


def config_path(name: str) -> str:
    """The path of config file ``name`` in experiments/configs (a command's default ``--config``)."""
    return str(Path(__file__).parent / "configs" / name)


def run(main) -> None:
    """``app.run(main)`` with one-line errors: bad flags, overrides or config values (ValueError)
    print ``error: ...`` on stderr and exit with status 1 before anything is computed or written."""

    def guarded(argv):
        try:
            return main(argv)
        except ValueError as err:
            sys.exit(f"error: {err}")
        except OSError as err:
            sys.exit(f"error: {_no_config(err, sys.argv)}")

    app.run(guarded, flags_parser=_parse_flags)


# XLA's CPU runtime can stall: every thread idle, the main one waiting for a result that no thread
# computes. Seen at an LSTM's or GRU's program after other cells' (gradient_flow's paper profile, six
# of eight attempts; S2-ablation, often: README, "Known problem"), with each of the XLA, dispatch and
# BLAS threading switches tried; the cause is not found. A command on the CPU that uses no CPU for
# STALL_S seconds has stalled so: it restarts, and resumes from its checkpoints. Every step of a
# command computes (nothing waits on a disk or a network for long), so 30 s idle is no false alarm,
# and a stall costs 30 s, not a run.
STALL_S = 30.0
WATCH = False  # whether setup() starts the watch: set by the command (experiments.run), not tests
MAX_RESTARTS = 10  # restarts of one command before it gives up (each resumes the run)
_RESTARTS = "REPRO_STALL_RESTARTS"  # the environment variable that counts them


def watch_for_stalls(stall_s: float = STALL_S, every: float = 5.0) -> threading.Thread:
    """Start a daemon thread that restarts this command (``os.execv`` of the same command line)
    once the process has used under 1% of a core for ``stall_s`` seconds. A process that was
    stopped (Ctrl-Z, a suspended machine) has not stalled: a gap between samples resets the
    count. After ``MAX_RESTARTS`` restarts it exits with one line instead. Only for a run on the
    CPU (``setup`` starts it there): a host waiting for an accelerator uses no CPU either, and a
    process held in a debugger for ``stall_s`` would restart."""

    def watch():
        since, cpu, wall = None, time.process_time(), time.monotonic()
        while True:
            time.sleep(every)
            cpu_now, wall_now = time.process_time(), time.monotonic()
            gap = wall_now - wall
            if gap > 3 * every or cpu_now - cpu > 0.01 * gap:  # stopped, or working
                since = None
            else:
                since = wall if since is None else since
                if wall_now - since >= stall_s:
                    _restart(stall_s)
            cpu, wall = cpu_now, wall_now

    thread = threading.Thread(target=watch, name="stall-watch", daemon=True)
    thread.start()
    return thread


def _restart(stall_s: float) -> None:
    done = int(os.environ.get(_RESTARTS, "0"))
    sys.stdout.flush()
    if done >= MAX_RESTARTS:
        sys.stderr.write(
            f"error: stalled again (no CPU used for {stall_s:.0f} s) after {done} restarts: stop "
            "other work and run the command again; it resumes from its checkpoints\n"
        )
        sys.stderr.flush()
        os._exit(1)
    os.environ[_RESTARTS] = str(done + 1)
    sys.stderr.write(
        f"warning: no CPU used for {stall_s:.0f} s: XLA's CPU runtime stalled (README, 'Known "
        f"problem'); restarting the command ({done + 1} of {MAX_RESTARTS}), which resumes from "
        "its checkpoints\n"
    )
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def overridden(holder) -> set[str]:
    """The config fields set on the command line (``--config.T=...``: {"T"}; rows: "rows.T100.T")."""
    from ml_collections import config_flags

    return set(config_flags.get_override_values(flags.FLAGS[holder.name]))


def no_arguments(argv: list[str]) -> None:
    """A stray positional argument is an error (a mistyped flag, e.g. ``config.T=5``)."""
    if len(argv) > 1:
        raise ValueError(f"unexpected argument {argv[1]!r}: every setting is a --flag")


def setup(config) -> None:
    """Apply run-wide settings of a config (dtype) and log the environment."""
    if config.get("dtype") not in ("float32", "float64"):
        raise ValueError(f"config.dtype={config.get('dtype')!r}: must be 'float32' or 'float64'")
    if config.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    # XLA's persistent cache, keyed on the program: rows that compile the same program (another
    # initialisation, a rerun of make figures) compile it once. JAX_COMPILATION_CACHE_DIR overrides.
    cache = os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(Path("runs/.jax-cache").absolute())
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    logging.info("jax %s, devices %s", jax.__version__, jax.devices())
    global WATCH
    if WATCH and jax.default_backend() == "cpu":  # once per process
        WATCH = False
        watch_for_stalls()


def check_writable(config, **paths) -> None:
    """Raise a one-line ValueError naming the field, before any compute, if a path a run writes
    could not be written: ``paths`` maps a field of ``config`` (e.g. ``out_dir``) to the path it
    makes (its default where the field is empty)."""
    for name, path in paths.items():
        p = Path(path).absolute()
        if p.is_file():  # replaced atomically: a new file is written beside it
            p = p.parent
        while not p.exists():
            p = p.parent
        if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK) or not _can_create_in(p):
            value = config.get(name, "")
            shown = f"{value!r}" + ("" if value else f" (the default, {path})")
            raise ValueError(
                f"config.{name}={shown}: cannot write there ({p} is not a writable directory); "
                "give a path in a writable directory"
            )


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder``: permission bits do not tell for root, or
    on special file systems (/proc, a read-only mount)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def at_most(config, name: str, budget: str) -> None:
    """``config[name]`` must not exceed ``config[budget]`` (a check interval longer than the budget
    would train a whole chunk past it before the first check)."""
    if config[name] > config[budget]:
        raise ValueError(
            f"config.{name}={config[name]!r}: must be at most the budget config.{budget}="
            f"{config[budget]!r}"
        )


def one_of(config, name: str, allowed) -> None:
    """``config[name]`` must be one of ``allowed`` (one line naming the field and the choices)."""
    if config[name] not in allowed:
        raise ValueError(f"config.{name}={config[name]!r}: must be one of {list(allowed)}")


def items(config, name: str) -> list[str]:
    """A comma-separated list field ("a,b"); an empty item (a stray or trailing comma) is an error."""
    text = str(config[name]).strip()
    if not text:
        return []
    out = [x.strip() for x in text.split(",")]
    if "" in out:
        raise ValueError(f"config.{name}={config[name]!r}: an empty item (a stray comma?)")
    return out


def positive(config, *names: str) -> None:
    """Raise a one-line ValueError for any of ``names`` that is not an integer > 0."""
    for name in names:
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"config.{name}={value!r}: must be an integer > 0")
