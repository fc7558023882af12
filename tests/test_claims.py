"""The shared claim pipeline on its own, with a toy protocol that compiles in a second: rows and
their override rules, runs (reuse, resume, run_missing, only_rows), the table beside the paper, the
figure, and the generated result tables of the docs."""

import dataclasses
import gzip
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import common
from experiments.claims import docs, figures, pipeline, runner, table
from experiments.claims import rows as rows_lib
from experiments.claims.protocol import Column, Protocol, Trials
from experiments.configs import _claim
from repro import train
from repro.tasks import Batch

PAPER = {
    "TOY-1": {"fast": {"after": 40, "weights": 1, "min": 10, "max": 90}, "slow": {"after": 1e5}}
}


def _problem(target: float, tol: float) -> train.Problem:
    """Learn w = target from y = w·x: a sequence is correct when |w − target|·|x| < tol."""

    def sample(key):
        x = jax.random.uniform(key, (1, 1, 1), minval=-1.0, maxval=1.0)
        return Batch(x, target * x, jnp.ones((1, 1)), jnp.ones((1,), jnp.int32))

    def loss(params, batch):
        err = jnp.abs(params["w"] * batch.inputs - batch.targets)[:, 0, 0]
        return jnp.sum(err**2), {"correct": err < tol, "error": err}

    test = lambda params, key: {"wrong": (jnp.abs(params["w"] - target) > tol).astype(jnp.float32)}
    return train.Problem(init=lambda key: {"w": jnp.zeros(())}, sample=sample, loss=loss, test=test)


def _validate(c):
    common.positive(c, "trials", "max_sequences")
    if not c.lr > 0:
        raise ValueError(f"config.lr={c.lr!r}: must be > 0")


def _build(c, model, part):
    schedule = train.Schedule(
        trials=c.trials,
        seed=c.seed + part,
        max_sequences=c.max_sequences,
        eval_every=10,
        evals_per_chunk=2,
        window=10,
    )
    return Trials(None, _problem(c.target, c.tol), schedule, train.make_optimizer("sgd", c.lr))


PROTOCOL = Protocol(
    validate=_validate,
    build=_build,
    paper=PAPER,
    parts=lambda c: ("", "second") if c.two_parts else ("",),
    summarize=lambda c, r: {"wrong": float(np.mean(r["test"]["wrong"]))},
    columns=(
        Column("wrong", lambda e, p: f"{table.fmt(e['wrong'], 2)} / {table.fmt(p.get('wrong'))}"),
    ),
)


def _config(tmp_path, **rows):
    c = _claim.head("quick")  # what the pipeline reads, as every claim's config starts
    c.claim = "TOY-1"
    c.rows = rows_lib.rows(
        *(rows.items() or [("slow", {"lr": 0.05, "title": "slow, α 0.05"}), ("fast", {"lr": 1.0})])
    )
    c.models = "toy"
    c.trials, c.seed, c.max_sequences, c.lr, c.target, c.tol = 3, 0, 400, 0.5, 0.5, 0.05
    c.two_parts = False
    c = _claim.outputs(c)
    c.reference_row = "fast" if "fast" in c.rows else ""  # a row of the claim, or none
    c.out_dir, c.figure = str(tmp_path / "out"), str(tmp_path / "fig")
    return c


# ----------------------------------------------------------------------------- rows


def test_rows_keep_their_order_title_and_fields(tmp_path):
    rows = rows_lib.rows_of(_config(tmp_path), _validate)
    assert [r.id for r in rows] == ["slow", "fast"]  # the table's order, not sorted
    assert [r.title for r in rows] == ["slow, α 0.05", "fast"]
    assert [r.config.lr for r in rows] == [0.05, 1.0] and rows[0].fields == ("lr",)
    assert "rows" not in rows[0].config and rows[0].config.trials == 3


@pytest.mark.parametrize(
    "change, overridden, message",
    [
        (
            lambda c: c.rows.fast.update({"nope": 1}),
            (),
            "config.rows.fast.nope: no such config field",
        ),
        (
            {"fast": {"lr": "big"}},
            (),
            "config.rows.fast.lr='big': must be a float",
        ),
        ({"fast": {"trials": 2.5}}, (), "rows.fast.trials=2.5: must be a int"),
        (lambda c: c.update({"lr": 0.3}), ("lr",), "row 'slow' sets lr itself; override it there"),
        (
            lambda c: c.rows.fast.update({"lr": -1.0}),
            (),
            "config.lr=-1.0: must be > 0 (row 'fast')",
        ),
        (lambda c: c.update({"only_rows": "fats"}), (), "config.only_rows: 'fats' is no row"),
        (
            lambda c: (delattr(c, "rows"), setattr(c, "rows", rows_lib.rows())),
            (),
            "at least one row",
        ),
    ],
)
def test_bad_rows_give_one_line_naming_field_and_row(tmp_path, change, overridden, message):
    config = _config(tmp_path, **change) if isinstance(change, dict) else _config(tmp_path)
    if callable(change):
        change(config)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rows_lib.rows_of(config, _validate, overridden)


def test_overrides_of_fields_no_row_sets_and_of_a_rows_own_field_apply(tmp_path):
    config = _config(tmp_path)
    config.trials, config.rows.fast.lr = 2, 0.7
    rows = rows_lib.rows_of(config, _validate, {"trials", "rows.fast.lr"})
    assert [r.config.trials for r in rows] == [2, 2] and rows[1].config.lr == 0.7
    config.only_rows = "fast@toy"
    assert rows_lib.rows_of(config, _validate)  # row@model names are known


# ----------------------------------------------------------------------------- runs


def test_runs_are_reused_when_finished_and_recognised_by_what_they_compute(tmp_path, monkeypatch):
    config = _config(tmp_path)
    rows = rows_lib.rows_of(config, _validate)
    runs = runner.run(config, rows, PROTOCOL)
    assert set(runs) == {("slow", "toy"), ("fast", "toy")}
    saved = json.loads((tmp_path / "out/fast/toy/config.json").read_text())
    assert saved["row"] == "fast" and saved["lr"] == 1.0 and "figure" not in saved
    assert "only_rows" not in saved and "rows" not in saved and "models" not in saved

    def fail(*a, **k):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(train, "train", fail)
    config.figure, config.only_rows = str(tmp_path / "elsewhere"), "fast"  # not what is computed
    again = runner.run(config, rows_lib.rows_of(config, _validate), PROTOCOL)
    assert again[("fast", "toy")]["solved_at"] == runs[("fast", "toy")]["solved_at"]
    assert again[("slow", "toy")]["solved_at"] == runs[("slow", "toy")]["solved_at"]


def test_rows_without_results_are_not_run_when_not_wanted(tmp_path):
    config = _config(tmp_path)
    config.only_rows = "fast"
    runs = runner.run(config, rows_lib.rows_of(config, _validate), PROTOCOL)
    assert runs[("slow", "toy")] is None and runs[("fast", "toy")] is not None
    config.only_rows, config.run_missing = "", False
    runs = runner.run(config, rows_lib.rows_of(config, _validate), PROTOCOL)
    assert runs[("slow", "toy")] is None and runs[("fast", "toy")] is not None


def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    config = _config(tmp_path)
    config.rows, config.reference_row = rows_lib.rows(("slow", {"lr": 0.05})), ""
    (row,) = rows_lib.rows_of(config, _validate)
    t = PROTOCOL.build(row.config, "toy", 0)
    run_dir = runner.run_dirs(config, row, "toy", ("",))[0]
    plain = runner.identity(row, "toy", 0, PROTOCOL)
    part = train.train(
        t.problem, t.optimizer, t.schedule, run_dir=run_dir, config=plain, max_chunks=2
    )
    assert not part["finished"]
    # With run_missing off, an unfinished run is reported as it stands (a run spanning sessions):
    # the same trials as the interrupted call, marked running, in the table, docs and figure.
    config.run_missing = False
    now = runner.run_one(config, row, "toy", PROTOCOL)
    assert now["finished"] is False
    for key in ("solved", "solved_at", "sequences_seen", "test"):
        assert now[key] == part[key], key
    (entry,) = table.entries(config, [row], {("slow", "toy"): {**now, "n_weights": 1}}, PROTOCOL)
    assert 0 < entry["seen"] < config.max_sequences  # the least a running trial has seen
    assert f"by {entry['seen']:,}, running" in table.markdown(config, [entry], PROTOCOL)
    assert f"by {entry['seen']:,} (running; budget 400)" in docs.ours_cell(entry)
    assert all(
        p.stat().st_size > 1000
        for p in figures.draw(config, [row], {("slow", "toy"): now}, PROTOCOL, [entry])
    )
    assert not (run_dir / "results.json").exists()  # nothing written, nothing trained
    config.run_missing = True
    resumed = runner.run_one(config, row, "toy", PROTOCOL)
    config.out_dir = str(tmp_path / "whole")
    whole = runner.run_one(config, row, "toy", PROTOCOL)
    for key in ("solved", "solved_at", "sequences_seen", "test"):
        assert resumed[key] == whole[key], key


def test_parts_are_merged_into_one_set_of_trials(tmp_path):
    config = _config(tmp_path)
    config.two_parts = True
    (row, _) = rows_lib.rows_of(config, _validate)
    r = runner.run_one(config, row, "toy", PROTOCOL)
    assert r["trials"] == 6 and len(r["solved_at"]) == 6 and len(r["test"]["wrong"]) == 6
    assert (tmp_path / "out/slow/toy/second/results.json").exists()


def test_a_protocol_counts_its_own_unit_and_draws_its_own_figure(tmp_path):
    # P13 counts updates of 20 sequences and draws success against length: the table divides the
    # sequences until success by per_unit, states the budget in the unit, and the figures the
    # config's draw field names, in order, replace the shared figure.
    config = _config(tmp_path)
    config.only_rows, config.draw = "fast", "second,first"
    drawn = []
    own = dataclasses.replace(
        PROTOCOL,
        unit="updates",
        per_unit=lambda c: 4,
        budget=lambda c: c.max_sequences // 4,
        figures={
            name: lambda *args, name=name: drawn.append((name, args)) or []
            for name in ("first", "second")
        },
    )
    config.draw = "second,nope"
    with pytest.raises(
        ValueError, match=r"config.draw='second,nope': no figure 'nope' \(known: first, second\)"
    ):
        pipeline.run_claim(config, own)
    assert not (tmp_path / "out").exists()  # refused before any compute
    config.draw = "second,first"
    _, runs, paths = pipeline.run_claim(config, own)
    entries = json.loads((tmp_path / "out/table.json").read_text())["rows"]
    fast = next(e for e in entries if e["row"] == "fast")
    r = runs[("fast", "toy")]
    at = [a for a, s in zip(r["solved_at"], r["solved"], strict=True) if s]
    assert fast["after"]["mean"] == pytest.approx(np.mean(at) / 4)
    assert fast["budget"] == 100 and fast["unit"] == "updates"
    assert paths == [] and [name for name, _ in drawn] == ["second", "first"]
    assert not list(tmp_path.glob("fig*"))
    assert "100 updates" in (tmp_path / "out/table.md").read_text()


def test_unwritable_outputs_fail_before_any_compute(tmp_path, monkeypatch):
    # A figure path under a file (root may write anywhere else, so this is the portable case).
    (tmp_path / "a_file").write_text("")
    config = _config(tmp_path)
    config.figure = str(tmp_path / "a_file" / "sub" / "fig")
    monkeypatch.setattr(train, "train", lambda *a, **k: pytest.fail("computed before the check"))
    with pytest.raises(ValueError, match="cannot write there"):
        pipeline.run_claim(config, PROTOCOL)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- table and figure


def test_table_puts_ours_beside_the_papers_numbers_and_reports_rows_not_run(tmp_path):
    config = _config(tmp_path)
    config.only_rows = "fast"
    rows, runs, paths = pipeline.run_claim(config, PROTOCOL)
    saved = json.loads((tmp_path / "out/table.json").read_text())
    slow, fast = saved["rows"]
    assert slow == {"row": "slow", "title": "slow, α 0.05", "model": "toy",
                    "paper": PAPER["TOY-1"]["slow"], "budget": 400, "unit": "sequences",
                    "not_run": True}  # fmt: skip
    assert fast["paper"] == PAPER["TOY-1"]["fast"] and fast["trials"] == 3
    assert fast["solved"] == sum(runs[("fast", "toy")]["solved"]) and fast["ratio"] == 1.0
    solved_at = [
        a
        for a, s in zip(
            runs[("fast", "toy")]["solved_at"], runs[("fast", "toy")]["solved"], strict=True
        )
        if s
    ]
    assert fast["after"]["mean"] == pytest.approx(np.mean(solved_at))
    assert "provenance" in saved and saved["provenance"]["git_commit"] is not None
    text = (tmp_path / "out/table.md").read_text()
    assert "| slow | toy | not run at this profile yet |" + " |" * 4 in text
    assert (
        f"| {fast['weights']} / 1 |" in text
        and "(10–90)" in text
        and "Budget per trial: 400" in text
    )
    assert all(p.stat().st_size > 1000 for p in paths)


def test_a_reading_written_elsewhere_gets_its_own_figure_path(tmp_path):
    config = _config(tmp_path)
    config.figure, config.out_dir = "", ""
    assert runner.figure_path(config) == "figures/toy_1"
    config.profile = "paper"
    assert runner.figure_path(config, "_flow") == "figures/toy_1_paper_flow"
    config.out_dir = "runs/toy_1/sequential"  # another reading: never the profile's figure
    assert runner.figure_path(config) == "figures/toy_1_sequential"
    config.out_dir = "runs/toy_1/paper"
    assert runner.figure_path(config) == "figures/toy_1_paper"
    config.figure = str(tmp_path / "mine")
    assert runner.figure_path(config) == str(tmp_path / "mine")


def test_fraction_solved_counts_only_trials_that_solved_and_knows_where_it_stops():
    r = {"solved": [True, False, True, False], "solved_at": [30, -1, 10, -1],
         "diverged": [False, True, False, False], "sequences_seen": [30, 12, 10, 70]}  # fmt: skip
    x, y, known = figures.fraction_solved(r, budget=100)
    assert known == 70  # the running trial has seen 70: nothing is known beyond
    np.testing.assert_array_equal(x, [1, 10, 30, 70])
    np.testing.assert_array_equal(y, [0, 0.25, 0.5, 0.5])  # the diverged trial never counts
    r["sequences_seen"][3] = 100
    assert figures.fraction_solved(r, budget=100)[2] == 100


def test_training_error_reads_compressed_logs_alike(tmp_path):
    config = _config(tmp_path)
    config.rows, config.reference_row = rows_lib.rows(("slow", {"lr": 0.05})), ""
    runner.run(config, rows_lib.rows_of(config, _validate), PROTOCOL)
    log = tmp_path / "out/slow/toy/metrics.jsonl"
    seqs, err = figures.training_error(log.parent)
    assert seqs[0] == 10 and err.shape == (len(seqs), 3)
    log.with_suffix(".jsonl.gz").write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    seqs_gz, err_gz = figures.training_error(log.parent)
    np.testing.assert_array_equal(seqs, seqs_gz)
    np.testing.assert_array_equal(err, err_gz)


def test_figure_colours_each_row_of_one_model_and_draws_one_panel_when_nothing_solved(tmp_path):
    import matplotlib.image

    width = lambda png: matplotlib.image.imread(png).shape[1] / 200  # inches at the saved dpi
    config = _config(tmp_path)
    config.statement = "A toy learns its weight."
    rows = rows_lib.rows_of(config, _validate)
    runs = runner.run(config, rows, PROTOCOL)
    series = figures.series_of(config, rows, runs, PROTOCOL)
    assert [s.label for s in series] == ["slow, α 0.05", "fast"]
    assert series[0].style["color"] != series[1].style["color"]  # conditions of one model
    assert series[1].count() == f"{sum(runs[('fast', 'toy')]['solved'])}/3 solved"
    png = [p for p in figures.draw(config, rows, runs, PROTOCOL) if p.suffix == ".png"][0]
    assert width(png) == 7.0  # full width, (a) to (c)
    unsolved = {k: {**r, "solved": [False] * 3, "solved_at": [-1] * 3} for k, r in runs.items()}
    png = [p for p in figures.draw(config, rows, unsolved, PROTOCOL) if p.suffix == ".png"][0]
    assert width(png) == 3.4  # the training error alone, one column


def test_a_row_that_solved_nothing_is_drawn_in_a_only_with_its_last_training_error(
    tmp_path, monkeypatch
):
    import matplotlib.colors

    drawn = []
    monkeypatch.setattr(figures.plotting, "save", lambda fig, stem: drawn.append(fig) or [])
    config = _config(tmp_path)
    rows = rows_lib.rows_of(config, _validate)
    runs = runner.run(config, rows, PROTOCOL)
    assert any(runs[("fast", "toy")]["solved"])
    runs[("slow", "toy")] = {**runs[("slow", "toy")], "solved": [False] * 3, "solved_at": [-1] * 3}
    figures.draw(config, rows, runs, PROTOCOL)
    (fig,) = drawn
    series = figures.series_of(config, rows, runs, PROTOCOL)
    colour = {s.row.id: matplotlib.colors.to_hex(s.style["color"]) for s in series}
    by_title = {ax.get_title(loc="left")[:3]: ax for ax in fig.axes}
    for panel in ("(b)", "(c)"):  # every coloured line is the row that solved
        hues = {matplotlib.colors.to_hex(line.get_color()) for line in by_title[panel].lines}
        assert colour["fast"] in hues and colour["slow"] not in hues, panel
    labels = [t.get_text() for t in by_title["(a)"].get_yticklabels()]
    assert labels[0].startswith("slow") and "training error at the end" in labels[0]
    caption = fig.repro_caption
    assert "(slow, α 0.05) is drawn in (a) only" in caption


def test_parts_logged_at_the_same_points_are_pooled_for_the_median():
    seqs = np.array([10.0, 20.0, 30.0])
    a, b = np.ones((3, 2)), np.zeros((2, 1))  # b stopped after two points
    pooled_seqs, pooled = figures._pooled([(seqs, a), (seqs[:2], b)])
    np.testing.assert_array_equal(pooled_seqs, seqs)
    assert pooled.shape == (3, 3) and np.isnan(pooled[2, 2]) and pooled[1, 2] == 0
    assert figures._pooled([(seqs, a), (seqs + 1, a)]) == (None, None)  # not the same points
    med = figures.median_of_most(np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, np.nan, np.nan]]))
    assert med[0] == 2.0 and np.isnan(med[1])  # the lower median; half stopped: none drawn


# ----------------------------------------------------------------------------- docs


def test_doc_blocks_are_rewritten_from_the_tables(tmp_path):
    config = _config(tmp_path)
    config.out_dir = str(tmp_path / "runs" / "toy_1" / "quick")
    config.only_rows = "fast"
    pipeline.run_claim(config, PROTOCOL)
    tables = docs.load(tmp_path)
    text = "intro\n<!-- results: summary -->\nstale\n<!-- /results -->\nend\n"
    new = docs.render(text, tables)
    assert new.startswith("intro\n<!-- results: summary -->\n| claim, row |") and "stale" not in new
    assert new.endswith("<!-- /results -->\nend\n") and docs.render(new, tables) == new
    (line,) = [x for x in new.splitlines() if x.startswith("| TOY-1, fast |")]
    fast = json.loads((tmp_path / "runs/toy_1/quick/table.json").read_text())["rows"][1]
    assert f"| 40 (10–90) | {fast['solved']}/3" in line and line.endswith("|  |")
    assert "TOY-1, slow" not in new  # not run in any profile: no line
    config.out_dir = str(tmp_path / "runs" / "toy_2" / "quick")  # a claim with its own section
    pipeline.run_claim(config, dataclasses.replace(PROTOCOL, summary=False))
    assert json.loads((tmp_path / "runs/toy_2/quick/table.json").read_text())["summary"] is False
    assert set(docs.load(tmp_path)) == {"toy_1"}


def test_statuses_numbers_and_cited_runs_are_generated_or_checked(tmp_path):
    config = _config(tmp_path)
    config.out_dir = str(tmp_path / "runs" / "toy_1" / "quick")
    pipeline.run_claim(config, PROTOCOL)
    all_runs = docs.runs(tmp_path)
    assert [(r["claim"], r["profile"], r["options"]) for r in all_runs] == [("TOY-1", "quick", {})]
    # a status is computed (a quick run is never reproduced), a number read from its file
    path = "runs/toy_1/quick/table.json"
    text = (
        "| id | paper | ours | status |\n|---|---|---|---|\n"
        "| TOY-1 | x | y | <!-- status: TOY-1 -->reproduced<!-- /status --> |\n\n"
        f"solved <!--v {path} rows[row=fast,model=toy].solved -->9<!--/v--> of "
        f"<!--v {path} rows[1].trials -->3<!--/v-->, mean <!--v {path} rows[1].times~mean:.1f -->"
        "0<!--/v-->.\n"
    )
    new = docs.render(text, {}, all_runs, tmp_path)
    fast = json.loads((tmp_path / path).read_text())["rows"][1]
    assert "<!-- status: TOY-1 -->**not run at scale (no paper number to compare; quick)**" in new
    assert (
        f"solved <!--v {path} rows[row=fast,model=toy].solved -->{fast['solved']}<!--/v-->" in new
    )
    assert f"{sum(fast['times']) / len(fast['times']):.1f}<!--/v-->" in new
    assert docs.render(new, {}, all_runs, tmp_path) == new
    # a typed status of a claim with runs, and a cited run that is not there, are problems
    typed = new.replace("<!-- status: TOY-1 -->", "").replace("<!-- /status -->", "")
    assert docs.problems("R.md", typed, all_runs, tmp_path) == [
        "R.md: the status of TOY-1 is typed; use <!-- status: TOY-1 -->"
    ]
    assert docs.problems("R.md", new, all_runs, tmp_path) == []
    cited = new + "see `runs/toy_1/paper/table.md`\n"
    assert docs.problems("R.md", cited, all_runs, tmp_path) == [
        "R.md: cites runs/toy_1/paper/table.md, which is not committed"
    ]
    # functions apply in turn; the status block lists every trained claim with its status
    nested = docs.value_of(tmp_path, path, "rows[1].times", "~len~pct", ".0f")
    assert nested == f"{100 * len(fast['times']):.0f}"
    resting = docs.render("<!-- status: X @ TOY-1 -->?<!-- /status -->", {}, all_runs, tmp_path)
    assert "**not run at scale (no paper number to weigh; quick)**" in resting
    block = docs.render("<!-- results: status -->\n<!-- /results -->", {}, all_runs, tmp_path)
    assert "| TOY-1 | not run at scale (no paper number to compare; quick) |" in block
    # the same claim run at the paper's scale: only the paper's number is missing, not the scale
    at_scale = [{**r, "profile": "paper"} for r in all_runs]
    assert docs.claim_status("TOY-1", at_scale) == "no paper number to compare (paper)"
    with pytest.raises(ValueError, match="cannot read it"):
        docs.render(f"<!--v {path} rows[row=nope].solved -->1<!--/v-->", {}, all_runs, tmp_path)
    # a committed file's text, verbatim (a benchmark's table)
    (tmp_path / "t.md").write_text("| a |\n|---|\n| 1 |\n")
    old = "x\n<!-- include: t.md -->\n| typed |\n<!-- /include -->\ny"
    assert docs.render(old, {}, all_runs, tmp_path) == (
        "x\n<!-- include: t.md -->\n| a |\n|---|\n| 1 |\n<!-- /include -->\ny"
    )
    with pytest.raises(ValueError, match="include: nope.md -->: cannot read it"):
        docs.render("<!-- include: nope.md -->\n<!-- /include -->", {}, all_runs, tmp_path)


def test_committed_docs_equal_the_tables_they_are_generated_from():
    assert docs.main(["--check"]) == 0, "run: python -m experiments.claims.docs"


def test_no_committed_run_is_labelled_paper_below_the_papers_scale():
    # A run in a "paper" directory ran the paper's budget and trials wherever the paper data give
    # them; a run with options names every one of them in its label (table.md's first line too).
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.glob("runs/*/*/table.json")):
        saved = json.loads(path.read_text())
        label = saved.get("label", "")
        for name, value in saved.get("options", {}).items():
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            assert f"{name}={shown}" in label, (path, name)
        if "rows" not in saved:  # the conditions tables (H97 T10, T11): no trained rows
            continue
        if saved.get("options") or saved.get("profile", path.parent.name) != "paper":
            continue
        for e in saved.get("rows", []):
            p = e.get("paper", {})
            if e.get("not_run") or "budget" not in p:
                continue
            assert e["budget"] >= p["budget"], (path, e["row"], e["budget"], p["budget"])
            assert e["trials"] >= p.get("trials", 0), (path, e["row"], e["trials"])
        head = (path.parent / "table.md").read_text().splitlines()[0]
        assert f"({label})" in head, (path, head)


def test_the_paper_column_is_written_by_the_claims_protocol():
    """docs names no paper's numbers: the shared ones (share solved, sequences until success) by
    ``table.paper_text``, a paper's own (H97's ST1, wrong, misclassified) by its protocol."""
    from experiments.claims.table import paper_text

    p = {"success_pct": 100, "after": 1000, "min": 10, "max": 2000, "st1": 500, "wrong": 3}
    assert docs._paper_text("h97_t4")(p) == "100%, 1,000 (10–2,000), ST1 500, 3 wrong"
    assert docs._paper_text("p13_f7") is paper_text
    assert paper_text(p) == "100%, 1,000 (10–2,000)"  # a field no protocol shows is left out
    assert paper_text({"statement": "solves it"}) == "solves it" and paper_text({}) == "–"
    assert docs._paper_text("no_such_claim") is paper_text


def test_wrong_count_scores_chunks_whose_keys_are_split_from_the_key():
    # P13's and the questions' check: sequences // CHUNK fresh chunks, each drawn with a key split
    # from the check's key (one chunk too), counted by hand against the same draws.
    from experiments.claims.protocol import CHUNK, wrong_count
    from repro import cells, problems

    model = cells.Readout(cells.SimpleRNN(3), 1, "sigmoid")
    params = model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(2))
    objective = problems.squared_error(0.3)

    def sample(key, n):
        kx, kt = jax.random.split(key)
        mask = jnp.zeros((n, 4)).at[:, -1].set(1.0)
        return Batch(jax.random.normal(kx, (n, 4, 2)), jax.random.uniform(kt, (n, 4, 1)), mask,
                     jnp.full((n,), 4))  # fmt: skip

    key = jax.random.key(9)
    for chunks in (1, 3):
        by_hand = 0
        for k in jax.random.split(key, chunks):
            batch = sample(k, CHUNK)
            correct, _ = objective.score(problems.unroll(model, params, batch.inputs), batch)
            by_hand += int(jnp.sum(~correct))
        got = int(wrong_count(model, objective, sample, chunks * CHUNK)(params, key))
        assert 0 < got == by_hand < chunks * CHUNK, chunks


def test_an_overridden_run_does_not_replace_a_figure_another_command_drew(tmp_path, monkeypatch):
    from repro import results

    monkeypatch.chdir(tmp_path)  # the default figure path, figures/toy_1, is relative
    config = _config(tmp_path)
    config.figure, config.out_dir = "", ""  # runs/toy_1/quick, figures/toy_1
    drawn = "python -m experiments.run --config=experiments/configs/toy_1.py:quick"
    monkeypatch.setattr(results, "command", lambda: drawn)
    pipeline.run_claim(config, PROTOCOL)
    assert results.png_text(Path("figures/toy_1.png"))["Command"] == drawn
    # the same options by another driver, in another order, with plumbing: a redraw
    again = (
        "python -m experiments.hochreiter1997 --config.run_missing=false "
        "--config=./experiments/configs/toy_1.py:quick --config.only_rows=slow"
    )
    monkeypatch.setattr(results, "command", lambda: again)
    pipeline.run_rows(config, PROTOCOL)
    monkeypatch.setattr(results, "command", lambda: drawn + " --config.lr=0.3")
    with pytest.raises(ValueError, match=r"figures/toy_1.png was drawn by `.*`; .*--config.figure"):
        pipeline.run_rows(config, PROTOCOL)
    monkeypatch.setattr(results, "command", lambda: drawn.replace(":quick", ":paper"))
    with pytest.raises(ValueError, match="this run's options differ"):
        pipeline.run_rows(config, PROTOCOL)
    monkeypatch.setattr(results, "command", lambda: drawn + " --config.lr=0.3")
    config.figure = str(tmp_path / "mine")  # named by the user: written there
    pipeline.run_rows(config, PROTOCOL)


def test_a_commands_options_ignore_its_spelling_and_plumbing_not_a_rows_field():
    of = lambda command: runner.command_options(command, set(runner.PLUMBING))
    cmd = "python -m experiments.run --config=experiments/configs/x.py:quick --config.a=True"
    assert of(cmd) == ("x.py", "quick", {"a": "true"})
    for same in (
        "python -m experiments.hochreiter1997 --config experiments/configs/x.py --config.a true",
        f"{cmd} --config.only_rows=r --config.run_missing=false --config.trial_block=0:2",
        "python -m experiments.run --config.a=TRUE --config=./experiments/configs/x.py:quick",
    ):
        assert of(same) == of(cmd), same
    for other in (
        f"{cmd} --config.rows.r.T=4",
        f"{cmd} --config.models=m",
        cmd.replace("quick", "paper"),
    ):
        assert of(other) != of(cmd), other


def test_a_diverged_trials_nan_is_counted_and_never_summarised(tmp_path):
    # Python's min and max answer by where a NaN stands ([nan, 1] -> nan, [1, nan] -> 1): the
    # summaries refuse it, ~finite leaves it out and ~count_nan says how many there were.
    (tmp_path / "n.json").write_text(json.dumps({"a": [float("nan"), 0.2, 0.01], "b": [0.2, 0.01]}))
    for function in ("min", "max", "mean", "median", "sum", "flatmin", "flatmax"):
        with pytest.raises(ValueError, match="NaN"):
            docs.value_of(tmp_path, "n.json", "a", f"~{function}", None)
        assert docs.value_of(tmp_path, "n.json", "b", f"~{function}", None)  # no NaN: as before
    assert docs.value_of(tmp_path, "n.json", "a", "~finite~min", None) == "0.01"
    assert docs.value_of(tmp_path, "n.json", "a", "~finite~max", None) == "0.2"
    assert docs.value_of(tmp_path, "n.json", "a", "~count_nan", None) == "1"
    assert docs.value_of(tmp_path, "n.json", "b", "~count_nan", None) == "0"
