"""Every trial block of one or many claims as Ray tasks, merged by trial id as each claim finishes.

Usage (``make install-ray`` installs the pinned ``ray`` extra):
  python -m experiments.run_ray --config=experiments/configs/h97_t7.py:paper \
      --set=only_rows=T100@lstm1997 --block=2          # a local Ray on this machine's cores
  python -m experiments.run_ray --address=auto --cpus_per_task=4 \
      --config=experiments/configs/h97_t1.py:paper --config=experiments/configs/p13_f7.py:paper
  python -m experiments.run_ray --dry_run --config=...  # the plan only: blocks per row and model

Each task is one block of one (row, model) of one claim, run as ``experiments.run`` would run it
from the command line, in a process of its own (one JAX process per task, ``--cpus_per_task`` cores and
``--gpus_per_task`` GPUs):
  python -m experiments.run --config=FILE:PROFILE [--config.NAME=VALUE for each --set]
      --config.only_rows=ROW@MODEL --config.trial_block=LO:HI
in this checkout (the nodes of a cluster must share it, as the tasks of a SLURM array do). A task
that fails or whose worker is killed is retried (``--retries``) and resumes from its block's
checkpoint. When every block of a claim has finished, the claim's command runs once more here,
without ``trial_block`` and with ``run_missing=false``: it merges the blocks by trial id into
exactly the results of one run (``experiments.claims.runner.merge_blocks``) and writes the table and
the figure. Blocks already finished (by an earlier call, a SLURM job or another machine) are not
run again. Every config is parsed and validated here before any task starts; a bad one is one line.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from absl import flags

from experiments import common, run
from experiments.claims import rows as rows_lib
from experiments.claims import runner
from repro import results


@dataclasses.dataclass(frozen=True)
class Claim:
    spec: str  # FILE:PROFILE
    args: tuple[str, ...]  # the --config.NAME=VALUE overrides every command of it gets
    config: object  # the parsed config (overrides applied)
    rows: tuple  # its validated rows (experiments.claims.rows.Row)
    protocol: object


@dataclasses.dataclass(frozen=True)
class Block:
    claim: Claim
    row: str
    model: str
    lo: int  # global trial ids lo ... hi - 1
    hi: int

    def argv(self, python: str = sys.executable) -> list[str]:
        """The command that runs this block, as a user would type it."""
        return [
            python, "-m", run.__name__, f"--config={self.claim.spec}", *self.claim.args,
            f"--config.only_rows={self.row}@{self.model}", f"--config.trial_block={self.lo}:{self.hi}",
        ]  # fmt: skip

    def run_dirs(self) -> list[Path]:
        """The block's directory in every part of its (row, model)."""
        row = self._row()
        dirs = runner.run_dirs(
            self.claim.config, row, self.model, self.claim.protocol.parts(row.config)
        )
        return [runner.block_dir(d, self.lo, self.hi) for d in dirs]

    def identities(self) -> list[dict]:
        row = self._row()
        parts = range(len(self.claim.protocol.parts(row.config)))
        plain = [runner.identity(row, self.model, p, self.claim.protocol) for p in parts]
        return [{**p, "block": [self.lo, self.hi]} for p in plain]

    def done(self) -> bool:
        return all(
            results.is_complete(d, i)
            for d, i in zip(self.run_dirs(), self.identities(), strict=True)
        )

    def solved(self) -> int:
        """Trials of this block solved (every part), from its finished results."""
        return sum(results.load_json(d / "results.json")["n_solved"] for d in self.run_dirs())

    def _row(self):
        return next(r for r in self.claim.rows if r.id == self.row)


def load(spec: str, sets: list[str]) -> Claim:
    """Parse and validate one claim as its driver would, before anything runs.

    Raises:
      ValueError: one line naming the flag or field (a claim computed without trials, which has no
        trial blocks, included).
    """
    if ":" not in spec:
        raise ValueError(
            f"--config={spec}: must be FILE:PROFILE, e.g. experiments/configs/h97_t7.py:paper"
        )
    bad = [s for s in sets if "=" not in s or not s.split("=", 1)[0]]
    if bad:
        raise ValueError(
            f"--set={bad[0]}: must be NAME=VALUE (a config field, as --config.NAME=VALUE)"
        )
    if any(s.startswith("trial_block=") for s in sets):
        raise ValueError("--set=trial_block=...: the runner chooses the blocks (see --block)")
    args = tuple(f"--config.{s}" for s in sets)
    config, overridden = common.parse_config([run.__name__, f"--config={spec}", *args], "")
    protocol = run.protocol_of(config)
    if protocol is None:
        raise ValueError(
            f"--config={spec}: {config.get('claim') or 'this config'} is computed without trials, "
            "so it has no trial blocks: run it with python -m experiments.run"
        )
    rows = rows_lib.rows_of(config, protocol.validate, overridden)
    common.check_writable(config, out_dir=runner.out_dir(config), figure=runner.figure_path(config))
    return Claim(spec, args, config, tuple(rows), protocol)


def plan(claim: Claim, block: int, slots: int) -> list[Block]:
    """The blocks of every selected (row, model) of ``claim`` not finished yet: ``block`` trials
    each (0: the trials split evenly over ``slots`` tasks), in trial order."""
    out = []
    for row in claim.rows:
        for model in rows_lib.models_of(row.config):
            if not runner.selected(claim.config, row, model):
                continue
            trials = row.config.trials
            size = block or math.ceil(trials / max(slots, 1))
            for lo in range(0, trials, size):
                b = Block(claim, row.id, model, lo, min(lo + size, trials))
                if not _merged(claim, row, model) and not b.done():
                    out.append(b)
    return out


def _merged(claim: Claim, row, model: str) -> bool:
    """Whether the (row, model) already has the finished results of a whole run."""
    dirs = runner.run_dirs(claim.config, row, model, claim.protocol.parts(row.config))
    return all(
        results.is_complete(d, runner.identity(row, model, p, claim.protocol))
        for p, d in enumerate(dirs)
    )


def describe(blocks: list[Block]) -> str:
    """The plan, one line per (claim, row, model)."""
    lines, seen = [], {}
    for b in blocks:
        seen.setdefault((b.claim.spec, b.row, b.model), []).append(f"{b.lo}:{b.hi}")
    for (spec, row, model), ranges in seen.items():
        lines.append(f"  {spec} {row}@{model}: {len(ranges)} blocks ({', '.join(ranges)})")
    return "\n".join([f"{len(blocks)} blocks to run", *lines])


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def progress(done: list[Block], blocks: list[Block], elapsed: float) -> str:
    """One line: blocks and trials done, trials solved so far, elapsed time and the ETA."""
    trials = lambda bs: sum(b.hi - b.lo for b in bs)
    n, total = trials(done), trials(blocks)
    eta = elapsed * (total - n) / n if n else math.nan
    solved = sum(b.solved() for b in done)
    return (
        f"[ray] {len(done)}/{len(blocks)} blocks, {n}/{total} trials done, {solved} solved so far; "
        f"elapsed {_duration(elapsed)}, ETA {_duration(eta) if n else '?'}"
    )


def _task(argv: list[str], cwd: str) -> str:
    """One block in its own process; raises (and Ray retries it) if the process fails."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"{' '.join(argv[2:])}: exit {proc.returncode}\n{tail}")
    return argv[-1]


def merge_command(claim: Claim, python: str = sys.executable) -> list[str]:
    """The claim's command without trial_block: merges the finished blocks, writes table and figure."""
    return [
        python,
        "-m",
        run.__name__,
        f"--config={claim.spec}",
        *claim.args,
        "--config.run_missing=false",
    ]


def execute(
    claims: list[Claim], blocks: list[Block], *, cpus: float, gpus: float, retries: int
) -> int:
    """Run ``blocks`` as Ray tasks (``ray.init`` already called), merge each claim once its blocks
    have finished; returns the number of blocks that failed after their retries."""
    import ray

    remote = ray.remote(_task).options(
        num_cpus=cpus, num_gpus=gpus, max_retries=retries, retry_exceptions=True
    )
    cwd, start = str(Path.cwd()), time.perf_counter()
    pending = {remote.remote(b.argv(), cwd): b for b in blocks}
    done, failed = [], 0
    left = {c.spec: sum(b.claim is c for b in blocks) for c in claims}
    for c in claims:
        if not left[c.spec]:  # nothing to run: merge (or redraw) at once
            _merge(c)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        b = pending.pop(ready[0])
        try:
            ray.get(ready[0])
            done.append(b)
            print(progress(done, blocks, time.perf_counter() - start), flush=True)
        except Exception as err:  # noqa: BLE001 (a task's error: reported, the others go on)
            failed += 1
            print(
                f"[ray] block failed after {retries} retries: {str(err).splitlines()[-1]}",
                flush=True,
            )
        left[b.claim.spec] -= 1
        if not left[b.claim.spec]:
            _merge(b.claim)
    return failed


def _merge(claim: Claim) -> None:
    proc = subprocess.run(merge_command(claim), capture_output=True, text=True)
    out = proc.stdout.strip().splitlines()
    where = [line for line in out if Path(line).suffix in (".png", ".pdf") and Path(line).exists()]
    state = "merged" if proc.returncode == 0 else f"merge failed (exit {proc.returncode})"
    print(
        f"[ray] {claim.spec}: {state}; " + (", ".join(where) or proc.stderr.strip()[-300:]),
        flush=True,
    )


def _define_flags() -> None:
    flags.DEFINE_multi_string(
        "config", None, "A claim's config FILE:PROFILE; repeat for several claims."
    )
    flags.DEFINE_multi_string(
        "set", [], "NAME=VALUE: --config.NAME=VALUE for every claim (e.g. only_rows=T100@lstm1997)."
    )
    flags.DEFINE_integer(
        "block", 0, "Trials per block; 0 = each (row, model)'s trials split over the task slots."
    )
    flags.DEFINE_string(
        "address", "", "A running Ray cluster ('auto' or host:port); '' = start a local one here."
    )
    flags.DEFINE_integer("num_cpus", 0, "Cores of the local Ray; 0 = every core of this machine.")
    flags.DEFINE_float("cpus_per_task", 1.0, "Cores Ray reserves for each block's process.")
    flags.DEFINE_float("gpus_per_task", 0.0, "GPUs Ray reserves for each block's process.")
    flags.DEFINE_integer(
        "retries", 3, "Times a failed or killed block is retried (it resumes from its checkpoint)."
    )
    flags.DEFINE_boolean(
        "dry_run", False, "Validate every claim and print the blocks to run; start nothing."
    )


def main(argv):
    common.no_arguments(argv)
    f = flags.FLAGS
    if not f.config:
        raise ValueError("--config: give at least one claim config FILE:PROFILE")
    for name in ("block", "num_cpus", "retries"):
        if f[name].value < 0:
            raise ValueError(f"--{name}={f[name].value}: must be an integer >= 0")
    if not (f.cpus_per_task > 0 and math.isfinite(f.cpus_per_task)):
        raise ValueError(f"--cpus_per_task={f.cpus_per_task}: must be a finite number > 0")
    if not (f.gpus_per_task >= 0 and math.isfinite(f.gpus_per_task)):
        raise ValueError(f"--gpus_per_task={f.gpus_per_task}: must be a finite number >= 0")
    claims = [load(spec, f.set) for spec in f.config]
    cores = f.num_cpus or os.cpu_count() or 1
    if not f.dry_run:
        try:
            import ray
        except ImportError:
            raise ValueError(
                "the Ray runner needs the optional extra: pip install 'repro[ray]' (or make install-ray)"
            ) from None
        if f.address:
            ray.init(address=f.address, log_to_driver=False)
        else:
            ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
        cores = int(ray.cluster_resources().get("CPU", cores))
    slots = max(1, int(cores // f.cpus_per_task))
    blocks = [b for c in claims for b in plan(c, f.block, slots)]
    print(describe(blocks), flush=True)
    if f.dry_run:
        return
    failed = execute(claims, blocks, cpus=f.cpus_per_task, gpus=f.gpus_per_task, retries=f.retries)
    if failed:
        raise ValueError(
            f"{failed} blocks failed; run the same command again to retry them (finished blocks are kept)"
        )


if __name__ == "__main__":
    # The flags are defined only when run as a script, so tests can import the module.
    _define_flags()
    common.run(main)
