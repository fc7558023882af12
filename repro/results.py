"""Run directories: provenance, atomic writes, and reuse of finished work.

Every results file records where it came from (git commit, package versions, devices, wall time).
Writes go to a temporary file in the same directory and are renamed into place, so a reader never
sees half a file and a killed run leaves no partial result behind.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import struct
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RunDirBusy",
    "atomic_write",
    "atomic_write_json",
    "atomic_write_npz",
    "code_state",
    "write_json_with_provenance",
    "is_complete",
    "jsonable",
    "load_json",
    "locked",
    "provenance",
    "write_run",
]

PACKAGES = ("jax", "jaxlib", "flax", "optax", "chex", "numpy", "matplotlib", "ml_collections")


class RunDirBusy(ValueError):
    """Another process holds a run directory's lock."""


@contextlib.contextmanager
def locked(run_dir: str | os.PathLike):
    """Hold ``run_dir``'s lock (``.lock``, an advisory ``flock``) for the ``with`` block, so that two
    runs never append to one directory; a second raises :class:`RunDirBusy` at once. The kernel
    drops the lock when the holder exits, even on kill -9."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    fh = open(run_dir / ".lock", "a")  # noqa: SIM115 (held for the block)
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirBusy(
                f"{run_dir}: another run is using this directory; wait for it to end or choose "
                "another out_dir"
            ) from None
        yield run_dir
    finally:
        fh.close()


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (/proc/self/status)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same directory, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # the user's umask, not mkstemp's 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("jax"):
        return np.asarray(obj).tolist()
    return obj


def jsonable(obj: Any) -> Any:
    """``obj`` as JSON would give it back (numpy arrays and scalars as lists and numbers)."""
    return _jsonable(obj)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    text = json.dumps(_jsonable(obj), indent=2, sort_keys=True, allow_nan=True) + "\n"
    return atomic_write(path, text.encode())


def write_json_with_provenance(path: str | os.PathLike, obj: dict) -> Path:
    """``obj`` and its ``provenance()`` as JSON, atomically; left as it is when the file already
    holds the same content (provenance aside), so re-deriving a result leaves its file unchanged."""
    path = Path(path)
    try:
        old = load_json(path)
    except (OSError, json.JSONDecodeError):
        old = None
    if isinstance(old, dict) and "provenance" in old:
        text = lambda o: json.dumps(o, sort_keys=True, allow_nan=True)  # NaN == NaN as text
        same = {k: v for k, v in old.items() if k != "provenance"}
        if text(same) == text(json.loads(text(_jsonable(obj)))):
            return path
    return atomic_write_json(path, {**obj, "provenance": provenance()})


def atomic_write_npz(path: str | os.PathLike, **arrays) -> Path:
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return atomic_write(path, buf.getvalue())


def load_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def cached_json(path: str | os.PathLike, source: dict, compute: Callable[[], dict]) -> dict:
    """The dict stored at ``path`` if it was computed from ``source`` (its ``"source"`` entry), else
    ``{"source": source, "provenance": ..., **compute()}``, written atomically first: an analysis
    redone only when what it reads changes. ``provenance`` (``provenance()``, with the seconds
    ``compute`` took) says what computed it: the code, the packages, the XLA flags. They are not
    part of the key, so a committed analysis is kept when the code or compiler settings move."""
    path = Path(path)
    old = load_json(path) if path.exists() else {}
    if old.get("source") != _jsonable(source):
        start = time.perf_counter()
        computed = compute()
        old = {"source": source, "provenance": provenance(time.perf_counter() - start), **computed}
        atomic_write_json(path, old)
    return _jsonable(old)


def _git(*args: str, cwd: str | os.PathLike | None = None) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=cwd or Path(__file__).resolve().parent,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


# What the code's state leaves out: the results and figures being (re)written and the docs.
OUTPUTS = ("runs", "figures", "*.md")


def command() -> str | None:
    """The command that started this process, ``python -m MODULE ARGS`` (what redraws or reruns its
    outputs), or None when it was not started as a module (an interpreter, a test runner)."""
    import shlex
    import sys

    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is None or not spec.name.startswith("experiments."):
        return None
    # whether missing runs are trained says nothing about what is drawn: left out, so that a redraw
    # (run_missing=false) and a run (true) record the same command and write the same bytes
    args = [a for a in sys.argv[1:] if not a.startswith("--config.run_missing=")]
    module = spec.name.removesuffix(".__main__")  # python -m PACKAGE runs PACKAGE.__main__
    return shlex.join(["python", "-m", module, *args])


def code_state(cwd: str | os.PathLike | None = None) -> dict[str, Any]:
    """The commit, whether the code differs from it (files under ``OUTPUTS`` do not count), and the
    sha256 of that difference, so the exact code is the commit plus a diff with that hash. Every
    None outside a git checkout. ``cwd``: a directory in the checkout (default: this package's)."""
    spec = (":/", *(f":(top,exclude){p}" for p in OUTPUTS))
    status = _git("status", "--porcelain", "--untracked-files=no", "--", *spec, cwd=cwd)
    diff = _git("diff", "HEAD", "--", *spec, cwd=cwd) if status else None
    return {
        "git_commit": _git("rev-parse", "HEAD", cwd=cwd),
        "git_dirty": None if status is None else bool(status),
        "git_diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
    }


def provenance(wall_time_s: float | None = None) -> dict[str, Any]:
    """Where a result came from: commit, dirty flag, versions, devices, XLA flags, host, time.

    ``xla_flags`` is the XLA_FLAGS environment variable, which the backend reads when it starts
    (the commands set theirs at import, before that: experiments/common.py)."""
    import jax  # local: importing this module must not initialise a backend

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        **code_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "devices": [str(d) for d in jax.devices()],
        "device_kind": jax.devices()[0].device_kind,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "cpu_count": os.cpu_count(),
        "utc_time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": wall_time_s,
    }


def holds(run_dir: str | os.PathLike, config: dict) -> bool:
    """True when ``run_dir`` holds a run (finished or not) of exactly this ``config``."""
    try:
        return load_json(Path(run_dir) / "config.json") == _jsonable(config)
    except (OSError, json.JSONDecodeError):
        return False


def is_complete(run_dir: str | os.PathLike, config: dict) -> bool:
    """True when ``run_dir`` holds finished results for exactly this ``config``."""
    return holds(run_dir, config) and (Path(run_dir) / "results.json").exists()


def write_run(
    run_dir: str | os.PathLike,
    config: dict,
    results: dict,
    *,
    wall_time_s: float,
    arrays: dict | None = None,
) -> Path:
    """Write config.json, the arrays (results.npz) and results.json (with provenance), in that order,
    so that results.json, written last, marks the run as complete."""
    run_dir = Path(run_dir)
    atomic_write_json(run_dir / "config.json", config)
    if arrays:
        atomic_write_npz(run_dir / "results.npz", **arrays)
    return atomic_write_json(
        run_dir / "results.json", {**results, "provenance": provenance(wall_time_s)}
    )


def png_text(path: Path) -> dict[str, str]:
    """The text chunks of a PNG (tEXt, zTXt, iTXt), keyword -> text."""
    data, out, i = path.read_bytes(), {}, 8  # after the signature
    while i + 8 <= len(data):
        (length,), kind = struct.unpack(">I", data[i : i + 4]), data[i + 4 : i + 8]
        body = data[i + 8 : i + 8 + length]
        i += 12 + length
        key, _, rest = body.partition(b"\0")
        if kind == b"tEXt":
            out[key.decode("latin-1")] = rest.decode("latin-1")
        elif kind == b"zTXt":
            out[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            out[key.decode("latin-1")] = (zlib.decompress(text) if compressed else text).decode()
        elif kind == b"IEND":
            break
    return out
