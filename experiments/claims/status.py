"""The status of a trained claim, computed from its committed runs by one stated rule.

Every trained claim's status in REPRODUCTION.md is written by this module (``docs.py`` fills it in);
none is typed. The rule compares each (row, model) entry of a results table with the paper's
numbers for it (``entry["paper"]``: ``success_pct``, the mean time to success ``after`` and its
``max``, the test error ``wrong`` of ``test_size`` or ``fraction``, and the paper's scale: ``trials``
and ``budget``, the budget being the paper profile's). One entry's outcome, in this order:

1. **not run at scale**: the run is a quick profile (quick runs illustrate; they never reproduce),
   or it is still running, or it has no paper number to compare.
2. The success rate. Ours is k solved of n with its 95% Wilson interval [lo, hi]; the paper's is
   ``success_pct`` or, where the paper reports a mean over its trials and no rate, every trial (n/n).
   With our budget B below the paper's, unsolved trials may still solve, so a lower rate decides only
   against what the paper had surely solved by B: p·(1 − M/B) by Markov's inequality for a paper
   mean M (p itself once B reaches the paper's ``max``).
   - p above hi: **not reproduced** when B reaches the paper's budget or p·(1 − M/B) is above hi;
     else **not run at scale** when B is below the paper's mean (or no mean is known), else
     **inconclusive** (budget).
   - p below lo: **not reproduced** (ours succeeds more often).
   - p within [lo, hi]: consistent. With B below the paper's budget and unsolved trials left, or
     with fewer trials than the paper's, **inconclusive** (budget, trials); else on to 3.
3. **reproduced**, with the speed and accuracy beside the paper's where both have them: the ratio
   r = our mean time / the paper's, with the 95% interval of our mean (Student t over the solved
   trials); "faster" when the interval's top is below 1/TOLERANCE, "slower" when its bottom is above
   TOLERANCE, else the speed agrees. Likewise the test error: our wrong count over every tested
   sequence with its Wilson interval against the paper's fraction, "less accurate" or "more accurate"
   beyond a factor TOLERANCE.

A claim's status lists its entries' outcomes by row: one outcome when every entry has it, else each
outcome with the rows that have it. ``TOLERANCE`` = 2: a factor of two either way on this machine is
"the same speed" (trial-to-trial spread is larger, and the paper gives no spread for most rows); it
is wider than anything that differs between CPUs (see REPRODUCTION.md's header), so no outcome flips
across machines.
"""

from __future__ import annotations

import dataclasses
import math

__all__ = [
    "OUTCOMES",
    "TOLERANCE",
    "Verdict",
    "claim_status",
    "mean_interval",
    "verdict",
    "wilson",
]

TOLERANCE = 2.0
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
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


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a rate k/n (0 ≤ k ≤ n, n ≥ 1)."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"wilson: k={k}, n={n}: need 0 <= k <= n and n >= 1")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # exact at the edges: 0 of n can have rate 0, n of n rate 1 (rounding must not exclude them)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def mean_interval(values) -> tuple[float, float, float] | None:
    """(mean, low, high): the 95% Student t interval of the mean; None for fewer than 2 values."""
    xs = [float(v) for v in values]
    if len(xs) < 2:
        return None
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
    from scipy import stats  # local: scipy is slow to import and only this needs it

    half = float(stats.t.ppf(0.975, len(xs) - 1)) * sd / math.sqrt(len(xs))
    return m, m - half, m + half


def _ratio(x: float) -> str:
    return f"{x:.2g}×" if x < 10 else f"{x:,.0f}×"


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
    if test["p"] >= 0.05:
        return Verdict(
            "reproduced", f"no significant difference from {other} (Welch p = {test['p']:.2g})"
        )
    return Verdict("not reproduced", f"differs from {other} (Welch p = {test['p']:.2g})")


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
    p = _paper_rate(paper)
    if entry.get("not_run"):
        return Verdict("not run at scale", "not run")
    if p is None and "same_as" not in paper:
        return Verdict("not run at scale", "no paper number to compare")
    if profile == "quick":
        return Verdict("not run at scale", "quick profile")
    if not entry.get("finished", True):
        return Verdict("not run at scale", "still running")
    if "same_as" in paper:
        return _same_as(entry, comparisons)
    k, n, budget = entry["solved"], entry["trials"], entry["budget"]
    lo, hi = wilson(k, n)
    paper_budget, paper_n = paper.get("budget"), paper.get("trials")
    mean, top = paper.get("after"), paper.get("max")
    cut = paper_budget is not None and budget < paper_budget
    ours = f"{k}/{n} (95% {lo:.0%}–{hi:.0%}) against {p:.0%}"
    if p > hi:
        if not cut or (top is not None and budget >= top):
            return Verdict("not reproduced", f"{ours}: fewer succeed")
        if mean and budget > mean and p * (1 - mean / budget) > hi:
            sure = p * (1 - mean / budget)
            why = f"{ours}: fewer succeed, even against the paper's ≥ {sure:.0%} by our budget"
            return Verdict("not reproduced", why)
        if not mean or budget < mean:
            return Verdict("not run at scale", f"{ours}, budget below the paper's mean time")
        return Verdict("inconclusive", f"{ours}, at a cut budget")
    if p < lo:
        return Verdict("not reproduced", f"{ours}: more succeed")
    if cut and k < n:
        return Verdict("inconclusive", f"{ours}, unsolved trials at a cut budget")
    if paper_n is not None and n < paper_n:
        return Verdict("inconclusive", f"{ours}, {n} of the paper's {paper_n} trials")
    qualifiers = tuple(q for q in (_speed(entry, paper), _accuracy(entry, paper)) if q)
    return Verdict("reproduced", ours, qualifiers)


def claim_status(entries: list[tuple[str, str, Verdict]]) -> str:
    """A claim's status from its entries' (row title, profile, verdict): one outcome when all agree,
    else each outcome with its rows, most decisive first."""
    if not entries:
        return "not run at scale"
    texts = [v.text for _, _, v in entries]
    if len(set(texts)) == 1:
        where = sorted({prof for _, prof, _ in entries})
        return f"{texts[0]} ({', '.join(where)})"
    groups: dict[str, list[str]] = {}
    for title, prof, v in entries:
        groups.setdefault(v.text, []).append(f"{title} ({prof})")
    order = sorted(groups, key=lambda t: (OUTCOMES.index(t.split(",")[0]), t))
    return "; ".join(f"{t}: {', '.join(groups[t])}" for t in order)
