"""The Ray runner: claims validated before anything runs, the plan of trial blocks, and (slow, with
the ray extra) a claim run through a local Ray equal to the plain run."""

import json
import subprocess
import sys

import pytest

from experiments import run_ray
from experiments.claims import runner
from repro import results

T7 = "experiments/configs/h97_t7.py:quick"
TINY = ["max_sequences=200", "evals_per_chunk=1", "test_sequences=64", "eval_every=100"]


def _sets(tmp_path, *more):
    return [*TINY, f"out_dir={tmp_path}/out", f"figure={tmp_path}/fig", *more]


def test_plan_splits_every_selected_row_and_model_into_blocks(tmp_path):
    claim = run_ray.load(T7, _sets(tmp_path, "trials=5"))  # one row, two models
    blocks = run_ray.plan(claim, block=2, slots=8)
    assert [(b.row, b.model, b.lo, b.hi) for b in blocks] == [
        ("T100", "lstm1997", 0, 2), ("T100", "lstm1997", 2, 4), ("T100", "lstm1997", 4, 5),
        ("T100", "rnn_tanh", 0, 2), ("T100", "rnn_tanh", 2, 4), ("T100", "rnn_tanh", 4, 5),
    ]  # fmt: skip
    # block=0: each (row, model)'s trials split evenly over the task slots
    assert [(b.lo, b.hi) for b in run_ray.plan(claim, block=0, slots=2)][:2] == [(0, 3), (3, 5)]
    argv = blocks[1].argv("python")
    assert argv[:4] == ["python", "-m", "experiments.run", f"--config={T7}"]
    assert argv[-2:] == ["--config.only_rows=T100@lstm1997", "--config.trial_block=2:4"]
    assert f"--config.out_dir={tmp_path}/out" in argv and "--config.trials=5" in argv
    assert "T100@rnn_tanh: 3 blocks (0:2, 2:4, 4:5)" in run_ray.describe(blocks)
    only = run_ray.load(T7, _sets(tmp_path, "trials=5", "only_rows=T100@rnn_tanh"))
    assert {b.model for b in run_ray.plan(only, block=2, slots=8)} == {"rnn_tanh"}


def test_finished_blocks_and_merged_runs_are_not_planned_again(tmp_path):
    claim = run_ray.load(T7, _sets(tmp_path, "trials=4", "only_rows=T100@lstm1997"))
    first, second = run_ray.plan(claim, block=2, slots=1)
    for d, plain in zip(first.run_dirs(), first.identities(), strict=True):
        results.write_run(d, plain, {"n_solved": 1, "solved": [True, False]}, wall_time_s=0.0)
    assert first.done() and first.solved() == 1 and not second.done()
    assert run_ray.plan(claim, block=2, slots=1) == [second]
    row = claim.rows[0]
    (whole,) = runner.run_dirs(claim.config, row, "lstm1997", ("",))
    results.write_run(whole, runner.identity(row, "lstm1997", 0, claim.protocol), {}, wall_time_s=0)
    assert run_ray.plan(claim, block=2, slots=1) == []  # the whole run is there already


@pytest.mark.parametrize(
    "spec, sets, message",
    [
        ("experiments/configs/p13_f3.py:paper", [], "is computed without trials"),
        ("experiments/configs/b94_f2b.py:quick", [], "is computed without trials"),
        ("experiments/configs/nope.py:quick", [], "cannot load 'experiments/configs/nope.py'"),
        ("experiments/configs/h97_t7.py", [], "must be FILE:PROFILE"),
        (T7, ["trials"], "--set=trials: must be NAME=VALUE"),
        (T7, ["trial_block=0:2"], "the runner chooses the blocks"),
        (T7, ["trials=0"], "config.trials=0"),
        (T7, ["nope=1"], "--config.nope: no such config field"),
        (T7, ["only_rows=T1"], "config.only_rows: 'T1' is no row"),
        ("experiments/configs/h97_t7.py:huge", [], "profile 'huge'"),
    ],
)
def test_bad_claims_are_one_line_before_anything_runs(tmp_path, spec, sets, message):
    with pytest.raises(ValueError) as err:
        run_ray.load(spec, [*sets, f"out_dir={tmp_path}/out", f"figure={tmp_path}/fig"])
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_progress_line_counts_trials_solved_and_eta(tmp_path):
    claim = run_ray.load(T7, _sets(tmp_path, "trials=4", "only_rows=T100@lstm1997"))
    blocks = run_ray.plan(claim, block=1, slots=1)
    for b in blocks[:1]:
        for d, plain in zip(b.run_dirs(), b.identities(), strict=True):
            results.write_run(d, plain, {"n_solved": 1}, wall_time_s=0.0)
    line = run_ray.progress(blocks[:1], blocks, elapsed=30.0)
    assert line == "[ray] 1/4 blocks, 1/4 trials done, 1 solved so far; elapsed 0m30s, ETA 1m30s"


@pytest.mark.slow  # the ray extra and a local Ray (about 10 s to start): make test-slow
def test_a_claim_through_ray_equals_the_plain_run(tmp_path):
    pytest.importorskip("ray", reason="the ray extra: make install-ray")
    flags = ["--config.only_rows=T100@lstm1997", "--config.trials=4"] + [
        f"--config.{s}" for s in TINY
    ]
    plain = [f"--config.out_dir={tmp_path}/plain", f"--config.figure={tmp_path}/plain_fig"]
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.hochreiter1997", f"--config={T7}", *flags, *plain],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    sets = [f"--set={f.removeprefix('--config.')}" for f in flags]
    sets += [f"--set=out_dir={tmp_path}/ray", f"--set=figure={tmp_path}/ray_fig"]
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.run_ray", f"--config={T7}", *sets, "--block=2",
         "--num_cpus=2"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[ray] 2/2 blocks, 4/4 trials done" in proc.stdout and "merged" in proc.stdout
    blocks = sorted(p.name for p in (tmp_path / "ray/T100/lstm1997").glob("trials_*"))
    assert blocks == ["trials_0_2", "trials_2_4"]
    table = lambda d: json.loads((tmp_path / d / "table.json").read_text())["rows"]
    assert table("ray") == table("plain")
    res = lambda d: json.loads((tmp_path / d / "T100/lstm1997/results.json").read_text())
    for key in ("solved", "solved_at", "sequences_seen", "test"):
        assert res("ray")[key] == res("plain")[key]
    log = lambda d: (tmp_path / d / "T100/lstm1997/metrics.jsonl").read_text()
    assert log("ray") == log("plain")


@pytest.mark.parametrize(
    "module, args, message",
    [
        ("experiments.run_ray", [f"--config={T7}", "--cpus_per_task=inf"], "--cpus_per_task=inf"),
        ("bench.cost", ["--max_chunk_s=0"], "--max_chunk_s=0.0: must be a finite number > 0"),
    ],
)
def test_the_tools_own_flags_are_one_line_before_anything_runs(module, args, message):
    # the other bad values take the same checks in main (--block, --retries, --gpus_per_task,
    # --trials_per_program, --cores, --updates); one command each proves the wiring
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1 and len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
