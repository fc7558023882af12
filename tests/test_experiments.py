"""Every experiment config runs (a tiny override of its quick profile), and bad input fails cleanly."""

import gzip
import importlib
import json
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
from experiments.configs import gradient_flow as gf_config
from repro import cells

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    p.stem for p in (ROOT / "experiments" / "configs").glob("*.py") if not p.stem.startswith("_")
)
TESTED = {"gradient_flow"} | {c for c in CONFIGS if c.startswith(("h97_", "g00_"))}


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
    config.out_dir, config.figure = str(tmp_path / "run"), str(tmp_path / "fig")
    arrays, summary = gf.compute(config)
    assert arrays["curve0"].shape == (2, 31) and arrays["heatmap"].shape == (13, 13)
    assert set(summary) == set(config.curves.split(","))
    assert summary["lstm1997:s"]["median_log10_norm_at_lag"]["10"] == pytest.approx(0, abs=1e-6)
    paths = gf.draw(config, arrays)
    assert all(p.stat().st_size > 1000 for p in paths)


def _run(*args, tmp_path, module="experiments.gradient_flow"):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            *args,
            f"--config.out_dir={tmp_path / 'out'}",
            f"--config.figure={tmp_path / 'fig'}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


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
    ],
)
def test_bad_input_gives_one_line_and_writes_nothing(tmp_path, args, message):
    proc = _run(*args, tmp_path=tmp_path)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("fig*"))


def test_help_explains_every_config_field(tmp_path):
    proc = _run("--helpfull", tmp_path=tmp_path)
    config = gf_config.get_config("quick")
    for name in config:
        assert f"--config.{name} =" in proc.stdout, name
    assert json.dumps(config.to_dict())  # the config is plain data: it goes to config.json


# ----------------------------------------------------------------------------- H97 / G00


H97 = sorted(c for c in CONFIGS if c.startswith(("h97_", "g00_")))
TRAINED = [c for c in H97 if c not in ("h97_t10", "h97_t11")]


def _h97(name, profile="quick"):
    return importlib.import_module(f"experiments.configs.{name}").get_config(profile)


def _tiny(config, tmp_path, **extra):
    """The config's own rows, cut to seconds: 2 trials, a small budget and small test sets."""
    from experiments import hochreiter1997 as h

    config.out_dir, config.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    rows = []
    for label, c in h.rows_of(config):
        c.trials, c.max_sequences, c.data_pairs = 2, 400, min(c.data_pairs, 2)
        c.log_every, c.logs_per_chunk = 100, 2
        c.test_sequences = min(c.test_sequences, 64)
        c.check_sequences = min(c.check_sequences, 64)
        c.window = min(c.window, 50)
        c.window_max_wrong = min(c.window_max_wrong, 5)
        c.mark_max_wrong = min(c.mark_max_wrong, 20)
        for k, v in extra.items():
            c[k] = v
        rows.append((label, c))
    return config, rows


@pytest.mark.parametrize("profile", ["quick", "paper"])
@pytest.mark.parametrize("name", H97)
def test_h97_profiles_are_valid_and_pin_the_papers_weights(name, profile):
    from experiments import hochreiter1997 as h

    config = _h97(name, profile)
    assert config.claim and config.profile == profile
    if name in ("h97_t10", "h97_t11"):
        return
    rows = h.rows_of(config)
    paper = h.PAPER.get(config.claim, {})
    for label, c in rows:
        n_in, n_out = h._io(c)
        model = h.lstm_model(c, n_out)
        w = cells.count_params(
            model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(n_in))
        )
        if "weights" in paper.get(label, {}):
            assert w == paper[label]["weights"], (name, label)
    if profile == "paper":  # every row of the paper's table is in the paper profile
        assert set(paper) <= {label for label, _ in rows} | {k for k in paper if "@" in k}, name


# Configs whose BPTT baseline runs in the end-to-end test below (sigmoid and tanh); the others'
# baselines are the same model on another task (the t7 one also trains in the error-flow test).
WITH_BASELINE = ("h97_t2", "h97_t4")


@pytest.mark.parametrize("name", TRAINED)
def test_h97_configs_run_end_to_end_with_table_and_figure(name, tmp_path):
    # Every config, its first two rows (each model variant of a config is in them: G00's forget
    # gate, D1's full gradient), 2 trials, 400 sequences: the whole pipeline down to the figure.
    from experiments import hochreiter1997 as h

    extra = {} if name in WITH_BASELINE else {"baseline": ""}
    config, rows = _tiny(_h97(name), tmp_path, **extra)
    rows = rows[:2]
    rows, runs, entries = h.run(config, rows)
    assert len(entries) == sum(len(h.models_of(c)) for _, c in rows)
    per_model = [c for _, c in rows for _ in h.models_of(c)]
    for e, c in zip(entries, per_model, strict=True):
        assert e["trials"] == 2 * (c.data_pairs if c.experiment == "reber" else 1)
        assert 0 <= e["solved"] <= e["trials"]
        for event in ("st1", "n140"):
            assert (event in e) == (h.EVENTS.get(c.experiment, ("",))[0] == event)
    text = h.markdown(config, entries)
    assert text.count("\n| ") == len(entries) + 1
    paths = h.draw(config, rows, runs)
    assert all(p.stat().st_size > 1000 for p in paths)


def test_h97_cached_runs_are_reused(tmp_path):
    from experiments import hochreiter1997 as h

    config, rows = _tiny(_h97("h97_t4"), tmp_path, baseline="")
    _, runs, _ = h.run(config, rows)
    mtime = [p.stat().st_mtime for p in sorted((tmp_path / "out").rglob("results.json"))]
    _, again, _ = h.run(config, rows)
    for key, r in runs.items():
        for field in ("solved_at", "sequences_seen", "test", "milestones", "n_weights"):
            assert again[key][field] == r[field], field
    assert mtime == [p.stat().st_mtime for p in sorted((tmp_path / "out").rglob("results.json"))]


def test_h97_rows_not_run_are_reported_not_trained(tmp_path):
    from experiments import hochreiter1997 as h

    config, rows = _tiny(_h97("h97_t9", "paper"), tmp_path, baseline="")
    config.only_rows = f"{rows[0][0]}@lstm1997"
    _, runs, entries = h.run(config, rows)
    assert runs[(rows[0][0], "lstm1997")] is not None and runs[(rows[1][0], "lstm1997")] is None
    assert [e.get("not_run", False) for e in entries] == [False, True]
    assert "not run at this profile yet" in h.markdown(config, entries)
    # Committed paper-profile runs keep long logs gzipped: the curves read the same from them.
    (log,) = list((tmp_path / "out").rglob("metrics.jsonl"))
    seqs, err = h._curves(log.parent)
    log.with_suffix(".jsonl.gz").write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    seqs_gz, err_gz = h._curves(log.parent)
    np.testing.assert_array_equal(seqs, seqs_gz)
    np.testing.assert_array_equal(err, err_gz)
    config.only_rows, config.run_missing = "", False  # redraw only: the finished row is reused
    _, again, _ = h.run(config, rows)
    assert (
        again[(rows[0][0], "lstm1997")]["solved_at"] == runs[(rows[0][0], "lstm1997")]["solved_at"]
    )
    assert again[(rows[1][0], "lstm1997")] is None
    assert all(p.stat().st_size > 1000 for p in h.draw(config, rows, again))


def test_h97_reber_readings_run_and_are_recorded_only_when_chosen(tmp_path):
    # Exp. 1 with the spec's readings (one update per string, one-hot next-symbol targets) and with
    # the two options: the default run's config.json omits the later fields (so committed runs stay
    # recognised), a chosen option is recorded, and each reading trains differently.
    from experiments import hochreiter1997 as h

    losses = {}
    for rule, targets in (("sequence", "next"), ("step", "next"), ("sequence", "legal")):
        out = tmp_path / f"{rule}_{targets}"
        config, rows = _tiny(_h97("h97_t1"), out, update_rule=rule, reber_targets=targets)
        config.logs_per_chunk = 1
        _, runs, entries = h.run(config, rows)
        (run_dir,) = list((out / "out").rglob("config.json"))
        saved = json.loads(run_dir.read_text())
        saved = saved.get("config", saved)
        assert ("update_rule" in saved) == (rule != "sequence")
        assert ("reber_targets" in saved) == (targets != "next")
        lines = (run_dir.parent / "metrics.jsonl").read_text().splitlines()
        losses[rule, targets] = json.loads(lines[-1])["train/loss"]
        assert entries[0]["trials"] == 2
    assert len({tuple(v) for v in losses.values()}) == 3


def test_h97_lstm_solves_task_2a_at_a_short_delay(tmp_path):
    # The whole pipeline can succeed: Task 2a at p = 10 (the paper's LSTM solves p = 100 in
    # about 5,000 sequences), with the paper's α, initialisation and success rule.
    from experiments import hochreiter1997 as h

    config, rows = _tiny(_h97("h97_t2"), tmp_path, p=10, max_sequences=20_000, baseline="")
    _, runs, entries = h.run(config, rows)
    assert entries[0]["solved"] == 2 and entries[0]["wrong"] == 0  # both sequences right


def test_h97_milestones_come_before_the_stop(tmp_path):
    # Exp. 3 records ST1 on the way to ST2, in the same run: ST1 <= ST2 in every trial.
    from experiments import hochreiter1997 as h

    config, rows = _tiny(_h97("h97_t4"), tmp_path, T=20, max_sequences=30_000, baseline="")
    _, runs, _ = h.run(config, rows)
    r = runs[(rows[0][0], "lstm1997")]
    assert r["n_solved"] >= 1
    marks = r["milestones"]["st1"]["at"]
    for solved, at, st1 in zip(r["solved"], r["solved_at"], marks, strict=True):
        if solved:
            assert 0 < st1 <= at


def test_h97_flow_in_trained_networks(tmp_path):
    # H97-EQ on trained weights: the truncated carousel passes error unchanged (log norm exactly 0
    # at every lag); the trained tanh RNN's Jacobian products shrink with the lag.
    from experiments import hochreiter1997 as h

    config, rows = _tiny(_h97("h97_t7"), tmp_path, T=40)
    h.run(config, rows)
    curves = h.flow(config, rows)
    trunc, full, rnn = (curves[k] for k in curves)
    np.testing.assert_allclose(trunc, 0.0, atol=1e-6)  # float32 norm estimate of the identity
    assert len(trunc) >= 41
    assert np.all(np.isfinite(full))
    assert rnn[0] < rnn[-20] < rnn[-1] + 1e-6  # entry t is lag T - t; the last is the identity
    assert abs(rnn[-1]) < 1e-6
    paths = h.draw_flow(config, curves)
    assert all(p.stat().st_size > 1000 for p in paths)
    # Cached on the checkpoints: the stored curves come back in the same order with the same
    # values, and a second call does not recompute them.
    stored = h.cached_flow(config, rows)
    assert list(stored) == list(curves)
    for k in curves:
        np.testing.assert_array_equal(stored[k], curves[k].astype(float))

    def fail(*args):
        raise AssertionError("flow recomputed although the checkpoints did not change")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(h, "flow", fail)
        again = h.cached_flow(config, rows)
    assert all(np.array_equal(again[k], stored[k], equal_nan=True) for k in stored)


@pytest.mark.parametrize("which", ["table10", "table11"])
def test_h97_conditions_tables_equal_the_papers_but_for_the_expected_cells(which):
    from experiments import hochreiter1997 as h

    cells_, diffs = h.compare_conditions(which)
    assert len(cells_) == {"table10": 25 * 14, "table11": 11 * 5}[which]
    assert diffs and all(d["expected"] for d in diffs)
    columns = {c["column"] for c in cells_}
    assert {(d["task"], d["column"]) for d in diffs} == {
        k for k in h.EXPECTED_DIFFERENCES if k[1] in columns
    }


def test_h97_bad_rows_name_the_row():
    from experiments import hochreiter1997 as h

    config = _h97("h97_t7")
    for rows, message in [
        ("T100 T=100", "must read 'label: field=value"),
        ("A: T=100; A: T=200", "label 'A' appears twice"),
        ("A: nope=1", "no such config field 'nope'"),
        ("A: T=abc", "T='abc' must be a int"),
        ("A: T=10", "config.T=10: the adding problem needs T >= 20"),
        ("A: in_gate_bias=-3", "(row 'A' of config.rows)"),
        ("", "must name at least one row"),
    ]:
        config.rows = rows
        with pytest.raises(ValueError, match=re.escape(message)):
            h.rows_of(config)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config.rows=T10: T=10"], "config.T=10: the adding problem needs T >= 20"),
        (["--config.rows=T100"], "must read 'label: field=value"),
        (["--config.lr=0"], "config.lr=0"),
        (["--config.trials=0"], "config.trials=0"),
        (["--config.in_gate_bias=-3"], "config.in_gate_bias='-3'"),
        (["--config.baseline=gru"], "config.baseline='gru'"),
        (["--config.experiment=4"], "config.experiment='4'"),
        (["--config.bias=some"], "bias='some'"),
        (["--config.update_rule=batch"], "config.update_rule='batch': must be one of"),
        (["--config.reber_targets=soft"], "config.reber_targets='soft': must be one of"),
    ],
)
def test_h97_bad_input_gives_one_line_and_writes_nothing(tmp_path, args, message):
    proc = _run(*args, tmp_path=tmp_path, module="experiments.hochreiter1997")
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("fig*"))


def test_h97_help_explains_every_field(tmp_path):
    proc = _run("--helpfull", tmp_path=tmp_path, module="experiments.hochreiter1997")
    for name in _h97("h97_t7"):
        assert f"--config.{name} =" in proc.stdout, name


@pytest.mark.parametrize("name", ["lstm1997", "rnn_tanh"])
def test_h97_dtype_reaches_the_model(tmp_path, name, x64):
    from experiments import hochreiter1997 as h

    config, rows = _tiny(_h97("h97_t7"), tmp_path, dtype="float64")
    _, problem, _ = h.build(rows[0][1], name)
    params = problem.init(jax.random.key(0))
    assert {x.dtype for x in jax.tree.leaves(params)} == {jnp.dtype("float64")}
    loss, _ = problem.loss(params, problem.sample(jax.random.key(1)))
    assert loss.dtype == jnp.float64


def test_h97_equal_curves_are_told_apart():
    # Panel (b) draws a curve equal to an earlier one thinner and names it, so that none is hidden.
    from experiments import hochreiter1997 as h

    x, m = np.arange(5.0), np.array([100.0, 100.0, 50.0, np.nan, 1.0])
    assert h._same_curve(x, m, x.copy(), m.copy())
    assert not h._same_curve(x, m, x, m + 1.0)
    assert not h._same_curve(x, m, x[:4], m[:4])
