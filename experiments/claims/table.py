"""A claim's table: one entry per (row, model), ours beside the paper's numbers; json and markdown.

Shared columns: row, model, weights, trials solved, % success, and the time to success
(mean over solved trials, with median, min and max); a protocol adds its own (test-set columns,
milestones). A row of ``config.reference_row`` gives every other row a ``ratio`` of mean times.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.claims.protocol import Protocol
from repro import results

__all__ = ["comparisons", "entries", "fmt", "markdown", "paper_text", "stats", "write"]


def stats(values) -> dict:
    """Mean, median, min and max of the non-negative values (None where there are none)."""
    a = np.asarray([v for v in values if v is not None and v >= 0], float)
    if not a.size:
        return {"mean": None, "median": None, "min": None, "max": None}
    return {"mean": a.mean(), "median": float(np.median(a)), "min": a.min(), "max": a.max()}


def hours(h: float | None) -> str:
    """A duration given in hours as a reader wants it: "40 s", "12 min", "3.5 h" or "16 d"."""
    if h is None:
        return "–"
    if h < 1 / 60:
        return f"{h * 3600:.0f} s"
    if h < 1:
        return f"{h * 60:.0f} min"
    return f"{h:.1f} h" if h < 48 else f"{h / 24:,.0f} d"


def fmt(v, digits: int = 0) -> str:
    """A table cell: "–" for nothing, thousands separators, or ``digits`` significant digits."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}g}" if digits else f"{v:,.0f}"


def paper_text(p: dict, extra: tuple = ()) -> str:
    """A row's paper numbers in one cell (the docs' paper column): the numbers every protocol
    shares (``success_pct``, ``after`` with its ``min``–``max``), then the protocol's own, ``extra``
    as (key, format) pairs in order, then a quoted ``statement``; "–" for none."""
    parts = []
    if "success_pct" in p:
        parts.append(f"{fmt(p['success_pct'])}%")
    if "after" in p:
        spread = f" ({fmt(p['min'])}–{fmt(p['max'])})" if "min" in p else ""
        parts.append(f"{fmt(p['after'])}{spread}")
    parts += [show(p[key]) for key, show in extra if key in p]
    if "statement" in p:
        parts.append(p["statement"])
    return ", ".join(parts) or "–"


def paper_of(protocol: Protocol, config, row_id: str, model: str, first: bool) -> dict:
    """The paper's numbers for a row and model (``row@model`` for a model after the first)."""
    key = row_id if first else f"{row_id}@{model}"
    return dict(protocol.paper.get(config.claim, {}).get(key, {}))


def entries(config, rows: list[rows_lib.Row], runs: dict, protocol: Protocol) -> list[dict]:
    """One entry per (row, model): ours beside the paper's numbers."""
    out = []
    for row in rows:
        c = row.config
        for i, model in enumerate(rows_lib.models_of(c)):
            r = runs[(row.id, model)]
            paper = paper_of(protocol, config, row.id, model, i == 0)
            base = {"row": row.id, "title": row.title, "model": model, "paper": paper}
            base["budget"], base["unit"] = protocol.budget(c), protocol.unit
            if r is None:
                out.append({**base, "not_run": True})
                continue
            solved = np.asarray(r["solved"], bool)
            with warnings.catch_warnings():  # trials that stopped leave NaN test columns
                warnings.simplefilter("ignore", RuntimeWarning)
                own = protocol.summarize(c, r)
            out.append(
                {
                    **base,
                    "weights": r["n_weights"],
                    "trials": len(solved),
                    "solved": int(solved.sum()),
                    "success_pct": 100.0 * solved.mean(),
                    "after": stats(np.asarray(r["solved_at"])[solved] / protocol.per_unit(c)),
                    # every solved trial's time (the status rule's interval of the mean)
                    "times": (
                        np.asarray(r["solved_at"], float)[solved] / protocol.per_unit(c)
                    ).tolist(),
                    "diverged": int(np.sum(r["diverged"])),
                    "finished": r["finished"],
                    **own,
                }
            )
            if not r["finished"]:  # still running: the least any running trial has seen
                seen = np.asarray(r["sequences_seen"])[~solved & ~np.asarray(r["diverged"], bool)]
                out[-1]["seen"] = int(seen.min()) if seen.size else None
    ref = config.reference_row
    base = next((e for e in out if e["row"] == ref and not e.get("not_run")), None)
    if base and base["after"]["mean"]:
        for e in out:  # e.g. G00 reports ratios to the 1997 LSTM's mean
            if e.get("after", {}).get("mean"):
                e["ratio"] = e["after"]["mean"] / base["after"]["mean"]
    return out


def comparisons(config, runs: dict) -> list[dict]:
    """Welch's t-test on the sequences until success of the solved trials of each pair of rows in
    ``config.compare`` (first model); None where a side has fewer than two solved trials."""
    from scipy import stats as scipy_stats

    out = []
    for a, b in rows_lib.pairs(config):
        times = []
        for row in (a, b):
            r = next((v for (rid, _), v in runs.items() if rid == row), None)
            ok = r is not None and sum(r["solved"]) >= 2
            times.append(
                [t for t, s in zip(r["solved_at"], r["solved"], strict=True) if s] if ok else None
            )
        if None in times:
            out.append({"a": a, "b": b, "t": None, "p": None})
            continue
        res = scipy_stats.ttest_ind(times[0], times[1], equal_var=False)
        out.append({"a": a, "b": b, "t": float(res.statistic), "p": float(res.pvalue)})
    return out


def markdown(
    config, entries_: list[dict], protocol: Protocol, comparisons_: list[dict] = ()
) -> str:
    """The table as Markdown, ours / paper in each cell."""
    head = ["row", "model", "weights", "solved", "% success"]
    head += ["success after: mean (median, min–max)", *(col.header for col in protocol.columns)]
    lines = [
        f"{config.claim} ({runner.shown_label(config)})",
        "",
        "| " + " | ".join(head) + " |",
        "|---" * len(head) + "|",
    ]
    for e in entries_:
        if e.get("not_run"):
            blank = " |" * (len(head) - 3)
            lines.append(f"| {e['row']} | {e['model']} | not run at this profile yet |{blank}")
            continue
        p, a = e["paper"], e["after"]
        spread = f"({fmt(a['median'])}, {fmt(a['min'])}–{fmt(a['max'])})" if a["mean"] else ""
        paper_spread = f" ({fmt(p['min'])}–{fmt(p['max'])})" if "min" in p else ""
        cells = [
            e["row"],
            e["model"],
            f"{e['weights']} / {fmt(p.get('weights'))}",
            f"{e['solved']}/{e['trials']}"
            + (f" ({e['diverged']} diverged)" if e["diverged"] else "")
            + (f" by {fmt(e['seen'])}, running" if not e.get("finished", True) else ""),
            f"{e['success_pct']:.0f} / {fmt(p.get('success_pct'))}",
            f"{fmt(a['mean'])} {spread} / {fmt(p.get('after'))}{paper_spread}",
            *(col.cell(e, p) for col in protocol.columns),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    budgets = sorted({e["budget"] for e in entries_ if not e.get("not_run")})
    tests = [
        f"Welch's t-test, {c['a']} vs {c['b']} (solved trials): t = {fmt(c['t'], 2)}, "
        f"p = {fmt(c['p'], 2)}"
        for c in comparisons_
    ]
    lines += [
        "",
        "Cells read ours / paper. Budget per trial: "
        + ", ".join(f"{b:,}" for b in budgets)
        + f" {protocol.unit}"
        + (f"; {protocol.table_note}" if protocol.table_note else "")
        + ".",
        *(["", *tests] if tests else []),
    ]
    return "\n".join(lines) + "\n"


def write(
    config,
    entries_: list[dict],
    protocol: Protocol,
    comparisons_: list[dict] = (),
    options: dict | None = None,
) -> str:
    """Write ``table.json`` (with provenance) and ``table.md`` to the claim's output directory.

    ``table.json`` names the claim, the profile, the options that changed what ran (the docs tell
    a profile's runs from other readings by them) and the label tables and figures use. An
    unchanged table is not rewritten, so a redraw leaves a clean checkout clean.
    """
    out = runner.out_dir(config)
    saved = {
        "claim": config.claim,
        "profile": config.profile,
        "options": dict(options or {}),
        "label": runner.shown_label(config),
        "rows": entries_,
    }
    if comparisons_:
        saved["comparisons"] = list(comparisons_)
    if not protocol.summary:  # written only when off: the other tables stay as they are
        saved["summary"] = False
    results.write_json_with_provenance(out / "table.json", saved)
    text = markdown(config, entries_, protocol, comparisons_)
    results.atomic_write(out / "table.md", text.encode())
    return text
