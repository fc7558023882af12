"""The one command for every claim (experiments.run): the config names what computes its claim."""

import importlib
import json
import re
from pathlib import Path

import pytest
from test_experiments import CONFIGS, ROOT

from experiments import common, run
from experiments.claims import docs, status


def test_every_config_names_what_computes_its_claim():
    # a Protocol for the claims the pipeline trains, a function for those computed without it
    import inspect

    from experiments.claims.protocol import Protocol

    for name in CONFIGS:
        module = importlib.import_module(f"experiments.configs.{name}")
        for profile in getattr(module, "PROFILES", ("quick",)):
            config = module.get_config(profile)
            found = run.target_of(config)
            assert isinstance(found, Protocol) or inspect.isfunction(found), (name, found)
            assert (run.protocol_of(config) is None) == (not isinstance(found, Protocol))
            assert "rows" in config or not isinstance(found, Protocol), name


def test_the_per_paper_commands_are_the_one_command_with_a_default_config():
    for module in ("hochreiter1997", "pascanu2013", "bengio1994", "questions", "gradient_flow"):
        alias = importlib.import_module(f"experiments.{module}")
        assert Path(alias.DEFAULT_CONFIG).is_file(), module
        assert alias.run is run.run or module == "gradient_flow", module


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config=experiments/configs/h97_t7.py:quick", "--config.trials=0"], "config.trials=0"),
        (
            ["--config=experiments/configs/nope.py:quick"],
            "cannot load 'experiments/configs/nope.py'",
        ),
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
        ("experiments.run:DEFAULT_CONFIG", "DEFAULT_CONFIG is a str"),
        ("no_such_module:PROTOCOL", "'no_such_module:PROTOCOL': No module named 'no_such_module'"),
        ("tests/toy_paper/protocol.py:PAPER", "PAPER is a dict"),
        ("os:getcwd", "getcwd is a builtin_function_or_method"),  # not (config) -> paths
        ("tests/toy_paper/nope.py:PROTOCOL", "no file 'tests/toy_paper/nope.py'"),
    ],
)
def test_a_bad_protocol_is_one_line_before_compute(value, message, tmp_path):
    args = ("--config=tests/toy_paper/config.py:quick", f"--config.protocol={value}")
    with pytest.raises(ValueError, match=re.escape(message)):
        common.call(run, *args, f"--config.out_dir={tmp_path}/out")
    assert not (tmp_path / "out").exists()


def test_the_config_flag_may_be_given_with_a_space(tmp_path):
    import subprocess
    import sys

    spec = "experiments/configs/h97_t11.py:quick"  # a table computed in a second
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.run", "--config", spec, f"--config.out_dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "table.md").exists()


def test_the_stall_watch_runs_in_the_command_only(tmp_path):
    # in-process runs (tests, the Ray runner's parse) never restart the process they are in
    import threading

    common.call(
        run, "--config=experiments/configs/h97_t11.py:quick", f"--config.out_dir={tmp_path}"
    )
    assert "stall-watch" not in [t.name for t in threading.enumerate()]
    assert common.WATCH is False


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
    # What --helpfull lists for a config (the files run.define_flag names, the fields the config
    # has), checked for every top-level field of every config in every profile, in-process.
    missing = []
    for name in CONFIGS:
        path = str(ROOT / "experiments" / "configs" / f"{name}.py")
        module = importlib.import_module(f"experiments.configs.{name}")
        for profile in getattr(module, "PROFILES", ("quick",)):
            seen = {}

            def capture(path, profile="quick", help_text="", field_paths=(), keep=None, seen=seen):
                seen["text"] = common.fields_help(field_paths or (path,), keep)

            monkeypatch.setattr(common, "define_config", capture)
            run.define_flag(f"{path}:{profile}")
            lines = seen["text"].splitlines()
            for field in module.get_config(profile):
                said = [line for line in lines if line.startswith(f"  --config.{field} = ")]
                # listed once, with words after the default (its comment)
                ok = len(said) == 1 and re.search(r" = .*: \S", said[0])
                missing += [] if ok else [f"{name}:{profile} {field}"]
            listed = {
                line.split(" = ")[0].strip() for line in lines if line.startswith("  --config.")
            }
            assert listed <= {f"--config.{f}" for f in module.get_config(profile)}, name
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


_IDLE = """
import os, sys, time
from experiments import common
print("start", os.environ.get("REPRO_STALL_RESTARTS", "0"), flush=True)
if os.environ.get("REPRO_STALL_RESTARTS") == "1":
    sys.exit(0)  # the restarted command finishes (a run would resume from its checkpoints)
common.watch_for_stalls(stall_s=1.0, every=0.1)
t0 = time.perf_counter()
while time.perf_counter() - t0 < float(sys.argv[1]):
    pass  # busy: using a core is no stall
time.sleep(float(sys.argv[2]))  # idle, as a stalled XLA run is
print("finished", flush=True)
"""


@pytest.mark.parametrize(
    "busy, idle, restarts, out, rc, said",
    [
        (0, 20, "0", "start 0 start 1", 0, "restarting the command (1 of 10)"),
        (2.5, 0, "0", "start 0 finished", 0, ""),  # busy for longer than stall_s: not restarted
        (
            0,
            20,
            "10",
            "start 10",
            1,
            "error: stalled again (no CPU used for 1 s) after 10 restarts",
        ),
    ],
)
def test_a_command_that_uses_no_cpu_restarts_itself(tmp_path, busy, idle, restarts, out, rc, said):
    import os
    import subprocess
    import sys

    script = tmp_path / "idle.py"
    script.write_text(_IDLE)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPRO_STALL_RESTARTS": restarts}
    proc = subprocess.run(
        [sys.executable, str(script), str(busy), str(idle)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (" ".join(proc.stdout.split()), proc.returncode) == (out, rc), proc.stderr
    assert said in proc.stderr and ("warning" in proc.stderr) == (rc == 0 and bool(said))
