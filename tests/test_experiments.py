"""Every experiment config runs (a tiny override of its quick profile), and bad input fails cleanly."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments import common
from experiments import gradient_flow as gf
from experiments.configs import gradient_flow as gf_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    p.stem for p in (ROOT / "experiments" / "configs").glob("*.py") if p.stem != "__init__"
)
TESTED = {"gradient_flow", "h97_t7"}


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


# ----------------------------------------------------------------------------- H97-T7 (adding)


def _h97_config(tmp_path):
    from experiments.configs import h97_t7

    config = h97_t7.get_config("quick")
    config.lengths, config.trials, config.max_sequences = "20", 2, 3000
    config.log_every, config.logs_per_chunk, config.test_sequences = 100, 10, 64
    config.out_dir, config.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    return config


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_h97_t7_profiles_are_valid(profile):
    from experiments import hochreiter1997
    from experiments.configs import h97_t7

    config = h97_t7.get_config(profile)
    hochreiter1997.validate(config)
    assert config.lr == 0.5 and config.window == 2000 and config.test_sequences == 2560


def test_h97_t7_runs_end_to_end(tmp_path):
    from experiments import hochreiter1997

    config = _h97_config(tmp_path)
    runs = {(20, m): hochreiter1997.run_one(config, m, 20) for m in ("lstm1997", "rnn_tanh")}
    assert runs[(20, "lstm1997")]["n_weights"] == 93  # H97 Table 10
    assert runs[(20, "rnn_tanh")]["n_weights"] == 97
    rows = hochreiter1997.table(config, runs)
    assert [r["model"] for r in rows] == ["lstm1997", "rnn_tanh"]
    assert all(r["solved"].endswith("/2") for r in rows)
    paths = hochreiter1997.draw(config, runs)
    assert all(p.stat().st_size > 1000 for p in paths)
    again = hochreiter1997.run_one(config, "lstm1997", 20)  # reused from its run directory
    assert again["solved_at"] == runs[(20, "lstm1997")]["solved_at"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config.lengths=10"], "T=10 is too short"),
        (["--config.lengths=abc"], "config.lengths='abc'"),
        (["--config.lr=0"], "config.lr=0"),
        (["--config.trials=0"], "config.trials=0"),
        (["--config.in_gate_bias=-3"], "config.in_gate_bias='-3'"),
        (["--config.baseline=gru"], "config.baseline='gru'"),
    ],
)
def test_h97_bad_input_gives_one_line_and_writes_nothing(tmp_path, args, message):
    proc = _run(*args, tmp_path=tmp_path, module="experiments.hochreiter1997")
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("fig*"))


@pytest.mark.parametrize("name", ["lstm1997", "rnn_tanh"])
def test_h97_dtype_reaches_the_model(tmp_path, name, x64):
    import jax
    import jax.numpy as jnp

    from experiments import hochreiter1997

    config = _h97_config(tmp_path)
    config.dtype = "float64"
    _, problem = hochreiter1997.adding_problem(config, name, 20)
    params = problem.init(jax.random.key(0))
    assert {x.dtype for x in jax.tree.leaves(params)} == {jnp.dtype("float64")}
    loss, _ = problem.loss(params, problem.sample(jax.random.key(1)))
    assert loss.dtype == jnp.float64
