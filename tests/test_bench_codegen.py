"""bench/codegen.py: every program it times builds from today's configs; bad flags are one line."""

import pytest

from bench import codegen


def test_every_program_lowers():
    # The row and model names are the configs' (a renamed row fails here, not after minutes of
    # timing).
    for name, make in codegen.PROGRAMS.items():
        fn, args = make()
        assert fn.lower(*args()).as_text(), name


@pytest.mark.parametrize("flag, value", [("processes", "0"), ("calls", "-1")])
def test_bad_flag_is_one_line_error(flag, value, bench_error):
    stderr, stdout = bench_error("bench.codegen", f"--{flag}={value}")
    assert f"--{flag}" in stderr
    assert "round 1" not in stdout  # nothing was timed
