"""The status of a trained claim, computed from its committed runs by one stated rule.

Every trained claim's status in REPRODUCTION.md is written by this module (``docs.py`` fills it in);
none is typed. The rule compares each (row, model) entry of a results table with the paper's
numbers for it (``entry["paper"]``: ``success_pct``, the mean time to success ``after`` and its
``max``, the test error ``wrong`` of ``test_size`` or ``fraction``, and the paper's scale: ``trials``
and ``budget``, the budget being the paper profile's). One entry's outcome, in this order:

1. **not run at scale**: the run is a quick profile (quick runs illustrate; they never reproduce),
   or it is still running, or it has no paper number to compare.
2. The success rate: ours k of n (reported with its 95% Wilson interval) against the paper's
   k_p of N, its stated rate times its trial count or, where the paper reports a mean over its
   trials and no rate, N of N. They differ when Fisher's exact test (two-sided) gives p < 0.05, so
   the uncertainty of both trial counts counts. With our budget B below the paper's, unsolved
   trials may still solve, so a lower rate decides only against what the paper had surely solved by
   B: ⌊k_p·(1 − M/B)⌋ by Markov's inequality for a paper mean M (k_p itself once B reaches the
   paper's ``max``).
   - ours lower and different: **not reproduced** when B reaches the paper's budget or ours also
     differs from what the paper surely had by B; else **not run at scale** when B is below the
     paper's mean (or no mean is known), else **inconclusive** (budget).
   - ours higher and different: **not reproduced** (ours succeeds more often).
   - no difference: with B below the paper's budget and unsolved trials left, or with fewer
     trials than the paper's, **inconclusive** (budget, trials); else on to 3.
3. **reproduced**, with the speed and accuracy beside the paper's where both have them: the ratio
   r = our mean time / the paper's, with the 95% interval of our mean (Student t over the solved
   trials); "faster" when the interval's top is below 1/TOLERANCE, "slower" when its bottom is above
   TOLERANCE, else the speed agrees. Likewise the test error: our wrong count over every tested
   sequence with its Wilson interval against the paper's fraction, "less accurate" or "more accurate"
   beyond a factor TOLERANCE.

Two other kinds of paper number. A row whose paper number is "the same as row X" (``same_as``, e.g.
H97-D1's full gradient against the truncated one) is **reproduced** when Welch's test on the solved
trials' times finds no difference (p ≥ 0.05), **not reproduced** when it does, **inconclusive** with
fewer than two solved trials a side. A measured value (``paper["value"]``, e.g. B94's error rates,
lower is better), with our 95% interval [lo, hi] against the paper's value ± its reading precision:
**not reproduced** when hi is below the band (more budget can only lower it further) or lo above it
at the paper's budget; **inconclusive** when lo is above it, or it agrees, while some trials were
stopped by a cut budget, or with fewer trials than the paper's; else **reproduced**.

A claim's status lists its entries' outcomes by row: one outcome when every entry has it, else each
outcome with the rows that have it. ``TOLERANCE`` = 2: a factor of two either way on this machine is
"the same speed" (trial-to-trial spread is larger, and the paper gives no spread for most rows); it
is wider than anything that differs between CPUs (see REPRODUCTION.md's header), so no outcome flips
across machines.
"""

from __future__ import annotations

import dataclasses
import math

from repro import stats

__all__ = [
    "OUTCOMES",
    "TOLERANCE",
    "Verdict",
    "claim_status",
    "mean_interval",
    "differ",
    "has_number",
    "verdict",
    "wilson",
]

TOLERANCE = 2.0
MAX_LISTED = 12  # a claim with more (row, model) entries gives counts per outcome, not the rows
OUTCOMES = ("reproduced", "not reproduced", "inconclusive", "not run at scale")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One entry's outcome (one of ``OUTCOMES``) and why, in words a reader can check."""

    outcome: str
    why: str
    qualifiers: tuple[str, ...] = ()  # "slower (8.0×)", "less accurate (4.1×)"

    @property
    def text(self) -> str:
        return ", ".join((self.outcome, *self.qualifiers))


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a rate k/n, as floats (``repro.stats.wilson``)."""
    lo, hi = stats.wilson(k, n)
    return float(lo), float(hi)


def mean_interval(values) -> tuple[float, float, float] | None:
    """(mean, low, high): the 95% Student t interval of the mean; None for fewer than 2 values."""
    xs = [float(v) for v in values]
    if len(xs) < 2:
        return None
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
    from scipy import stats as scipy_stats  # local: slow to import, and only this needs it

    half = float(scipy_stats.t.ppf(0.975, len(xs) - 1)) * sd / math.sqrt(len(xs))
    return m, m - half, m + half


def _ratio(x: float) -> str:
    return f"{x:.2g}×" if x < 10 else f"{x:,.0f}×"


def has_number(paper: dict) -> bool:
    """Whether a paper entry gives something the rule can weigh ours against."""
    return _paper_rate(paper) is not None or "same_as" in paper or "value" in paper


def _paper_rate(paper: dict) -> float | None:
    if paper.get("trials") is None:  # the paper's scale is part of its number
        return None
    if paper.get("success_pct") is not None:
        return paper["success_pct"] / 100
    return 1.0 if paper.get("after") is not None else None  # a mean over every trial


def _speed(entry: dict, paper: dict) -> str | None:
    mean_p, times = paper.get("after"), entry.get("times")
    if not mean_p or not times:
        return None
    iv = mean_interval(times)
    r = sum(times) / len(times) / mean_p
    if iv is None:  # one solved trial: no interval, so no claim about speed
        return None
    lo, hi = max(iv[1], 0.0) / mean_p, iv[2] / mean_p
    if hi < 1 / TOLERANCE:
        return f"faster ({_ratio(r)})"
    if lo > TOLERANCE:
        return f"slower ({_ratio(r)})"
    return None


def _accuracy(entry: dict, paper: dict) -> str | None:
    size, tested = entry.get("test_size"), entry.get("tested", entry.get("solved"))
    if not size or not tested or entry.get("wrong") is None:
        return None
    if paper.get("fraction") is not None:
        f = paper["fraction"]
    elif paper.get("wrong") is not None:
        f = paper["wrong"] / size
    else:
        return None
    total = int(round(size * tested))
    wrong = min(total, int(round(entry["wrong"] * tested)))
    lo, hi = wilson(wrong, total)
    ours = wrong / total
    if f > 0 and lo > TOLERANCE * f:
        return f"less accurate ({_ratio(ours / f)})"
    if f > 0 and hi < f / TOLERANCE:
        return f"more accurate ({_ratio(ours / f) if wrong else '0 wrong'})"
    if f == 0 and lo > 0:
        return "less accurate (paper: 0 wrong)"
    return None


def _same_as(entry: dict, comparisons) -> Verdict:
    other = entry["paper"]["same_as"]
    test = next((c for c in comparisons if {c["a"], c["b"]} == {other, entry["row"]}), None)
    if test is None or test.get("p") is None:
        return Verdict("inconclusive", f"fewer than 2 solved trials beside {other}")
    if test["p"] >= 0.05:  # a null result, so its p goes into the status
        word = f"no significant difference, Welch p = {test['p']:.2g}"
        return Verdict("reproduced", f"{word} against {other}", (word,))
    return Verdict("not reproduced", f"differs from {other} (Welch p = {test['p']:.2g})")


def _value(entry: dict, profile: str) -> Verdict:
    """A measured value (e.g. an error rate, lower is better) with its 95% interval against the
    paper's, widened by the paper's reading precision."""
    paper = entry["paper"]
    v, lo, hi = paper["value"], *entry["ci"]
    tol = paper.get("precision", 0.0) * (abs(v) if paper.get("relative") else 1.0)
    ours = f"{entry['value']:.2g} (95% {lo:.2g}–{hi:.2g}) against {v:.2g} ± {tol:.2g}"
    if profile == "quick":
        return Verdict("not run at scale", "quick profile")
    if hi < v - tol:
        return Verdict("not reproduced", f"{ours}: lower")
    cut = entry["budget"] < paper.get("budget", 0) and entry.get("budget_hit", 0) > 0
    if lo > v + tol:
        return Verdict("inconclusive" if cut else "not reproduced", f"{ours}: higher")
    if cut:
        return Verdict(
            "inconclusive", f"{ours}, {entry['budget_hit']} trials stopped by a cut budget"
        )
    if entry["trials"] < paper.get("trials", 0):
        return Verdict(
            "inconclusive", f"{ours}, {entry['trials']} of the paper's {paper['trials']} trials"
        )
    return Verdict("reproduced", ours)


def verdict(entry: dict, profile: str, comparisons=()) -> Verdict:
    """The outcome of one table entry (a row and model of a results table) against the paper.

    Args:
      entry: ``solved``, ``trials``, ``budget``, ``paper`` and, where they exist, ``times`` (the
        solved trials' times to success, in the budget's unit), ``finished``, ``seen``, ``wrong``
        (mean wrong per tested trial), ``test_size`` and ``tested``.
      profile: the run's profile ("quick" never reproduces).
      comparisons: the table's Welch tests ({"a", "b", "p"}), for a row whose paper number is
        "the same as row X" (``paper["same_as"]``): reproduced when p ≥ 0.05.
    """
    paper = entry.get("paper") or {}
    if entry.get("not_run"):
        return Verdict("not run at scale", "not run")
    if profile == "quick":
        return Verdict("not run at scale", "quick profile")
    if paper.get("value") is not None:
        return _value(entry, profile)
    p = _paper_rate(paper)
    if p is None and "same_as" not in paper:
        return Verdict("not run at scale", "no paper number to compare")
    if not entry.get("finished", True):
        return Verdict("not run at scale", "still running")
    if "same_as" in paper:
        return _same_as(entry, comparisons)
    k, n, budget = entry["solved"], entry["trials"], entry["budget"]
    lo, hi = wilson(k, n)
    paper_budget, paper_n = paper.get("budget"), paper["trials"]
    mean, top = paper.get("after"), paper.get("max")
    cut = paper_budget is not None and budget < paper_budget
    paper_k = round(p * paper_n)
    ours = f"{k}/{n} (95% {lo:.0%}–{hi:.0%}) against {paper_k}/{paper_n}"
    if k / n < paper_k / paper_n and differ(k, n, paper_k, paper_n):
        if not cut or (top is not None and budget >= top):
            return Verdict("not reproduced", f"{ours}: fewer succeed")
        if mean and budget > mean:
            sure = math.floor(p * (1 - mean / budget) * paper_n)  # surely solved by our budget
            if k / n < sure / paper_n and differ(k, n, sure, paper_n):
                why = f"{ours}: fewer succeed, even against the paper's ≥ {sure} by our budget"
                return Verdict("not reproduced", why)
            return Verdict("inconclusive", f"{ours}, at a cut budget")
        return Verdict("not run at scale", f"{ours}, budget below the paper's mean time")
    if k / n > paper_k / paper_n and differ(k, n, paper_k, paper_n):
        return Verdict("not reproduced", f"{ours}: more succeed")
    if cut and k < n:
        return Verdict("inconclusive", f"{ours}, unsolved trials at a cut budget")
    if n < paper_n:
        return Verdict("inconclusive", f"{ours}, {n} of the paper's {paper_n} trials")
    qualifiers = tuple(q for q in (_speed(entry, paper), _accuracy(entry, paper)) if q)
    return Verdict("reproduced", ours, qualifiers)


def differ(k: int, n: int, k_paper: int, n_paper: int) -> bool:
    """Whether two success counts differ: Fisher's exact test (two-sided) at the 5% level."""
    from scipy import stats as scipy_stats  # local: slow to import, and only this needs it

    table = [[k, n - k], [k_paper, n_paper - k_paper]]
    return bool(scipy_stats.fisher_exact(table).pvalue < 0.05)


def claim_status(entries: list[tuple[str, str, str, Verdict]]) -> str:
    """A claim's status from its entries' (row title, model, profile, verdict): the outcome when all
    agree, else each outcome (most decisive first) with its rows, grouped by model where the claim
    has several; then the profiles the verdicts rest on."""
    if not entries:
        return "not run at scale"
    profiles = ", ".join(sorted({prof for _, _, prof, _ in entries}))
    texts = {v.text for *_, v in entries}
    if len(texts) == 1:
        return f"{texts.pop()} ({profiles})"
    models = {m for _, m, _, _ in entries}
    groups: dict[str, dict[str, list[str]]] = {}
    for title, model, _, v in entries:
        groups.setdefault(v.text, {}).setdefault(model if len(models) > 1 else "", []).append(title)
    order = sorted(groups, key=lambda t: (OUTCOMES.index(t.split(",")[0]), t))
    parts = []
    for t in order:
        if len(entries) > MAX_LISTED:  # many rows: how many of them, per model
            count = sum(len(ts) for ts in groups[t].values())
            per = ", ".join(f"{m} {len(ts)}" for m, ts in groups[t].items() if m)
            parts.append(f"{t}: {count} of {len(entries)}" + (f" ({per})" if per else ""))
        else:
            rows = "; ".join(
                f"{m + ' ' if m else ''}{', '.join(ts)}" for m, ts in groups[t].items()
            )
            parts.append(f"{t}: {rows}")
    return " · ".join(parts) + f" ({profiles})"
