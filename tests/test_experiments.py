"""Every experiment config runs (a tiny override of its quick profile), and bad input fails cleanly."""

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import common
from experiments import gradient_flow as gf
from experiments.claims import pipeline, runner, table
from experiments.claims import rows as rows_lib
from experiments.configs import gradient_flow as gf_config
from experiments.h97 import conditions, flow, paper, protocol
from experiments.h97 import probe as probe_lib
from repro import cells, results, train

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    p.stem for p in (ROOT / "experiments" / "configs").glob("*.py") if not p.stem.startswith("_")
)
# P13, B94 and the practitioners' questions' configs are tested in test_experiments_p13.py,
# test_experiments_b94.py and test_experiments_questions.py.
TESTED = {"gradient_flow"} | {
    c
    for c in CONFIGS
    if c.startswith(("h97_", "g00_", "p13_", "b94_", "s_", "s0_", "s1_", "s2_", "s3_"))
}


def test_every_config_is_tested():
    assert set(CONFIGS) == TESTED


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_profiles_are_valid(profile):
    config = gf_config.get_config(profile)
    common.positive(config, "T", "hidden", "n_in", "trials", "heatmap_T")
    assert config.profile == profile


def test_gradient_flow_runs_end_to_end_and_caches(tmp_path):
    config = gf_config.get_config("quick")
    config.T, config.hidden, config.trials, config.heatmap_T = 30, 4, 2, 12
    config.curves = "rnn_tanh@1.0,rnn_sigmoid@1.0,lstm1997:s"  # theory line, P13 bound, carousel
    config.out_dir, config.figure = str(tmp_path / "run"), str(tmp_path / "fig")
    arrays, summary = gf.compute(config)
    assert arrays["curve0"].shape == (2, 31) and arrays["heatmap"].shape == (13, 13)
    assert set(summary) == set(config.curves.split(","))
    assert summary["lstm1997:s"]["median_log10_norm_at_lag"]["10"] == pytest.approx(0, abs=1e-6)
    paths = gf.draw(config, arrays)
    assert all(p.stat().st_size > 1000 for p in paths)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config.T=0"], "config.T=0: must be an integer > 0"),
        (["--config.curves=rnn_foo@1"], "unknown cell 'rnn_foo'"),
        (["--config.curves=lstm:z"], "block 'z'"),
        (["--config.dtype=float16"], "config.dtype='float16'"),
        (["--config.T=abc"], "--config.T=abc"),
        (["--config.nope=1"], "--config.nope: no such config field"),
        ([f"--config={ROOT}/experiments/configs/gradient_flow.py:huge"], "profile 'huge'"),
        (["--config.curves=rnn_tanh@inf"], "radius must be a finite number > 0"),
        (["--config.curves=rnn_tanh@1.0,"], "config.curves='rnn_tanh@1.0,': an empty item"),
        (["config.T=5"], "unexpected argument 'config.T=5'"),
        (["--config.out_dir=/dev/null/x"], "config.out_dir='/dev/null/x': cannot write there"),
        ([f"--config={ROOT}/experiments/configs/nope.py:quick"], "cannot load"),
        (
            [f"--config={ROOT}/experiments/configs/gradient_flow.py:quick", "--config.nope=1"],
            "--config.nope: no such config field",
        ),
    ],
)
def test_bad_input_gives_one_line_and_writes_nothing(driver_error, args, message):
    assert message in driver_error("experiments.gradient_flow", *args)


@pytest.mark.parametrize(
    "module, args",
    [
        ("experiments.gradient_flow", ["--config.out_dir=/proc/x"]),
        ("experiments.gradient_flow", ["--config.figure=/proc/x/y"]),
        ("experiments.bengio1994", ["--config=experiments/configs/b94_theory.py", "--config.figure=/proc/x/y"]),
        ("experiments.hochreiter1997", ["--config.figure=/proc/x/y"]),
        ("experiments.pascanu2013", ["--config=experiments/configs/p13_f3.py", "--config.out_dir=/proc/x"]),
        ("experiments.questions", ["--config=experiments/configs/s0_downsampling.py", "--config.figure=/proc/x/y"]),
    ],
)  # fmt: skip
def test_unwritable_outputs_fail_before_compute_and_leave_nothing(driver_error, module, args):
    # an outside probe once found these ending in a traceback after minutes of compute, the B94
    # theory leaving its numbers.json behind (driver_error: nothing under out_dir or figure)
    assert "cannot write there" in driver_error(module, *args)


@pytest.mark.parametrize(
    "module, args, message",
    [
        ("experiments.gradient_flow", ["--config.T=0"], "config.T=0: must be an integer > 0"),
        ("experiments.gradient_flow", ["--config.nope=1"], "--config.nope: no such config field"),
        ("experiments.hochreiter1997", ["--config.rows.T100.lr=0.3"], "row 'T100' does not set lr"),
        ("experiments.pascanu2013", ["--config.max_updates=-1"], "config.max_updates=-1: must be"),
        ("experiments.questions", ["--config.models=sgd,irnn"], "config.models='sgd,irnn'"),
        (
            "experiments.bengio1994",
            ["--config=experiments/configs/b94_f2b.py", "--config.lengths=1-3"],
            "config.lengths='1-3'",
        ),
    ],
)
def test_every_driver_exits_with_one_line_and_status_1(cli, tmp_path, module, args, message):
    # The command line's wiring, once per driver (and for a flag-parsing error); every other bad
    # input is checked in-process through the same parsing and validation (driver_error).
    proc = cli(module, *args)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("fig*"))


def test_help_explains_every_config_field(cli):
    proc = cli("experiments.gradient_flow", "--helpfull")
    config = gf_config.get_config("quick")
    for name in config:
        assert f"--config.{name} =" in proc.stdout, name
    assert json.dumps(config.to_dict())  # the config is plain data: it goes to config.json


# ----------------------------------------------------------------------------- H97 / G00
# The H97 driver through the shared pipeline (experiments.claims) and its public H97 protocol.

H97 = sorted(c for c in CONFIGS if c.startswith(("h97_", "g00_")))
TRAINED = [c for c in H97 if c not in ("h97_t10", "h97_t11")]


def _h97(name, profile="quick"):
    return importlib.import_module(f"experiments.configs.{name}").get_config(profile)


def _set(config, **fields):
    """Set fields everywhere they are set: at the top and in every row that sets them."""
    for name, value in fields.items():
        config[name] = value
        for row in config.rows.values():
            if name in row:
                row[name] = value


def _tiny(config, tmp_path, **extra):
    """The config's own rows, cut to seconds: 2 trials, a small budget and small test sets."""
    config.out_dir, config.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    small = lambda name, most: min(config[name], most)
    _set(config, trials=2, max_sequences=400, data_pairs=small("data_pairs", 2))
    _set(config, eval_every=100, evals_per_chunk=2, test_sequences=small("test_sequences", 64))
    _set(config, check_sequences=small("check_sequences", 64), window=small("window", 50))
    _set(config, window_max_wrong=small("window_max_wrong", 5))
    _set(config, mark_max_wrong=small("mark_max_wrong", 20), **extra)
    return config


def _rows(config):
    return rows_lib.rows_of(config, protocol.validate)


def _weights(c) -> int:
    return cells.count_params(protocol.build(c, "lstm1997").problem.init(jax.random.key(0)))


@pytest.mark.parametrize("profile", ["quick", "paper"])
@pytest.mark.parametrize("name", H97)
def test_h97_profiles_are_valid_and_pin_the_papers_weights(name, profile):
    config = _h97(name, profile)
    assert config.claim and config.profile == profile
    if config.conditions:
        return
    rows = _rows(config)
    numbers = paper.TABLES[config.claim]
    for row in rows:
        if "weights" in numbers.get(row.id, {}):
            assert _weights(row.config) == numbers[row.id]["weights"], (name, row.id)
    if profile == "paper":  # every row of the paper's table is in the paper profile
        assert {k.split("@")[0] for k in numbers} <= {row.id for row in rows}, name


@pytest.mark.parametrize("name", TRAINED)
def test_h97_every_row_and_model_traces_through_the_trainer(name):
    # Every (row, model) of both profiles builds and traces one jitted chunk of training (abstract
    # shapes, no compilation): the model variants (forget gate, full gradient, no output gate,
    # per-step updates, BPTT baselines) and every task's data, check and test.
    for profile in ("quick", "paper"):
        for row in _rows(_h97(name, profile)):
            c = row.config
            c.trials, c.test_sequences = 2, min(c.test_sequences, 8)
            c.check_sequences = min(c.check_sequences, 8)
            for model in rows_lib.models_of(c):
                t = protocol.build(c, model)
                trainer = train.Trainer(t.problem, t.optimizer, t.schedule)
                trials = jnp.arange(2)
                state = jax.eval_shape(trainer.init, trials)
                new, metrics = jax.eval_shape(trainer.chunk, state, trials)
                assert jax.tree.structure(new) == jax.tree.structure(state)
                assert metrics["train/error_rate"].shape == (2, c.evals_per_chunk)


@pytest.mark.parametrize("name", ["h97_t8", "g00_nto"])
def test_h97_configs_run_end_to_end_with_table_and_figure(name, tmp_path):
    # Through the pipeline down to the figure: Exp. 5's milestone, and G00's ratios to a reference
    # row (with one row not run, drawn and tabled as such). Exp. 1's data pairs: the next test.
    config = _tiny(_h97(name), tmp_path)
    if name == "g00_nto":
        config.only_rows = "forget_bias5"  # the forget gate; the other two rows are "not run"
    rows, runs, paths = pipeline.run_claim(config, protocol.PROTOCOL)
    entries = json.loads((tmp_path / "out" / "table.json").read_text())["rows"]
    assert len(entries) == sum(len(rows_lib.models_of(r.config)) for r in rows)
    for e, row in zip(entries, rows, strict=True):
        if e.get("not_run"):
            assert row.id != "forget_bias5" and runs[(row.id, "lstm1997")] is None
            continue
        assert e["trials"] == 2 * len(protocol.parts(row.config))
        assert 0 <= e["solved"] <= e["trials"] and e["paper"] == paper.TABLES[config.claim].get(
            row.id, {}
        )
        mark = f"n{row.config.mark_max_wrong + 1}"  # the window milestone, named by its count
        assert (mark in e) == (row.config.task == "h97_multiplication"), mark
    text = (tmp_path / "out" / "table.md").read_text()
    assert text.count("\n| ") == len(entries) + 1
    assert all(p.stat().st_size > 1000 for p in paths)


@pytest.mark.slow  # a reproduction (the LSTM solves 2a at p = 10): make test-slow
def test_h97_lstm_solves_task_2a_at_a_short_delay(tmp_path):
    # The whole pipeline can succeed: Task 2a at p = 10 (the paper's LSTM solves p = 100 in
    # about 5,000 sequences), with the paper's α, initialisation and success rule.
    config = _tiny(_h97("h97_t2"), tmp_path, p=10, max_sequences=20_000, models="lstm1997")
    rows = _rows(config)
    runs = runner.run(config, rows, protocol.PROTOCOL)
    (entry,) = table.entries(config, rows, runs, protocol.PROTOCOL)
    assert entry["solved"] == 2 and entry["wrong"] == 0  # both sequences right


@pytest.mark.slow  # trains LSTMs until they solve T4: make test-slow
def test_h97_milestones_come_before_the_stop(tmp_path):
    # Exp. 3 records ST1 on the way to ST2, in the same run: ST1 <= ST2 in every trial.
    config = _tiny(_h97("h97_t4"), tmp_path, T=20, max_sequences=30_000, models="lstm1997")
    rows = _rows(config)
    r = runner.run(config, rows, protocol.PROTOCOL)[(rows[0].id, "lstm1997")]
    assert r["n_solved"] >= 1
    marks = r["milestones"]["st1"]["at"]
    for solved, at, st1 in zip(r["solved"], r["solved_at"], marks, strict=True):
        if solved:
            assert 0 < st1 <= at


@pytest.mark.slow  # trains three readings of Exp. 1 and compares them: make test-slow
def test_h97_reber_readings_are_recorded_and_train_differently(tmp_path):
    # Exp. 1 with the spec's readings (one update per string, one-hot next-symbol targets) and with
    # the two options; each is recorded in the run's config.json and trains differently.
    losses = {}
    for rule, targets in (("sequence", "next"), ("step", "next"), ("sequence", "legal")):
        out = tmp_path / f"{rule}_{targets}"
        config = _tiny(_h97("h97_t1"), out, update_rule=rule, reber_targets=targets)
        _set(config, evals_per_chunk=1, data_pairs=1)
        runner.run(config, _rows(config), protocol.PROTOCOL)
        (saved,) = list((out / "out").rglob("config.json"))
        assert json.loads(saved.read_text())["update_rule"] == rule
        assert json.loads(saved.read_text())["reber_targets"] == targets
        lines = (saved.parent / "metrics.jsonl").read_text().splitlines()
        losses[rule, targets] = json.loads(lines[-1])["train/loss"]
    assert len({tuple(v) for v in losses.values()}) == 3


@pytest.mark.slow  # a reproduction on trained T7 nets: make test-slow
def test_h97_flow_in_trained_networks(tmp_path):
    # H97-EQ on trained weights: the truncated carousel passes error unchanged (log norm exactly 0
    # at every lag); the trained tanh RNN's Jacobian products shrink with the lag.
    config = _tiny(_h97("h97_t7"), tmp_path, T=40)
    rows = _rows(config)
    runner.run(config, rows, protocol.PROTOCOL)
    curves = flow.flow(config, rows[0])
    assert [m for _, m, _, _ in curves] == ["lstm1997", "lstm1997", "rnn_tanh"]
    trunc, full, rnn = (v for _, _, _, v in curves)
    np.testing.assert_allclose(trunc, 0.0, atol=1e-6)  # float32 norm of the identity
    assert len(trunc) >= 41
    assert np.all(np.isfinite(full))
    assert rnn[0] < rnn[-20] < rnn[-1] + 1e-6  # entry t is lag T - t; the last is the identity
    assert abs(rnn[-1]) < 1e-6
    # Cached on the checkpoints: the stored curves come back in the same order with the same
    # values, and a second call does not recompute them.
    stored = flow.cached_flow(config, rows[0])
    assert [s[:3] for s in stored] == [c[:3] for c in curves]
    for s, c in zip(stored, curves, strict=True):
        np.testing.assert_array_equal(s[3], c[3].astype(float))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(flow, "flow", lambda *a: pytest.fail("recomputed with unchanged checkpoints"))
        again = flow.cached_flow(config, rows[0])
    assert all(
        np.array_equal(a[3], s[3], equal_nan=True) for a, s in zip(again, stored, strict=True)
    )
    assert all(p.stat().st_size > 1000 for p in flow.draw(config, rows[0], stored))


@pytest.mark.parametrize("which", ["table10", "table11"])
def test_h97_conditions_tables_equal_the_papers_but_for_the_expected_cells(which):
    cells_, diffs = conditions.compare(which)
    assert len(cells_) == {"table10": 25 * 14, "table11": 11 * 5}[which]
    assert diffs and all(d["expected"] for d in diffs)
    columns = {c["column"] for c in cells_}
    assert {(d["task"], d["column"]) for d in diffs} == {
        k for k in paper.EXPECTED_DIFFERENCES if k[1] in columns
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config.rows.T100.T=10"], "config.T=10: the h97_adding problem needs T >= 20"),
        (["--config.T=500"], "--config.T=500: row 'T100' sets T itself"),
        (["--config.rows.T100.nope=1"], "--config.rows.T100.nope"),
        (["--config.lr=0"], "config.lr=0"),
        (["--config.lr=inf"], "config.lr=inf: must be a finite number > 0"),
        (["--config.trials=0"], "config.trials=0"),
        (["--config.in_gate_bias=-3"], "config.in_gate_bias='-3'"),
        (["--config.models=lstm1997,gru"], "config.models='lstm1997,gru'"),
        (["--config.task=4"], "config.task='4'"),
        (["--config.bias=some"], "bias='some'"),
        (["--config.update_rule=batch"], "config.update_rule='batch': must be one of"),
        (["--config.reber_targets=soft"], "config.reber_targets='soft': must be one of"),
        (["--config.after_stop=1500"], "config.after_stop=1500: must be >= 0 and a multiple of"),
        (["--config.after_stop_every=0"], "config.after_stop_every=0: must be an integer > 0"),
        (["--config.gate_trace=-1000"], "config.gate_trace=-1000: must be >= 0"),
        (["--config.eval_every=200000"], "config.eval_every=200000: must be at most the budget"),
        (
            ["--config.cell_added_after=100"],
            'config.cell_added_after=100: must be >= 0, and > 0 needs topology "B"',
        ),
        (["--config.only_rows=T1OO"], "config.only_rows: 'T1OO' is no row"),
        (["config.trials=2"], "unexpected argument 'config.trials=2'"),
        (["--config.figure=/dev/null/fig"], "config.figure='/dev/null/fig': cannot write there"),
        (["--config.models=lstm1997,"], "config.models='lstm1997,': an empty item"),
        (["--config.only_rows=T100@rnn_sigmoid"], "'T100@rnn_sigmoid' is no row"),
        (["--config.compare=T100:T5"], "config.compare='T100:T5': must be pairs"),
        (["--config.reference_row=T5"], "config.reference_row='T5': must be '' or a row of"),
        (["--config.draw=nope"], "config.draw='nope': no figure 'nope' (known: none"),
        (["--config.rows.T100.T=abc"], "--config.rows.T100.T=abc"),
        (["--config.rows.T100.lr=0.3"], "row 'T100' does not set lr"),
        (
            [f"--config={ROOT}/experiments/configs/h97_t9.py:quick", "--config.nope=1"],
            "--config.nope: no such config field",
        ),
        ([f"--config={ROOT}/experiments/configs/h97_nope.py:quick"], "cannot load"),
    ],
)
def test_h97_bad_input_gives_one_line_and_writes_nothing(driver_error, args, message):
    assert message in driver_error("experiments.hochreiter1997", *args)


def test_h97_help_explains_every_field(cli):
    proc = cli("experiments.hochreiter1997", "--helpfull")
    # each field's entry, its wrapped lines joined: "--config.NAME = VALUE: explanation"
    entries = re.split(r"\n\s*(?=--config\.)", proc.stdout)
    for name in _h97("h97_t7"):
        (entry,) = [e for e in entries if e.startswith(f"--config.{name} =")]
        said = " ".join(entry.split("(default:")[0].split()).split(": ", 1)[1]
        assert len(said) > 10, entry  # every field has its explanation
        assert "-- " not in said, entry  # no section header ("# -- the task") glued on


@pytest.mark.parametrize("name", ["lstm1997", "rnn_tanh"])
def test_h97_dtype_reaches_the_model(tmp_path, name, x64):
    config = _tiny(_h97("h97_t7"), tmp_path, dtype="float64")
    problem = protocol.build(_rows(config)[0].config, name).problem
    params = problem.init(jax.random.key(0))
    assert {x.dtype for x in jax.tree.leaves(params)} == {jnp.dtype("float64")}
    loss, _ = problem.loss(params, problem.sample(jax.random.key(1)))
    assert loss.dtype == jnp.float64


def test_h97_fixed_test_set_is_the_schedules_fixed_check(tmp_path):
    # The spec's option (one fixed check set per trial) reaches the schedule and the run's identity;
    # the Decision (a fresh set per check) is the default.
    config = _tiny(_h97("h97_t4"), tmp_path)
    (row,) = _rows(config)
    assert protocol.build(row.config, "lstm1997").schedule.fixed_eval is False
    config.fixed_test_set = True
    (row,) = _rows(config)
    assert protocol.build(row.config, "lstm1997").schedule.fixed_eval is True
    assert runner.identity(row, "lstm1997", 0, protocol.PROTOCOL)["fixed_test_set"] is True


def test_h97_sequential_construction_adds_the_drawn_cell_once():
    # Task 2a's sequential construction: for `after` updates only the direct input→output weights
    # learn (the cell's output weights stay 0 and its own weights as drawn); at update `after` the
    # cell joins with exactly the weights it was drawn with; then every update is plain SGD.
    config = _h97("h97_t2")
    _set(config, p=10, cell_added_after=3)
    (row,) = _rows(config)
    t = protocol.build(row.config, "lstm1997")
    params = t.problem.init(jax.random.key(0))
    drawn = params["added"]
    assert not np.any(params["params"]["W_y"]) and np.any(drawn["W_y"])
    state = t.optimizer.init(params)
    for k in range(6):
        batch = t.problem.sample(jax.random.key(10 + k))
        grads = jax.grad(lambda p, b=batch: t.problem.loss(p, b)[0])(params)
        step, state = t.optimizer.update(grads, state, params)
        new = jax.tree.map(lambda a, b: a + b, params, step)
        net, old = new["params"], params["params"]
        np.testing.assert_allclose(
            net["W_yx"], old["W_yx"] - row.config.lr * grads["params"]["W_yx"]
        )
        for name in ("W_in", "W_c", "W_y"):
            if k < 3:
                want = drawn[name] if name != "W_y" else 0.0 * drawn[name]
            elif k == 3:
                want = drawn[name]
            else:
                want = old[name] - row.config.lr * grads["params"][name]
            np.testing.assert_allclose(net[name], want, rtol=1e-6, atol=1e-7, err_msg=f"{name} {k}")
        params = new
    assert jax.tree.map(np.shape, params["added"]) == jax.tree.map(np.shape, drawn)


def test_h97_after_stop_splits_the_adding_error_by_target_tail(monkeypatch):
    # The T7 diagnostic's test against numpy on hand-made outputs: wrong counts, tail counts, MAE
    # on and off the tails and the signed shift toward 0.5.
    from experiments.h97 import after_stop

    targets = np.array([0.05, 0.5, 0.93, 0.7, 0.98])
    outputs = np.array([0.12, 0.51, 0.95, 0.7, 0.80])

    class Model:  # outputs the target step's value at every step
        pass

    def sample(key):
        del key
        mask = np.zeros((5, 3))
        mask[:, -1] = 1
        return protocol.Batch(
            jnp.zeros((5, 3, 2)), jnp.asarray(targets[:, None, None] * mask[..., None]),
            jnp.asarray(mask), jnp.full((5,), 3, jnp.int32),
        )  # fmt: skip

    y = jnp.broadcast_to(jnp.asarray(outputs)[:, None, None], (5, 3, 1))
    monkeypatch.setattr(after_stop.problems, "unroll", lambda m, p, x: y)
    test = after_stop._adding_test(Model(), sample, 0.04)
    got = {k: float(v) for k, v in test(None, None).items()}
    err = np.abs(outputs - targets)
    tail = np.abs(targets - 0.5) > 0.4
    assert got["wrong"] == np.sum(err >= 0.04) == 2 and got["wrong_tail"] == 2
    assert got["tail"] == 3
    np.testing.assert_allclose(got["mae_tail"], err[tail].mean(), rtol=1e-6)
    np.testing.assert_allclose(got["mae_rest"], err[~tail].mean(), rtol=1e-6)
    shift = ((outputs - targets) * np.sign(targets - 0.5))[tail].mean()
    np.testing.assert_allclose(got["shift_tail"], shift, rtol=1e-6)


def test_h97_gate_trace_and_after_stop_continue_the_runs(tmp_path):
    # Exp. 1 through the pipeline to its table and figure, its two data pairs merged into one row;
    # H97-D3's trace retraces each trial's own run from initialisation (so until its stop it sees
    # the run's weights: the trace's last check of an unstopped trial is the run's end state), and
    # the after-stop diagnostic goes on from the run's end; both cached and drawn.
    from experiments.h97 import after_stop, claim, gates

    config = _tiny(_h97("h97_d3"), tmp_path, gate_trace=400, after_stop=400, after_stop_every=200)
    _set(config, data_pairs=2)
    config.only_rows = "3x2_a01"
    # the protocol's run hook: the pipeline's table and figure, then the gate traces and what the
    # stopped nets do next, drawn beside them (what python -m experiments.run does)
    drawn = {p.stem for p in claim.PROTOCOL.run(config, ())}
    assert {"fig", "fig_gates", "fig_3x2_a01_after_stop"} <= drawn, drawn
    rows, runs, paths = pipeline.run_claim(config, protocol.PROTOCOL)  # reused: nothing trains
    row = rows[0]
    assert runs[(row.id, "lstm1997")]["n_solved"] == 0  # 400 strings: nothing stops
    entries = json.loads((tmp_path / "out" / "table.json").read_text())["rows"]
    assert entries[0]["trials"] == 4 and entries[1]["not_run"]  # 2 pairs × 2 trials; α 0.5 not run
    assert all(p.stat().st_size > 1000 for p in paths)
    tr = gates.trace(config, row)
    assert tr["seen"] == [0, 200, 400] and np.shape(tr["y_out"]) == (2, 3, 3)
    t = protocol.build(row.config, "lstm1997")
    run_dir = runner.run_dirs(config, row, "lstm1997", ("pair0",))[0]
    end = train.load_state(run_dir, t.problem, t.optimizer, t.schedule)
    probe = gates._out_gates(t.model, protocol.FAMILIES["h97_reber"].data(row.config, 0).test)
    for j in range(2):
        params = jax.tree.map(lambda a, j=j: a[j], end.params)
        np.testing.assert_allclose(tr["y_out"][j][-1], probe(params, None)["y_out"], rtol=1e-5)
    res = after_stop.after_stop(config, row)
    assert res["checks"]["seen"][0] == [600, 800] and res["start"] == [400, 400]
    assert after_stop.after_stop(config, row) == res  # cached
    assert all(p.stat().st_size > 1000 for p in gates.draw(config, [row], [tr]))
    assert all(p.stat().st_size > 1000 for p in after_stop.draw(config, row, res))


def test_output_paths_are_checked_by_creating_a_file_not_by_permission_bits(tmp_path):
    # Root passes every permission check, yet cannot create a file under /proc or below a file:
    # such a path is refused before any compute, in one line.
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    config = {"figure": ""}  # the field empty: the message names the default it makes
    for path in ("/proc/x/y", "/proc/x", str(blocker / "sub" / "fig")):
        with pytest.raises(
            ValueError, match=f"^config.figure='' \\(the default, {path}\\): cannot"
        ):
            common.check_writable(config, figure=path)
    config = {"out_dir": "/proc/x"}
    with pytest.raises(
        ValueError, match=r"^config.out_dir='/proc/x': cannot write there \(/proc is"
    ):
        common.check_writable(config, out_dir="/proc/x")
    common.check_writable(config, figure=str(tmp_path / "new" / "dir" / "fig"))  # still to be made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # the check leaves nothing


def test_h97_output_layer_options_are_checked_before_compute():
    """Issue 28's readings: one-line errors naming the field (in-process, no subprocess)."""
    cases = [
        ({"update_order": "later"}, "config.update_order='later': must be one of"),
    ]
    for fields, message in cases:
        config = _h97("h97_t1")
        _set(config, **fields)
        with pytest.raises(ValueError, match=re.escape(message)):
            protocol.validate(config)
    config = _h97("h97_t7")
    config.probe = True
    with pytest.raises(ValueError, match="config.probe=True: measures Exp. 1's strings"):
        protocol.validate(config)
    config = _h97("h97_2b")
    config.update_order = "gates_first"
    with pytest.raises(ValueError, match="update_order='gates_first': needs topology 'F'"):
        protocol.validate(config)


def test_h97_probe_equals_a_loop_over_the_strings(x64):
    """probe.probe against a plain loop: each string run alone, the long-lag step found from
    its symbols, the separation and the gain computed cell by cell."""
    from repro.tasks import hochreiter1997 as h97

    sets = h97.reber_sets(jax.random.key(3), 24, 8)
    batch = h97.reber_all(sets["train"])
    model = cells.LSTM1997(n_out=7, blocks=3, block_size=2, bias="ga", param_dtype=jnp.float64)
    x0 = jnp.zeros(7, jnp.float64)
    params = model.init(jax.random.key(4), model.initialize_carry(), x0)
    params = jax.tree.map(lambda p: 8 * p, params)  # larger weights: states that separate
    got = jax.jit(probe_lib.probe(model, batch))(params)
    states, gains, groups, s_max = [], [], [], 0.0
    for i in range(batch.inputs.shape[0]):
        n = int(batch.length[i])
        symbols = np.argmax(np.asarray(batch.inputs[i, :n]), -1)
        assert symbols[0] == 0 and symbols[1] in (1, 2)  # B, then T or P
        carry, lag = model.initialize_carry(), None
        for t in range(n):
            carry = model.apply(params, carry, batch.inputs[i, t])[0]
            s_max = max(s_max, float(jnp.max(jnp.abs(carry.s))))
            if int(np.argmax(np.asarray(batch.targets[i, t]))) in (1, 2) and t > 1:
                lag = t  # the target is the second embedded symbol
                s_lag, y_out = np.asarray(carry.s), np.asarray(carry.y[-3:])
        assert lag == n - 2
        sig = 1 / (1 + np.exp(-s_lag))
        states.append(s_lag)
        gains.append(np.repeat(y_out, 2) * 2 * sig * (1 - sig))
        groups.append(symbols[1] == 1)
    states, gains, groups = np.array(states), np.array(gains), np.array(groups)
    t, p = states[groups], states[~groups]
    margin = np.maximum(t.min(0) - p.max(0), p.min(0) - t.max(0))
    best = int(np.argmax(margin))
    np.testing.assert_allclose(float(got["s_max"]), s_max, rtol=1e-12)
    np.testing.assert_allclose(float(got["store"]), margin[best], rtol=1e-12)
    np.testing.assert_allclose(float(got["gain"]), gains[:, best].mean(), rtol=1e-12)


def test_h97_probe_changes_nothing_trained_and_is_summarised(tmp_path):
    """The probe adds entries to the log, not to what is trained: same trials, same results; its
    summary lists every trial of every data pair."""
    from experiments.h97 import mechanism

    outs = {}
    for probe in (False, True):
        config = _tiny(_h97("h97_t1"), tmp_path / str(probe), probe=probe)
        _set(config, input_output=True, output_bias=True, data_pairs=2, max_sequences=200)
        (row,) = _rows(config)
        outs[probe] = runner.run_one(config, row, "lstm1997", protocol.PROTOCOL)
    for key in ("solved_at", "sequences_seen"):
        assert outs[True][key] == outs[False][key]
    for key, values in outs[False]["test"].items():  # two programs: equal to float32 rounding
        np.testing.assert_allclose(outs[True]["test"][key], values, rtol=1e-5)
    config.label = "test"
    got = mechanism.write(config, row)
    assert got["n"] == 4 and len(got["s_max"]) == 4 and all(v > 0 for v in got["s_max"])
    assert (tmp_path / "True" / "out" / "mechanism_3x2_a05.json").exists()
    # the final nets' wrong strings, from their checkpoints, are what the last check counted
    last = []
    for pair in ("pair0", "pair1"):
        log = tmp_path / "True" / "out" / "3x2_a05" / "lstm1997" / pair / "metrics.jsonl"
        last += json.loads(log.read_text().splitlines()[-1])["eval/wrong"]
    unsolved = [not s for s in got["solved"]]
    assert [w for w, u in zip(got["wrong_strings"], unsolved, strict=True) if u] == [
        w for w, u in zip(last, unsolved, strict=True) if u
    ]
    assert (
        got["n_failed"]
        == sum(unsolved)
        == sum(got[k] for k in ("n_failed_lag_none", "n_failed_lag_few", "n_failed_lag_quarter"))
    )
    unprobed = tmp_path / "False" / "out" / "3x2_a05" / "lstm1997" / "pair0"
    with pytest.raises(ValueError, match="its log has no probe entries"):
        mechanism.summary([unprobed])


def test_trial_blocks_merge_by_id_into_exactly_one_run(tmp_path):
    """Issue 30: trials 0-5 run at once equal blocks of 4 and 2 run apart, bit for bit (results,
    every log point), and the merged run's table equals the single run's."""
    single = _tiny(_h97("h97_t7"), tmp_path / "single")
    _set(single, trials=6, max_sequences=400, T=20)
    (row,) = [r for r in _rows(single) if r.id == "T100"]
    single.only_rows = "T100@lstm1997"
    pipeline.run_claim(single, protocol.PROTOCOL)
    blocks = _tiny(_h97("h97_t7"), tmp_path / "blocks")
    _set(blocks, trials=6, max_sequences=400, T=20)
    blocks.only_rows = "T100@lstm1997"
    for block, size in (("4:6", 2), ("0:4", 4)):
        blocks.trial_block = block
        _, runs, paths = pipeline.run_claim(blocks, protocol.PROTOCOL)
        assert paths == [] and runs[("T100", "lstm1997")]["trials"] == size
    assert not (tmp_path / "blocks" / "out" / "table.json").exists()  # a block draws nothing
    blocks.trial_block = ""
    pipeline.run_claim(blocks, protocol.PROTOCOL)
    one = json.loads((tmp_path / "single/out/T100/lstm1997/results.json").read_text())
    two = json.loads((tmp_path / "blocks/out/T100/lstm1997/results.json").read_text())
    for key in ("solved", "solved_at", "sequences_seen", "diverged", "test", "success_after"):
        assert one[key] == two[key], key
    assert [b["trials"] for b in two["blocks"]] == [[0, 4], [4, 6]]
    log = lambda d: (tmp_path / d / "out/T100/lstm1997/metrics.jsonl").read_text()
    assert log("single") == log("blocks")  # every log point of every trial
    rows = lambda d: json.loads((tmp_path / d / "out" / "table.json").read_text())["rows"]
    assert rows("single") == rows("blocks")
    blocks.trial_block = "4:7"
    with pytest.raises(ValueError, match=r"config.trial_block='4:7': must be 'lo:hi' with 0 <= lo"):
        pipeline.run_claim(blocks, protocol.PROTOCOL)


@pytest.mark.slow  # two driver processes and a merge: make test-slow
def test_slurm_array_script_runs_one_block_per_task(tmp_path, cli):
    flags = [
        "--config.only_rows=T100@lstm1997", "--config.trials=4", "--config.max_sequences=200",
        "--config.evals_per_chunk=1", "--config.test_sequences=64", "--config.eval_every=100",
        f"--config.out_dir={tmp_path}/out", f"--config.figure={tmp_path}/fig",
    ]  # fmt: skip
    script = ROOT / "slurm" / "blocks.sbatch"
    for task in ("0", "1", "2"):  # the third task has no trials left
        env = {**os.environ, "SLURM_ARRAY_TASK_ID": task, "PYTHON": sys.executable}
        args = ["hochreiter1997", "experiments/configs/h97_t7.py:quick", "4", "2", *flags]
        proc = subprocess.run(
            ["bash", str(script), *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    run = tmp_path / "out" / "T100" / "lstm1997"
    assert sorted(p.name for p in run.glob("trials_*")) == ["trials_0_2", "trials_2_4"]
    proc = cli("experiments.hochreiter1997", "--config=experiments/configs/h97_t7.py:quick", *flags)
    assert proc.returncode == 0, proc.stderr[-2000:]
    merged = json.loads((run / "results.json").read_text())
    assert len(merged["solved"]) == 4 and (tmp_path / "out" / "table.json").exists()


def test_fields_added_after_the_runs_leave_their_identity_at_the_old_value():
    # H97's output-layer options came after the paper-profile runs: off, a run is the one committed
    config = _h97("h97_t7")
    (row, *_) = _rows(config)
    assert not {"input_output", "output_bias", "update_order"} & set(
        runner.identity(row, "lstm1997", 0, protocol.PROTOCOL)
    )
    config.input_output = True
    (row, *_) = _rows(config)
    assert runner.identity(row, "lstm1997", 0, protocol.PROTOCOL)["input_output"] is True


def test_every_committed_paper_run_is_recognised_by_its_config():
    # a config field added later must not orphan committed runs (a redraw would drop their rows)
    found = 0
    for path in sorted(ROOT.glob("runs/*/paper/table.json")):
        if not path.parent.parent.name.startswith(("h97_", "g00_")):
            continue
        config = _h97(path.parent.parent.name, "paper")
        if config.get("conditions"):
            continue
        rows = {r.id: r for r in _rows(config)}
        for e in json.loads(path.read_text()).get("rows", []):
            if e.get("not_run"):
                continue
            row = rows[e["row"]]
            dirs = runner.run_dirs(config, row, e["model"], protocol.PROTOCOL.parts(row.config))
            for part, run_dir in enumerate(dirs):
                plain = runner.identity(row, e["model"], part, protocol.PROTOCOL)
                assert results.is_complete(ROOT / run_dir, plain), run_dir
                found += 1
    assert found >= 30


def test_a_run_with_other_options_does_not_replace_the_committed_extras(monkeypatch):
    # The committed figures' recorded commands, against runs that would redraw them: the gradient
    # flow with another T, H97-T4's after-stop figures with another continuation; the same
    # options (as `make h97-readings` has them) pass.
    from experiments.h97 import claim

    run = "python -m experiments.run --config=experiments/configs/"
    monkeypatch.setattr(
        results, "command", lambda: "python -m experiments.gradient_flow --config.T=9"
    )
    config = gf_config.get_config("quick")
    with pytest.raises(ValueError, match=r"figures/gradient_flow.png was drawn by `"):
        runner.check_keeps_figure(config, stem=config.figure)
    config = _h97("h97_t4", "paper")
    config.only_rows, config.after_stop = "T100_N3@lstm1997,T100_N1@lstm1997", 50000
    same = f"{run}h97_t4.py:paper --config.only_rows={config.only_rows} --config.after_stop=50000"
    monkeypatch.setattr(results, "command", lambda: same)
    claim.check_keeps_extras(config)
    config.after_stop = 1000
    monkeypatch.setattr(results, "command", lambda: same.replace("50000", "1000"))
    with pytest.raises(ValueError, match=r"h97_t4_paper_T100_N3_after_stop.png was drawn by"):
        claim.check_keeps_extras(config)
    config.after_stop = 0  # the claim's own figure does not depend on the continuation
    monkeypatch.setattr(results, "command", lambda: f"{run}h97_t4.py:paper")
    claim.check_keeps_extras(config)
    runner.check_keeps_figure(config, protocol.PROTOCOL.not_run_fields)


def test_every_command_computes_synchronously_on_the_cpu():
    # A known JAX hang (jax-ml/jax#25861) lives in asynchronous CPU dispatch: importing the commands
    # turns it off before any computation creates the CPU client, which reads the setting once.
    code = (
        "import jax._src.xla_bridge as xb, jax\n"
        "import experiments.run, experiments.hochreiter1997, experiments.pascanu2013, "
        "experiments.bengio1994, experiments.gradient_flow, experiments.questions, bench.train\n"
        "assert not xb.backends_are_initialized(), 'a backend before the setting'\n"
        "print(jax.config.values['jax_cpu_enable_async_dispatch'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == "False"


LEVEL_0 = "--xla_backend_optimization_level=0"


@pytest.mark.parametrize("given", ["", "--xla_cpu_use_fusion_emitters=false", LEVEL_0])
def test_every_command_compiles_at_llvm_level_2_unless_a_level_is_given(given):
    # The commands and benchmarks set XLA_FLAGS at import, before a backend reads it (a fresh
    # process without the tests' own flags, conftest.py); other flags and a level given by hand
    # are kept.
    code = (
        "import jax._src.xla_bridge as xb, os\n"
        "import experiments.run, bench.jacobians\n"
        "assert not xb.backends_are_initialized(), 'a backend before the setting'\n"
        "print(os.environ['XLA_FLAGS'])\n"
    )
    env = {**os.environ, "XLA_FLAGS": given}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-500:]
    flags_seen = out.stdout.split()
    assert given.split() == flags_seen[: len(given.split())]
    level = [f for f in flags_seen if "optimization_level" in f]
    assert level == ([LEVEL_0] if given == LEVEL_0 else ["--xla_backend_optimization_level=2"])
