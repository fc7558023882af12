"""B94 claims computed on the latch neuron: configs, numbers, reuse of finished blocks, bad input."""

import importlib
import json

import numpy as np
import pytest
from test_experiments import CONFIGS

from experiments import run
from experiments.b94 import paper
from repro import credit, latch

B94 = [c for c in CONFIGS if c.startswith("b94_")]


def _config(name, tmp_path, profile="quick", **fields):
    c = importlib.import_module(f"experiments.configs.{name}").get_config(profile)
    c.out_dir, c.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    c.update(fields)
    return c


@pytest.mark.parametrize("profile", ["quick", "paper"])
@pytest.mark.parametrize("name", B94)
def test_profiles_are_valid_and_name_a_claim(name, profile, tmp_path):
    c = _config(name, tmp_path, profile)
    assert c.profile == profile and callable(run.target_of(c))
    assert json.dumps(c.to_dict())


def test_paper_values_are_on_the_spec_grid():
    assert paper.F2A.shape == (len(paper.F2A_S_EDGES) - 1, len(paper.F2A_W0_EDGES) - 1) == (7, 16)
    assert sorted(paper.F2B) == list(range(5, 61)) and paper.F2B[20] == 0.81


def test_theory_writes_the_latch_numbers(tmp_path):
    c = _config("b94_theory", tmp_path, runs=4000, starts=5, horizon=20)
    paths = run.target_of(c)(c)
    n = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert n["abar"] == pytest.approx(1.2878, abs=1e-4) and n["a_c"] == pytest.approx(
        0.6585, abs=1e-4
    )
    np.testing.assert_allclose(n["sign_loss"]["probability"], [0.33, 0.18, 0.026, 0, 0], atol=0.03)
    flows = n["log10_da_t_da_0_at_horizon"]
    assert flows["latched, w = 1.25"] == pytest.approx(20 * np.log10(0.6191), abs=1e-3)
    assert flows["boundary a₀ = 0, w = 1.5"] == pytest.approx(20 * np.log10(1.5), abs=1e-9)
    eq4 = n["eq4"]
    assert eq4["latched_throughout"]
    assert eq4["slope_per_step_log10"] == pytest.approx(eq4["mean_log10_slope"], rel=0.1)
    assert "provenance" in n and len(paths) == 2


def test_f2a_blocks_are_reused_and_compare_on_the_papers_cells(tmp_path, monkeypatch):
    c = _config("b94_f2a", tmp_path, w0_cells=2, s_cells=2, runs=2, epochs=30)
    run.target_of(c)(c)
    first = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert first["runs"] == 8 and len(first["density"]) == 2
    # w0 centres 1.0 and 2.0, s centres 0.25 and 0.75: 2 paper cells hold a centre
    assert first["paper_cells_compared"] == 2
    assert len(list((tmp_path / "out" / "blocks").glob("*.npz"))) == 2
    monkeypatch.setattr(latch, "train_minimal", lambda *a, **k: pytest.fail("recomputed"))
    run.target_of(c)(c)
    again = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert again["density"] == first["density"]


@pytest.mark.slow  # a reproduction (Fig. 2(b)'s ceiling): make test-slow
def test_f2b_frozen_w_has_its_ceiling_and_f2_sens_sweeps(tmp_path):
    c = _config("b94_f2b", tmp_path, lengths="5,8-9", runs=3, epochs=20, train_w=False,
                ceiling_sequences=4000)  # fmt: skip
    run.target_of(c)(c)
    n = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert n["T"] == [5, 8, 9] and n["paper"] == [1.0, 1.0, 1.0]
    ceiling = np.array(n["frozen_w_ceiling"])
    assert np.all((0 <= ceiling) & (ceiling <= 1)) and ceiling[0] >= ceiling[-1]
    for lo, f, hi in zip(*n["wilson95"][:1], n["frequency"], n["wilson95"][1], strict=True):
        assert lo <= f <= hi
    s = _config("b94_f2_sens", tmp_path / "s", lrs="0.3", points="1.25:0.2:6,1.5:0.1:8", runs=2,
                epochs=10)  # fmt: skip
    run.target_of(s)(s)
    ns = json.loads((tmp_path / "s" / "out" / "numbers.json").read_text())
    assert np.array(ns["frequency"]).shape == (1, 2) and ns["points"][1] == [1.5, 0.1, 8]


def test_f4_runs_its_algorithms_on_shared_trials_and_writes_ours_beside_the_paper(tmp_path):
    c = _config("b94_f4_2seq", tmp_path, lengths="5,20", trials=2, budget=400, algorithms="bp,sa")
    paths = run.target_of(c)(c)
    n = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert n["T"] == [5, 20] and set(n["results"]) == {"bp", "sa"}
    for rows in n["results"].values():
        for r in rows:
            assert r["learned"] + r["stuck"] + r["budget_hit"] == r["trials"] == 2
            assert 0 <= r["error"] <= 1 and 0 <= r["presentations"] <= 400
            t = r["per_trial"]  # what the figures draw: each trial, the summary's source
            assert r["error"] == pytest.approx(np.mean(t["error"]))
            assert r["presentations"] == pytest.approx(np.mean(t["presentations"]))
            counts = [t["stop"].count(k) for k in (0, 1, 2)]
            assert counts == [r["learned"], r["stuck"], r["budget_hit"]]
    assert n["paper"]["error"]["bp"] == [0.58, 0.43]  # BF93 Table 1
    table = (tmp_path / "out" / "table.md").read_text()
    assert "| BP | " in table and " / 58 |" in table and " / 2.9e3 |" in table
    assert len(paths) == 2  # this task's figure; Fig. 4's rows only from runs/


@pytest.mark.parametrize(
    ("name", "profiles"),
    [
        ("p13_f7", "'quick', 'paper', 'budget20k'"),
        ("b94_f4_latch", "'quick', 'paper', 'budget200k'"),
    ],
)
def test_an_unknown_profile_is_one_line_listing_the_cut_budget_profiles(name, profiles):
    import importlib

    module = importlib.import_module(f"experiments.configs.{name}")
    with pytest.raises(ValueError, match=f"profile 'huge': must be one of \\[{profiles}\\]"):
        module.get_config("huge")
    assert module.get_config("quick").profile == "quick"


@pytest.mark.parametrize(
    "name, fields, message",
    [
        ("b94_f4_latch", {"task": "xor"}, "config.task='xor'"),
        ("b94_f4_latch", {"algorithms": "bp,adam"}, "config.algorithms='bp,adam'"),
        ("b94_f4_latch", {"lengths": "1,4"}, "config.lengths='1,4'"),
        ("b94_f4_2seq", {"lengths": "4,10"}, "config.lengths='4,10'"),
        ("b94_f4_2seq", {"output_unit": 6}, "output_unit=6"),
        ("b94_f4_parity", {"budget": 10}, "config.budget=10: must be at least train_size=20"),
        ("b94_f4_parity", {"noise": -0.2}, "config.noise=-0.2: must be >= 0"),
        ("b94_f4_parity", {"sa_cooling": float("nan")}, "config.sa_cooling=nan"),
        ("b94_f2a", {"T": 3}, "config.T=3: T=3 must be > L=3"),
        ("b94_f2a", {"runs": 0}, "config.runs=0: must be an integer > 0"),
        ("b94_f2a", {"lr": -0.1}, "config.lr=-0.1: must be a finite number > 0"),
        ("b94_f2a", {"s_range": "1,0"}, "config.s_range='1,0': must be 'low,high'"),
        ("b94_f2a", {"noise_param": "sd"}, "config.noise_param='sd'"),
        ("b94_f2a", {"target": 1.5}, "config.target=1.5"),
        ("b94_f2b", {"lengths": "2-8"}, "config.lengths='2-8': T=2 must be > L=3"),
        ("b94_f2b", {"lengths": "5,x"}, "config.lengths='5,x': must be integers"),
        ("b94_f2b", {"s": -0.2}, "config.s=-0.2: must be >= 0"),
        ("b94_f2_sens", {"points": "1.25:0.2"}, "config.points='1.25:0.2': must be 'w0:s:T'"),
        ("b94_f2_sens", {"lrs": "0.1,0"}, "config.lrs='0.1,0'"),
        ("b94_theory", {"w": 0.9}, "config.w=0.9: must be > 1"),
        ("b94_theory", {"latched": "2,1"}, "config.latched='2,1'"),
        ("b94_theory", {"eq4_T": 4}, "config.eq4_T=4: must exceed eq4_L + 2 = 5"),
    ],
)
def test_bad_config_is_one_line_and_computes_nothing(tmp_path, monkeypatch, name, fields, message):
    c = _config(name, tmp_path, **fields)
    monkeypatch.setattr(latch, "train_minimal", lambda *a, **k: pytest.fail("computed"))
    monkeypatch.setattr(latch, "sign_loss", lambda *a, **k: pytest.fail("computed"))
    monkeypatch.setattr(credit, "train", lambda *a, **k: pytest.fail("computed"))
    with pytest.raises(ValueError) as err:
        run.target_of(c)(c)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())


def test_driver_help_explains_every_field(tmp_path, cli):
    # (its one-line errors: test_experiments.test_every_driver_exits_with_one_line_and_status_1)
    # (every config, in-process: test_run.test_every_field_of_every_claim_config_is_explained_...)
    proc = cli("experiments.bengio1994", "--helpfull")  # its default config: the theory
    for field in _config("b94_theory", tmp_path):
        assert f"--config.{field} =" in proc.stdout, field
