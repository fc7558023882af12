"""The one command for every claim (experiments.run): the config file picks the driver."""

import importlib
from fnmatch import fnmatch

import pytest
from test_experiments import CONFIGS

from experiments import run


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
