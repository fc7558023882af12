"""The practitioners' questions (S2, S3) on the shared pipeline: configs, the remedies, the exact
measurements, bad input and the driver end to end."""

import importlib
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_experiments import CONFIGS

from experiments.claims import pipeline, updates
from experiments.claims import rows as rows_lib
from experiments.configs import _questions
from experiments.questions import claim, protocol, s0, s1
from repro import cells, train

TRAINED_QUESTIONS = [c for c in CONFIGS if c.startswith(("s1_", "s2_", "s3_"))]


def _config(name, profile="quick"):
    return importlib.import_module(f"experiments.configs.{name}").get_config(profile)


def _rows(config):
    return rows_lib.rows_of(config, protocol.validate)


@pytest.mark.parametrize("profile", ["quick", "full"])
@pytest.mark.parametrize("name", TRAINED_QUESTIONS)
def test_profiles_are_valid_and_full_has_the_claims_scale(name, profile):
    config = _config(name, profile)
    rows = _rows(config)
    assert config.trials >= 10  # seeds.md: >= 10 trials per point
    if profile == "full" and name == "s3_exists":  # lags up to >= 100, radii 0.5 ... 1.5
        assert max(r.config.L for r in rows) >= 100
        assert {0.5, 1.5} <= {r.config.radius for r in rows}
    if name == "s2_ablation":  # every remedy the spec lists
        assert set(rows_lib.models_of(config)) == set(protocol.VARIANTS) - {"ssm", "lstm_truncated"}


def test_every_variant_builds_what_it_names():
    c = _questions.base("quick")
    c.hidden, c.L = 8, 12
    want = {
        "tanh_default": ("tanh", "standard"), "tanh_glorot": ("tanh", "standard"),
        "tanh_orthogonal": ("tanh", "standard"), "tanh_clip": ("tanh", "standard"),
        "relu": ("relu", "standard"), "irnn": ("relu", "standard"),
        "leaky_relu": ("leaky_relu", "standard"), "residual": ("tanh", "residual"),
        "ssm": ("tanh", "standard"),
    }  # fmt: skip
    for name in protocol.VARIANTS:
        model = protocol.model_for(c, name)
        params = model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(5))
        cell = params["params"]["cell"]
        if name in want:
            assert isinstance(model.cell, cells.SimpleRNN)
            assert (model.cell.activation, model.cell.form) == want[name]
        w = np.asarray(cell["W_rec"])
        if name == "irnn":
            np.testing.assert_array_equal(w, np.eye(8))
        if name == "tanh_orthogonal":
            np.testing.assert_allclose(w @ w.T, np.eye(8), atol=1e-5)
        if name in ("tanh_default", "relu", "leaky_relu", "residual", "tanh_clip"):
            assert np.abs(w).max() <= 1 / np.sqrt(8)  # PyTorch's U(±1/√n)
        if name == "ssm":  # no biases: s_t = tanh(A s + B u), y = C s
            assert "b" not in cell and "b_y" not in params["params"]
            assert np.max(np.abs(np.linalg.eigvals(w))) == pytest.approx(1.0, rel=1e-4)
    assert isinstance(protocol.model_for(c, "lstm").cell, cells.LSTM)
    assert isinstance(protocol.model_for(c, "gru").cell, cells.GRU)
    assert protocol.model_for(c, "attention").cell.max_len == 12
    c.radius = 1.5
    model = protocol.model_for(c, "ssm")
    a = model.init(jax.random.key(1), model.initialize_carry(), jnp.zeros(5))["params"]["cell"]
    assert np.max(np.abs(np.linalg.eigvals(np.asarray(a["W_rec"])))) == pytest.approx(1.5, 1e-4)


def test_only_the_clipping_variant_clips_and_models_can_be_optimisers():
    # Under plain SGD a gradient of norm G moves the weights by lr·min(G, clip) when clipping.
    c = _questions.base("quick")
    c.hidden, c.L, c.trials, c.optimizer, c.lr, c.clip = 4, 10, 2, "sgd", 0.1, 1.0
    norm = lambda t: float(jnp.sqrt(sum(jnp.sum(u**2) for u in jax.tree.leaves(t))))
    for name, clipped in (("tanh_clip", True), ("tanh_default", False)):
        t = protocol.build(c, name)
        g = jax.tree.map(lambda p: 10 * jnp.ones_like(p), t.problem.init(jax.random.key(0)))
        updates, _ = t.optimizer.update(g, t.optimizer.init(g), g)
        want = c.lr * (c.clip if clipped else norm(g))
        assert norm(updates) == pytest.approx(want, rel=1e-5)
    c.models_are, c.models = "optimizers", "sgd,nesterov,rmsprop,adam"
    assert protocol.variant_and_optimizer(c, "rmsprop") == ("ssm", "rmsprop")
    _rows_ok = _rows(_config("s3_optim"))
    assert {r.config.variant for r in _rows_ok} == {"ssm"}
    assert set(train.OPTIMIZERS) == {"sgd", "nesterov", "rmsprop", "adam"}


def test_reach_and_flow_are_exact(x64):
    # log10‖∂y_T/∂x_t‖ against central finite differences, and log10‖∂s_T/∂s_{p+1}‖ (Jacobian
    # engine) against the product of per-step jacrev Jacobians and numpy's 2-norm, on a
    # non-normal LSTM (full state c, h) with weights of order 1.
    c = _questions.base("quick")
    c.hidden, c.L, c.dtype, c.task = 3, 7, "float64", "s_recall"
    model = protocol.model_for(c, "lstm")
    params = model.init(jax.random.key(3), model.initialize_carry(), jnp.zeros(5))
    params = jax.tree.map(lambda w: 3 * w, params)
    batch = protocol.TASKS["s_recall"].sample(c, jax.random.key(4), 1)
    xs = batch.inputs[0]
    got = np.asarray(protocol.input_reach(model, params, xs))
    last = jax.jit(
        lambda z: jax.lax.scan(lambda s, x: model.apply(params, s, x), model.initialize_carry(), z)[
            1
        ][-1]
    )
    eps = 1e-6
    for t in range(c.L):
        cols = []
        for i in range(xs.shape[1]):
            d = jnp.zeros_like(xs).at[t, i].set(eps)
            cols.append(np.asarray(last(xs + d) - last(xs - d)) / (2 * eps))
        want = 0.5 * np.log10(np.sum(np.square(cols)))
        assert got[t] == pytest.approx(want, abs=1e-6)
    p = 2
    step = lambda s, x: model.cell.apply({"params": params["params"]["cell"]}, s, x)[0]
    flat = lambda s: jnp.concatenate([s.c, s.h])
    unflat = lambda v: cells.LSTMState(v[:3], v[3:])
    jac = jax.jacrev(lambda v, x: flat(step(unflat(v), x)))
    s, states = model.cell.initialize_carry(), []
    for x in xs:
        states.append(flat(s))
        s = step(s, x)
    prod = np.eye(6)
    for k in range(p + 1, c.L):  # ∂s_T/∂s_{p+1} = J_T ... J_{p+2}
        prod = np.asarray(jac(states[k], xs[k])) @ prod
    flow = updates.state_flow(model, params, xs, jnp.asarray(p) + 1)  # a traced step, as measured
    assert float(flow) == pytest.approx(np.log(np.linalg.norm(prod, 2)), abs=1e-9)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"models": "tanh_default,adam"}, "config.models='tanh_default,adam': must list distinct"),
        ({"task": "s_copy"}, "config.task='s_copy': must be one of"),
        ({"radius": -1.0}, "config.radius=-1.0: must be a finite number >= 0"),
        ({"lr": 0.0}, "config.lr=0.0: must be a finite number > 0"),
        ({"eval_sequences": 1500}, "must be multiples of 1000"),
        ({"optimizer": "lbfgs"}, "config.optimizer='lbfgs': must be one of"),
        ({"hidden": 0}, "config.hidden=0: must be an integer > 0"),
        ({"models_are": "cells"}, "config.models_are='cells': must be one of"),
        ({"variant": "lstm2"}, "config.variant='lstm2': must be one of"),
        ({"clip": float("inf")}, "config.clip=inf: must be a finite number > 0"),
        ({"radius": float("inf")}, "config.radius=inf: must be a finite number >= 0"),
        ({"symbols": 0}, "config.symbols=0: must be an integer > 0"),
        ({"dtype": "float16"}, "config.dtype='float16': must be one of"),
        ({"L": 1}, "config.L=1: s_recall needs L >= 2"),
        ({"eval_every": 100_000}, "config.eval_every=100000: must be at most the budget"),
    ],
)
def test_bad_config_is_one_line_naming_the_field(fields, message):
    config = _config("s2_ablation")
    config.update({k: v for k, v in fields.items() if k not in ("task", "L")})
    for name in ("task", "L"):  # fields the rows set
        if name in fields:
            config.rows.recall_T10[name] = fields[name]
    with pytest.raises(ValueError) as err:
        _rows(config)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config.task=s_adding", "--config.rows.k30_lr0p01.L=5"], "config.L=5: s_adding needs"),
        (["--config.models=sgd,irnn"], "config.models='sgd,irnn'"),
    ],
)
def test_driver_bad_input_gives_one_line_and_writes_nothing(driver_error, args, message):
    config = "--config=experiments/configs/s3_optim.py:quick"
    assert message in driver_error("experiments.questions", config, *args)


def test_s2_runs_end_to_end_with_symptoms(tmp_path):
    # A remedy on copy/recall through the pipeline, the success grid and the symptoms figure.
    config = _config("s2_ablation")
    config.update(dict(trials=2, max_updates=20, eval_every=20, evals_per_chunk=1, hidden=4,
                       models="residual", only_rows="recall_T10",
                       out_dir=str(tmp_path / "out"), figure=str(tmp_path / "fig")))  # fmt: skip
    _, _, paths = pipeline.run_claim(config, claim.PROTOCOL)
    entries = json.loads((tmp_path / "out" / "table.json").read_text())["rows"]
    done = [e for e in entries if not e.get("not_run")]
    assert {e["model"] for e in done} == {"residual"}
    for e in done:
        assert e["budget"] == 20 and len(e["reach_profile"]) == 2
        assert len(e["reach_profile"][0]) == 10 and len(e["recency"][0]) == protocol.RECENCY_BINS
        assert all(0 <= a <= 1 for row in e["recency"] for a in row)
        lo, hi = e["wilson"]
        assert 0 <= lo <= e["solved"] / e["trials"] <= hi <= 1
        assert np.isfinite(e["log10_flow"]).all() and np.isfinite(e["reach"]).all()
    names = {p.name for p in paths}
    assert names == {f"fig{s}.{x}" for s in ("", "_symptoms") for x in ("pdf", "png")}


def test_s1_cell_path_is_the_forget_gate_product_under_truncation(x64):
    # S1-cell's numbers on a saturated-ish random LSTM: with G00's truncated gradient the c-block of
    # the state product is diag(∏ f) exactly, so its norm is max_j ∏ f_j; with the full gradient
    # the h paths add to it (not equal); ∂h_T/∂h_t is 0 under truncation.
    c = _questions.base("quick")
    c.hidden, c.L, c.dtype = 5, 9, "float64"
    xs = protocol.TASKS["s_recall"].sample(c, jax.random.key(5), 1).inputs[0]
    got = {}
    for name in ("lstm_truncated", "lstm"):
        model = protocol.model_for(c, name)
        params = model.init(jax.random.key(6), model.initialize_carry(), jnp.zeros(5))
        params = jax.tree.map(lambda w: 2 * w, params)
        got[name] = [np.asarray(a) for a in s1._lstm_numbers(model, params, xs)]
    dc, prod, dh, f = got["lstm_truncated"]
    np.testing.assert_allclose(dc, prod, rtol=0, atol=1e-12)
    assert np.all(np.isneginf(dh[:-1])) and dh[-1] == 0
    want = np.max(np.sum(np.log10(f[3:]), axis=0))  # ∏ over steps 4..9 = ∂c_9/∂c_3
    assert dc[3] == pytest.approx(want, abs=1e-12)
    dc_full, prod_full, _, _ = got["lstm"]
    np.testing.assert_allclose(prod_full, prod)  # same weights, same gates
    assert np.max(np.abs(dc_full[:-2] - prod_full[:-2])) > 1e-3


def _s0_config(tmp_path, **fields):
    c = _config("s0_downsampling")
    c.update(dict(samples=200, hidden=3, train_size=32, val_size=16, batch=16, epochs=2, trials=2,
                  factors="1", alias_factors="1", out_dir=str(tmp_path / "out"),
                  figure=str(tmp_path / "fig")))  # fmt: skip
    c.update(fields)
    return c


def test_s0_bilstm_last_is_the_bidirectional_net(tmp_path):
    # The backward LSTM's output at T, computed as one step, equals running it over the reversed
    # sequence and keeping its output at position T; the forward half is the plain LSTM's h_T.
    c = _s0_config(tmp_path)
    params = s0.init(c, jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (3, 25))
    lstm = cells.LSTM(c.hidden)
    run = lambda p, xs: cells.run(lstm, {"params": p}, jnp.swapaxes(xs[..., None], 0, 1))[1]
    fwd = run(params["fwd"], x)[-1]  # (3, hidden)
    bwd = run(params["bwd"], x[:, ::-1])[0]  # backward pass, its output at position T
    want = jnp.concatenate([fwd, bwd], -1) @ params["W"].T + params["b"]
    np.testing.assert_allclose(s0.predict(c, params, x), want[:, 0], rtol=1e-5, atol=1e-6)


def test_s0_runs_end_to_end_and_resumes(tmp_path):
    c = _s0_config(tmp_path)
    paths = s0.run(c)
    numbers = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert numbers["lengths"] == {"1": 200} and "provenance" in numbers
    assert set(numbers["alias_final_val_rmse"]) == {"none", "stride_x1", "antialias_x1"}
    assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in numbers["final_val_rmse"].values())
    blocks = sorted(p.name for p in (tmp_path / "out" / "blocks").glob("*.npz"))
    assert blocks == sorted(f"{n}.npz" for n in ("low_x1", "high_x1", "high_stride_x1",
                                                 "high_antialias_x1"))  # fmt: skip
    with np.load(tmp_path / "out" / "blocks" / "low_x1.npz") as b:
        assert b["val_rmse"].shape == (2, 3) and b["log10_dh"].shape == (2, 201)
        assert np.all(np.isfinite(b["log10_dh"]))  # the log-scale product never underflows
    stamp = (tmp_path / "out" / "blocks" / "low_x1.npz").stat().st_mtime_ns
    s0.run(c)  # a rerun reuses every block
    assert (tmp_path / "out" / "blocks" / "low_x1.npz").stat().st_mtime_ns == stamp
    assert {p.name for p in paths} == {"fig.pdf", "fig.png"}


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"factors": "1,0"}, "config.factors='1,0': must be integers >= 1"),
        ({"alias_factors": "150"}, "config.alias_factors='150'"),
        ({"train_size": 40}, "config.train_size=40: must be a multiple of config.batch=16"),
        ({"lr": -1.0}, "config.lr=-1.0: must be a finite number > 0"),
        ({"target_rmse": float("inf")}, "config.target_rmse=inf: must be a finite number > 0"),
        ({"hidden": 0}, "config.hidden=0: must be an integer > 0"),
        ({"factors": "1,x"}, "config.factors='1,x': must be comma-separated numbers"),
    ],
)
def test_s0_bad_config_is_one_line_and_writes_nothing(tmp_path, fields, message):
    with pytest.raises(ValueError) as err:
        s0.run(_s0_config(tmp_path, **fields))
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_s0_and_s_reach_profiles_are_valid(profile, tmp_path):
    c = _config("s0_downsampling", profile)
    c.out_dir, c.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    factors = s0._check(c)
    assert factors == [1, 5, 10, 50, 100] and c.samples == 10_000 and c.trials >= 3
    assert _config("s_reach", profile).claim == "S-reach"


def test_s_reach_pools_every_trial_but_attention_and_draws(tmp_path):
    from experiments.questions import reach

    def table(claim, rows):
        path = tmp_path / "runs" / claim / "quick" / "table.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"rows": rows}))

    row = lambda model, flows, solved: {"row": "r", "model": model, "log10_flow": flows,
                                        "solved_list": solved}  # fmt: skip
    table("s2_ablation", [row("lstm", [0.5, -3.0], [True, False]),
                          row("attention", [None, None], [True, True]), {"not_run": True}])  # fmt: skip
    table("s3_exists", [row("adam", [-50.0, float("-inf"), 2.0], [True, False, True])])
    got = reach.trials(tmp_path, "quick")
    assert set(got) == {"s2_ablation", "s3_exists"}
    np.testing.assert_array_equal(got["s2_ablation"][0], [0.5, -3.0])  # attention left out
    # -inf (no path at all) is kept: it is the lowest reach there is, not a missing value
    np.testing.assert_array_equal(got["s3_exists"][0], [-50.0, float("-inf"), 2.0])
    np.testing.assert_array_equal(got["s3_exists"][1], [True, False, True])
    c = _config("s_reach")
    c.figure, c.out_dir = str(tmp_path / "fig"), str(tmp_path / "out")
    assert {p.name for p in reach.draw(c, tmp_path)} == {"fig.pdf", "fig.png"}
    numbers = json.loads((tmp_path / "out" / "numbers.json").read_text())
    # 5 trials pooled (attention left out), one with no path at all, counted in the lowest band
    assert numbers["trials"] == 5 and numbers["no_path"] == 1 and numbers["no_path_solved"] == 0
    assert numbers["above_1"] == [2, 2] and numbers["min_solved"] == -50.0
    with pytest.raises(ValueError, match="no table.json"):
        reach.draw(c, tmp_path / "empty")
    c.out_dir = "/proc/x"  # an unwritable output: one line before anything is read
    with pytest.raises(ValueError, match="config.out_dir='/proc/x': cannot write there"):
        reach.draw(c, tmp_path)
