"""P13 on the shared pipeline: configs, the protocol's model, methods and measurements, the driver."""

import importlib
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_experiments import CONFIGS

from experiments import run
from experiments.claims import pipeline, updates
from experiments.claims import rows as rows_lib
from experiments.configs import _p13
from experiments.p13 import figures, one_unit_figures, paper, protocol
from repro import cells, train
from repro import initializers as inits

P13 = [c for c in CONFIGS if c.startswith("p13_")]
NATURAL = ("p13_t1", "p13_c4")  # Table 1's real data: experiments/p13/natural.py
TRAINED = [c for c in P13 if c not in ("p13_f3", "p13_f6", *NATURAL)]


def _config(name, profile="quick"):
    return importlib.import_module(f"experiments.configs.{name}").get_config(profile)


def _rows(config):
    return rows_lib.rows_of(config, protocol.validate)


@pytest.mark.parametrize("profile", ["quick", "paper"])
@pytest.mark.parametrize("name", TRAINED)
def test_profiles_are_valid_and_pin_the_weight_count(name, profile):
    config = _config(name, profile)
    rows = _rows(config)
    numbers = paper.TABLES[config.claim]
    for row in rows:
        c = row.config
        n_in, n_out = protocol.TASKS[c.task].io(c)
        n = c.hidden  # W_rec, W_in, b; W_out, b_out (spec §1.1)
        params = protocol.build(c, rows_lib.models_of(c)[0]).problem.init(jax.random.key(0))
        assert cells.count_params(params) == n * (n + n_in + 1) + n_out * (n + 1)
        assert row.id in numbers, row.id
    if profile == "paper":
        assert c.max_updates == 5_000_000 and c.trials == 5 and c.eval_sequences == 10_000
        if name != "p13_f7":  # F7's paper table also names the optional lengths 10 and 250
            assert {k.split("@")[0] for k in numbers} == {row.id for row in rows}


def test_every_task_and_method_traces_through_the_trainer():
    # One jitted chunk per distinct (task, init, length rule, method) of every P13 config, traced
    # with abstract shapes (no compilation): each task's data, check, flow measure and test.
    seen = set()
    for name in TRAINED:
        for row in _rows(_config(name, "paper")):
            c = row.config
            for method in rows_lib.models_of(c):
                key = (c.task, c.init, bool(c.L_max), c.memo_K, method)
                if key in seen:
                    continue
                seen.add(key)
                c.trials, c.eval_sequences, c.test_sequences = 2, 1000, 1000
                t = protocol.build(c, method)
                trainer = train.Trainer(t.problem, t.optimizer, t.schedule)
                trials = jnp.arange(2)
                state = jax.eval_shape(trainer.init, trials)
                _, metrics = jax.eval_shape(trainer.chunk, state, trials)
                assert metrics["eval/log10_flow"].shape == (2, c.evals_per_chunk)
    assert len({k[0] for k in seen}) == len(protocol.TASKS)


def test_initialisations_follow_the_spec():
    # §1.6: N(0, 0.01) (sigmoid), N(0, 0.1) (basic tanh); smart tanh: 15 non-zeros per unit
    # (incoming: per row of W_rec; outgoing: per column), spectral radius 0.95; biases 0.
    c = _p13.base("quick")
    for init, std, act in (("sigmoid", 0.01, "sigmoid"), ("basic_tanh", 0.1, "tanh")):
        c.init = init
        model = protocol.model_for(c, 4)
        p = model.init(jax.random.key(1), model.initialize_carry(), jnp.zeros(6))["params"]
        assert model.cell.activation == act
        for w in (p["cell"]["W_rec"], p["cell"]["W_in"], p["W_y"]):
            assert abs(float(jnp.std(w)) / std - 1) < 0.12 and abs(float(jnp.mean(w))) < std / 5
        assert not jnp.any(p["cell"]["b"]) and not jnp.any(p["b_y"])
    c.init = "smart_tanh"
    for sparsity, axis in (("incoming", 1), ("outgoing", 0)):
        c.smart_sparsity = sparsity
        model = protocol.model_for(c, 4)
        w = model.init(jax.random.key(2), model.initialize_carry(), jnp.zeros(6))["params"]
        w_rec = np.asarray(w["cell"]["W_rec"])
        assert np.all((w_rec != 0).sum(axis=axis) == 15)
        assert float(inits.spectral_radius(jnp.asarray(w_rec))) == pytest.approx(0.95, abs=1e-5)


def test_flow_is_the_exact_jacobian_norm(x64):
    # log10 ‖∂h_T/∂h_t‖ (t: the state after the first informative input, at ⌊0.1 L⌋) against the
    # product of per-step Jacobians by jax.jacrev and numpy's 2-norm, mean over the sequences.
    c = _p13.base("quick")
    c.hidden, c.L, c.dtype = 6, 20, "float64"
    task = protocol.TASKS[c.task]
    model = protocol.model_for(c, 4)
    params = model.init(jax.random.key(3), model.initialize_carry(), jnp.zeros(6))
    params = jax.tree.map(lambda w: 12 * w, params)  # weights of order 1: neither 0 nor 1
    sample = protocol.sampler(c, task, c.L, c.L)
    got, rho = protocol.flow(model, task, c, sample)(params, jax.random.key(4))
    batch = sample(jax.random.key(4), updates.FLOW_SEQUENCES)
    step = lambda h, x: model.cell.apply({"params": params["params"]["cell"]}, h, x)[0]
    jac = jax.jit(jax.jacrev(step))
    t = c.L // 10 + 1
    logs = []
    for xs in np.asarray(batch.inputs):
        h, hs = jnp.zeros(6), []
        for x in xs:
            hs.append(h)
            h = step(h, x)
        prod = np.eye(6)
        for k in range(t, c.L):  # ∂h_T/∂h_t = J_T ... J_{t+1}
            prod = np.asarray(jac(hs[k], xs[k])) @ prod
        logs.append(np.log10(np.linalg.norm(prod, 2)))
    assert float(got) == pytest.approx(np.mean(logs), abs=1e-9)
    w_rec = np.asarray(params["params"]["cell"]["W_rec"])
    assert float(rho) == pytest.approx(np.max(np.abs(np.linalg.eigvals(w_rec))), rel=1e-12)


def test_methods_clip_and_regularise():
    # MSGD-C and -CR clip the global norm at 1 (Algorithm 1); -CR and -R add α∇Ω to W_rec's
    # gradient (problem.grad); plain MSGD does neither. α = 0 drops Ω.
    c = _p13.base("quick")
    params = protocol.build(c, "msgd").problem.init(jax.random.key(0))
    big = jax.tree.map(lambda w: jnp.full_like(w, 10.0), params)
    for method, (clips, weighted) in protocol.METHODS.items():
        t = protocol.build(c, method)
        step, _ = t.optimizer.update(big, t.optimizer.init(params), params)
        norm = float(jnp.sqrt(sum(jnp.sum(s**2) for s in jax.tree.leaves(step))))
        full = c.lr * float(jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(big))))
        assert norm == pytest.approx(c.lr * c.clip if clips else full, rel=1e-5), method
        assert (t.problem.grad is not None) == weighted, method
    c.alpha = 0.0
    assert protocol.build(c, "msgd_cr").problem.grad is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"L": 5}, "config.L=5: p13_temporal_order needs L >= 10"),
        ({"task": "p13_adding"}, "config.task='p13_adding': must be one of"),
        ({"init": "xavier"}, "config.init='xavier': must be one of"),
        ({"models": "msgd,sgd_c"}, "config.models='msgd,sgd_c': must list distinct methods"),
        ({"max_updates": -5}, "config.max_updates=-5: must be an integer > 0"),
        ({"L_max": 40}, "config.L_max=40: must be >= L=50"),
        ({"alpha": -1.0}, "config.alpha=-1.0: must be a finite number >= 0"),
        ({"eval_sequences": 1500}, "must be multiples of 1000"),
        ({"test_lengths": "50,x"}, "config.test_lengths='50,x': must be comma-separated"),
        ({"test_lengths": "50,8"}, "config.test_lengths='50,8': p13_temporal_order needs"),
        ({"success": "all"}, "config.success='all': must be one of"),
        # a check interval past the budget would train a whole chunk beyond it first
        ({"eval_every": 500_000, "max_updates": 20}, "config.eval_every=500000: must be at most"),
    ],
)
def test_bad_config_is_one_line_naming_the_field(fields, message):
    config = _config("p13_s1")
    config.rows.L50_200.update({k: v for k, v in fields.items() if k in ("L", "L_max")})
    for k, v in fields.items():
        if k not in ("L", "L_max"):
            config[k] = v
    with pytest.raises(ValueError) as err:
        _rows(config)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config.rows.sigmoid_L10.L=5"], "config.L=5: p13_temporal_order needs L >= 10"),
        (["--config.models=msgd,adam"], "config.models='msgd,adam'"),
        (["--config.max_updates=-1"], "config.max_updates=-1: must be an integer > 0"),
    ],
)
def test_driver_bad_input_gives_one_line_and_writes_nothing(driver_error, args, message):
    assert message in driver_error("experiments.pascanu2013", *args)


def _tiny(config, tmp_path, **fields):
    config.out_dir, config.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    config.update(dict(trials=2, eval_every=40, evals_per_chunk=2, eval_sequences=1000))
    config.update(dict(test_sequences=1000, **fields))
    return config


def test_f7_and_s1_run_end_to_end_with_tables_and_figures(tmp_path):
    # One training run through F7's pipeline and figures, with S1's rules on its row: the code's
    # stopping rule (0 wrong) with the < 1% milestone, lengths 10-14 per minibatch, and the test at
    # lengths the model never saw; then S1's figure from the same entries (no second compilation).
    config = _tiny(_config("p13_f7"), tmp_path, max_updates=80, models="msgd_c")
    config.update(dict(success="zero", test_lengths="10,40", only_rows="basic_tanh_L10"))
    config.rows.basic_tanh_L10.L_max = 14
    rows, runs, paths = pipeline.run_claim(config, protocol.PROTOCOL)
    entries = json.loads((tmp_path / "out" / "table.json").read_text())["rows"]
    (e,) = [e for e in entries if not e.get("not_run")]
    assert e["row"] == "basic_tanh_L10" and e["budget"] == 80 and e["unit"] == "updates"
    assert len(e["log10_flow"]) == 2 and len(e["final_error_pct"]) == 2
    assert e["paper"] == paper.TABLES["P13-F7"]["basic_tanh_L10"]
    assert set(e["generalisation"]) == {"L10", "L40"} and e["test_sequences"] == 1000
    assert all(0 <= v <= 1000 for vs in e["generalisation"].values() for v in vs)
    assert "lt1pct" in e and e["lt1pct"]["reached"] <= 2
    assert {p.name for p in paths} == {f"fig{s}.{x}" for s in ("", "_flow") for x in ("pdf", "png")}
    log = (tmp_path / "out" / "basic_tanh_L10" / "msgd_c" / "metrics.jsonl").read_text()
    first = json.loads(log.splitlines()[0])
    assert len(first["eval/rho"]) == 2 and all(np.isfinite(first["eval/log10_flow"]))
    # Ω and the share of its valid terms are logged at every validation (spec §2.1)
    assert all(np.isfinite(first["eval/omega"])) and all(v >= 0 for v in first["eval/omega"])
    assert all(0 < v <= 1 for v in first["eval/omega_valid"])
    config.claim, config.figure = "P13-S1", str(tmp_path / "s1")
    s1 = figures.errors_vs_length(config, rows, runs, [e])
    assert all(p.stat().st_size > 1000 for p in s1)


def test_one_unit_figures_write_their_numbers(tmp_path):
    c3 = importlib.import_module("experiments.configs.p13_f3").get_config("quick")
    c3.out_dir, c3.figure, c3.points = str(tmp_path / "f3"), str(tmp_path / "f3fig"), 301
    one_unit_figures.f3(c3)
    n3 = json.loads((tmp_path / "f3" / "numbers.json").read_text())
    assert n3["bistable"] == pytest.approx([-2.6556, -2.3444], abs=1e-4)
    assert n3["kick"]["-0.01"] < 0 < n3["kick"]["0.01"]  # the two sides of the boundary
    c6 = importlib.import_module("experiments.configs.p13_f6").get_config("quick")
    c6.out_dir, c6.figure = str(tmp_path / "f6"), str(tmp_path / "f6fig")
    c6.grid, c6.ensemble, c6.descent_steps = 41, 40, 100
    one_unit_figures.f6(c6)
    ens = json.loads((tmp_path / "f6" / "numbers.json").read_text())["ensemble"]
    assert ens["lr=1, clipped"]["largest step"] <= 1.0 + 1e-9
    assert ens["lr=0.1, clipped"]["largest step"] <= 0.1 + 1e-9
    assert ens["lr=1, plain"]["largest step"] > 1.0
    assert len(list(tmp_path.glob("f*fig.p*"))) == 4


@pytest.mark.parametrize(
    "name, fields, message",
    [
        ("p13_f3", {"w": 0.0}, "config.w=0.0: must be a finite number > 0"),
        ("p13_f3", {"w": float("inf")}, "config.w=inf: must be a finite number > 0"),
        ("p13_f3", {"kick": -0.1}, "config.kick=-0.1"),
        ("p13_f3", {"points": 0}, "config.points=0: must be an integer > 0"),
        ("p13_f3", {"steps": -1}, "config.steps=-1: must be an integer > 0"),
        ("p13_f3", {"b_range": "-1,-4"}, "config.b_range='-1,-4': must be 'low,high'"),
        ("p13_f3", {"starts": "3,x"}, "config.starts='3,x': must be comma-separated numbers"),
        ("p13_f3", {"sigma": "relu"}, "config.sigma='relu': must be one of"),
        ("p13_f6", {"examples": "6:-3"}, "config.examples='6:-3': must be 'w:b:lr,...'"),
        ("p13_f6", {"examples": "6:-3:0"}, "config.examples='6:-3:0'"),
        ("p13_f6", {"examples": ""}, "config.examples='': needs at least one"),
        ("p13_f6", {"clip": float("inf")}, "config.clip=inf: must be a finite number > 0"),
        ("p13_f6", {"ensemble_w": "9,5"}, "config.ensemble_w='9,5'"),
        ("p13_f6", {"x0": float("nan")}, "config.x0=nan: must be a finite number"),
        ("p13_f6", {"grid": 0}, "config.grid=0: must be an integer > 0"),
    ],
)
def test_one_unit_bad_config_is_one_line_and_writes_nothing(
    tmp_path, monkeypatch, name, fields, message
):
    config = _config(name)
    config.out_dir, config.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    config.update(fields)
    monkeypatch.setattr(
        one_unit_figures.one_unit, "error_surface", lambda *a, **k: pytest.fail("computed")
    )
    monkeypatch.setattr(
        one_unit_figures.one_unit, "fixed_point_curve", lambda *a, **k: pytest.fail("computed")
    )
    with pytest.raises(ValueError) as err:
        run.target_of(config)(config)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())
