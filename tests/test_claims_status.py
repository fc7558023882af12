"""The status rule (experiments/claims/status.py) on small made-up tables: every outcome and its edges."""

import math

import pytest
from scipy import stats as scipy_stats

from experiments.claims import status

PAPER = {"success_pct": 100, "after": 10_000, "trials": 10, "budget": 1_000_000}


def entry(solved=10, trials=10, budget=1_000_000, times=None, paper=PAPER, **extra) -> dict:
    times = [10_000.0] * solved if times is None else times
    return {"row": "r", "solved": solved, "trials": trials, "budget": budget, "times": times,
            "paper": dict(paper), **extra}  # fmt: skip


def test_wilson_matches_the_closed_form_and_its_edges():
    for k, n in [(0, 5), (3, 5), (5, 5), (11, 30), (29, 30)]:
        lo, hi = status.wilson(k, n)
        p, z = k / n, 1.959964
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        assert lo == pytest.approx(max(0, centre - half)) and hi == pytest.approx(
            min(1, centre + half)
        )
    assert status.wilson(0, 10)[0] == 0 and status.wilson(10, 10)[1] == pytest.approx(1)
    with pytest.raises(ValueError, match="k=array.3.*, n=array.2"):
        status.wilson(3, 2)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 30, 41])
def test_the_mean_interval_is_students_t(n):
    xs = [float(i * i % 7 + i) for i in range(n)]
    mean, lo, hi = status.mean_interval(xs)
    exact = scipy_stats.t.interval(0.95, n - 1, loc=mean, scale=scipy_stats.sem(xs))
    assert (lo, hi) == pytest.approx(exact)
    assert status.mean_interval([1.0]) is None


def test_all_solved_at_the_papers_scale_and_speed_is_reproduced():
    v = status.verdict(entry(times=[9_000.0, 11_000.0] * 5), "paper")
    assert v.text == "reproduced"


def test_a_quick_run_is_never_reproduced():
    v = status.verdict(entry(), "quick")
    assert v.outcome == "not run at scale" and v.why == "quick profile"


def test_no_paper_number_or_no_paper_scale_is_not_judged():
    assert status.verdict(entry(paper={"statement": "no number"}), "paper").why.startswith(
        "no paper"
    )
    # a success rate without the paper's trial count is not a number the rule can weigh
    assert status.verdict(entry(paper={"success_pct": 100}), "paper").why.startswith("no paper")


def test_a_running_run_is_not_judged():
    assert status.verdict(entry(finished=False), "paper").why == "still running"


@pytest.mark.parametrize(
    ("times", "word"),
    [([30_000.0, 34_000.0] * 5, "slower (3.2×)"), ([3_000.0, 4_000.0] * 5, "faster (0.35×)")],
)
def test_speed_beyond_the_tolerance_is_named_with_its_ratio(times, word):
    v = status.verdict(entry(times=times), "paper")
    assert v.outcome == "reproduced" and v.qualifiers == (word,)


def test_a_ratio_at_the_tolerance_is_the_same_speed():
    # mean exactly 2× the paper's, interval reaching below 2×: not "slower"
    v = status.verdict(entry(times=[19_000.0, 21_000.0] * 5), "paper")
    assert v.text == "reproduced"
    # the whole interval above 2×: slower
    v = status.verdict(entry(times=[20_500.0, 21_500.0] * 5), "paper")
    assert v.qualifiers == ("slower (2.1×)",)


def test_one_solved_trial_makes_no_claim_about_speed():
    p = {**PAPER, "success_pct": 10}
    v = status.verdict(entry(solved=1, times=[900_000.0], paper=p), "paper")
    assert v.text == "reproduced"


@pytest.mark.parametrize(
    ("k", "outcome"),
    [(10, "reproduced"), (8, "reproduced"), (5, "not reproduced"), (0, "not reproduced")],
)
def test_success_rate_against_the_papers_by_fishers_exact_test(k, outcome):
    # paper 10/10; Fisher's two-sided p: 8/10 0.47, 5/10 0.033
    v = status.verdict(entry(solved=k), "paper")
    assert v.outcome == outcome


def test_fishers_test_counts_both_trial_counts():
    assert not status.differ(9, 10, 10, 10)  # one failure in 10 is no evidence
    assert status.differ(11, 30, 30, 30)
    assert status.differ(0, 5, 5, 5) and not status.differ(2, 5, 5, 5)  # p = 0.008, 0.17


def test_more_successes_than_the_paper_is_not_reproduced():
    p = {**PAPER, "success_pct": 0, "after": None}
    v = status.verdict(entry(solved=6, trials=10, paper=p), "paper")
    assert v.outcome == "not reproduced" and "more succeed" in v.why


def test_a_paper_mean_without_a_rate_means_every_trial_succeeded():
    p = {"after": 10_000, "trials": 10, "budget": 1_000_000}
    assert status.verdict(entry(solved=10, paper=p), "paper").outcome == "reproduced"
    assert status.verdict(entry(solved=4, paper=p), "paper").outcome == "not reproduced"
    assert status.verdict(entry(solved=9, paper=p), "paper").outcome == "reproduced"


def test_fewer_trials_than_the_paper_is_inconclusive():
    v = status.verdict(entry(solved=4, trials=4, paper={**PAPER, "trials": 18}), "paper")
    assert v.outcome == "inconclusive" and "4 of the paper's 18" in v.why


def test_a_budget_below_the_papers_mean_is_not_run_at_scale():
    v = status.verdict(entry(solved=0, budget=5_000), "budget5k")
    assert v.outcome == "not run at scale"
    # no paper mean to weigh the cut against: not run at scale either
    p = {"success_pct": 100, "trials": 10, "budget": 1_000_000}
    assert status.verdict(entry(solved=0, paper=p, budget=20_000), "budget20k").outcome == (
        "not run at scale"
    )


def test_a_cut_budget_decides_only_against_what_the_paper_surely_had_solved():
    # paper mean 10,000; by 200,000 the paper had solved ≥ 95% (Markov): 0/10 is decisive
    v = status.verdict(entry(solved=0, budget=200_000), "budget200k")
    assert v.outcome == "not reproduced" and "the paper's ≥ 9 by our budget" in v.why
    # by 12,000 the paper had surely solved only ≥ 17%: 3/10 (Wilson up to 61%) cannot tell
    v = status.verdict(entry(solved=3, budget=12_000), "budget12k")
    assert v.outcome == "inconclusive"
    # past the paper's largest time every paper success had happened
    p = {**PAPER, "max": 24_100}
    v = status.verdict(entry(solved=3, budget=25_000, paper=p), "budget25k")
    assert v.outcome == "not reproduced"


def test_consistent_at_a_cut_budget_with_unsolved_trials_is_inconclusive():
    p = {**PAPER, "success_pct": 0, "after": None}
    v = status.verdict(entry(solved=0, budget=20_000, paper=p), "budget20k")
    assert v.outcome == "inconclusive" and "cut budget" in v.why
    # every trial solved within the cut budget: nothing left to decide
    assert status.verdict(entry(budget=20_000), "budget20k").outcome == "reproduced"


def test_accuracy_beyond_the_tolerance_is_named():
    p = {**PAPER, "wrong": 1}  # of 2560
    worse = entry(wrong=10.6, test_size=2560, paper=p)
    assert status.verdict(worse, "paper").qualifiers == ("less accurate (11×)",)
    same = entry(wrong=1.5, test_size=2560, paper=p)
    assert status.verdict(same, "paper").qualifiers == ()
    better = entry(wrong=0.0, test_size=2560, paper={**PAPER, "fraction": 0.01})
    assert status.verdict(better, "paper").qualifiers == ("more accurate (0 wrong)",)


def test_same_as_rows_are_judged_by_welchs_test():
    e = entry(paper={"same_as": "a"})
    e["row"] = "b"
    assert status.verdict(e, "paper", [{"a": "a", "b": "b", "p": 0.4}]).outcome == "reproduced"
    assert status.verdict(e, "paper", [{"a": "a", "b": "b", "p": 0.01}]).outcome == (
        "not reproduced"
    )
    assert status.verdict(e, "paper", [{"a": "a", "b": "b", "p": None}]).outcome == "inconclusive"


def test_a_claims_status_groups_rows_by_outcome():
    r = status.Verdict("reproduced", "")
    n = status.Verdict("not reproduced", "")
    agree = [("A", "m", "paper", r), ("B", "m", "paper", r)]
    assert status.claim_status(agree) == "reproduced (paper)"
    mixed = [("A", "m", "paper", r), ("B", "m", "paper", n), ("C", "m", "quick", r)]
    assert status.claim_status(mixed) == "reproduced: A, C · not reproduced: B (paper, quick)"
    models = [("A", "bp", "p", r), ("B", "bp", "p", n), ("A", "sa", "p", n)]
    assert status.claim_status(models) == "reproduced: bp A · not reproduced: bp B; sa A (p)"
    assert status.claim_status([]) == "not run at scale"
    many = [(f"T{i}", m, "p", r if i < 3 else n) for i in range(7) for m in ("bp", "sa")]
    assert status.claim_status(many) == (
        "reproduced: 6 of 14 (bp 3, sa 3) · not reproduced: 8 of 14 (bp 4, sa 4) (p)"
    )


def value(v=0.4, ci=(0.35, 0.45), budget=2_000_000, budget_hit=0, paper=None, trials=20) -> dict:
    paper = paper or {"value": 0.42, "precision": 0.1, "relative": True, "trials": 20,
                      "budget": 2_000_000}  # fmt: skip
    return {"row": "T20", "model": "bp", "value": v, "ci": list(ci), "trials": trials,
            "budget": budget, "budget_hit": budget_hit, "paper": paper}  # fmt: skip


def test_a_value_within_its_interval_and_the_papers_reading_precision_is_reproduced():
    assert status.verdict(value(), "paper").outcome == "reproduced"
    # the interval misses 0.42 but reaches its ±10 % reading band (0.378-0.462)
    assert status.verdict(value(ci=(0.30, 0.38)), "paper").outcome == "reproduced"
    assert status.verdict(value(ci=(0.30, 0.37)), "paper").outcome == "not reproduced"
    assert status.verdict(value(ci=(0.47, 0.6)), "paper").outcome == "not reproduced"
    assert status.verdict(value(), "quick").outcome == "not run at scale"


def test_a_value_at_a_cut_budget_decides_only_where_more_budget_cannot_change_it():
    cut = dict(budget=200_000, budget_hit=3)
    # lower error than the paper's is decisive (more presentations only lower it further)
    assert status.verdict(value(ci=(0.1, 0.2), **cut), "budget200k").outcome == "not reproduced"
    # higher error, or agreement, while trials were stopped by the cut budget: cannot tell
    assert status.verdict(value(ci=(0.5, 0.6), **cut), "budget200k").outcome == "inconclusive"
    assert status.verdict(value(**cut), "budget200k").outcome == "inconclusive"
    # no trial reached the cut budget: the cut changed nothing
    assert status.verdict(value(budget=200_000), "budget200k").outcome == "reproduced"
    assert status.verdict(value(trials=5), "paper").outcome == "inconclusive"
