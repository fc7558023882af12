"""No function of the project grows past 60 lines (issue 31), its docstring not counted.

The functions listed in ``LONGER`` were longer when the rule came and are still to be split; each
may not grow, and one that is split must leave the list (the test says so).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60
# (file, function): its length when the rule came; the six listed then are split, none is left
LONGER: dict[tuple[str, str], int] = {}


def lengths(root: Path = ROOT) -> dict[tuple[str, str], int]:
    """(file, function) -> lines without the docstring, for every function over ``LIMIT``."""
    out = {}
    for package in ("repro", "experiments", "bench"):
        for path in sorted((root / package).rglob("*.py")):
            if "configs" in path.parts:  # configs are data
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                n = node.end_lineno - node.lineno + 1
                if ast.get_docstring(node) is not None:
                    doc = node.body[0]
                    n -= doc.end_lineno - doc.lineno + 1
                if n > LIMIT:
                    out[(path.relative_to(root).as_posix(), node.name)] = n
    return out


def test_no_function_grows_past_the_limit():
    found = lengths()
    new = {k: n for k, n in found.items() if k not in LONGER}
    assert not new, f"over {LIMIT} lines: {new}; split them into compute and drawing, or parts"
    grown = {k: (n, LONGER[k]) for k, n in found.items() if k in LONGER and n > LONGER[k]}
    assert not grown, f"longer than when the rule came (now, then): {grown}"
    split = sorted(set(LONGER) - set(found))
    assert not split, f"now within {LIMIT} lines: remove {split} from LONGER"


def test_the_count_sees_a_long_function_and_skips_docstrings_and_configs(tmp_path):
    def source(n):  # a def line, a three-line docstring and n - 1 body lines: n lines counted
        body = "\n".join(f"    x{i} = {i}" for i in range(n - 1))
        return f'def f():\n    """Doc\n\n    more."""\n{body}\n'

    (tmp_path / "repro").mkdir()
    (tmp_path / "experiments" / "configs").mkdir(parents=True)
    (tmp_path / "repro" / "a.py").write_text(source(LIMIT + 1))
    (tmp_path / "repro" / "b.py").write_text(source(LIMIT))
    (tmp_path / "experiments" / "configs" / "c.py").write_text(source(LIMIT + 5))
    assert lengths(tmp_path) == {("repro/a.py", "f"): LIMIT + 1}
