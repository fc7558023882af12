"""P13 Table 1 on real data (P13-T1) and the Ω schedule it needed (P13-C4).

A row is a data set (``repro.tasks.natural``); each method (MSGD, MSGD-C, MSGD-CR) trains ``trials``
seeds of a sigmoid RNN (88 inputs, ``hidden`` units, 88 logistic outputs) on ``segment``-step
segments of the training pieces, ``batch`` segments per update drawn uniformly at random, for
``epochs`` epochs of ⌈segments / batch⌉ updates. After every epoch the frozen weights score the whole
training and test pieces (negative log-likelihood per predicted frame, nats, 88 Bernoulli outputs;
each piece from a zero state); the final test adds the validation pieces. Penn Treebank rows
(``ptb_1``, ``ptb_5``: the character 1 or 5 steps ahead) use a softmax over the 50 characters and
score bits per character over consecutive segments of the first ``eval_chars`` of each split. Runs go through the shared
runner (``experiments/claims/runner.py``: one directory per (row, method), resumed when killed).

Decisions (the paper and spec §2.3 are silent): segments start from a zero state (no state carried
between segments); minibatches are drawn with replacement; the learning rate halves when an epoch's
mean training cost is not below the best epoch's so far (``optax.contrib.reduce_on_plateau``, the
spec's "halved when the epoch error rises"); α_t = α / epoch for Ω; initial weights N(0, 0.01²)
(P13's sigmoid initialisation), biases 0.

``numbers.json`` holds one entry per (data set, fold, method): our NLL (mean over seeds, 95% t
interval) against Table 1's value, judged by the status rule; ``table.md`` the same for reading.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments import common
from experiments.claims import computed, pipeline, runner, status
from experiments.claims import figures as claim_figures
from experiments.claims import rows as rows_lib
from experiments.claims.protocol import Protocol, Trials
from experiments.p13 import paper
from repro import cells, plotting, problems, results, train
from repro import initializers as inits
from repro.tasks import Batch, natural

# method: (clips the gradient norm, adds Ω, optimiser). adam_c is not the paper's: the modern rows'
# usual training (Adam, clipping), for LSTM and GRU beside the paper's RNN on the same data.
METHODS = {
    "msgd": (False, False, "sgd"),
    "msgd_c": (True, False, "sgd"),
    "msgd_cr": (True, True, "sgd"),
    "adam_c": (True, False, "adam"),
}
CELLS = ("rnn", "lstm", "gru")
PTB = {"ptb_1": 1, "ptb_5": 5}  # Penn Treebank characters: predict the symbol 1 or 5 steps ahead
NAMES = {"piano_midi": "Piano-midi.de", "nottingham": "Nottingham", "musedata": "MuseData",
         "jsb_chorales": "JSB Chorales", "ptb_1": "PTB, next character",
         "ptb_5": "PTB, 5 characters ahead"}  # fmt: skip
FOLDS = ("train", "test")
SCHEDULES = ("1/t", "constant")


def validate(c) -> None:
    """Every check that can fail, before any compute (one-line errors naming the field)."""
    common.positive(c, "trials", "hidden", "segment", "batch", "epochs", "eval_groups")
    common.positive(c, "evals_per_chunk")
    common.one_of(c, "data", (*natural.MUSIC, *PTB))
    common.one_of(c, "cost", ("mean", "sum"))
    common.positive(c, "eval_chars")
    for method, lr in _method_lr(c).items():
        if method not in METHODS or not 0 < lr < math.inf:
            raise ValueError(
                f"config.method_lr={c.method_lr!r}: must be 'method:lr,...' with methods of "
                f"{list(METHODS)} and rates > 0"
            )
    common.one_of(c, "activation", ("sigmoid", "tanh"))
    common.one_of(c, "cell", CELLS)
    common.one_of(c, "alpha_schedule", SCHEDULES)
    common.one_of(c, "omega_form", ("code", "eq9"))
    for name in ("lr", "clip", "init_std"):
        if not (isinstance(c[name], int | float) and 0 < c[name] < math.inf):
            raise ValueError(f"config.{name}={c[name]!r}: must be a finite number > 0")
    if not (isinstance(c.alpha, int | float) and 0 <= c.alpha < math.inf):
        raise ValueError(f"config.alpha={c.alpha!r}: must be a finite number >= 0")
    if c.data in PTB:
        _ptb()  # the extra and its hashes, before any compute
    methods = rows_lib.models_of(c)
    if not methods or len(set(methods)) < len(methods) or set(methods) - set(METHODS):
        raise ValueError(f"config.models={c.models!r}: must list distinct names of {list(METHODS)}")


def _method_lr(c) -> dict[str, float]:
    """``method_lr`` ("msgd:0.001,msgd_c:0.01") as {method: learning rate}; "" = ``lr`` for all."""
    out = {}
    for item in common.items(c, "method_lr") if str(c.method_lr).strip() else []:
        name, _, value = item.partition(":")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"config.method_lr={c.method_lr!r}: must be 'method:lr,...'") from None
    return out


@functools.lru_cache(maxsize=4)
def _sets(name: str) -> dict:
    return natural.music(name)


@functools.lru_cache(maxsize=1)
def _ptb() -> dict:
    chars = {s: natural.ptb_chars(s) for s in natural.SPLITS}
    return {s: ids for s, (ids, _) in chars.items()} | {"vocab": chars["train"][1]}


@functools.lru_cache(maxsize=4)
def _segments(name: str, length: int) -> Batch:
    return natural.music_segments(_sets(name)["train"], length)


def _rows_of_text(ids: np.ndarray, segment: int, ahead: int) -> np.ndarray:
    """Consecutive windows of ``segment + ahead`` symbols, one per ``segment`` steps."""
    n = (len(ids) - ahead) // segment
    starts = np.arange(n)[:, None] * segment
    return ids[starts + np.arange(segment + ahead)[None, :]]


def _n_segments(c) -> int:
    if c.data in PTB:
        return (len(_ptb()["train"]) - PTB[c.data]) // c.segment
    return len(_segments(c.data, c.segment).length)


def updates_per_epoch(c) -> int:
    return -(-_n_segments(c) // c.batch)


def n_symbols(c) -> int:
    """Inputs and outputs: 88 keys, or the 50 PTB characters."""
    return len(_ptb()["vocab"]) if c.data in PTB else natural.KEYS


def model_for(c, n: int | None = None) -> cells.Readout:
    """``cell`` "rnn": the paper's net, every weight N(0, init_std²) and biases 0. "lstm" and
    "gru" (the modern rows): ``repro.cells``' own initialisation (Glorot inputs, orthogonal
    recurrent blocks, the LSTM's forget bias 1) and a Glorot readout."""
    init = inits.normal(c.init_std)
    dtype = jnp.dtype(c.dtype)
    n = n or n_symbols(c)
    if c.cell != "rnn":
        cell = cells.get(c.cell, c.hidden, param_dtype=dtype)
        return cells.Readout(cell, n, "linear", param_dtype=dtype)
    cell = cells.SimpleRNN(
        c.hidden,
        c.activation,
        recurrent_init=init,
        input_init=init,
        bias_init=inits.constant(0.0),
        use_bias=c.hidden_bias,
        param_dtype=dtype,
    )
    return cells.Readout(
        cell, n, "linear", kernel_init=init, bias_init=inits.constant(0.0), param_dtype=dtype
    )


def _nll(y: jax.Array, batch: Batch) -> jax.Array:
    """(B,) summed over keys and valid steps: −log p of 88 Bernoulli outputs with logits ``y``."""
    per_key = jax.nn.softplus(y) - batch.targets * y  # −[t log σ(y) + (1 − t) log(1 − σ(y))]
    return jnp.sum(batch.mask[..., None] * per_key, axis=(1, 2))


def _ce(y: jax.Array, batch: Batch) -> jax.Array:
    """(B,) softmax cross-entropy of the one-hot targets, summed over valid steps (nats)."""
    per_step = -jnp.sum(batch.targets * jax.nn.log_softmax(y), axis=-1)
    return jnp.sum(batch.mask * per_step, axis=1)


def objective(c) -> problems.Objective:
    """Music: 88 Bernoulli outputs; PTB: a softmax. ``cost`` "mean": each segment's cost averaged
    over its predictions (music, spec §2.3), "sum": summed (PTB); mean over the batch."""
    nll = _ce if c.data in PTB else _nll
    steps = lambda b: jnp.maximum(jnp.sum(b.mask, axis=1), 1.0)
    per = (lambda y, b: nll(y, b) / steps(b)) if c.cost == "mean" else nll
    loss = lambda y, b: jnp.mean(per(y, b))
    score = lambda y, b: (jnp.zeros(y.shape[0], bool), nll(y, b) / steps(b))
    return problems.Objective(loss, score)


def _device(b: Batch, dtype) -> Batch:
    return Batch(
        jnp.asarray(b.inputs, dtype), jnp.asarray(b.targets, dtype), jnp.asarray(b.mask, dtype),
        jnp.asarray(b.length),
    )  # fmt: skip


def scorer(model, batches: list[Batch], nll, dtype, scale: float = 1.0):
    """``params -> scale × NLL per prediction`` over ``batches`` (whole pieces, or consecutive
    text segments), each row from a zero state."""
    batches = [_device(b, dtype) for b in batches]
    frames = sum(float(b.mask.sum()) for b in batches)

    def score(params):
        total = sum(jnp.sum(nll(problems.unroll(model, params, b.inputs), b)) for b in batches)
        return scale * total / frames

    return score


def _scores(c, model, dtype) -> dict:
    """{split: params -> NLL per prediction}: music in nats per frame over whole pieces; PTB in
    bits per character over consecutive segments of the first ``eval_chars`` of each split."""
    if c.data not in PTB:
        sets = _sets(c.data)
        return {
            s: scorer(model, natural.music_pieces(sets[s], c.eval_groups), _nll, dtype)
            for s in natural.SPLITS
        }
    text, n = _ptb(), len(_ptb()["vocab"])
    out = {}
    for s in natural.SPLITS:
        b = natural.text_segments(text[s][: c.eval_chars], c.segment, n, PTB[c.data])
        parts = [
            Batch(*(a[i] for a in b[:4]))
            for i in np.array_split(np.arange(len(b.length)), c.eval_groups)
        ]
        out[s] = scorer(model, parts, _ce, dtype, 1 / math.log(2))
    return out


def sampler(c, dtype):
    """``key -> Batch`` of ``batch`` training segments drawn uniformly with replacement."""
    if c.data in PTB:
        rows = jnp.asarray(_rows_of_text(_ptb()["train"], c.segment, PTB[c.data]))
        n, ahead = len(_ptb()["vocab"]), PTB[c.data]

        def sample(key):
            r = rows[jax.random.randint(key, (c.batch,), 0, rows.shape[0])]
            x = jax.nn.one_hot(r[:, : c.segment], n, dtype=dtype)
            y = jax.nn.one_hot(r[:, ahead:], n, dtype=dtype)
            return Batch(
                x, y, jnp.ones(r[:, : c.segment].shape, dtype), jnp.full(c.batch, c.segment)
            )

        return sample
    seg = _segments(c.data, c.segment)
    xs, ys = jnp.asarray(seg.inputs), jnp.asarray(seg.targets)  # uint8 on the device
    mask, length = jnp.asarray(seg.mask, dtype), jnp.asarray(seg.length)

    def sample(key):
        idx = jax.random.randint(key, (c.batch,), 0, xs.shape[0])
        return Batch(xs[idx].astype(dtype), ys[idx].astype(dtype), mask[idx], length[idx])

    return sample


def build(c, method: str, part: int = 0) -> Trials:
    """The trials of one data set and method."""
    del part
    dtype = jnp.dtype(c.dtype)
    model, cost, sample = model_for(c), objective(c), sampler(c, dtype)
    score = _scores(c, model, dtype)

    def evaluate(params, key):
        del key
        return {
            "passed": False,
            "nll_train": score["train"](params),
            "nll_test": score["test"](params),
        }

    def test(params, key):
        del key
        return {f"nll_{s}": score[s](params) for s in natural.SPLITS}

    per_epoch = updates_per_epoch(c)
    problem = problems.sequence_problem(
        model, sample, cost, n_in=n_symbols(c), evaluate=evaluate, test=test
    )
    clips, weighted, optimiser = METHODS[method]
    if weighted:
        if c.alpha_schedule == "1/t":  # the epoch of update u is u // per_epoch + 1
            weight = lambda u: c.alpha / (u // per_epoch + 1).astype(dtype)
            grad = problems.omega_grad(model, cost, c.alpha, form=c.omega_form, schedule=weight)
            problem = dataclasses.replace(problem, step_grad=grad)
        else:
            grad = problems.omega_grad(model, cost, c.alpha, form=c.omega_form)
            problem = dataclasses.replace(problem, grad=grad)
    chain = [optax.clip_by_global_norm(c.clip)] if clips else []
    chain.append(getattr(optax, optimiser)(_method_lr(c).get(method, c.lr)))
    if c.lr_halving:  # an epoch's mean cost not below the best so far halves the rate
        chain.append(
            optax.contrib.reduce_on_plateau(
                factor=0.5, patience=1, rtol=0.0, atol=1e-9, accumulation_size=per_epoch
            )
        )
    schedule = train.Schedule(
        trials=c.trials,
        seed=c.seed,
        max_sequences=c.epochs * per_epoch * c.batch,
        eval_every=per_epoch,
        evals_per_chunk=min(c.evals_per_chunk, c.epochs),
    )
    return Trials(model, problem, schedule, optax.chain(*chain))


PROTOCOL = Protocol(
    validate=validate,
    build=build,
    paper={},
    unit="epochs",
    per_unit=lambda c: updates_per_epoch(c) * c.batch,
    budget=lambda c: c.epochs,
    added_fields={
        "cell": "rnn"
    },  # the modern rows' field: at "rnn", the runs before it stay theirs
    # the claim's run (below): epochs on the data, numbers.json and its own table, no success rule
    run=lambda config, overridden: run(config, overridden),
)


# ----------------------------------------------------------------------------- numbers


def marginal(c) -> dict[str, float]:
    """The cost of predicting with the training set's frequencies alone, no memory: each key on
    with its frequency over the predicted training frames (music, nats per frame), or each
    character with its unigram frequency (PTB, bits per character). What a net that has learned
    nothing of time reaches."""
    if c.data in PTB:
        text = _ptb()
        counts = np.bincount(text["train"], minlength=len(text["vocab"]))
        logp = np.log2(counts / counts.sum())
        return {s: float(-logp[text[s][PTB[c.data] :]].mean()) for s in FOLDS}
    sets = _sets(c.data)
    on = np.concatenate([p[1:] for p in sets["train"]]).mean(0).clip(1e-6, 1 - 1e-6)
    out = {}
    for s in FOLDS:
        x = np.concatenate([p[1:] for p in sets[s]]).astype(float)
        out[s] = float(-(x * np.log(on) + (1 - x) * np.log(1 - on)).sum(1).mean())
    return out


def entries(config, rows: list, runs: dict) -> list[dict]:
    """One entry per (data set, fold, method) with a finished run: ours beside Table 1's."""
    out = []
    for row in rows:
        for method in rows_lib.models_of(row.config):
            r = runs[(row.id, method)]
            theirs = paper.TABLE1.get(row.config.data, {})
            base = marginal(row.config)
            for fold in FOLDS:
                value = theirs.get(fold, {}).get(method)  # None: N/A in Table 1
                e = {
                    "row": f"{row.id}_{fold}",
                    "title": f"{row.title}, {fold}",
                    "model": method,
                    "budget": row.config.epochs,
                    "unit": "epochs",
                    "marginal": base[fold],  # the training frequencies alone
                    "paper": (
                        {"value": value, "precision": paper.TABLE1_PRECISION}
                        if value is not None and config.claim == "P13-T1"
                        else {"statement": "no number"}
                    ),
                }
                if r is None:
                    out.append({**e, "not_run": True})
                    continue
                got = np.asarray(r["test"][f"nll_{fold}"], float)
                ci = status.mean_interval(got)
                out.append(
                    {
                        **e,
                        "trials": len(got),
                        "values": got.tolist(),
                        "value": float(got.mean()),
                        "ci": [ci[1], ci[2]] if ci else [float(got.min()), float(got.max())],
                        "budget_hit": 0,  # no stopping rule: every seed trains its whole budget
                        "finished": r["finished"],
                        "weights": r["n_weights"],
                    }
                )
    return out


def markdown(config, rows_: list[dict]) -> str:
    lines = [
        f"{config.claim} ({runner.shown_label(config)})",
        "",
        "| data set, fold | method | NLL per prediction: mean of seeds (95% interval) | paper | "
        "training frequencies alone | seeds |",
        "|---|---|---|---|---|---|",
    ]
    for e in rows_:
        if e.get("not_run"):
            lines.append(f"| {e['title']} | {e['model']} | not run at this profile yet | | | |")
            continue
        lo, hi = e["ci"]
        theirs = e["paper"].get("value")
        lines.append(
            f"| {e['title']} | {e['model']} | {e['value']:.3f} ({lo:.3f}–{hi:.3f}) | "
            f"{'–' if theirs is None else f'{theirs:.2f}'} | {e['marginal']:.3f} | {e['trials']} |"
        )
    lines += [
        "",
        f"Budget: {rows_[0]['budget']} epochs per seed; music in nats per predicted frame, PTB in "
        "bits per character.",
    ]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- figure


def _curves(config, row, method) -> tuple[np.ndarray, dict]:
    (run_dir,) = runner.run_dirs(config, row, method, ("",))
    logged = runner.logged(run_dir)
    curves = {f: claim_figures.per_trial(logged, f"eval/nll_{f}") for f in FOLDS}
    return np.arange(1, len(logged) + 1), curves


def _cell_name(c) -> str:
    """The house name of a row's net (its colour in every figure): lstm, gru, rnn_sigmoid, …"""
    return f"rnn_{c.activation}" if c.cell == "rnn" else c.cell


def _series(group: list, runs: dict, by_net: bool, overlay: bool) -> list[tuple]:
    """(row, method, style, legend name) of every finished run drawn in one panel."""
    order = ("blue", "vermillion", "bluish green", "reddish purple")
    out = []
    series = [(r, m) for r in group for m in rows_lib.models_of(r.config)]
    for k, (row, method) in enumerate(series):
        if runs[(row.id, method)] is None:
            continue
        style, name = plotting.model_style(method, k), plotting.model_label(method)
        if by_net:
            style = plotting.model_style(_cell_name(row.config), k)
        elif overlay:
            style = {"color": plotting.OKABE_ITO[order[k % 4]], "linestyle": "-"}
        out.append((k, row, method, style, f"{row.title}, {name}" if overlay else name))
    return out


def _paper_line(ax, value: float, x: float, color, label=None, name: str = "paper") -> None:
    """Table 1's number, dotted, with its value written above the line at axes fraction ``x``."""
    ax.axhline(value, color=color, ls=(0, (1, 1.5)), lw=1.2, label=label)
    ax.annotate(
        f"{name} {value:.2f}", (x, value), xycoords=("axes fraction", "data"), fontsize=7,
        color=color, ha="center", va="bottom", bbox={"fc": "white", "ec": "none", "pad": 0.3},
    )  # fmt: skip


def _panel(ax, config, group: list, runs: dict, fold: str, by_net: bool, overlay: bool) -> None:
    """One data set and fold: each seed thin, their mean bold, Table 1's numbers dotted."""
    theirs = paper.TABLE1.get(group[0].config.data, {}) if config.claim == "P13-T1" else {}
    for k, row, method, style, name in _series(group, runs, by_net, overlay):
        epochs, curves = _curves(config, row, method)
        y = curves[fold]
        ax.plot(epochs, y, color=style["color"], lw=0.5, alpha=0.5)
        ax.plot(epochs, y.mean(axis=1), **style, lw=1.5, label=f"{name} ({y.shape[1]} seeds)")
        value = theirs.get(fold, {}).get(method)
        if value is not None:  # labels side by side: Table 1's values lie close together
            _paper_line(ax, value, 0.2 + 0.3 * k, style["color"])
    own = {m: v for m, v in theirs.get(fold, {}).items() if m in METHODS}  # not "sota" (others')
    if by_net and own:  # the modern rows: the paper's RNN at its best method for this fold
        method, value = min(own.items(), key=lambda mv: mv[1])
        label = "paper: sigmoid RNN, the best of its methods"
        _paper_line(ax, value, 0.5, "0.3", label, f"paper, {method.upper().replace('_', '-')}")
    first = group[0].config
    ax.axhline(
        marginal(first)[fold], color="0.5", ls=(0, (6, 3)), lw=0.8,
        label="training frequencies alone",
    )  # fmt: skip
    where = NAMES[first.data] if overlay else group[0].title
    ax.set_title(f"{where}: {fold}", loc="left", fontsize=7.5)
    ax.set_xlabel("epoch", fontsize=7.5)
    ax.tick_params(labelsize=7)


def draw(config, rows: list, runs: dict) -> list:
    """Training and test NLL after every epoch, each seed thin and their mean bold. Rows on
    different data sets get a row of panels each, one colour per method, Table 1's number for the
    method dotted in its colour; rows on one data set share the panels, one colour per row (per
    net where the rows differ in their net: the modern rows, with Table 1's best number for the
    paper's RNN dotted in grey; else P13-C4's two Ω schedules). Dashed: what the training
    frequencies alone give."""
    shown = [row for row in rows if any(runs[(row.id, m)] for m in rows_lib.models_of(row.config))]
    if not shown:
        return []
    overlay = len({row.config.data for row in shown}) == 1 and len(shown) > 1
    by_net = overlay and len({_cell_name(row.config) for row in shown}) > 1
    panels = [shown] if overlay else [[row] for row in shown]
    fig, axes = plotting.figure(
        len(panels), 2, height=2.3 * len(panels) + 0.9, width=7.0, squeeze=False
    )
    for i, group in enumerate(panels):
        for j, fold in enumerate(FOLDS):
            _panel(axes[i, j], config, group, runs, fold, by_net, overlay)
        unit = "bits per character" if group[0].config.data in PTB else "NLL per frame (nats)"
        axes[i, 0].set_ylabel(unit, fontsize=7.5)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside upper center", ncol=min(len(labels), 3 if by_net else 4),
        fontsize=7,
    )  # fmt: skip
    plotting.caption(fig, _caption(config, shown, by_net), size=7)
    return plotting.save(fig, runner.figure_path(config))


def _caption(config, shown: list, by_net: bool) -> str:
    first = shown[0].config
    if by_net:  # the modern rows
        what = (
            "not in the paper: an LSTM and a GRU beside the paper's sigmoid RNN on the same data "
            "and code, their weight counts matched to the RNN's, every net trained by "
            f"{plotting.model_label(rows_lib.models_of(first)[0])} the same way. NLL on the "
            "training and test pieces after every epoch against Table 1's best number for the "
            "sigmoid RNN (dotted: the best of MSGD, MSGD-C and MSGD-CR, the paper's protocol) and "
            "what the training set's "
            "frequencies alone give, with no memory (grey dashes)"
        )
        net = f"{first.epochs} epochs per seed" + (
            "; the rate halved after every epoch whose cost was not below the best (lr_halving), so"
            " a flat curve may have stopped learning rather than converged"
            if first.lr_halving
            else ""
        )
    else:
        what = (
            "Table 1: NLL on the training and test pieces after every epoch against the paper's "
            "numbers (dotted, one per method) and what the training set's frequencies alone give, "
            "with no memory (grey dashes)"
            if config.claim == "P13-T1"
            else "a constant weight of Ω against α/epoch (the paper: constant α hurt; no numbers);"
            " grey dashes: the training set's frequencies alone, with no memory"
        )
        net = (
            f"{first.activation.title()} RNN, {first.hidden} units, {first.epochs} epochs per seed"
        )
    return (
        f"{config.claim}, {runner.shown_label(config)}: {what}. {net} (the paper does not state "
        "its number of epochs). Thin: each seed; bold: their mean. Scored on whole pieces. A curve "
        "that ends near the grey line has learned which keys sound often, not yet the music; one "
        "still falling at its last epoch had not converged."
    )


# ----------------------------------------------------------------------------- the claim


def run(config, overridden=()) -> list:
    """Validate, train (or reuse) every (data set, method), write numbers.json, table.md and the
    figure; returns the paths written."""
    rows, runs, options = pipeline.run_rows(config, PROTOCOL, overridden)
    if config.trial_block:  # a block writes its run directories only
        return []
    got = entries(config, rows, runs)
    path = computed.write(config, {"rows": got, "options": options, "label": config.label})
    text = markdown(config, got)
    results.atomic_write(runner.out_dir(config) / "table.md", text.encode())
    print(text)
    return [path, *draw(config, rows, runs)]
