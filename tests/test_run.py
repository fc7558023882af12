"""The one command for every claim (experiments.run): the config file picks the driver."""

import importlib
import json
import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
from test_experiments import CONFIGS, ROOT

from experiments import common, run
from experiments.claims import docs, status


def test_every_config_has_exactly_one_driver():
    for name in CONFIGS:
        patterns = {d: importlib.import_module(f"experiments.{d}").CONFIGS for d in run.DRIVERS}
        owners = [d for d, ps in patterns.items() if any(fnmatch(f"{name}.py", p) for p in ps)]
        assert len(owners) == 1, (name, owners)
        assert run.driver_for(f"experiments/configs/{name}.py:quick") == f"experiments.{owners[0]}"
    with pytest.raises(ValueError, match=r"--config=x/nope.py:quick: no driver runs 'nope.py'"):
        run.driver_for("x/nope.py:quick")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config=experiments/configs/h97_t7.py:quick", "--config.trials=0"], "config.trials=0"),
        (["--config=experiments/configs/nope.py:quick"], "no driver runs 'nope.py'"),
        ([], "--config: give a claim's config"),
    ],
)
def test_one_command_gives_the_drivers_one_line_errors(cli, args, message):
    proc = cli("experiments.run", *args)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1 and len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_one_command_explains_the_papers_fields(cli):
    proc = cli("experiments.run", "--config=experiments/configs/p13_t1.py:quick", "--helpfull")
    assert "--config.alpha_schedule =" in proc.stdout and "--config.trial_block =" in proc.stdout


def test_a_paper_without_a_driver_is_a_protocol_its_numbers_and_a_config(tmp_path):
    """Issue 31's fourth paper: tests/toy_paper adds a protocol, its numbers and a config, nothing
    else; the one command trains it, writes its table and figure, and the docs judge it."""
    out = tmp_path / "runs" / "toy_t1" / "paper"
    config = "--config=tests/toy_paper/config.py:paper"
    args = (config, f"--config.out_dir={out}", f"--config.figure={tmp_path}/fig")
    assert run.driver_for(config.split("=", 1)[1]) == run.GENERIC
    paths = common.call(run, *args)
    assert [p.suffix for p in paths] == [".pdf", ".png"] and all(p.exists() for p in paths)
    saved = json.loads((out / "table.json").read_text())
    (entry,) = saved["rows"]
    assert (entry["row"], entry["model"], entry["trials"]) == ("T5", "rnn_tanh", 4)
    assert entry["paper"]["after"] == 600  # the toy paper's number, read from its protocol
    runs = docs.runs(tmp_path)
    verdict = status.verdict(entry, "paper")
    assert docs.claim_status("TOY-T1", runs) == f"{verdict.text} (paper)"
    assert "TOY-T1" in docs.every(docs.load(tmp_path), runs)
    named = [p for p in Path("experiments").rglob("*.py") if "toy" in p.read_text().lower()]
    assert named == []  # nothing in experiments/ names the toy paper


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "config.protocol='': must be 'module:NAME' or 'file.py:NAME'"),
        ("no_such_module:PROTOCOL", "'no_such_module:PROTOCOL': No module named 'no_such_module'"),
        ("tests/toy_paper/protocol.py:PAPER", "PAPER is a dict"),
        ("tests/toy_paper/nope.py:PROTOCOL", "no file 'tests/toy_paper/nope.py'"),
    ],
)
def test_a_bad_protocol_is_one_line_before_compute(value, message, tmp_path):
    args = ("--config=tests/toy_paper/config.py:quick", f"--config.protocol={value}")
    with pytest.raises(ValueError, match=re.escape(message)):
        common.call(run, *args, f"--config.out_dir={tmp_path}/out")
    assert not (tmp_path / "out").exists()


def test_the_one_command_explains_a_driverless_papers_fields(cli):
    proc = cli("experiments.run", "--config=tests/toy_paper/config.py:quick", "--helpfull")
    assert (
        "--config.protocol =" in proc.stdout and "steps from the input to its target" in proc.stdout
    )
    # each field once, with its comment (the config sets claim, statement, rows again, bare)
    assert (
        proc.stdout.count("--config.claim =") == 1 and "claim id in REPRODUCTION.md" in proc.stdout
    )


def test_a_papers_base_refines_a_shared_fields_help_and_a_claims_repeat_does_not(tmp_path):
    files = {
        "head.py": '    # The models every row trains:\n    c.models = ""\n    c.seed = 0  # root key\n',
        "paper.py": '    c.models = "lstm"  # lstm or rnn\n    c.seed = 0\n    c.T = 5  # steps\n',
        "claim.py": '    c.models = "rnn"  # this claim\'s: rnn\n    c.T = 9  # more\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    text = common.fields_help([str(tmp_path / name) for name in files])
    assert text.splitlines() == [
        '  --config.models = "lstm": The models every row trains: lstm or rnn',
        "  --config.seed = 0: root key",
        "  --config.T = 5: steps",  # not the head's: the first comment stays
    ]


def test_every_field_of_every_claim_config_is_explained_by_its_commands_help(monkeypatch):
    # What --helpfull lists for a config's driver (the files its define_flag names), checked for
    # every top-level field of every config in every profile, in-process.
    import importlib.util

    where = ROOT / "experiments" / "configs"
    missing = []
    for module in run.DRIVERS:
        driver = importlib.import_module(f"experiments.{module}")
        seen = {}

        def capture(path, profile="quick", help_text="", field_paths=(), seen=seen):
            seen["paths"] = field_paths or (path,)

        monkeypatch.setattr(common, "define_config", capture)
        driver.define_flag()
        text = common.fields_help(seen["paths"])  # what --helpfull prints, one line per field
        explained = {  # a field with a comment in one of those files (a default may hold ": ")
            name
            for path in seen["paths"]
            for entry in common._field_entries(path)
            if not isinstance(entry, str)  # a section header
            for name, _, comment in [entry]
            if comment
        }
        assert all(f"--config.{name} = " in text for name in explained)
        files = sorted({p for pattern in driver.CONFIGS for p in where.glob(pattern)})
        assert files, module
        for path in files:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            config_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(config_module)
            for profile in getattr(config_module, "PROFILES", ("quick",)):
                for name in config_module.get_config(profile):
                    missing += [] if name in explained else [f"{path.name}:{profile} {name}"]
    assert not missing, missing


def test_make_figures_starts_every_claim_config_once():
    # ORDER (the start order of make figures) lists exactly the configs TRAINED and COMPUTED name,
    # and those are every claim config but the ones with rules of their own.
    text = (ROOT / "Makefile").read_text()

    def listed(name):
        return (
            re.search(rf"^{name} := ((?:.*\\\n)*.*)$", text, re.M)
            .group(1)
            .replace("\\", " ")
            .split()
        )

    order, trained, computed = listed("ORDER"), listed("TRAINED"), listed("COMPUTED")
    assert len(order) == len(set(order)) and set(order) == set(trained) | set(computed)
    assert not set(trained) & set(computed)
    configs = {p.stem for p in (ROOT / "experiments" / "configs").glob("[a-z]*.py")}
    assert configs - set(order) == {"s_reach"}  # drawn from the other questions' runs
