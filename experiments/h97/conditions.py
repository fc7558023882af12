"""H97 Tables 10 and 11 (conditions of every experiment), rebuilt from the claim configs' paper
profiles and compared with the paper cell by cell, without training."""

from __future__ import annotations

import importlib
import math

import jax
import jax.numpy as jnp

from experiments import common
from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.h97 import paper, protocol
from repro import cells, results

TABLES = {
    "table10": (paper.TABLE10, paper.T10_COLUMNS),
    "table11": (paper.TABLE11, paper.T11_COLUMNS),
}
_SELECTION = {"h97_reber": "t1", "h97_2a": "t1", "h97_2b": "t2", "h97_2c": "t2"}


def row_config(claim_module: str, row_id: str):
    config = importlib.import_module(f"experiments.configs.{claim_module}").get_config("paper")
    return {r.id: r for r in rows_lib.rows_of(config, protocol.validate)}[row_id].config


def _gate(values: str, present: bool, has_bias: bool) -> str:
    if not present:
        return "no og"
    if not has_bias:
        return "none"
    v = protocol.floats(values, "gate bias")
    return "r" if v is None else ",".join(f"{x:g}" for x in v)


def table10_line(c) -> dict:
    """Table 10's columns of one row config; the weights counted on the built net."""
    n_in, n_out = protocol.FAMILIES[c.task].io(c)
    model = protocol.lstm_model(c, n_out)
    w = cells.count_params(model.init(jax.random.key(0), model.initialize_carry(), jnp.zeros(n_in)))
    gates = c.bias in ("ga", "b1", "all")
    values = (
        *protocol.FAMILIES[c.task].lag(c),
        *(c.blocks, c.block_size, n_in, n_out, w, c.topology),
        _gate(c.out_gate_bias, c.output_gate, gates),
        _gate(c.in_gate_bias, True, gates),
        *(c.bias, c.h, c.g, c.lr),
    )
    return dict(zip(paper.T10_COLUMNS, values, strict=True))


def _stopping(c) -> str:
    if c.task in ("h97_2a", "h97_2b", "h97_2c"):
        return f"{c.max_sequences:,} sequences"
    if c.task in ("h97_3a", "h97_3b"):
        return "ST1 and ST2"
    if c.task == "h97_3c":
        return "single criterion (§3.5)"
    if c.task == "h97_multiplication":
        return "§3.7" if c.mark_max_wrong == 139 and c.window_max_wrong == 12 else "?"
    return f"ST3({c.max_avg_error:g})"


def table11_line(c) -> dict:
    """Table 11's columns of one row config."""
    s = f"{c.init_scale:g}"
    if c.task == "h97_reber":
        test, stop, success = "256", "train and test sets correct", "§3.1"
    else:
        sizes = {"h97_2a": "2", "h97_2b": str(c.check_sequences), "h97_2c": str(c.check_sequences)}
        test, stop = sizes.get(c.task, str(c.test_sequences)), _stopping(c)
        success = "§3.5" if c.task == "h97_3c" else f"ABS({c.tolerance:g})"
    values = (_SELECTION.get(c.task, "t3"), f"[-{s},{s}]", test, stop, success)
    return dict(zip(paper.T11_COLUMNS, values, strict=True))


def compare(which: str) -> tuple[list[dict], list[dict]]:
    """(cells, differences): every cell ours vs the paper's; the differences with the spec's
    reason (``expected``), or None where the spec expects none."""
    lines, columns = TABLES[which]
    build = table10_line if which == "table10" else table11_line
    cells_, diffs = [], []
    for task, want in lines.items():
        ours = build(row_config(want["claim"], want["row"]))
        for col in columns:
            a, b = ours[col], want[col]
            same = math.isclose(a, b) if isinstance(b, float) else a == b
            cell = {"task": task, "column": col, "ours": a, "paper": b, "same": same}
            cells_.append(cell)
            if not same:
                diffs.append({**cell, "expected": paper.EXPECTED_DIFFERENCES.get((task, col))})
    return cells_, diffs


def main(config) -> list:
    """Write the comparison as table.json and table.md; fail on a difference the spec does not
    expect. A claim computed without the trainer (the configs' ``protocol``): no figure, no path."""
    common.check_writable(config, out_dir=runner.out_dir(config))
    cells_, diffs = compare(config.conditions)
    columns = TABLES[config.conditions][1]
    lines = [
        f"{config.claim}: H97 Table {config.conditions[-2:]}, ours / paper where they differ",
        "",
        "| task | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for task in dict.fromkeys(c["task"] for c in cells_):
        row = [c for c in cells_ if c["task"] == task]
        text = [f"{c['ours']}" if c["same"] else f"**{c['ours']} / {c['paper']}**" for c in row]
        lines.append(f"| {task} | " + " | ".join(text) + " |")
    lines += ["", f"{len(cells_) - len(diffs)} of {len(cells_)} cells equal the paper's."]
    lines += [
        f"- {d['task']} {d['column']}: ours {d['ours']}, paper {d['paper']}: "
        f"{d['expected'] or 'UNEXPECTED'}"
        for d in diffs
    ]
    text = "\n".join(lines) + "\n"
    out = runner.out_dir(config)
    results.write_json_with_provenance(  # an unchanged table is not rewritten
        out / "table.json", {"cells": cells_, "differences": diffs}
    )
    results.atomic_write(out / "table.md", text.encode())
    print(text)
    if any(d["expected"] is None for d in diffs):
        raise ValueError(f"{config.claim}: cells differ from the paper without a known reason")
    return []
