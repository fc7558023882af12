"""The cost model: budgets from the configs, programs timed once per shape, projections."""

import math

import pytest

from bench import cost
from experiments import run_ray


def test_entries_take_budgets_from_the_protocol_and_share_programs_of_one_shape(tmp_path):
    sets = [f"out_dir={tmp_path}/out", f"figure={tmp_path}/fig"]
    claim = run_ray.load("experiments/configs/p13_f7.py:quick", sets)
    got = cost.entries(claim)
    for e, t in got:
        assert e.budget_updates == math.ceil(t.schedule.max_sequences / e.sequences_per_update)
        assert e.sequences_per_update == 20  # P13's minibatches
        assert e.parts == 1 and e.eval_every == t.schedule.eval_every
    # the same net on the same task at another learning rate or α is the same program
    keys = {(e.row, e.model): e.key for e, _ in got}
    same = [(a, b) for a in keys for b in keys if a < b and keys[a] == keys[b]]
    assert same and all(a[1] == b[1] for a, b in same)
    t1 = run_ray.load("experiments/configs/h97_t1.py:paper", sets)
    (e, _), *_ = cost.entries(t1)
    assert e.parts == len(t1.protocol.parts(t1.rows[0].config)) > 1  # H97 Exp. 1's data pairs


def test_measured_costs_are_per_trial_update_and_the_check_is_timed_apart(tmp_path):
    sets = [f"out_dir={tmp_path}/out", f"figure={tmp_path}/fig", "rows.T100.T=20"]
    claim = run_ray.load("experiments/configs/h97_t7.py:quick", sets)
    (e, t), *_ = cost.entries(claim)
    m = cost.measure(t, n=2, updates=3, repeats=1)
    assert 0 < m["update_s"] < m["compile_s"]
    assert cost.measure_check(t, repeats=1) is None  # the adding task: no check
    sets = [f"out_dir={tmp_path}/out", f"figure={tmp_path}/fig"]
    (e, t), *_ = cost.entries(run_ray.load("experiments/configs/h97_t1.py:quick", sets))
    assert cost.measure_check(t, repeats=1) > 0  # Reber: a frozen-weight check every eval_every


def test_projection_uses_the_nearest_measured_program_and_the_longest_trial():
    programs = {"k": {"costs": {"1": {"update_s": 1e-3}, "10": {"update_s": 2e-4}}, "check_s": 0.1}}
    entry = {"key": "k", "trials": 30, "parts": 3, "budget_updates": 36_000, "eval_every": 100}
    p = cost.project(entry, programs, cores_here=2, clusters=[4, 10_000], gpu={})
    assert p["n_timed"] == 10 and p["trial_updates"] == 30 * 3 * 36_000
    assert p["hours_here"] == pytest.approx(30 * 3 * 36_000 * (2e-4 + 0.1 / 100) / 3600)
    assert p["longest_trial_hours"] == pytest.approx(36_000 * (1e-3 + 0.1 / 100) / 3600)
    assert p["hours_4_cores"] == pytest.approx(p["hours_here"] / 2)
    assert p["hours_10000_cores"] == p["longest_trial_hours"]  # one trial is one process's work
    assert cost.nearest(programs["k"]["costs"], 5) == (1, programs["k"]["costs"]["1"])
    assert "hours_gpu" not in p
    gpu = {"k": {"costs": {"1": {"update_s": 1e-5}}}}  # a GPU's measurements of the same program
    assert cost.project(entry, programs, 2, [4], gpu)["hours_gpu"] == pytest.approx(
        30 * 3 * 36_000 * 1e-5 / 3600
    )
    # with only n = 10 timed, a lone trial costs the model's measured n = 1 / n = 10 ratio more
    only10 = {"k": {"costs": {"10": {"update_s": 2e-4}}}}
    alone = cost.project(entry, only10, 2, [4], {}, alone=3.0)["longest_trial_hours"]
    assert alone == pytest.approx(36_000 * 6e-4 / 3600)
    failed = cost.project(entry, {"k": {"costs": {}, "error": "RESOURCE_EXHAUSTED"}}, 2, [4], {})
    assert failed == {"trial_updates": 30 * 3 * 36_000, "failed": "RESOURCE_EXHAUSTED"}


def test_unknown_claims_are_one_line():
    with pytest.raises(ValueError, match=r"--claims=h97_t99: 'h97_t99' is no config"):
        cost.trained_claims(["h97_t99"])
