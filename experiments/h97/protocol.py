"""The H97 protocol: a row's config → (model, train.Problem, train.Schedule, optimiser).

Every task family of H97 §5 is an entry of ``FAMILIES`` (named as in ``repro.tasks``): its input and
output sizes, training sampler, objective, frozen-weight check, final test, Table 10's length and
lag, and the milestones it records. The model is the 1997 LSTM (``lstm1997``) or a BPTT baseline
(``rnn_tanh``, ``rnn_sigmoid``), trained by online SGD at the row's α, one trial per seed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from experiments import common
from experiments.claims import rows as rows_lib
from experiments.claims.protocol import Column, Protocol, Trials
from experiments.claims.table import fmt, paper_text
from experiments.h97 import construction, paper, probe
from repro import cells, initializers, problems, train
from repro.tasks import Batch
from repro.tasks import hochreiter1997 as h97

MODELS = ("lstm1997", "rnn_tanh", "rnn_sigmoid")
UPDATES = ("sequence", "step")
REBER_TARGETS = ("next", "legal")

# Named key streams. Their values are fixed: the committed runs were drawn with them.
REBER_SETS_STREAM = 1_000  # Exp. 1's train/test sets of data pair k: fold_in(key(seed), 1_000 + k)
PAIR_SEED_STRIDE = 7_919  # data pair k's trials use seed + 7_919·k (a prime: no collisions)


@dataclasses.dataclass(frozen=True)
class Data:
    """A family's data for one row: training sampler, objective, check and test sets."""

    sample: Callable  # key -> Batch (one training sequence)
    objective: problems.Objective
    check: Callable | None = None  # key -> Batch for the frozen-weight check (one chunk of it)
    test: Callable | None = None  # key -> Batch for the final test (one chunk of it)
    check_chunks: int = 1  # the check scores this many batches check(k_i)
    test_chunks: int = 1


MAX_BATCH = 4096  # fresh sequences scored at once; larger sets (Exp. 2's 10,000) go in chunks


def _sets(gen: Callable, n: int) -> tuple[Callable, int]:
    """(key -> one chunk, chunks) for a set of ``n`` fresh sequences ``gen(key, n)``: one batch up
    to MAX_BATCH, else equal chunks of at most 1,000 (memory for 18 vmapped trials)."""
    if n <= MAX_BATCH:
        return (lambda k: gen(k, n)), 1
    size = max(d for d in range(1, 1001) if n % d == 0)
    return (lambda k: gen(k, size)), n // size


@dataclasses.dataclass(frozen=True)
class Family:
    """One task family: sizes, data, Table 10's (p, lag), and whether it records ST1."""

    io: Callable  # c -> (n_in, n_out)
    data: Callable  # (c, pair) -> Data
    lag: Callable  # c -> (p, lag) as Table 10 lists them
    st1: bool = False  # records ST1 (a check with at most check_max_wrong wrong) on the way to ST2
    checks: bool = False  # stops on a frozen-weight check (needs check_sequences > 0)
    window: bool = False  # stops on the training window (ST3; needs window > 0)


def _final_step_only(batch: Batch) -> Batch:
    """Score only the last valid step (Task 2b's success rule)."""
    idx = jnp.arange(batch.mask.shape[1])[None, :]
    end = (idx == batch.length[:, None] - 1).astype(batch.mask.dtype)
    return batch._replace(mask=end)


def _two_sequences(p: int) -> Batch:
    """Task 2a's only two sequences, (y, a_1..a_{p-1}, y) and (x, a_1..a_{p-1}, x)."""
    seqs = [[c, *range(p - 1), c] for c in (p - 1, p)]
    onehot = jax.nn.one_hot(jnp.asarray(seqs), p + 1)
    return Batch(onehot[:, :-1], onehot[:, 1:], jnp.ones((2, p)), jnp.full((2,), p, jnp.int32))


def _reber(c, pair: int) -> Data:
    key = jax.random.fold_in(jax.random.key(c.seed), REBER_SETS_STREAM + pair)
    sets = h97.reber_sets(key, 256, 256, unique_strings=c.unique_strings)
    legal = c.reber_targets == "legal"
    targets = lambda b: b._replace(targets=b.extra["legal"]) if legal else b
    both = jax.tree.map(
        lambda a, b: jnp.concatenate([a, b]),
        h97.reber_all(sets["train"]),
        h97.reber_all(sets["test"]),
    )
    return Data(
        lambda k: targets(h97.reber(k, 1, sets["train"])),
        problems.legal_next(),
        check=lambda k: both,
        test=lambda k: h97.reber_all(sets["test"]),
    )


def _long_lag(variant: str) -> Callable:
    def data(c, pair: int) -> Data:
        sample = lambda k: h97.noise_free_long_lag(k, 1, c.p, variant=variant)
        sq = problems.squared_error(c.tolerance)
        if variant == "2a":
            fixed = _two_sequences(c.p)
            return Data(sample, sq, lambda k: fixed, lambda k: fixed)
        gen = lambda k, n: _final_step_only(h97.noise_free_long_lag(k, n, c.p, variant="2b"))
        (check, nc), (test, nt) = _sets(gen, c.check_sequences), _sets(gen, c.test_sequences)
        return Data(sample, sq, check, test, nc, nt)

    return data


def _fresh(gen: Callable, objective: Callable, checks: bool) -> Callable:
    """Data from ``gen(c, key, n)``: one training sequence, fresh check and test sets."""

    def data(c, pair: int) -> Data:
        g = lambda k, n: gen(c, k, n)
        (check, nc), (test, nt) = _sets(g, c.check_sequences), _sets(g, c.test_sequences)
        return Data(lambda k: g(k, 1), objective(c), check if checks else None, test, nc, nt)

    return data


_sq = lambda c: problems.squared_error(c.tolerance)
_noise = lambda v: lambda c, k, n: h97.noise_signal(k, n, c.T, c.N, variant=v)
_arith = lambda fn: lambda c, k, n: fn(k, n, c.T, first_pair_rule=c.first_pair_rule)
_order = lambda v: lambda c, k, n: h97.temporal_order(k, n, v)
_distractors = lambda c, k, n: h97.two_class_distractors(k, n, c.q, c.p, max_extra=c.max_extra)

FAMILIES = {
    "h97_reber": Family(lambda c: (7, 7), _reber, lambda c: (9, 9), checks=True),
    "h97_2a": Family(lambda c: (c.p + 1,) * 2, _long_lag("2a"), lambda c: (c.p, c.p)),
    "h97_2b": Family(lambda c: (c.p + 1,) * 2, _long_lag("2b"), lambda c: (c.p, c.p), checks=True),
    "h97_2c": Family(
        lambda c: (c.p + 4, 2),
        _fresh(_distractors, _sq, True),
        lambda c: (c.q + 4, c.q + 1),
        checks=True,
    ),
    "h97_3a": Family(
        lambda c: (1, 1), _fresh(_noise("3a"), _sq, True), lambda c: (c.T, c.T), True, True
    ),
    "h97_3b": Family(
        lambda c: (1, 1), _fresh(_noise("3b"), _sq, True), lambda c: (c.T, c.T), True, True
    ),
    "h97_3c": Family(
        lambda c: (1, 1),
        _fresh(_noise("3c"), lambda c: problems.clean_target(c.tolerance), True),
        lambda c: (c.T, c.T),
        checks=True,
    ),
    "h97_adding": Family(
        lambda c: (2, 1),
        _fresh(_arith(h97.adding), _sq, False),
        lambda c: (c.T, c.T // 2),
        window=True,
    ),
    "h97_multiplication": Family(
        lambda c: (2, 1),
        _fresh(_arith(h97.multiplication), _sq, False),
        lambda c: (c.T, c.T // 2),
        window=True,
    ),
    "h97_temporal_order_6a": Family(
        lambda c: (8, 4), _fresh(_order("6a"), _sq, False), lambda c: (100, 40), window=True
    ),
    "h97_temporal_order_6b": Family(
        lambda c: (8, 8), _fresh(_order("6b"), _sq, False), lambda c: (100, 24), window=True
    ),
}


def floats(text: str, name: str) -> tuple[float, ...] | None:
    """A per-block list "a,b,c" ("" -> None: random biases)."""
    if str(text).strip() == "":
        return None
    try:
        return tuple(float(v) for v in str(text).split(",") if v.strip())
    except ValueError:
        raise ValueError(f"config.{name}={text!r}: must be comma-separated numbers") from None


def lstm_model(c, n_out: int) -> cells.LSTM1997:
    return cells.LSTM1997(
        n_out=n_out,
        blocks=c.blocks,
        block_size=c.block_size,
        topology=c.topology,
        bias=c.bias,
        in_gate_bias=floats(c.in_gate_bias, "in_gate_bias"),
        out_gate_bias=floats(c.out_gate_bias, "out_gate_bias"),
        output_gate=c.output_gate,
        forget_gate=c.forget_gate,
        forget_gate_bias=floats(c.forget_gate_bias, "forget_gate_bias"),
        g=c.g,
        h=c.h,
        gradient=c.gradient,
        init_scale=c.init_scale,
        input_output=c.input_output,
        output_bias=c.output_bias,
        update_order=c.update_order,
        param_dtype=jnp.dtype(c.dtype),
    )


def model_for(c, name: str, n_out: int):
    if name == "lstm1997":
        return lstm_model(c, n_out)
    init, dtype = initializers.uniform(c.init_scale), jnp.dtype(c.dtype)
    cell = cells.SimpleRNN(
        c.rnn_hidden,
        name.removeprefix("rnn_"),
        recurrent_init=init,
        input_init=init,
        bias_init=init,
        param_dtype=dtype,
    )
    return cells.Readout(
        cell, n_out, "sigmoid", kernel_init=init, bias_init=init, param_dtype=dtype
    )


def validate(c) -> None:
    """Every check that can fail, before any compute (one-line ValueErrors naming the field)."""
    _check_numbers(c)
    _check_task(c)
    try:  # the model's own rules (bias codes, gate options), with the field named
        lstm_model(c, n_out=1)
    except ValueError as err:
        raise ValueError(f"config: {err}") from None


def _check_numbers(c) -> None:
    """The fields that are counts, rates and limits, each on its own."""
    common.positive(
        c,
        *("trials", "max_sequences", "blocks", "block_size", "rnn_hidden", "eval_every"),
        *("evals_per_chunk", "T", "N", "p", "q", "data_pairs", "test_sequences"),
        "after_stop_every",
    )
    common.at_most(c, "eval_every", "max_sequences")
    for name in ("after_stop", "gate_trace"):
        if not (c[name] >= 0 and c[name] % c.after_stop_every == 0):
            raise ValueError(
                f"config.{name}={c[name]!r}: must be >= 0 and a multiple of "
                f"after_stop_every={c.after_stop_every}"
            )
    common.one_of(c, "task", FAMILIES)
    common.one_of(c, "reber_targets", REBER_TARGETS)
    common.one_of(c, "update_rule", UPDATES)
    models = rows_lib.models_of(c)
    if not models or len(set(models)) < len(models) or any(m not in MODELS for m in models):
        raise ValueError(f"config.models={c.models!r}: must list distinct names of {list(MODELS)}")
    for name in ("lr", "init_scale", "tolerance"):
        if not (isinstance(c[name], int | float) and 0 < c[name] < float("inf")):
            raise ValueError(f"config.{name}={c[name]!r}: must be a finite number > 0")
    for name in ("max_avg_error", "check_mean_error"):
        if not c[name] >= 0:
            raise ValueError(f"config.{name}={c[name]!r}: must be >= 0 (0: no such rule)")
    for name in ("window", "window_max_wrong", "check_sequences", "check_max_wrong", "max_extra"):
        if not c[name] >= 0:
            raise ValueError(f"config.{name}={c[name]!r}: must be an integer >= 0")
    for name in ("in_gate_bias", "out_gate_bias", "forget_gate_bias"):
        values = floats(c[name], name)
        if values is not None and len(values) != c.blocks:
            raise ValueError(
                f"config.{name}={c[name]!r}: needs one value per block ({c.blocks} blocks)"
            )
    common.one_of(c, "update_order", cells.UPDATE_ORDERS)


def _check_task(c) -> None:
    """The fields that depend on each other or on the task (its stopping rule and sizes)."""
    if c.gate_trace and not c.output_gate:
        raise ValueError(f"config.gate_trace={c.gate_trace}: needs output gates (output_gate)")
    if c.mark_max_wrong >= 0 and c.window == 0:
        raise ValueError(f"config.mark_max_wrong={c.mark_max_wrong}: needs window > 0")
    family = FAMILIES[c.task]
    if family.checks and c.check_sequences == 0 and c.task != "h97_reber":
        raise ValueError(f"config.check_sequences=0: {c.task} stops on a frozen-weight check")
    if family.window and c.window == 0:
        raise ValueError(f"config.window=0: {c.task} stops on the training window (ST3)")
    if c.task in ("h97_adding", "h97_multiplication") and c.T < 20:
        raise ValueError(
            f"config.T={c.T}: the {c.task} problem needs T >= 20 "
            "(X1 in {1..10} must lie inside {1..T/2})"
        )
    if c.task in ("h97_3a", "h97_3b", "h97_3c") and c.T <= c.N:
        raise ValueError(f"config.T={c.T}: must exceed N={c.N} (the information elements)")
    if c.cell_added_after < 0 or (
        c.cell_added_after and (c.topology != "B" or c.update_rule != "sequence")
    ):
        raise ValueError(
            f"config.cell_added_after={c.cell_added_after!r}: must be >= 0, and > 0 needs "
            'topology "B" (direct input→output connections) and update_rule "sequence"'
        )
    if c.probe and c.task != "h97_reber":
        raise ValueError(
            f"config.probe=True: measures Exp. 1's strings; needs task h97_reber, not {c.task!r}"
        )
    if c.task in ("h97_2a", "h97_2b") and c.p < 2:
        raise ValueError(f"config.p={c.p}: must be >= 2")


def parts(c) -> tuple[str, ...]:
    """Exp. 1 trains on ``data_pairs`` independent train/test set pairs, one run directory each."""
    return tuple(f"pair{k}" for k in range(c.data_pairs)) if c.task == "h97_reber" else ("",)


def milestones(c) -> tuple[train.Milestone, ...]:
    """What a row records on the way to its stopping rule, labelled for figures and tables: ST1
    (Exp. 3a/3b: a check with at most check_max_wrong wrong, on the way to ST2) and, with
    ``mark_max_wrong`` >= 0, the training window's first "fewer than mark_max_wrong + 1 wrong"
    (Exp. 5's 140)."""
    out = []
    if FAMILIES[c.task].st1:
        out.append(train.Milestone("st1", entry="st1", label="ST1"))
    if c.mark_max_wrong >= 0:
        n = c.mark_max_wrong + 1  # named by its count: the paper's numbers are those of n140
        out.append(train.Milestone(f"n{n}", max_wrong=c.mark_max_wrong, label=f"< {n} wrong"))
    return tuple(out)


def build(c, name: str, pair: int = 0) -> Trials:
    """The trials of one row, model and data pair."""
    family = FAMILIES[c.task]
    n_in, n_out = family.io(c)
    data = family.data(c, pair)
    model = model_for(c, name, n_out)
    evaluate = None
    if data.check is not None:
        check = problems.test_on_fresh(
            model,
            data.objective,
            data.check,
            max_wrong=c.check_max_wrong,
            max_mean_error=c.check_mean_error or None,
            chunks=data.check_chunks,
        )
        evaluate = check
        if family.st1:  # ST1 (wrong <= max) recorded on the way to ST2

            def evaluate(params, key):
                res = check(params, key)
                return {**res, "st1": res["wrong"] <= c.check_max_wrong}

        if c.probe and name == "lstm1997":
            evaluate = probe.with_probe(evaluate, model, data.check)
    test = problems.test_on_fresh(model, data.objective, data.test, chunks=data.test_chunks)
    problem = problems.sequence_problem(
        model, data.sample, data.objective, n_in=n_in, evaluate=evaluate, test=test
    )
    if c.update_rule == "step":  # SGD at c.lr lands on the per-step weights
        problem = dataclasses.replace(
            problem, grad=problems.per_step_sgd(model, data.objective, c.lr)
        )
    tx = train.make_optimizer("sgd", c.lr)
    if c.cell_added_after and name == "lstm1997":
        problem, tx = construction.sequential(problem, tx, c.cell_added_after)
    schedule = train.Schedule(
        trials=c.trials,
        seed=c.seed + PAIR_SEED_STRIDE * pair,
        max_sequences=c.max_sequences,
        eval_every=c.eval_every,
        evals_per_chunk=c.evals_per_chunk,
        window=c.window,
        max_avg_error=c.max_avg_error or None,
        window_max_wrong=c.window_max_wrong,
        gate_eval=c.gate_eval,
        milestones=milestones(c),
        fixed_eval=c.fixed_test_set,
    )
    return Trials(model, problem, schedule, tx)


def test_size(c) -> int:
    return {"h97_2a": 2, "h97_reber": 256}.get(c.task, c.test_sequences)


def summarize(c, r: dict) -> dict:
    """H97's own entry fields: the test columns over the solved trials, and the milestones."""
    solved = np.asarray(r["solved"], bool)
    test = {k: np.asarray(v, float) for k, v in r["test"].items()}
    over = lambda k, f=np.mean: float(f(test[k][solved])) if solved.any() else None
    out = {
        "test_size": test_size(c),
        "wrong": over("wrong"),
        "wrong_max": over("wrong", np.max),
        "fraction": over("error_rate"),
        "mae": over("mean_error"),
        "mse": over("mse"),
        "wrong_all": float(test["wrong"].mean()),
    }
    from experiments.claims.table import stats

    for milestone in milestones(c):
        name = milestone.name
        m = r["milestones"][name]
        reached = np.asarray(m["reached"], bool)
        out[name] = stats(np.asarray(m["at"])[reached])
        out[f"{name}_reached"] = int(reached.sum())
        if reached.any() and f"{name}/wrong" in test:
            out[f"{name}_wrong"] = float(test[f"{name}/wrong"][reached].mean())
            out[f"{name}_mse"] = float(test[f"{name}/mse"][reached].mean())
    return out


def _event_cell(e: dict, p: dict) -> str:
    text = ""
    for name in ("st1", *sorted(k for k in e if re.fullmatch(r"n\d+", k))):
        if name in e:
            text = f"{name}: {fmt(e[name]['mean'])} / {fmt(p.get(name))}"
            if f"{name}_wrong" in e:
                text += f"; wrong {fmt(e[name + '_wrong'], 3)} / {fmt(p.get(name + '_wrong'))}"
                text += f", MSE {fmt(e[name + '_mse'], 3)} / {fmt(p.get(name + '_mse'), 3)}"
    if "ratio" in e or "ratio" in p:
        text = f"ratio to 1997: {fmt(e.get('ratio'), 2)} / ≈{fmt(p.get('ratio'), 2)}"
    return text


COLUMNS = (
    Column("event", _event_cell),
    Column(
        "test: wrong (max)",
        lambda e, p: (
            f"{fmt(e['wrong'], 3)} ({fmt(e['wrong_max'])}) of {e['test_size']} / "
            f"{fmt(p.get('wrong'))}"
        ),
    ),
    Column("fraction wrong", lambda e, p: f"{fmt(e['fraction'], 3)} / {fmt(p.get('fraction'), 3)}"),
    Column("MAE", lambda e, p: f"{fmt(e['mae'], 2)} / {fmt(p.get('mae'), 2)}"),
    Column("MSE", lambda e, p: f"{fmt(e['mse'], 3)} / {fmt(p.get('mse'), 3)}"),
)


def note(e: dict) -> str:
    """The test result under a row in the figure, beside the paper's."""
    p = e["paper"]
    if e.get("wrong") is None:
        return ""
    text = f"mean {fmt(e['wrong'], 3)} of {e['test_size']} wrong"
    if "wrong" in p:
        text += f"\n(paper {fmt(p['wrong'])})"
    elif "fraction" in p:
        text = f"{100 * e['fraction']:.2g}% wrong\n(paper {100 * p['fraction']:.2g}%)"
    return text


# H97's own paper numbers in the docs' paper column, after the shared ones
_PAPER_TEXT = (
    ("st1", lambda v: f"ST1 {fmt(v)}"),
    ("wrong", lambda v: f"{fmt(v)} wrong"),
    ("fraction", lambda v: f"{fmt(v, 3)} misclassified"),
    ("ratio", lambda v: f"ratio ≈{fmt(v, 2)}"),
)

PROTOCOL = Protocol(
    validate=validate,
    build=build,
    paper=paper.TABLES,
    paper_text=lambda p: paper_text(p, _PAPER_TEXT),
    parts=parts,
    milestones=milestones,
    summarize=summarize,
    columns=COLUMNS,
    table_note="test columns over the successful trials",
    not_run_fields=("conditions", "flow", "after_stop", "after_stop_every", "gate_trace", "probe"),
    # issue 28's output-layer readings, added after the paper-profile runs: off, they are the net
    # those runs trained
    added_fields={"input_output": False, "output_bias": False, "update_order": "sync"},
    note=note,
)
