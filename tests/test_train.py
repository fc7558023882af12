"""The training engine against a plain Python loop over trials and updates (the obvious reference)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from repro import results, train
from repro.tasks import Batch
from repro.tasks import pascanu2013 as p13

ROOT = Path(__file__).resolve().parents[1]


def toy_problem(blowup_p: float = 0.0, tolerance: float = 0.1, evaluate: bool = False):
    """Online linear regression y = a·x + 0.01 noise: correct when |error| < tolerance. With
    ``blowup_p`` an input is +inf with that probability, so a trial's gradient becomes non-finite."""
    a = jnp.array([0.5, -0.3])

    def init(key):
        return {"w": jax.random.uniform(key, (2,), minval=-1.0, maxval=1.0)}

    def sample(key):
        kx, kn, kb = jax.random.split(key, 3)
        x = jax.random.normal(kx, (1, 1, 2))
        x = jnp.where(jax.random.uniform(kb) < blowup_p, jnp.inf, x)
        y = x @ a[:, None] + 0.01 * jax.random.normal(kn, (1, 1, 1))
        return Batch(x, y, jnp.ones((1, 1)), jnp.ones((1,), jnp.int32))

    def loss(params, batch):
        err = (batch.inputs @ params["w"][:, None] - batch.targets)[:, 0, 0]
        return 0.5 * jnp.mean(err**2), {"correct": jnp.abs(err) < tolerance, "error": jnp.abs(err)}

    def check(params, key):
        xs = jax.random.normal(key, (64, 2))
        err = jnp.abs(xs @ (params["w"] - a))
        return {"passed": jnp.all(err < tolerance / 2), "max_error": jnp.max(err)}

    def test(params, key):
        return {"w_error": jnp.linalg.norm(params["w"] - a)}

    return train.Problem(init, sample, loss, evaluate=check if evaluate else None, test=test)


def reference(problem, tx, schedule):
    """Every trial, one update at a time, in Python: the rules of train.Schedule written plainly."""
    trainer = train.Trainer(problem, tx, schedule)
    out = []
    for trial in range(schedule.trials):
        streams = trainer.streams(jnp.asarray(trial))
        params = problem.init(streams["init"])
        opt = tx.init(params)
        seen, updates, run, errors, flags = 0, 0, 0, [], []
        result = {"solved_at": -1, "diverged_at": -1, "marks": {}}
        while seen < schedule.max_sequences:
            batch = problem.sample(jax.random.fold_in(streams["train"], updates))
            (loss, stats), grads = jax.value_and_grad(problem.loss, has_aux=True)(params, batch)
            step, opt_new = tx.update(grads, opt, params)
            new = optax.apply_updates(params, step)
            seen += 1
            finite = all(
                bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves((loss, grads, new))
            )
            if not finite:
                result["diverged_at"] = seen
                break
            params, opt, updates = new, opt_new, updates + 1
            correct = bool(stats["correct"][0])
            run = run + 1 if correct else 0
            keep = max(schedule.window, 1)
            errors = (errors + [float(stats["error"][0])])[-keep:]
            flags = (flags + [correct])[-keep:]
            wrong = flags.count(False)
            window_ok = seen >= schedule.window and wrong <= schedule.window_max_wrong
            if schedule.max_avg_error is not None:
                window_ok = window_ok and np.mean(errors) < schedule.max_avg_error
            for m in schedule.milestones:
                if m.max_wrong is not None and seen >= schedule.window and wrong <= m.max_wrong:
                    result["marks"].setdefault(m.name, (seen, params))
            if problem.evaluate is None:
                if schedule.window and window_ok:
                    result["solved_at"] = seen
                    break
            elif updates % schedule.eval_every == 0:
                if schedule.gate_eval and run < schedule.eval_every:
                    continue
                res = problem.evaluate(params, jax.random.fold_in(streams["eval"], updates))
                for m in schedule.milestones:
                    if m.entry is not None and bool(res[m.entry]):
                        result["marks"].setdefault(m.name, (seen, params))
                if bool(res["passed"]) and window_ok:
                    result["solved_at"] = seen
                    break
        result.update(seen=seen, w=np.asarray(params["w"]))
        out.append(result)
    return out


def _check_against_reference(got, ref):
    assert got["solved_at"] == [r["solved_at"] for r in ref]
    assert got["diverged_at"] == [r["diverged_at"] for r in ref]
    assert got["sequences_seen"] == [r["seen"] for r in ref]


@pytest.mark.parametrize(
    "window,max_avg_error,evaluate",
    [(20, 0.05, False), (50, None, False), (0, None, True), (10, 0.05, True)],
)
def test_stopping_rules_match_plain_loop(window, max_avg_error, evaluate):
    problem = toy_problem(evaluate=evaluate)
    tx = optax.sgd(0.05)
    schedule = train.Schedule(
        trials=3,
        max_sequences=600,
        eval_every=10,
        evals_per_chunk=7,
        window=window,
        max_avg_error=max_avg_error,
    )
    got = train.train(problem, tx, schedule, progress=lambda s: None)
    ref = reference(problem, tx, schedule)
    _check_against_reference(got, ref)
    assert got["n_solved"] == sum(r["solved_at"] > 0 for r in ref) > 0
    for trial, r in enumerate(ref):  # final test on the frozen weights of each trial
        np.testing.assert_allclose(
            got["test"]["w_error"][trial], np.linalg.norm(r["w"] - [0.5, -0.3]), rtol=1e-5
        )


@pytest.mark.parametrize("gate_eval", [False, True])
def test_milestones_window_max_wrong_and_gated_checks_match_plain_loop(gate_eval):
    # H97 Exp. 3 / 5 shapes: milestones recorded on the way (an evaluate entry, a looser window rule)
    # with the weights then; the stop rule allows some wrong sequences in the window.
    problem = toy_problem(tolerance=0.05, evaluate=True)
    base = problem.evaluate

    def check(params, key):  # "loose" passes before "passed" does
        res = base(params, key)
        return {**res, "loose": res["max_error"] < 0.1}

    problem = dataclasses.replace(problem, evaluate=check)
    schedule = train.Schedule(
        trials=3,
        max_sequences=900,
        eval_every=10,
        evals_per_chunk=6,
        window=30,
        window_max_wrong=3,
        gate_eval=gate_eval,
        milestones=(
            train.Milestone("loose", entry="loose"),
            train.Milestone("window8", max_wrong=8),
        ),
    )
    got = train.train(problem, optax.sgd(0.05), schedule, progress=lambda s: None)
    ref = reference(problem, optax.sgd(0.05), schedule)
    _check_against_reference(got, ref)
    assert got["n_solved"] > 0
    for name in ("loose", "window8"):
        want = [r["marks"].get(name, (-1, None))[0] for r in ref]
        assert got["milestones"][name]["at"] == want
        assert any(a > 0 for a in want)
        for trial, r in enumerate(ref):  # the final test also ran on the weights at the milestone
            if name in r["marks"]:
                w = np.asarray(r["marks"][name][1]["w"])
                np.testing.assert_allclose(
                    got["test"][f"{name}/w_error"][trial],
                    np.linalg.norm(w - [0.5, -0.3]),
                    rtol=1e-5,
                )
    solved = [r["solved_at"] for r in ref]
    marked = [r["marks"].get("window8", (-1,))[0] for r in ref]
    assert all(m <= s for m, s in zip(marked, solved, strict=True) if s > 0)


def test_schedule_rejects_bad_milestones():
    with pytest.raises(ValueError, match="exactly one"):
        train.Milestone("a")
    with pytest.raises(ValueError, match="window_max_wrong"):
        train.Schedule(trials=1, window=10, window_max_wrong=10)
    with pytest.raises(ValueError, match="needs a window"):
        train.Schedule(trials=1, milestones=(train.Milestone("a", max_wrong=1),))
    with pytest.raises(ValueError, match="distinct"):
        m = train.Milestone("a", entry="passed")
        train.Schedule(trials=1, milestones=(m, m))


def test_window_counts_only_after_window_sequences_and_needs_all_correct():
    # tolerance so loose that every sequence is correct: success exactly when the window fills.
    problem = toy_problem(tolerance=1e9)
    schedule = train.Schedule(
        trials=2, max_sequences=1000, eval_every=7, evals_per_chunk=3, window=40
    )
    got = train.train(problem, optax.sgd(0.01), schedule, progress=lambda s: None)
    assert got["solved_at"] == [40, 40]
    # and a tolerance never met: no success, the budget is spent.
    problem = toy_problem(tolerance=1e-12)
    schedule = train.Schedule(
        trials=2, max_sequences=100, eval_every=10, evals_per_chunk=3, window=5
    )
    got = train.train(problem, optax.sgd(0.01), schedule, progress=lambda s: None)
    assert got["solved"] == [False, False] and got["finished"]
    assert got["sequences_seen"] == [100, 100]  # stopped at the budget, not past a chunk's end


def test_the_last_check_falls_at_the_end_of_the_budget():
    # A check that passes only from the 30th update on, with a budget of exactly 30 updates: the
    # check after the last interval still runs (a trial is not denied its final validation).
    problem = dataclasses.replace(
        toy_problem(), evaluate=lambda params, key: {"passed": params["t"] >= 30}
    )
    init, loss = problem.init, problem.loss
    problem = dataclasses.replace(
        problem,
        init=lambda key: {**init(key), "t": jnp.zeros(())},
        loss=lambda p, b: (lambda v, s: (v - p["t"], s))(*loss({"w": p["w"]}, b)),  # dt = +1
    )
    schedule = train.Schedule(trials=2, max_sequences=30, eval_every=10, evals_per_chunk=2)
    got = train.train(problem, optax.sgd(1.0), schedule, progress=lambda s: None)
    assert got["solved"] == [True, True] and got["solved_at"] == [30, 30]


def test_diverged_trials_are_frozen_and_reported_while_others_go_on():
    problem = toy_problem(blowup_p=0.001)
    tx = optax.sgd(0.05)
    schedule = train.Schedule(trials=6, max_sequences=400, eval_every=20, evals_per_chunk=5)
    got = train.train(problem, tx, schedule, progress=lambda s: None)
    ref = reference(problem, tx, schedule)
    _check_against_reference(got, ref)
    assert 0 < got["n_diverged"] < 6  # some trials diverge, the others run to their budget
    for trial, r in enumerate(ref):  # a diverged trial keeps its last finite weights
        err = np.linalg.norm(r["w"] - [0.5, -0.3])
        np.testing.assert_allclose(got["test"]["w_error"][trial], err, rtol=1e-5)
        assert np.isfinite(got["test"]["w_error"][trial])


def test_lengths_that_vary_per_update_do_not_recompile():
    """P13 draws one length in {50..200} per update; the chunk is traced once for all chunks."""

    def sample(key):
        k_len, k = jax.random.split(key)
        L = jax.random.randint(k_len, (), 50, 201)
        return p13.addition(k, 4, L, max_len=220)

    def loss(params, batch):
        y = jnp.sum(batch.inputs * params["w"], axis=-1) * batch.mask
        err = jnp.sum(y, axis=1) - batch.targets[:, :, 0].sum(axis=1)
        return jnp.mean(err**2), {"correct": jnp.abs(err) < 0.2, "error": jnp.abs(err)}

    problem = train.Problem(lambda key: {"w": jnp.zeros(2)}, sample, loss)
    schedule = train.Schedule(trials=2, max_sequences=4 * 60, eval_every=10, evals_per_chunk=2)
    trainer = train.Trainer(problem, optax.sgd(0.01), schedule)
    trials = jnp.arange(2)
    state = trainer.init(trials)
    lengths = set()
    for _ in range(3):
        state, metrics = trainer.chunk(state, trials)
        lengths.add(float(np.asarray(metrics["train/loss"]).sum()))
    assert trainer.trace_count == 1
    assert int(np.asarray(state.seen)[0]) == 3 * 20 * 4


@pytest.mark.parametrize("stopped", ["all", "some"])
def test_an_interval_once_every_trial_has_stopped_is_skipped_with_what_it_would_have_given(stopped):
    # The skip is exact: the state and metrics of a skipped interval are those the interval gives
    # (no trial moves, nothing is drawn); with a trial still running it runs as before.
    problem = toy_problem(evaluate=True)
    schedule = train.Schedule(trials=3, max_sequences=100, eval_every=4, evals_per_chunk=2)
    trainer = train.Trainer(problem, optax.sgd(0.05), schedule)
    ids = schedule.trial_ids
    state = trainer.init(ids)
    state = jax.jit(trainer.chunk)(state, ids)[0]  # some updates done, none stopped
    done = jnp.array([True, True, stopped == "all"])
    state = state.replace(solved=done, solved_at=jnp.where(done, state.seen, -1))

    def run(method):
        one = lambda st, trial: method(st, trainer.streams(trial))
        return jax.jit(jax.vmap(one, axis_name="trials"))(state, ids)

    (a, ma), (b, mb) = run(trainer._interval), run(trainer._interval_unless_all_stopped)
    for x, y in zip(jax.tree.leaves((a, ma)), jax.tree.leaves((b, mb)), strict=True):
        np.testing.assert_array_equal(x, y)
    assert (int(ma["train/updates"].sum()) == 0) == (stopped == "all")


def test_a_long_step_says_every_few_seconds_that_it_is_still_running(monkeypatch):
    heard = []
    with train.heartbeat(heard.append, "chunk 3", every=0.05):
        time.sleep(0.28)
    assert len(heard) >= 3 and all(h.startswith("chunk 3: still running, 0m00s") for h in heard)
    heard.clear()
    with train.heartbeat(heard.append, "chunk 3", every=0.05):
        pass  # a quick step prints nothing
    time.sleep(0.1)
    assert heard == []
    monkeypatch.setattr(train, "STALL_S", 0.0)  # past the stall limit: how to get out of a hang
    with train.heartbeat(heard.append, "the final test", every=0.05):
        time.sleep(0.08)
    assert heard and "stop it and run it again, it resumes" in heard[0]


def test_results_do_not_depend_on_chunking():
    problem, tx = toy_problem(), optax.sgd(0.05)
    a, b = (
        train.train(
            problem,
            tx,
            train.Schedule(
                trials=3,
                max_sequences=500,
                eval_every=5,
                evals_per_chunk=per_chunk,
                window=20,
                max_avg_error=0.05,
            ),
            progress=lambda s: None,
        )
        for per_chunk in (1, 13)
    )
    assert a["solved_at"] == b["solved_at"] and a["test"] == b["test"]


def test_trial_sets_concatenate_into_the_results_of_one_run():
    # Trials 0-2 and 3-4 trained apart (a trial's keys come from its id alone) join into exactly
    # the per-trial lists, counts and summary of the five trained together.
    problem, tx = toy_problem(blowup_p=0.001), optax.sgd(0.05)
    milestone = train.Milestone("early", max_wrong=5)

    def run(trials, first=0):
        schedule = train.Schedule(
            trials=trials, first_trial=first, max_sequences=400, eval_every=5, evals_per_chunk=4,
            window=20, max_avg_error=0.05, milestones=(milestone,),
        )  # fmt: skip
        return train.train(problem, tx, schedule, progress=lambda s: None)

    whole, parts = run(6), [run(4), run(2, first=4)]
    joined = train.concatenate(parts)
    assert 0 < whole["n_solved"] < 6 and whole["n_diverged"] > 0  # both outcomes present
    for key in ("solved", "solved_at", "diverged", "diverged_at", "sequences_seen", "test"):
        assert joined[key] == whole[key], key
    assert joined["milestones"] == whole["milestones"]
    for key in ("trials", "n_solved", "n_diverged", "success_after", "finished"):
        assert joined[key] == whole[key], key
    assert joined["wall_time_s"] == parts[0]["wall_time_s"] + parts[1]["wall_time_s"]
    assert list(joined) == list(parts[0])  # the first part's keys, in order
    assert train.concatenate([whole]) is whole


_SUBPROCESS = """
import json, sys, time
sys.path.insert(0, {tests!r})
import optax
from repro import train
import test_train
schedule = train.Schedule(trials=4, max_sequences=400, eval_every=5, evals_per_chunk=4, window=30, max_avg_error=0.05)
def slow(line):
    print(line, flush=True)
    time.sleep({sleep})
r = train.train(test_train.toy_problem(), optax.sgd(0.02), schedule, run_dir={run_dir!r}, config={{"toy": 1}}, progress=slow)
print("RESULT", json.dumps({{k: r[k] for k in ("solved_at", "sequences_seen", "test")}}), flush=True)
"""


def _script(run_dir, sleep):
    return _SUBPROCESS.format(tests=str(ROOT / "tests"), run_dir=str(run_dir), sleep=sleep)


def _env(*, default_codegen: bool = False, **extra):
    """This process's environment, a device count dropped; the tests' compile flags
    (``conftest.py``) kept, or dropped with ``default_codegen`` (a promise of equal bits holds for
    the machine code users run, and without LLVM's passes other roundings may differ)."""
    drop = ("device_count", "optimization_level", "expensive_passes", "fusion_emitters")
    drop = drop if default_codegen else ()
    flags = [
        f
        for f in os.environ.get("XLA_FLAGS", "").split()
        if "device_count" not in f and not any(d in f for d in drop)
    ]
    env = {**os.environ, "XLA_FLAGS": " ".join(flags), "PYTHONPATH": str(ROOT)}
    if "XLA_FLAGS" in extra:
        extra = {**extra, "XLA_FLAGS": " ".join([*flags, extra["XLA_FLAGS"]])}
    return {**env, **extra}


def _run_script(run_dir, *, prefix: str = "", default_codegen: bool = False, **env):
    """Run the toy training in a fresh process (``prefix`` is Python run first); check it exits 0."""
    return subprocess.run(
        [sys.executable, "-c", prefix + _script(run_dir, 0)],
        capture_output=True,
        text=True,
        env=_env(default_codegen=default_codegen, **env),
        check=True,
    )


def _result(stdout: str) -> dict:
    line = [x for x in stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


def test_a_killed_run_resumes_to_the_same_results(tmp_path):
    clean = _run_script(tmp_path / "clean")
    with subprocess.Popen(
        [sys.executable, "-c", _script(tmp_path / "killed", 1.0)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    ) as proc:
        for line in proc.stdout:  # kill it (SIGKILL: no clean-up) after its second chunk
            if line.startswith("chunk 2:"):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert (tmp_path / "killed" / "checkpoint.npz").exists()
    assert not (tmp_path / "killed" / "results.json").exists()
    resumed = _run_script(tmp_path / "killed")
    assert "resuming" in resumed.stdout
    assert _result(resumed.stdout) == _result(clean.stdout)
    metrics = lambda d: (tmp_path / d / "metrics.jsonl").read_text()
    assert metrics("killed") == metrics("clean")
    saved = json.loads((tmp_path / "killed" / "results.json").read_text())
    assert saved["provenance"]["git_commit"] is None or len(saved["provenance"]["git_commit"]) == 40
    assert json.loads((tmp_path / "killed" / "config.json").read_text()) == {"toy": 1}


def test_sharded_over_four_devices_gives_the_one_device_results(tmp_path):
    one = _run_script(tmp_path / "one", default_codegen=True)
    four = _run_script(
        tmp_path / "four",
        default_codegen=True,
        prefix="import jax; assert jax.device_count() == 4\n",
        XLA_FLAGS="--xla_force_host_platform_device_count=4",
    )
    assert _result(four.stdout) == _result(one.stdout)
    devices = json.loads((tmp_path / "four" / "results.json").read_text())["provenance"]["devices"]
    assert len(devices) == 4


def test_another_config_in_the_same_run_dir_is_refused(tmp_path):
    problem, tx = toy_problem(), optax.sgd(0.05)
    schedule = train.Schedule(trials=1, max_sequences=50, eval_every=10, evals_per_chunk=1)
    train.train(problem, tx, schedule, run_dir=tmp_path, config={"a": 1}, progress=lambda s: None)
    again = train.train(
        problem, tx, schedule, run_dir=tmp_path, config={"a": 1}, progress=lambda s: None
    )
    assert again["provenance"]  # reused: the finished results are returned as they are
    with pytest.raises(ValueError, match="another config"):
        train.train(
            problem, tx, schedule, run_dir=tmp_path, config={"a": 2}, progress=lambda s: None
        )


def test_progress_lines():
    lines = []
    schedule = train.Schedule(trials=2, max_sequences=60, eval_every=10, evals_per_chunk=2)
    out = train.train(toy_problem(), optax.sgd(0.05), schedule, progress=lines.append)
    assert lines[0] == "compiling the training chunk…" and lines[1].startswith("compiled in ")
    assert len(lines) == 5 and out["trace_count"] == 1  # compiled once, before the first chunk
    assert all("updates/s" in line and "solved" in line and "ETA" in line for line in lines[2:])


# ----------------------------------------------------------------------------- optimisers


def test_clipping_is_pascanus_algorithm_1():
    tx = train.make_optimizer("sgd", 1.0, clip_norm=1.0)
    params = {"a": jnp.zeros(3), "b": jnp.zeros(2)}
    g = {"a": jnp.array([3.0, 0.0, 0.0]), "b": jnp.array([0.0, 4.0])}  # global norm 5
    step, _ = tx.update(g, tx.init(params), params)
    np.testing.assert_allclose(optax.tree.norm(step), 1.0, rtol=1e-6)
    np.testing.assert_allclose(step["b"], [0.0, -0.8], rtol=1e-6)  # same direction, rescaled
    small = jax.tree.map(lambda x: x / 10, g)
    step, _ = tx.update(small, tx.init(params), params)
    np.testing.assert_allclose(step["a"], -small["a"])  # below the threshold: untouched


def test_nan_guard_shrinks_w_rec_and_zeroes_the_rest():
    params = {"W_rec": jnp.full((2, 2), 3.0), "b": jnp.ones(2)}
    shrink = {"W_rec": 0.02, "b": 0.0}
    tx = train.make_optimizer("sgd", 0.5, clip_norm=1.0, guard=train.nan_guard(shrink))
    bad = {"W_rec": jnp.array([[jnp.nan, 0.0], [0.0, 0.0]]), "b": jnp.ones(2)}
    step, _ = tx.update(bad, tx.init(params), params)
    np.testing.assert_allclose(step["W_rec"], -0.5 * 0.02 * 3.0)  # W_rec ← (1 − 0.02·lr)·W_rec
    np.testing.assert_allclose(step["b"], 0.0)
    huge = {"W_rec": jnp.full((2, 2), 1e11), "b": jnp.ones(2)}
    step, _ = tx.update(huge, tx.init(params), params)
    np.testing.assert_allclose(step["b"], 0.0)
    fine = {"W_rec": jnp.full((2, 2), 0.1), "b": jnp.full(2, 0.1)}
    step, _ = tx.update(fine, tx.init(params), params)
    np.testing.assert_allclose(step["b"], -0.05, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(name="lbfgs", learning_rate=0.1), "optimizer='lbfgs'"),
        (dict(name="sgd", learning_rate=0.0), "learning_rate=0.0"),
        (dict(name="sgd", learning_rate=-1), "learning_rate=-1"),
        (dict(name="adam", learning_rate=0.1, clip_norm=0.0), "clip_norm=0.0"),
    ],
)
def test_bad_optimizer_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train.make_optimizer(kwargs.pop("name"), kwargs.pop("learning_rate"), **kwargs)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(trials=0), "trials=0"),
        (dict(trials=2, max_sequences=-5), "max_sequences=-5"),
        (dict(trials=2, eval_every=0), "eval_every=0"),
        (dict(trials=2, window=-1), "window=-1"),
        (dict(trials=2, window=0, max_avg_error=0.01), "max_avg_error"),
        (dict(trials=2, window=10, max_avg_error=0.0), "max_avg_error=0.0"),
    ],
)
def test_bad_schedules(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train.Schedule(**kwargs)


def test_load_state_returns_the_trained_weights(tmp_path):
    problem = toy_problem()
    schedule = train.Schedule(trials=2, max_sequences=60, eval_every=10, evals_per_chunk=3)
    got = train.train(problem, optax.sgd(0.05), schedule, run_dir=tmp_path, progress=print)
    state = train.load_state(tmp_path, problem, optax.sgd(0.05), schedule)
    w = np.asarray(state.params["w"])
    np.testing.assert_allclose(
        got["test"]["w_error"], np.linalg.norm(w - [0.5, -0.3], axis=1), rtol=1e-6
    )
    with pytest.raises(ValueError, match="no checkpoint"):
        train.load_state(tmp_path / "none", problem, optax.sgd(0.05), schedule)


def test_a_second_run_on_a_busy_directory_fails_at_once_and_writes_nothing(tmp_path):
    schedule = train.Schedule(trials=2, max_sequences=60, eval_every=10, evals_per_chunk=2)
    with results.locked(tmp_path / "run"):  # as another process running there would
        with pytest.raises(results.RunDirBusy):
            train.train(toy_problem(), optax.sgd(0.05), schedule, run_dir=tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".lock"]


def test_a_resumed_run_counts_the_wall_time_of_every_session(tmp_path):
    schedule = train.Schedule(trials=2, max_sequences=400, eval_every=10, evals_per_chunk=2)
    first = train.train(toy_problem(), optax.sgd(0.0), schedule, run_dir=tmp_path, max_chunks=2)
    assert not first["finished"]
    out = train.train(toy_problem(), optax.sgd(0.0), schedule, run_dir=tmp_path)
    assert out["finished"] and out["wall_time_s"] > first["wall_time_s"]
    saved = results.load_json(tmp_path / "results.json")
    assert saved["wall_time_s"] == out["wall_time_s"]


@pytest.mark.parametrize("fixed", [False, True])
def test_fixed_eval_gives_each_trial_one_check_set(tmp_path, fixed):
    # H97's fixed_test_set option: the check's key, and so the set it draws, stays the same over a
    # trial's checks (and differs between trials); by default every check draws afresh.
    base = toy_problem()
    problem = dataclasses.replace(
        base, evaluate=lambda p, k: {"passed": jnp.array(False), "draw": jax.random.uniform(k)}
    )
    schedule = train.Schedule(
        trials=2, max_sequences=60, eval_every=10, evals_per_chunk=3, fixed_eval=fixed
    )
    train.train(problem, optax.sgd(0.0), schedule, run_dir=tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    draws = [[r["eval/draw"][j] for r in rows if r["eval/draw"][j] is not None] for j in (0, 1)]
    assert min(len(d) for d in draws) >= 4 and draws[0][0] != draws[1][0]  # trials differ
    assert all((len(set(d)) == 1) == fixed for d in draws)


def test_continue_training_goes_on_along_each_trials_own_stream(tmp_path):
    # Training 40 sequences, then continuing 3 × 20 more, must land on the weights of one
    # uninterrupted 100-sequence run (the same stream continued), whatever stopped the trials;
    # the checks after each interval are the problem's check on those weights, with its keys.
    problem = toy_problem(blowup_p=0.006, evaluate=True)
    tx = optax.sgd(0.05)
    short = train.Schedule(trials=3, max_sequences=40, eval_every=10, evals_per_chunk=2)
    train.train(dataclasses.replace(problem, evaluate=None), tx, short, run_dir=tmp_path)
    state = train.load_state(tmp_path, problem, tx, short)
    after, checks = train.continue_training(problem, tx, short, state, intervals=3, every=20)
    long = dataclasses.replace(short, max_sequences=100)
    trainer = train.Trainer(dataclasses.replace(problem, evaluate=None), tx, long)
    trials = jnp.arange(3)
    ref, _ = trainer.chunk(trainer.init(trials), trials)  # 2 × 10 updates
    for _ in range(4):
        ref, _ = trainer.chunk(ref, trials)
    np.testing.assert_allclose(after.params["w"], ref.params["w"], rtol=1e-6)
    np.testing.assert_array_equal(after.diverged, ref.diverged)
    assert 0 < int(np.sum(after.diverged)) < 3  # a frozen trial and running ones
    np.testing.assert_array_equal(after.seen, ref.seen)
    assert checks["seen"].shape == (3, 3)
    for j in range(3):
        keys = trainer.streams(jnp.asarray(j))
        st = jax.tree.map(lambda x, j=j: x[j], after)
        want = problem.evaluate(st.params, trainer.check_key(st, keys))
        if bool(st.diverged):
            assert np.isnan(checks["max_error"][j, -1])
        else:
            np.testing.assert_allclose(checks["max_error"][j, -1], want["max_error"], rtol=1e-6)
