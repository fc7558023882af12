"""bench/figures.py: the wrapped command's log and time, the table's sums, its one-line errors."""

import pytest

from bench import figures

# Two configs' stderr as JAX_LOG_COMPILES writes it (abridged), one restarted after a stall.
LOG_A = """\
W1207 22:17:35.640671 1397 dispatch.py:204] Finished tracing _chunk_impl for jit in 0.5 sec
W1207 22:17:35.640671 1397 dispatch.py:204] Finished jaxpr to MLIR module conversion jit(_chunk_impl) in 0.25 sec
W1207 22:17:35.640671 1397 dispatch.py:204] Finished XLA compilation of jit(_chunk_impl) in 2.0 sec
I1207 22:17:36.446074 1397 runner.py:326] S2-ablation recall_T10 tanh_default: chunk 1: 6,521 updates/s
warning: no CPU used for 30 s: XLA's CPU runtime stalled (README, 'Known problem'); restarting the command (1 of 10)
W1207 22:17:38.263170 1397 dispatch.py:204] Finished XLA compilation of jit(one) in 1.0 sec
TIME 10.00 wall 9.50 user
"""
LOG_B = """\
W1207 22:17:35.640671 1397 dispatch.py:204] Finished XLA compilation of jit(update) in 1e-1 sec
TIME 40.00 wall 38.00 user
"""


def test_measure_sums_every_program(tmp_path):
    (tmp_path / "a.err").write_text(LOG_A)
    got = figures.measure(tmp_path / "a.err")
    assert got == {
        "wall": 10.0, "cpu": 9.5, "xla": 3.0, "trace": 0.75, "programs": 2, "restarts": 1,
        "exit": None, "commit": None,  # a shell wrapper's log does not say
    }  # fmt: skip


def test_table_longest_first_with_totals(tmp_path):
    (tmp_path / "s2_ablation_quick.err").write_text(LOG_A)
    (tmp_path / "s0_downsampling_quick.err").write_text(LOG_B)
    (tmp_path / "h97_t4_quick.err").write_text("still running\n")  # no TIME line: not finished
    lines = figures.table(tmp_path).splitlines()
    assert lines[2].startswith("| s0_downsampling_quick | 40.0 | 38.0 | 0.1 | 0.0 | 1 | 0% |")
    assert (
        lines[3] == "| s2_ablation_quick (1 stall restarted) | 10.0 | 9.5 | 3.0 | 0.8 | 2 | 38% |"
    )
    # totals: (3.0 + 0.1 + 0.75) / 50 = 7.7%
    assert lines[4] == "| **all 2 configs** | 50.0 | 47.5 | 3.1 | 0.8 | 3 | 8% |"
    assert lines[-1] == "Not finished (no TIME line): h97_t4_quick"
    got = figures.summary(tmp_path)
    assert [r["config"] for r in got["rows"]] == ["s0_downsampling_quick", "s2_ablation_quick"]
    assert got["total"]["compile"] == pytest.approx(3.85)
    assert got["total"]["rest"] == pytest.approx(46.15)
    assert got["rows"][1]["share"] == pytest.approx(0.375)


def test_table_of_no_finished_log_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no finished config's log"):
        figures.table(tmp_path)


def test_log_name_of_a_command():
    args = ["--config=experiments/configs/p13_t1.py:modern", "--config.run_missing=true"]
    assert figures.log_name(args) == "p13_t1_modern"
    assert figures.log_name(["--config=experiments/configs/h97_t4.py"]) == "h97_t4_default"
    with pytest.raises(ValueError, match="no --config"):
        figures.log_name(["--config.T=5"])


def test_wrap_logs_the_command_and_keeps_its_exit_status(tmp_path, monkeypatch):
    # The real command, stopped by a bad override (one line, before any compute): its stderr lands
    # in the config's log with the TIME line, and its exit status is returned.
    monkeypatch.chdir(figures.Path(__file__).resolve().parents[1])
    args = ["--config=experiments/configs/h97_t4.py:quick", "--config.trials=0"]
    code = figures.wrap(args, tmp_path)
    log = (tmp_path / "h97_t4_quick.err").read_text()
    assert code != 0
    assert "config.trials" in log and "Traceback" not in log
    got = figures.measure(tmp_path / "h97_t4_quick.err")
    assert got["wall"] > 0 and got["programs"] == 0
    assert got["exit"] == code and got["commit"] not in (None, "unknown")
    assert "(exit " in figures.table(tmp_path).splitlines()[2]  # a failed config is marked


def test_missing_log_dir_is_one_line(bench_error, tmp_path):
    stderr, _ = bench_error("bench.figures", f"--logs={tmp_path / 'none'}")
    assert "--logs" in stderr and "no such folder" in stderr


def test_a_wrapped_command_without_a_config_is_one_line(bench_error, tmp_path):
    stderr, _ = bench_error("bench.figures", f"--logs={tmp_path}", "--", "--config.T=5")
    assert "no --config=PATH.py" in stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("flag", ["json", "txt"])
def test_an_output_in_a_missing_folder_is_one_line(bench_error, tmp_path, flag):
    (tmp_path / "a_quick.err").write_text(LOG_B)
    out = tmp_path / "none" / "table"
    stderr, _ = bench_error("bench.figures", f"--logs={tmp_path}", f"--{flag}={out}")
    assert f"--{flag}" in stderr and "does not exist" in stderr
