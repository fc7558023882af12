"""Hochreiter & Schmidhuber (1997): train the paper's LSTM on its tasks, beside a BPTT baseline.

Usage:
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:quick
  python -m experiments.hochreiter1997 --config=experiments/configs/h97_t7.py:paper
  python -m experiments.hochreiter1997 --config.lengths=500 --config.trials=4 --config.baseline=
Each (length, model) gets a run directory under config.out_dir (config.json, metrics.jsonl,
checkpoint.npz, results.json with provenance); a killed run resumes, a finished one is reused.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np
from absl import logging

from experiments import common
from repro import cells, initializers, plotting, problems, results, train
from repro.tasks import hochreiter1997 as h97

# H97 Table 7 [paper]: T -> (wrong predictions of 2560, mean sequences until success).
PAPER_T7 = {100: (1, 74_000), 500: (0, 209_000), 1000: (1, 853_000)}
MODELS = ("lstm1997", "rnn_tanh")


def _ints(text: str, name: str) -> list[int]:
    try:
        values = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"config.{name}={text!r}: must be comma-separated integers") from None
    if not values:
        raise ValueError(f"config.{name}={text!r}: must name at least one value")
    return values


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"config.{name}={text!r}: must be comma-separated numbers") from None


def validate(config) -> None:
    """Every check that can fail, before any compute (one-line ValueErrors naming the field)."""
    common.positive(
        config,
        *("trials", "max_sequences", "blocks", "block_size", "window", "test_sequences"),
        *("rnn_hidden", "log_every", "logs_per_chunk"),
    )
    for T in _ints(config.lengths, "lengths"):
        if T < 20:
            raise ValueError(
                f"config.lengths: T={T} is too short: the adding problem needs T >= 20 "
                "(X1 in {1..10} must lie inside {1..T/2})"
            )
    biases = _floats(config.in_gate_bias, "in_gate_bias")
    if len(biases) != config.blocks:
        raise ValueError(
            f"config.in_gate_bias={config.in_gate_bias!r}: needs one value per block "
            f"({config.blocks} blocks)"
        )
    for name in ("lr", "init_scale", "tolerance", "max_avg_error"):
        if not (isinstance(config[name], int | float) and config[name] > 0):
            raise ValueError(f"config.{name}={config[name]!r}: must be a number > 0")
    if config.baseline not in ("", "rnn_tanh"):
        raise ValueError(f"config.baseline={config.baseline!r}: must be 'rnn_tanh' or ''")
    if config.gradient not in ("truncated", "full"):
        raise ValueError(f"config.gradient={config.gradient!r}: must be 'truncated' or 'full'")
    if config.first_pair_rule not in ("any", "x1_only"):
        raise ValueError(
            f"config.first_pair_rule={config.first_pair_rule!r}: must be 'any' or 'x1_only'"
        )


def model_for(config, name: str):
    dtype = jnp.dtype(config.dtype)  # parameters and states; inputs are promoted
    if name == "lstm1997":
        return cells.LSTM1997(
            n_out=1,
            blocks=config.blocks,
            block_size=config.block_size,
            in_gate_bias=tuple(_floats(config.in_gate_bias, "in_gate_bias")),
            init_scale=config.init_scale,
            gradient=config.gradient,
            param_dtype=dtype,
        )
    init = initializers.uniform(config.init_scale)
    cell = cells.SimpleRNN(
        config.rnn_hidden,
        "tanh",
        recurrent_init=init,
        input_init=init,
        bias_init=init,
        param_dtype=dtype,
    )
    return cells.Readout(cell, 1, "sigmoid", kernel_init=init, bias_init=init, param_dtype=dtype)


def adding_problem(config, name: str, T: int):
    """The Exp. 4 problem: online training on h97_adding(T), tested on fresh sequences."""
    model = model_for(config, name)
    objective = problems.squared_error(config.tolerance)
    rule = config.first_pair_rule

    def sample(key):
        return h97.adding(key, 1, T, first_pair_rule=rule)

    def test_sample(key):
        return h97.adding(key, config.test_sequences, T, first_pair_rule=rule)

    test = problems.test_on_fresh(model, objective, test_sample)
    return model, problems.sequence_problem(model, sample, objective, n_in=2, test=test)


def run_one(config, name: str, T: int) -> dict:
    model, problem = adding_problem(config, name, T)
    n_weights = cells.count_params(problem.init(jax.random.key(0)))
    schedule = train.Schedule(
        trials=config.trials,
        seed=config.seed,
        max_sequences=config.max_sequences,
        eval_every=config.log_every,
        evals_per_chunk=config.logs_per_chunk,
        window=config.window,
        max_avg_error=config.max_avg_error,
    )
    tx = train.make_optimizer("sgd", config.lr)
    plain = {**config.to_dict(), "T": T, "model": name}
    out = train.train(
        problem,
        tx,
        schedule,
        run_dir=Path(config.out_dir) / f"T{T}" / name,
        config=plain,
        progress=lambda line: logging.info("T=%d %s: %s", T, name, line),
    )
    out["n_weights"] = n_weights
    return out


def table(config, runs: dict) -> list[dict]:
    """One row per (T, model): ours beside the paper's Table 7."""
    rows = []
    for (T, name), r in sorted(runs.items()):
        solved = np.asarray(r["solved"], bool)
        wrong = np.asarray(r["test"]["wrong"], float)
        mae = np.asarray(r["test"]["mean_error"], float)
        paper_wrong, paper_after = (
            PAPER_T7.get(T, (None, None)) if name == "lstm1997" else (None, None)
        )
        rows.append(
            {
                "T": T,
                "model": name,
                "weights": r["n_weights"],
                "solved": f"{int(solved.sum())}/{len(solved)}",
                "success_after_mean": r["success_after"]["mean"],
                "success_after_min": r["success_after"]["min"],
                "success_after_max": r["success_after"]["max"],
                "wrong_of_test_mean_solved": float(wrong[solved].mean()) if solved.any() else None,
                "wrong_of_test_max_solved": float(wrong[solved].max()) if solved.any() else None,
                "wrong_of_test_mean_all": float(wrong.mean()),
                "test_mae_mean_all": float(mae.mean()),
                "diverged": int(np.sum(r["diverged"])),
                "paper_wrong": paper_wrong,
                "paper_success_after": paper_after,
                "budget": config.max_sequences,
            }
        )
    return rows


def _metrics(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(sequences at each log point, training error rate (points, trials)) from metrics.jsonl."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    err = np.array([[np.nan if v is None else v for v in r["train/error_rate"]] for r in rows])
    seqs = np.array([r["train/sequences"] for r in rows], float)  # per trial, per interval
    upd = np.array([r["train/updates"] for r in rows], float)
    err[upd == 0] = np.nan  # a stopped trial has no training error
    return np.cumsum(np.nanmax(seqs, axis=1)), err


_thousands = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0")


def draw(config, runs: dict) -> list[Path]:
    lengths = _ints(config.lengths, "lengths")
    fig, axes = plotting.figure(2 * len(lengths), 1, height=4.6 * len(lengths), squeeze=False)
    colors = {"lstm1997": "C0", "rnn_tanh": "C3"}
    labels = {"lstm1997": "LSTM 1997 (truncated)", "rnn_tanh": "tanh RNN (BPTT)"}
    for row, T in enumerate(lengths):
        ax, bx = axes[2 * row, 0], axes[2 * row + 1, 0]
        for name in MODELS:
            if (T, name) not in runs:
                continue
            x, err = _metrics(Path(config.out_dir) / f"T{T}" / name)
            ax.plot(
                x,
                100 * np.nanmedian(err, axis=1),
                color=colors[name],
                label=labels[name] + ", median",
            )
            ax.fill_between(
                x,
                100 * np.nanmin(err, axis=1),
                100 * np.nanmax(err, axis=1),
                color=colors[name],
                alpha=0.2,
                linewidth=0,
            )
        if T in PAPER_T7:
            ax.axvline(PAPER_T7[T][1], **plotting.PAPER_STYLE, label="paper: mean success after")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(_thousands)
        ax.set_ylim(0.05, 100)
        ax.set_xlabel("training sequences presented")
        ax.set_ylabel("training error (% wrong)")
        ax.set_title(f"(a) T = {T}: error per {config.log_every} sequences", loc="left")
        ax.legend(loc="center right", fontsize="small")

        r = runs.get((T, "lstm1997"))
        if r is not None:
            after = np.asarray(r["solved_at"], float)
            solved = np.asarray(r["solved"], bool)
            trials = np.arange(len(after))
            bx.scatter(trials[solved], after[solved], color="C0", label="ours: success after")
            bx.scatter(
                trials[~solved],
                np.full((~solved).sum(), config.max_sequences),
                marker="x",
                color="C0",
                label="ours: not solved in budget",
            )
            if solved.any():
                bx.axhline(
                    after[solved].mean(), color="C0", linewidth=1, label="ours: mean (solved)"
                )
            if T in PAPER_T7:
                label = f"paper: mean ({PAPER_T7[T][0]} wrong of 2560)"
                bx.axhline(PAPER_T7[T][1], **plotting.PAPER_STYLE, label=label)
            for t, w in zip(trials, r["test"]["wrong"], strict=True):
                y = after[t] if solved[t] else config.max_sequences
                bx.annotate(
                    str(int(w)),
                    (t, y),
                    textcoords="offset points",
                    xytext=(0, 5),
                    ha="center",
                    fontsize="x-small",
                )
            bx.set_ylim(0, max(config.max_sequences, PAPER_T7.get(T, (0, 0))[1]) * 1.5)
            bx.set_xticks(trials)
        bx.yaxis.set_major_formatter(_thousands)
        bx.set_xlabel("trial (label: wrong of 2560 test sequences)")
        bx.set_ylabel("sequences until ST3")
        bx.set_title("(b) LSTM: sequences until success", loc="left")
        bx.legend(
            loc="upper center",
            bbox_to_anchor=(0.56, 1.0),
            ncols=2,
            fontsize="small",
            columnspacing=0.8,
            handletextpad=0.3,
        )
    plotting.caption(
        fig, f"{config.claim}   profile: {config.profile}, budget {config.max_sequences:,}"
    )
    return plotting.save(fig, config.figure)


def main(argv):
    del argv
    config = _CONFIG.value
    common.setup(config)
    validate(config)
    runs = {}
    for T in _ints(config.lengths, "lengths"):
        for name in ("lstm1997", config.baseline):
            if name:
                runs[(T, name)] = run_one(config, name, T)
    rows = table(config, runs)
    results.atomic_write_json(
        Path(config.out_dir) / "table.json", {"rows": rows, "provenance": results.provenance()}
    )
    for row in rows:
        print(json.dumps(row))
    for path in draw(config, runs):
        print(path)


if __name__ == "__main__":
    # The flag is defined only when run as a script, so tests can import several drivers.
    _CONFIG = common.define_config(str(Path(__file__).parent / "configs" / "h97_t7.py"))
    common.run(main)
