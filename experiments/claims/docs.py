"""README.md and REPRODUCTION.md: every result table, status and run number generated or checked.

Three kinds of generated text, rewritten by ``python -m experiments.claims.docs`` and compared by
``--check`` (exit 1 with one line per problem):

- a results block between ``<!-- results: KIND -->`` and ``<!-- /results -->``: ``summary`` (the
  first model of every row with results, quick and paper profiles side by side), ``all`` (every
  row and model of every run, named by its label), ``status`` (every trained claim's status) or
  ``not_run`` (per claim, the rows not run at their full profile and what they would cost, from
  the cost model ``bench/results/cost.json``);
- a claim's status, inline: ``<!-- status: CLAIM -->…<!-- /status -->``, computed from its
  committed runs by the rule of ``experiments.claims.status`` (a claim row of REPRODUCTION.md whose
  claim has committed runs and no such marker is a typed status, and fails the check);
  ``<!-- status: CLAIM @ OTHER,… -->`` for a claim with no number of its own that rests on the runs
  of other claims (``resting_status``);
- a committed file's text, verbatim, between ``<!-- include: PATH -->`` and ``<!-- /include -->``
  (e.g. a benchmark's generated table, ``bench/results/cost.md``);
- a number from a committed file, inline: ``<!--v PATH SELECTOR[~FUNCTION…][:FORMAT] -->…<!--/v-->``,
  e.g. ``<!--v runs/p13_f7/budget20k/table.json rows[row=sigmoid_L20,model=msgd_cr].solved -->``.
  The selector walks the JSON: ``.key``, ``[3]`` (an index) or ``[key=value,...]`` (the first
  element with those fields); each FUNCTION, applied in turn, is one of ``FUNCTIONS`` (``len``, ``min``,
  ``max``, ``sum``, ``mean``, ``median``, ``pct`` = ×100, ``col(i)`` = the i-th element of every inner list, ``field(k)`` = the field k of every element, ``count_true``, ``count_below(x)``, ``flatmin`` and ``flatmax``: over
  every number in nested lists and dicts; ``finite`` (the finite numbers of a list), ``count_nan``
  (a diverged trial's NaN: ``min``, ``max``, ``sum``, ``mean``, ``median``, ``flatmin`` and
  ``flatmax`` refuse one); ``min_solved(values,mask)``, ``max_solved``,
  ``min_unsolved``, ``max_unsolved``: over the values of an entry, or a list of entries, where the
  mask is true or false); FORMAT a Python format spec
  (default: whole numbers and numbers from 100 up with thousands separators, others to 3
  significant digits).

``--check`` also fails on a cited ``runs/`` path that is not in the repository. The figure gallery,
``figures/README.md`` (``experiments.claims.gallery``), is written and checked with the docs.

  python -m experiments.claims.docs            # rewrite every generated part
  python -m experiments.claims.docs --check    # exit 1 if anything is out of date or typed
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

from experiments.claims import computed, gallery, runner
from experiments.claims import status as status_lib
from experiments.claims.table import fmt, hours, paper_text

DOCS = ("README.md", "REPRODUCTION.md")
PROFILES = ("quick", "paper")
_BLOCK = re.compile(r"(<!-- results: (\w+) -->\n)(.*?)(<!-- /results -->)", re.S)
_INCLUDE = re.compile(r"(<!-- include: (\S+) -->\n)(.*?)(<!-- /include -->)", re.S)


NOTE = (
    'Ours: trials solved / trials ("in B": within a budget of B sequences each), then the mean '
    "sequences until success of the solved trials (their median; min–max) and the mean wrong of the "
    "test set after success. Rows whose budget counts another unit (updates of a minibatch) say "
    "so, and where a paper gives a statement rather than numbers the paper column quotes it. The "
    "run column names the "
    "profile and every option that changed what ran (a cut budget is a profile of its own, e.g. "
    "`budget20k`; a reading is named with its value, e.g. `fixed_test_set=true`). Generated from "
    "`runs/*/<profile>/table.json` by `python -m experiments.claims.docs`."
)


def load(root: Path) -> dict:
    """{claim slug: {profile: table rows}} for every table.json with trained rows."""
    out: dict = {}
    for path in sorted(root.glob("runs/*/*/table.json")):
        saved = json.loads(path.read_text())
        if not saved.get("summary", True):  # a claim with a section of its own
            continue
        rows = saved.get("rows")
        if rows:
            out.setdefault(path.parent.parent.name, {})[path.parent.name] = rows
    return out


@functools.cache
def _paper_text(slug: str):
    """How the claim ``slug`` writes a row's paper numbers: its protocol's ``paper_text`` (the
    protocol experiments/configs/<slug>.py names), else ``table.paper_text``."""
    from experiments import run

    path = Path(f"experiments/configs/{slug}.py")
    if not path.is_file():  # no such config here (e.g. a test's own paper)
        return paper_text
    config = importlib.import_module(f"experiments.configs.{slug}").get_config()
    protocol = run.protocol_of(config)
    return (protocol and protocol.paper_text) or paper_text


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
                f"| {_claim(slug)}, {row} | {_paper_text(slug)(paper)} | "
                + " | ".join(cells)
                + " |"
            )
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def every(tables: dict, all_runs: list[dict] = ()) -> str:
    labels = {r["dir"]: r["label"] for r in all_runs}
    lines = ["| claim | run | row | model | paper | ours |", "|---|---|---|---|---|---|"]
    for slug, by_profile in tables.items():
        # the two profiles, then the runs of other readings or budgets (their directory names)
        extra = sorted(set(by_profile) - set(PROFILES))
        for profile in (*PROFILES, *extra):
            label = labels.get(f"runs/{slug}/{profile}", profile)
            for e in by_profile.get(profile, []):
                if e.get("not_run"):
                    continue
                lines.append(
                    f"| {_claim(slug)} | {label} | {e.get('title', e['row'])} | {e['model']} "
                    f"| {_paper_text(slug)(e['paper'])} | {ours_cell(e)} |"
                )
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def statuses(tables: dict, all_runs: list[dict] = ()) -> str:
    """Every trained claim with committed runs and its computed status, by claim id."""
    claims = sorted({r["claim"] for r in all_runs}, key=str.lower)
    lines = ["| claim | status (computed from the committed runs) |", "|---|---|"]
    lines += [f"| {c} | {claim_status(c, all_runs)} |" for c in claims]
    return "\n".join(lines) + "\n"


COST = "bench/results/cost.json"  # the cost model (bench/cost.py)


def not_run(tables: dict, all_runs: list[dict] = (), root: Path = Path(".")) -> str:
    """Per trained claim, the rows and models with no finished run at their full profile, and what
    running them would cost by the committed cost model (every trial to its cap)."""
    path = root / COST
    if not path.exists():
        return f"(no cost model committed: `make bench-cost` writes {COST})\n"
    saved = json.loads(path.read_text())
    clusters = saved["clusters"]
    lines = [
        "| claim (profile) | rows × models not run | trial-updates (cap) | this CPU | "
        + " | ".join(f"{c} cores" for c in clusters)
        + " |",
        "|---|---|---|---|" + "---|" * len(clusters),
    ]
    by_claim: dict[str, list] = {}
    for e in saved["entries"]:
        by_claim.setdefault(e["claim"], []).append(e)
    for claim, es in by_claim.items():
        profile = es[0]["spec"].rsplit(":", 1)[1]
        table = root / "runs" / claim.lower().replace("-", "_") / profile / "table.json"
        rows = json.loads(table.read_text()).get("rows", []) if table.exists() else []
        done = {
            (r["row"], r["model"]) for r in rows if not r.get("not_run") and r.get("finished", True)
        }
        left = [e for e in es if (e["row"], e["model"]) not in done]
        if not left:
            continue
        p = [e["projection"] for e in left if "failed" not in e["projection"]]
        more = f" + {len(left) - len(p)} not measured" if len(p) < len(left) else ""
        here = sum(x["hours_here"] for x in p)
        longest = max((x["longest_trial_hours"] for x in p), default=0.0)
        cells = [hours(max(here * saved["cores"] / c, longest)) + more for c in clusters]
        updates = sum(e["projection"]["trial_updates"] for e in left)
        lines.append(
            f"| {claim} ({profile}) | {len(left)} of {len(es)} | {updates:.2g} | "
            f"{hours(here)}{more} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        f"Projected by the cost model of {saved['date']} ({saved['cpu']}, {saved['cores']} cores; "
        f"`{COST}`, `make bench-cost`) for every trial run to its cap: more updates than a run "
        "whose trials solve makes, but each timed on an idle machine without the run's logging, "
        "checkpoints and compilation, so a real run takes longer per update; an estimate, not a "
        "bound. Generated by `python -m experiments.claims.docs`.",
    ]
    return "\n".join(lines) + "\n"


KINDS = {
    "summary": lambda t, r=(), root=None: summary(t),
    "all": lambda t, r=(), root=None: every(t, r),
    "status": lambda t, r=(), root=None: statuses(t, r),
    "not_run": not_run,
}


_STATUS = re.compile(r"(<!-- status: ([\w-]+)(?: @ ([\w,-]+))? -->)(.*?)(<!-- /status -->)")
_VALUE = re.compile(
    r"(<!--v (\S+) ([^~:]*?)((?:~\w+(?:\([^)]*\))?)*)(?::(\S+))? -->)(.*?)(<!--/v-->)"
)
# a cited run; a path with <placeholders> or {alternatives} is a pattern, not a run
_CITED = re.compile(r"`?(runs/[\w./*<>{},-]+)")


def runs(root: Path) -> list[dict]:
    """Every committed results table (``runs/*/*/table.json``) with its directory, claim, profile
    and options (an older table without them: the directory's claim slug and profile, none)."""
    out = []
    paths = [*root.glob("runs/*/*/table.json"), *root.glob("runs/*/*/numbers.json")]
    for path in sorted(paths):
        saved = json.loads(path.read_text())
        if not saved.get("rows"):  # a claim computed without training has no rows to judge
            continue
        config = saved.get("config", {})  # a numbers.json names its config; a table.json itself
        claim = saved.get("claim") or config.get("claim") or _claim(path.parent.parent.name)
        profile = saved.get("profile") or config.get("profile") or path.parent.name
        options = (
            saved["options"] if "options" in saved else computed.options(config) if config else {}
        )
        out.append(
            {
                "dir": path.parent.relative_to(root).as_posix(),
                "claim": claim,
                "profile": profile,
                "options": options,
                "label": saved.get("label") or runner.describe(profile, options),
                "rows": saved["rows"],
                "comparisons": saved.get("comparisons", []),
            }
        )
    return out


def _judged(run: dict) -> list[tuple[dict, status_lib.Verdict]]:
    return [
        (e, status_lib.verdict(e, run["profile"], run["comparisons"]))
        for e in run["rows"]
        if not e.get("not_run")
    ]


def claim_status(claim: str, all_runs: list[dict]) -> str:
    """The generated status of ``claim``: the rule over its largest run of each (row, model) among
    the runs without options, then one clause per run of another reading (its options named)."""
    mine = [r for r in all_runs if r["claim"].lower() == claim.lower()]
    if not mine:
        return "not run"
    best: dict = {}
    for run in (r for r in mine if not r["options"]):
        for e, v in _judged(run):
            key = (e["row"], e["model"])
            rank = (run["profile"] != "quick", e.get("budget", 0), e.get("trials", 0))
            if key not in best or rank > best[key][0]:
                best[key] = (rank, e, run, v)
    judged = [b for b in best.values() if status_lib.has_number(b[1].get("paper") or {})]
    if judged:
        text = status_lib.claim_status(
            [(e.get("title", e["row"]), e["model"], run["profile"], v) for _, e, run, v in judged]
        )
    else:  # e.g. a claim the paper states without a number
        runs_ = list({id(run): run for _, _, run, _ in best.values()}.values())
        profiles = ", ".join(sorted({run["profile"] for run in runs_}))
        if runs_ and all(_scale(run)[0] for run in runs_):  # at scale: only the number is missing
            text = f"no paper number to compare ({profiles})"
        else:
            text = f"not run at scale (no paper number to compare; {profiles or 'not run'})"
    for run in (r for r in mine if r["options"]):
        judged = [
            (e.get("title", e["row"]), e["model"], run["profile"], v)
            for e, v in _judged(run)
            if status_lib.has_number(e.get("paper") or {})
        ]
        if judged:
            text += (
                f"; with {runner.options_text(run['options'])}: {status_lib.claim_status(judged)}"
            )
    return text


def resting_status(claims: list[str], all_runs: list[dict]) -> str:
    """The status of a claim the paper states without a number of its own (a comparison across
    rows or methods), resting on the runs of ``claims``: the rule weighs no such statement, so it is
    "not run at scale" while any of those runs is a quick profile or below the paper's budget, else
    "inconclusive" (the reading is in the row)."""
    mine = [r for r in all_runs if r["claim"].lower() in {c.lower() for c in claims}]
    if not mine:
        return "not run"
    best: dict = {}  # per claim, its largest run without options: (rank, at scale, profile)
    for run in (r for r in mine if not r["options"]):
        rank = (
            run["profile"] != "quick",
            max((e.get("budget", 0) for e in run["rows"]), default=0),
        )
        if run["claim"] not in best or rank > best[run["claim"]][0]:
            best[run["claim"]] = (rank, *_scale(run))
    profiles = ", ".join(sorted({p for _, _, p in best.values()}))
    if all(at_scale for _, at_scale, _ in best.values()):
        return f"inconclusive (no paper number to weigh; {profiles})"
    return f"not run at scale (no paper number to weigh; {profiles})"


def _scale(run: dict) -> tuple[bool, str]:
    """(whether every judged row ran at the paper's budget and not a quick profile, profile)."""
    rows = [e for e in run["rows"] if not e.get("not_run")]
    full = run["profile"] != "quick" and all(
        e.get("budget", 0) >= (e.get("paper") or {}).get("budget", 0) for e in rows
    )
    return full, run["profile"]


def _no_nan(function):
    """``function`` of numbers, refusing a NaN among them (Python's ``min`` and ``max`` would
    return an answer that depends on where it stands): a diverged trial is counted with
    ``~count_nan`` and left out with ``~finite``, in words beside the number."""

    def checked(value):
        if any(isinstance(x, float) and math.isnan(x) for x in _numbers(value)):
            raise ValueError("a NaN among the values (a diverged trial?): apply ~finite first")
        return function(value)

    return checked


FUNCTIONS = {
    "len": len,
    "min": _no_nan(min),
    "max": _no_nan(max),
    "sum": _no_nan(sum),
    "mean": _no_nan(lambda xs: sum(xs) / len(xs)),
    "pct": lambda x: 100 * x,
    "count_true": lambda xs: sum(1 for x in xs if x is True),
    "median": _no_nan(lambda xs: float(np.median(xs))),
    "flatmin": _no_nan(lambda v: min(_numbers(v))),
    "flatmax": _no_nan(lambda v: max(_numbers(v))),
    "finite": lambda xs: [x for x in xs if x is not None and math.isfinite(x)],
    "count_nan": lambda xs: sum(1 for x in xs if isinstance(x, float) and math.isnan(x)),
}


# ``min_solved(values,mask)``: over one entry (or a list of them), the min of ``values[i]`` where
# ``mask[i]`` is true (``_unsolved``: false), e.g. ``rows~max_unsolved(log10_flow,solved_list)``
MASKED = {
    "min_solved": lambda pairs: min(v for v, m in pairs if m),
    "max_solved": lambda pairs: max(v for v, m in pairs if m),
    "min_unsolved": lambda pairs: min(v for v, m in pairs if not m),
    "max_unsolved": lambda pairs: max(v for v, m in pairs if not m),
}


def _masked(value, values_key: str, mask_key: str) -> list[tuple]:
    entries = value if isinstance(value, list) else [value]
    return [
        (v, m)
        for e in entries
        if not e.get("not_run")
        for v, m in zip(e[values_key], e[mask_key], strict=True)
        if v is not None
    ]


def _numbers(value) -> list[float]:
    """Every number inside nested lists and dicts (``flatmin``, ``flatmax``)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return [] if value is None else [value]


def _select(value, selector: str):
    for part in re.findall(r"\.?([^.\[\]]+)|\[([^\]]*)\]", selector):
        key, index = part
        if key:
            value = value[key]
        elif re.fullmatch(r"-?\d+", index):
            value = value[int(index)]
        else:
            want = dict(kv.split("=", 1) for kv in index.split(","))
            value = next(v for v in value if all(str(v.get(k)) == w for k, w in want.items()))
    return value


def value_of(root: Path, path: str, selector: str, functions: str | None, spec: str | None) -> str:
    """The text of one ``<!--v ... -->`` number, read from the committed file."""
    value = _select(json.loads((root / path).read_text()), selector.strip())
    for function in re.findall(r"~(\w+(?:\([^)]*\))?)", functions or ""):  # applied in turn
        name, _, arg = function.partition("(")
        arg = arg.rstrip(")")
        if name == "count_below":
            value = sum(1 for x in value if x is not None and x < float(arg))
        elif name == "col":  # the arg-th element of every inner list
            value = [row[int(arg)] for row in value]
        elif name == "field":  # the field ``arg`` of every element
            value = [row[arg] for row in value]
        elif name in MASKED:
            value = MASKED[name](_masked(value, *arg.split(",")))
        else:
            value = FUNCTIONS[name](value)
    if spec:
        return format(value, spec)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def render(text: str, tables: dict, all_runs: list[dict] = (), root: Path = Path(".")) -> str:
    """``text`` with every results block, status and number regenerated."""
    text = _BLOCK.sub(
        lambda m: m.group(1) + KINDS[m.group(2)](tables, all_runs, root) + m.group(4), text
    )

    def include(m):
        try:
            return m.group(1) + (root / m.group(2)).read_text() + m.group(4)
        except OSError as err:
            raise ValueError(f"{m.group(1).strip()}: cannot read it ({err.strerror})") from None

    text = _INCLUDE.sub(include, text)

    def status(m):
        if m.group(3):  # a claim with no number of its own, resting on other claims' runs
            got = resting_status(m.group(3).split(","), all_runs)
        else:
            got = claim_status(m.group(2), all_runs)
        return m.group(1) + f"**{got}**" + m.group(5)

    text = _STATUS.sub(status, text)

    def number(m):
        try:
            got = value_of(root, m.group(2), m.group(3), m.group(4), m.group(5))
        except (OSError, KeyError, IndexError, StopIteration, ValueError, TypeError) as err:
            raise ValueError(
                f"{m.group(1)}: cannot read it ({type(err).__name__}: {err})"
            ) from None
        return m.group(1) + got + m.group(7)

    return _VALUE.sub(number, text)


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells (escaped pipes stay inside a cell); [] for any other line."""
    if not line.startswith("|"):
        return []
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def problems(name: str, text: str, all_runs: list[dict], root: Path) -> list[str]:
    """What ``--check`` finds beyond stale text: typed statuses of trained claims, cited runs that
    are not in the repository."""
    out = []
    trained = {r["claim"].lower() for r in all_runs}
    column = None
    for line in text.splitlines():
        cells = _cells(line)
        if cells and "status" in cells and cells[0] == "id":
            column = cells.index("status")
            continue
        if not cells:
            column = None
            continue
        if column is None or set(cells[0]) <= set("-: ") or len(cells) <= column:
            continue
        ids = [c.strip() for c in cells[0].split(",")]
        if any(i.lower() in trained for i in ids) and "<!-- status:" not in cells[column]:
            out.append(f"{name}: the status of {cells[0]} is typed; use <!-- status: {ids[0]} -->")
    tracked = _tracked(root)
    for cited in sorted(set(_CITED.findall(text))):
        cited = cited.rstrip(".,").rstrip("/")
        if "<" in cited or "{" in cited or cited.startswith("runs/."):
            continue  # a pattern of paths, or a cache
        found = (
            [g.relative_to(root).as_posix() for g in root.glob(cited)] if "*" in cited else [cited]
        )
        if not any(p == f or p.startswith(f + "/") for f in found for p in tracked):
            out.append(f"{name}: cites {cited}, which is not committed")
    for m in _INCLUDE.finditer(text):
        if m.group(2) not in tracked:
            out.append(f"{name}: includes {m.group(2)}, which is not committed")
    return out


_RESULTS = ("runs", "bench/results")  # where cited and included results live


def _tracked(root: Path) -> list[str]:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "ls-files", *_RESULTS], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # not a checkout: every file counts
        found = [p for d in _RESULTS for p in root.glob(f"{d}/**/*") if p.is_file()]
        return [p.relative_to(root).as_posix() for p in found]
    return out.split()


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    tables = load(root)
    all_runs = runs(root)
    stale, found = [], []
    for name in DOCS:
        path = root / name
        text = path.read_text()
        try:
            new = render(text, tables, all_runs, root)
        except ValueError as err:
            print(f"{name}: {err}")
            return 1
        found += problems(name, new, all_runs, root)
        if new != text:
            stale.append(name)
            if "--check" not in argv:
                path.write_text(new)
    path, new = root / gallery.GALLERY, gallery.render(root)  # from the figures themselves
    if not path.exists() or path.read_text() != new:
        stale.append(str(gallery.GALLERY))
        if "--check" not in argv:
            path.write_text(new)
    for line in found:
        print(line)
    if stale and "--check" in argv:
        print(f"out of date: {', '.join(stale)} (run python -m experiments.claims.docs)")
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
