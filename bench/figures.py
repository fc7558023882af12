"""Where ``make figures`` spends its time: per config, wall and CPU seconds and XLA's share of them.

``make bench-figures`` runs ``make figures`` with every config's command wrapped by this module: it
runs ``python -m experiments.run ARGS`` with ``JAX_LOG_COMPILES=1`` (JAX logs every program it
traces, lowers and compiles or loads from its cache, with the seconds each took), the command's
stderr into ``LOG_DIR/<config>_<profile>.err`` (a rerun replaces it), and appends the commit that
ran (``CODE``), its exit status (``EXIT``) and a line ``TIME <wall> wall <cpu> user`` (seconds; the
CPU time is the command's user time, restarts after a stall and their idle time included). Then it
writes the table of those logs (``--txt``, ``--json``) and prints it: compilation (XLA's compile,
and JAX's tracing and lowering) against the rest (training, evaluation, drawing, start-up, a
stall's wait). Run it on a fresh clone: a run directory or a compilation cache left by an earlier
run is reused, and the table then measures less.

Usage:
  make bench-figures                          # about 25 minutes on 2 cores
  python -m bench.figures --logs=DIR -- ARGS  # one command, wrapped (what make runs)
  python -m bench.figures --logs=DIR          # the table of the logs in DIR (--txt, --json)
"""

from __future__ import annotations

import datetime
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import jax
from absl import app, flags

from bench import cpu_model
from repro import results

_LOGS = flags.DEFINE_string("logs", None, "Folder of the per-config logs.", required=True)
_JSON = flags.DEFINE_string("json", "", "Also write the table's numbers here (the docs cite them).")
_TXT = flags.DEFINE_string("txt", "", "Also write the printed text here.")
_NOTE = flags.DEFINE_string("note", "", "A line on how the logs were made, printed and stored.")

_FINISHED = re.compile(
    r"Finished (XLA compilation|tracing|jaxpr to MLIR module conversion) .* in ([0-9.e+-]+) sec"
)
_TIME = re.compile(r"^TIME ([0-9.]+) wall ([0-9.]+) user")
_EXIT = re.compile(r"^EXIT (-?\d+)$")
_CODE = re.compile(r"^CODE (\S+)")


def log_name(args: list[str]) -> str:
    """``<config>_<profile>`` of a command's ``--config=experiments/configs/NAME.py:PROFILE``."""
    for a in args:
        m = re.fullmatch(r"--config=(?:.*/)?([A-Za-z0-9_]+)\.py(?::([A-Za-z0-9_]+))?", a)
        if m:
            return f"{m[1]}_{m[2] or 'default'}"
    raise ValueError(f"no --config=PATH.py[:PROFILE] among the command's arguments {args}")


def wrap(args: list[str], log_dir: Path) -> int:
    """Run ``python -m experiments.run ARGS`` with JAX's compile log, its stderr into the config's
    log; append its wall and CPU seconds there. Returns its exit status."""
    path = log_dir / f"{log_name(args)}.err"
    env = {**os.environ, "JAX_LOG_COMPILES": "1"}
    state = results.code_state()
    code_line = f"CODE {state['git_commit'] or 'unknown'} dirty={state['git_dirty']}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.monotonic()
    with path.open("w") as err:
        code = subprocess.run(
            [sys.executable, "-m", "experiments.run", *args], stderr=err, env=env
        ).returncode
        wall = time.monotonic() - start
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
        # on lines of their own, even after a child killed in the middle of one
        err.write(f"\n{code_line}\nEXIT {code}\nTIME {wall:.2f} wall {cpu:.2f} user\n")
    print(f"{path.stem}: {wall:.1f} s (exit {code}; log {path})", flush=True)
    return code


def measure(path: Path) -> dict:
    """One log's seconds: wall, CPU, XLA compile, tracing + lowering; programs compiled or loaded
    from the cache; stall restarts; exit status and commit (None where the log does not say)."""
    out = {"wall": None, "cpu": None, "xla": 0.0, "trace": 0.0, "programs": 0, "restarts": 0}
    out.update(exit=None, commit=None)
    for line in path.read_text(errors="replace").splitlines():
        if m := _FINISHED.search(line):
            if m[1] == "XLA compilation":
                out["xla"] += float(m[2])
                out["programs"] += 1
            else:
                out["trace"] += float(m[2])
        elif m := _TIME.match(line):
            out["wall"], out["cpu"] = float(m[1]), float(m[2])
        elif m := _EXIT.match(line):
            out["exit"] = int(m[1])
        elif m := _CODE.match(line):
            out["commit"] = m[1]
        elif "restarting the command" in line:
            out["restarts"] += 1
    return out


def summary(log_dir: Path) -> dict:
    """Every finished config's seconds (longest first; ``compile`` = XLA's compile + tracing and
    lowering, ``rest`` = wall - compile), their totals, and the configs without a TIME line."""
    logs = {p.stem: measure(p) for p in sorted(log_dir.glob("*.err"))}
    unfinished = sorted(k for k, r in logs.items() if r["wall"] is None)
    rows = [{"config": k, **r} for k, r in logs.items() if r["wall"] is not None]
    if not rows:
        raise ValueError(f"--logs={str(log_dir)!r}: no finished config's log (*.err) in it")
    rows.sort(key=lambda r: -r["wall"])
    keys = ("wall", "cpu", "xla", "trace", "programs", "restarts")
    total = {k: sum(r[k] for r in rows) for k in keys}
    for r in (*rows, total):
        r["compile"] = r["xla"] + r["trace"]
        r["rest"] = r["wall"] - r["compile"]
        r["share"] = r["compile"] / r["wall"] if r["wall"] else None
    commits = sorted({r["commit"] or "not recorded" for r in rows})
    failed = [r["config"] for r in rows if r["exit"] not in (0, None)]
    return {
        "rows": rows,
        "total": total,
        "configs": len(rows),
        "unfinished": unfinished,
        "failed": failed,
        "commits": commits,
    }


def table(log_dir: Path) -> str:
    """The markdown table of every finished config's log in ``log_dir``, longest first."""
    return markdown(summary(log_dir))


def markdown(s: dict) -> str:
    """The markdown table of a ``summary``."""
    lines = [
        "| config | wall s | CPU (user) s | XLA compile s | tracing + lowering s | programs | "
        "compilation / wall |",
        "|---|---|---|---|---|---|---|",
    ]
    share = lambda r: "–" if r["share"] is None else f"{r['share']:.0%}"
    for r in s["rows"]:
        note = f" ({r['restarts']} stall restarted)" if r["restarts"] else ""
        note += f" (exit {r['exit']})" if r["exit"] not in (0, None) else ""
        lines.append(
            f"| {r['config']}{note} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['xla']:.1f} | "
            f"{r['trace']:.1f} | {r['programs']} | {share(r)} |"
        )
    t = s["total"]
    lines.append(
        f"| **all {s['configs']} configs** | {t['wall']:.1f} | {t['cpu']:.1f} | {t['xla']:.1f} | "
        f"{t['trace']:.1f} | {t['programs']} | {share(t)} |"
    )
    if s["unfinished"]:
        lines.append(f"\nNot finished (no TIME line): {', '.join(s['unfinished'])}")
    return "\n".join(lines)


def main(argv):
    log_dir = Path(_LOGS.value)
    if argv[1:]:  # a command to wrap
        try:
            log_name(argv[1:])
        except ValueError as err:
            sys.exit(f"error: {err}")
        log_dir.mkdir(parents=True, exist_ok=True)
        sys.exit(wrap(argv[1:], log_dir))
    if not log_dir.is_dir():
        sys.exit(f"error: --logs={_LOGS.value!r}: no such folder")
    for name, value in (("json", _JSON.value), ("txt", _TXT.value)):
        if value and not Path(value).parent.is_dir():
            sys.exit(f"error: --{name}={value!r}: its folder does not exist")
    try:
        got = summary(log_dir)
    except ValueError as err:
        sys.exit(f"error: {err}")
    body = markdown(got)
    head = {"date": str(datetime.date.today()), "cpu": cpu_model(), "cores": os.cpu_count()}
    head.update(jax=jax.__version__, note=_NOTE.value)
    if _JSON.value:
        results.atomic_write_json(_JSON.value, {**head, **got})
    text = "\n".join([
        f"{head['date']}, {head['cpu']}, {head['cores']} cores; jax {head['jax']}; the logs' "
        f"commit: {', '.join(got['commits'])}",
        *([_NOTE.value] if _NOTE.value else []),
        "Per config of make figures: wall and CPU seconds of its command; XLA's compile seconds "
        "and JAX's tracing and lowering seconds, summed over the programs it compiled or loaded "
        "from the cache (JAX_LOG_COMPILES); compilation / wall = both over the wall time.",
        "",
        body,
    ])  # fmt: skip
    if _TXT.value:
        results.atomic_write(_TXT.value, (text + "\n").encode())
    print(text)


if __name__ == "__main__":
    app.run(main)
