"""The cost model: what every trained claim's paper profile costs, measured, before anyone launches it.

For every trained claim (a config whose driver trains trials: ``experiments.run_ray.load``) at its
paper profile (``full`` for the practitioners' questions), every row and model:
- the budget in trial-updates: trials × parts (H97 Exp. 1's data pairs) × the budget of one trial in
  updates (its ``max_sequences`` over the sequences one update draws). An upper bound: a trial that
  solves its task stops early, and most rows have unsolved trials that do run to the cap.
- the cost of one trial-update, measured here: the row's real training program (problem,
  optimiser, stopping rules) with n trials vmapped in one jitted chunk of ``--updates`` updates, its
  frozen-weight check left out and timed on its own (one check of n trials), so that one
  trial-update costs update + check / eval_every. Rows whose programs have the same shapes (model,
  parameter shapes, batch shapes; e.g. the same net at another learning rate) are timed once.
- the projection: hours on this machine (the cost at the largest measured n not above the row's
  trials, else the smallest measured n; every trial to its cap), on one GPU (only where ``--gpu_results`` gives a GPU's measurements of the same
  programs) and on an N-core Ray cluster (``--cores``): this machine's hours × its cores / N, but never
  less than the longest single trial (a trial is one process's work).

Writes ``bench/results/cost.json`` (every measurement, the CPU or GPU model, the date, provenance)
and ``bench/results/cost.md`` (the table the README includes); prints the table.

Usage: python -m bench.cost [--claims h97_t1,p13_f7] [--trials_per_program 1,10,100]
       python -m bench.cost --gpu_results=bench/results/cost_gpu.json   # on a GPU machine: --out=...
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from absl import flags

from bench import cpu_model
from experiments import common, run_ray
from experiments.claims import rows as rows_lib
from experiments.claims.table import hours
from repro import results, train

ROOT = Path(__file__).resolve().parents[1]


def profile_of(name: str) -> str:
    """A config's full-scale profile: "paper", or "full" (the practitioners' questions)."""
    module = __import__(f"experiments.configs.{name}", fromlist=["get_config"])
    for profile in ("paper", "full"):
        try:
            module.get_config(profile)
            return profile
        except ValueError:
            continue
    raise ValueError(f"{name}: has no paper or full profile")


def trained_claims(names: list[str]) -> list[run_ray.Claim]:
    """Every named config (all when empty) that trains trials, loaded at its full profile."""
    every = sorted(p.stem for p in (ROOT / "experiments/configs").glob("*.py") if p.stem[0] != "_")
    for name in names:
        if name not in every:
            raise ValueError(f"--claims={','.join(names)}: {name!r} is no config; known: {every}")
    out = []
    for name in names or every:
        spec = f"experiments/configs/{name}.py:{profile_of(name)}"
        try:
            out.append(run_ray.load(spec, []))
        except ValueError as err:
            if "computed without trials" not in str(err):
                raise
    return out


@dataclasses.dataclass
class Entry:
    claim: str
    spec: str
    row: str
    model: str
    trials: int  # per part
    parts: int
    budget_updates: int  # one trial's cap, in updates
    sequences_per_update: int
    eval_every: int
    key: str  # the program's shapes: rows with the same key are timed once


def entries(claim: run_ray.Claim) -> list[tuple[Entry, object]]:
    out = []
    for row in claim.rows:
        c = row.config
        for model in rows_lib.models_of(c):
            t = claim.protocol.build(c, model, 0)
            batch = jax.eval_shape(t.problem.sample, jax.random.key(0))
            params = jax.eval_shape(t.problem.init, jax.random.key(0))
            per_update = int(batch.inputs.shape[0])
            shapes = [tuple(x.shape) for x in jax.tree.leaves(batch)] + [
                (tuple(x.shape), str(x.dtype)) for x in jax.tree.leaves(params)
            ]
            key = json.dumps([model, c.get("task", ""), str(shapes)])
            e = Entry(
                claim=c.claim, spec=claim.spec, row=row.id, model=model, trials=c.trials,
                parts=len(claim.protocol.parts(c)),
                budget_updates=math.ceil(t.schedule.max_sequences / per_update),
                sequences_per_update=per_update, eval_every=t.schedule.eval_every, key=key,
            )  # fmt: skip
            out.append((e, t))
    return out


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    return time.perf_counter() - t0


def measure(t, n: int, updates: int, repeats: int) -> dict:
    """Seconds per trial-update (the check left out), n trials in one program."""
    sch = dataclasses.replace(
        t.schedule, trials=n, eval_every=updates, evals_per_chunk=1, max_sequences=2**31 - 1,
        milestones=t.schedule.milestones, gate_eval=False,
    )  # fmt: skip
    trainer = train.Trainer(dataclasses.replace(t.problem, evaluate=None), t.optimizer, sch)
    ids = jnp.arange(n)
    state = trainer.init(ids)
    t0 = time.perf_counter()
    state, m = trainer.chunk(state, ids)  # compiles (the state is donated: keep the new one)
    jax.block_until_ready((state, m))
    compile_s = time.perf_counter() - t0
    per = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state, m = trainer.chunk(state, ids)
        jax.block_until_ready((state, m))
        per.append((time.perf_counter() - t0) / (n * updates))
    return {"update_s": float(np.median(per)), "compile_s": compile_s}


def measure_check(t, repeats: int) -> float | None:
    """Seconds of one frozen-weight check of one trial (None: the problem has none). A check is
    a large batch of its own, so its cost per trial hardly falls with more trials per program; one
    trial also keeps the largest checks (H97 Exp. 3 at T = 1000) within this machine's memory."""
    if t.problem.evaluate is None:
        return None
    check = jax.jit(t.problem.evaluate)
    params, key = t.problem.init(jax.random.key(0)), jax.random.key(1)
    _timed(check, params, key)  # compiles
    return float(np.median([_timed(check, params, key) for _ in range(repeats)]))


def nearest(costs: dict, trials: int) -> tuple[int, float]:
    """(n, seconds per trial-update) at the largest measured n not above ``trials`` (else the
    smallest measured)."""
    ns = sorted(int(n) for n in costs)
    fit = [n for n in ns if n <= trials] or ns[:1]
    return fit[-1], costs[str(fit[-1])]


def per_trial_update(m: dict, check_s: float | None, eval_every: int) -> float:
    """A trial-update's seconds: the update, and its share of the check every eval_every."""
    return m["update_s"] + (check_s or 0.0) / eval_every


def project(
    entry: dict, programs: dict, cores_here: int, clusters: list[int], gpu: dict, alone: float = 1.0
) -> dict:
    """The entry's budget in trial-updates and its projected hours. ``alone``: how much dearer a
    trial-update is with one trial per program than at the smallest n measured for this entry's
    program (its model's ratio, measured on another program of the model; 1 if n = 1 was timed)."""
    program = programs[entry["key"]]
    total = entry["trials"] * entry["parts"] * entry["budget_updates"]
    if "error" in program:  # not measured here: no projection
        return {"trial_updates": total, "failed": program["error"]}
    m_all, check_s = program["costs"], program.get("check_s")
    n, m = nearest(m_all, entry["trials"])
    cost = per_trial_update(m, check_s, entry["eval_every"])
    n1, m1 = nearest(m_all, 1)
    one = m1["update_s"] * (1.0 if n1 == 1 else alone) + (check_s or 0.0) / entry["eval_every"]
    total = entry["trials"] * entry["parts"] * entry["budget_updates"]
    out = {
        "trial_updates": total,
        "n_timed": n,
        "s_per_trial_update": cost,
        "hours_here": total * cost / 3600,
        "longest_trial_hours": entry["budget_updates"] * one / 3600,
    }
    for cores in clusters:
        out[f"hours_{cores}_cores"] = max(
            out["hours_here"] * cores_here / cores, out["longest_trial_hours"]
        )
    if entry["key"] in gpu:
        other = gpu[entry["key"]]
        g = nearest(other["costs"], entry["trials"])[1]
        out["hours_gpu"] = (
            total * per_trial_update(g, other.get("check_s"), entry["eval_every"]) / 3600
        )
    return out


def markdown(saved: dict) -> str:
    clusters = saved["clusters"]
    gpu = saved.get("gpu_device")
    head = ["claim", "rows × models", "trial-updates (cap)", "this CPU", "one GPU"] + [
        f"{c} cores (Ray)" for c in clusters
    ]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    by_claim: dict[str, list] = {}
    for e in saved["entries"]:
        by_claim.setdefault(e["claim"], []).append(e)
    failed = 0
    for claim, es in by_claim.items():
        p = [e["projection"] for e in es if "failed" not in e["projection"]]
        lost = len(es) - len(p)
        failed += lost
        total = sum(x["hours_here"] for x in p)
        longest = max((x["longest_trial_hours"] for x in p), default=0.0)
        gpu_h = sum(x["hours_gpu"] for x in p) if p and all("hours_gpu" in x for x in p) else None
        more = f" + {lost} not measured" if lost else ""
        cells_ = [
            f"{claim} ({es[0]['spec'].rsplit(':', 1)[1]})",
            str(len(es)),
            f"{sum(e['projection']['trial_updates'] for e in es):.2g}",
            hours(total) + more,
            hours(gpu_h),
        ] + [hours(max(total * saved["cores"] / c, longest)) + more for c in clusters]
        lines.append("| " + " | ".join(cells_) + " |")
    when = saved["date"]
    lines += [
        "",
        "Throughput as trials per program grow (µs per update of one trial, its check left out, "
        "this CPU; – : not timed, a "
        f"chunk would have taken over {saved.get('max_chunk_s', 20):g} s):",
        "",
    ]
    lines += scaling_table(saved["scaling"])
    lines += [
        "",
        f"Measured {when} on {saved['cpu']} ({saved['cores']} cores, {saved['device']}); "
        + (f"GPU: {gpu}. " if gpu else "no GPU measured yet (`python -m bench.cost` on one). ")
        + f"{len(saved['programs'])} distinct programs (model, parameter and batch shapes) timed "
        f"at {', '.join(saved['ns'])} trials per program, the first of each model also at "
        f"{', '.join(sorted({n for s in saved['scaling'].values() for n in s['costs']}, key=int))}. A trial-update is one update of one trial (plus its share of the checks); "
        "the budget assumes every trial runs to its cap (solved trials stop earlier). Cluster "
        "times assume the trials split into blocks over processes of this machine's size, and are "
        "never shorter than the longest single trial. "
        + (
            f"{failed} rows × models could not be measured here (their programs' errors, e.g. out "
            "of memory, are in `bench/results/cost.json`). "
            if failed
            else ""
        )
        + "Generated by `python -m bench.cost`.",
    ]
    return "\n".join(lines) + "\n"


def _program(e: Entry, t, ns: list[int], scale_ns: list[int]) -> dict:
    """One program's costs at each n (and its check); a failure (e.g. out of memory) is recorded,
    not raised, so that one program does not stop the table."""
    updates, costs = min(_UPDATES.value, e.eval_every), {}
    try:
        for n in sorted(set(ns) | set(scale_ns)):
            if (
                n not in ns
                and costs
                and _chunk_s(costs, updates) * n / max(map(int, costs)) > _MAX_CHUNK.value
            ):
                continue  # the throughput table's larger n: a chunk would take too long here
            costs[str(n)] = measure(t, n, updates, _REPEATS.value)
        return {"costs": costs, "check_s": measure_check(t, _REPEATS.value), "updates": updates}
    except jax.errors.JaxRuntimeError as err:
        return {"costs": costs, "error": str(err).splitlines()[0][:200], "updates": updates}


def _chunk_s(m: dict, updates: int) -> float:
    """Seconds of one timed chunk at the largest n measured so far."""
    n = max(map(int, m))
    return m[str(n)]["update_s"] * n * updates


def _ints(flag) -> list[int]:
    try:
        out = [int(v) for v in flag.value]
    except ValueError:
        out = [0]
    if not out or min(out) < 1:
        raise ValueError(f"--{flag.name}={','.join(flag.value)}: must list integers >= 1")
    return out


def scaling_table(scaling: dict) -> list[str]:
    """Per model: µs per trial-update as the trials per program grow."""
    ns = sorted({int(n) for s in scaling.values() for n in s["costs"]})
    lines = [
        "| model (program) | " + " | ".join(f"n = {n}" for n in ns) + " |",
        "|---|" + "---|" * len(ns),
    ]
    for model, s in scaling.items():
        got = s["costs"]
        cells_ = [f"{got[str(n)]['update_s'] * 1e6:,.1f} µs" if str(n) in got else "–" for n in ns]
        lines.append(f"| {model} ({s['claim']} {s['row']}) | " + " | ".join(cells_) + " |")
    return lines


def _measure(todo, programs: dict, partial: Path, setting: dict, ns, scale_ns) -> dict:
    """Time every program of ``todo`` not in ``programs`` (filled in place, saved to ``partial``
    after each); returns each model's first entry (timed at every scale_ns: the throughput table)."""
    firsts = {}
    for e, t in todo:
        firsts.setdefault(e.model, e)
        if e.key not in programs:
            # recorded as failed first: a program that hangs or kills the process (it happens in
            # XLA here) is skipped when the bench is run again, and says so in the table
            programs[e.key] = {"costs": {}, "error": "did not finish (the process hung or died)"}
            results.atomic_write_json(partial, {"setting": setting, "programs": programs})
            programs[e.key] = _program(e, t, ns, scale_ns if firsts[e.model] is e else [])
            results.atomic_write_json(partial, {"setting": setting, "programs": programs})
        got = programs[e.key]
        timed = ", ".join(f"n={n}: {c['update_s'] * 1e6:,.1f} µs" for n, c in got["costs"].items())
        print(f"{e.claim} {e.row} {e.model}: {got.get('error') or timed}", flush=True)
    return firsts


def main(argv):
    common.no_arguments(argv)
    ns, scale_ns = _ints(_N), _ints(_SCALING)
    clusters = _ints(_CORES)
    if _UPDATES.value < 1 or _REPEATS.value < 1:
        raise ValueError("--updates and --repeats: integers >= 1")
    if not (0 < _MAX_CHUNK.value < math.inf):
        raise ValueError(f"--max_chunk_s={_MAX_CHUNK.value}: must be a finite number > 0")
    common.check_writable(_OUT.value)
    claims = trained_claims(_CLAIMS.value)
    todo = [(e, t) for claim in claims for e, t in entries(claim)]
    partial = Path(_OUT.value).with_suffix(".partial.json")  # a killed bench goes on from here
    setting = {"updates": _UPDATES.value, "repeats": _REPEATS.value, "ns": ns, "scale": scale_ns}
    programs: dict[str, dict] = {}
    if partial.exists() and results.load_json(partial).get("setting") == setting:
        programs = results.load_json(partial)["programs"]
    print(f"{len(todo)} rows × models, {len(set(e.key for e, _ in todo))} distinct programs")
    firsts = _measure(todo, programs, partial, setting, ns, scale_ns)
    scaling = {
        model: {"claim": e.claim, "row": e.row, "key": e.key, "costs": programs[e.key]["costs"]}
        for model, e in firsts.items()
        if programs[e.key]["costs"]
    }
    alone = {}  # per model: cost at n = 1 over cost at the smallest n of ns
    for model, sc in scaling.items():
        c = sc["costs"]
        small = str(min(ns))
        alone[model] = c["1"]["update_s"] / c[small]["update_s"] if {"1", small} <= set(c) else 1.0
    gpu, gpu_device = {}, None
    other = Path(_GPU.value) if _GPU.value else None
    if other and other.exists() and other.resolve() != Path(_OUT.value).resolve():
        gpu_saved = results.load_json(other)
        gpu, gpu_device = gpu_saved["programs"], gpu_saved["device"]
    device, cores = jax.devices()[0], os.cpu_count() or 1
    saved = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cores": cores,
        "device": f"{device.platform}: {device.device_kind}",
        "ns": [str(n) for n in ns],
        "max_chunk_s": _MAX_CHUNK.value,
        "scaling": scaling,
        "clusters": clusters,
        "programs": programs,
        "gpu_device": gpu_device,
        "entries": [
            {
                **(d := dataclasses.asdict(e)),
                "projection": project(d, programs, cores, clusters, gpu, alone.get(e.model, 1.0)),
            }
            for e, _ in todo
        ],
    }
    results.atomic_write_json(_OUT.value, {**saved, "provenance": results.provenance()})
    text = markdown(saved)
    results.atomic_write(Path(_OUT.value).with_suffix(".md"), text.encode())
    print(text)


def _define_flags() -> None:
    """The command line's flags (defined only when run as a script, so that tests can import
    this module beside the other benchmarks, which define flags of the same names)."""
    global _CLAIMS, _N, _SCALING, _UPDATES, _REPEATS, _MAX_CHUNK, _CORES, _OUT, _GPU
    _CLAIMS = flags.DEFINE_list(
        "claims", [], "Config names (e.g. h97_t1,p13_f7); empty = every trained claim's config."
    )
    _N = flags.DEFINE_list(
        "trials_per_program", ["10"], "Trials vmapped in one program, timed for every program."
    )
    _SCALING = flags.DEFINE_list(
        "scaling",
        ["1", "10", "100"],
        "Trials per program timed for the first program of each model (the throughput table).",
    )
    _UPDATES = flags.DEFINE_integer("updates", 20, "Updates per timed chunk (at most eval_every).")
    _REPEATS = flags.DEFINE_integer("repeats", 3, "Timed chunks per program; the median is kept.")
    _MAX_CHUNK = flags.DEFINE_float(
        "max_chunk_s", 20.0, "The throughput table stops growing n once a chunk would take longer."
    )
    _CORES = flags.DEFINE_list("cores", ["64", "512"], "Cluster sizes (cores) for the projection.")
    _OUT = flags.DEFINE_string("out", "bench/results/cost.json", "Where the measurements go.")
    _GPU = flags.DEFINE_string(
        "gpu_results", "bench/results/cost_gpu.json", "A GPU machine's measurements (if present)."
    )


if __name__ == "__main__":
    _define_flags()
    common.run(main)
