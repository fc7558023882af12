"""The result tables of README.md and REPRODUCTION.md, generated from ``runs/*/<profile>/table.json``.

A block between ``<!-- results: KIND -->`` and ``<!-- /results -->`` is rewritten from the tables:
``summary`` (the first model of every row with results, quick and paper profiles side by side) or
``all`` (every row and model of every profile). Nothing in a block is written by hand.

  python -m experiments.claims.docs            # rewrite the blocks
  python -m experiments.claims.docs --check    # exit 1 if a block is out of date
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from experiments.claims.table import fmt

DOCS = ("README.md", "REPRODUCTION.md")
PROFILES = ("quick", "paper")
_BLOCK = re.compile(r"(<!-- results: (\w+) -->\n)(.*?)(<!-- /results -->)", re.S)


NOTE = (
    'Ours: trials solved / trials ("in B": within a budget of B sequences each), then the mean '
    "sequences until success of the solved trials (their median; min–max) and the mean wrong of the "
    "test set after success. P13 rows count updates (minibatches of 20 sequences) and say so; their "
    "paper column is the paper's statement (it gives few numbers). A profile other than quick "
    "and paper is a run directory of another reading or budget (e.g. `fixed_set`: H97's "
    "`fixed_test_set=True`), described in the claim's row above. Generated from "
    "`runs/*/<profile>/table.json` by `python -m experiments.claims.docs`."
)


def load(root: Path) -> dict:
    """{claim slug: {profile: table rows}} for every table.json with trained rows."""
    out: dict = {}
    for path in sorted(root.glob("runs/*/*/table.json")):
        if re.match(r"s\d_", path.parent.parent.name):  # the practitioners' questions: own section
            continue
        rows = json.loads(path.read_text()).get("rows")
        if rows:
            out.setdefault(path.parent.parent.name, {})[path.parent.name] = rows
    return out


def paper_cell(p: dict) -> str:
    parts = []
    if "success_pct" in p:
        parts.append(f"{fmt(p['success_pct'])}%")
    if "after" in p:
        spread = f" ({fmt(p['min'])}–{fmt(p['max'])})" if "min" in p else ""
        parts.append(f"{fmt(p['after'])}{spread}")
    if "st1" in p:
        parts.append(f"ST1 {fmt(p['st1'])}")
    if "wrong" in p:
        parts.append(f"{fmt(p['wrong'])} wrong")
    if "fraction" in p:
        parts.append(f"{fmt(p['fraction'], 3)} misclassified")
    if "ratio" in p:
        parts.append(f"ratio ≈{fmt(p['ratio'], 2)}")
    if "statement" in p:
        parts.append(p["statement"])
    return ", ".join(parts) or "–"


def ours_cell(e: dict | None) -> str:
    if e is None:
        return ""
    if e.get("not_run"):
        return "not run"
    a, n = e["after"], e["trials"]
    text = f"{e['solved']}/{n}"
    unit = e.get("unit", "sequences")
    named = "" if unit == "sequences" else f" {unit}"  # the tables' note says sequences
    if not e.get("finished", True):
        text += f" by {fmt(e.get('seen'))}{named} (running; budget {fmt(e['budget'])})"
    elif e["solved"] < n:
        text += f" in {fmt(e['budget'])}{named}"
    if a["mean"] is not None:
        text += f", {fmt(a['mean'])}{named} (median {fmt(a['median'])}; {fmt(a['min'])}–{fmt(a['max'])})"
    if e.get("wrong") is not None and e.get("test_size"):
        text += f", {fmt(e['wrong'], 3)} wrong of {fmt(e['test_size'])}"
    if e.get("ratio") is not None:
        text += f", ratio {fmt(e['ratio'], 2)}"
    if e.get("diverged"):
        text += f", {e['diverged']} diverged"
    return text


def _claim(slug: str) -> str:
    return slug.upper().replace("_", "-")


def summary(tables: dict) -> str:
    lines = [
        "| claim, row | paper: success, mean sequences until success, test | ours, quick "
        "| ours, paper profile |",
        "|---|---|---|---|",
    ]
    for slug, by_profile in tables.items():
        keys = {}
        for profile in PROFILES:
            for e in by_profile.get(profile, []):
                if "@" not in e["row"] and e["model"] == by_profile[profile][0]["model"]:
                    keys.setdefault(e.get("title", e["row"]), {})[profile] = e
        for row, got in keys.items():
            if all(e.get("not_run") for e in got.values()):
                continue
            paper = next(iter(got.values()))["paper"]
            cells = [ours_cell(got.get(p)) for p in PROFILES]
            lines.append(
                f"| {_claim(slug)}, {row} | {paper_cell(paper)} | " + " | ".join(cells) + " |"
            )
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def every(tables: dict) -> str:
    lines = ["| claim | profile | row | model | paper | ours |", "|---|---|---|---|---|---|"]
    for slug, by_profile in tables.items():
        # the two profiles, then the runs of other readings or budgets (their directory names)
        extra = sorted(set(by_profile) - set(PROFILES))
        for profile in (*PROFILES, *extra):
            for e in by_profile.get(profile, []):
                if e.get("not_run"):
                    continue
                lines.append(
                    f"| {_claim(slug)} | {profile} | {e.get('title', e['row'])} | {e['model']} "
                    f"| {paper_cell(e['paper'])} | {ours_cell(e)} |"
                )
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


KINDS = {"summary": summary, "all": every}


def render(text: str, tables: dict) -> str:
    """``text`` with every results block regenerated."""
    return _BLOCK.sub(lambda m: m.group(1) + KINDS[m.group(2)](tables) + m.group(4), text)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    tables = load(root)
    stale = []
    for name in DOCS:
        path = root / name
        text = path.read_text()
        new = render(text, tables)
        if new != text:
            stale.append(name)
            if "--check" not in argv:
                path.write_text(new)
    if stale and "--check" in argv:
        print(f"out of date: {', '.join(stale)} (run python -m experiments.claims.docs)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
