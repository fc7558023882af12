"""S1-cell and S1-forget: why a trained LSTM's gradient does not vanish, measured on trained nets.

The S1 claim's runs (config ``s1_cell``) train a forget-gate LSTM (full gradient), the same LSTM
with G00's truncated gradient, and a tanh RNN on one long-lag task through the shared pipeline.
From each run's final weights (``train.load_state``), on fresh sequences:

- the cell path: ‖∂c_T/∂c_t‖ (the c-block of the full state product, Jacobian engine) against the
  largest per-unit product of forget-gate activations max_j ∏_{s=t+1}^{T} f_s,j. Under the truncated
  gradient ∂c_T/∂c_t = diag(∏ f) exactly (the test suite checks it); with the full gradient the
  recurrent paths through h add to it, and the figure shows by how much;
- ‖∂h_T/∂h_t‖ of the trained LSTM against the trained tanh RNN (spectral, Jacobian engine);
- the forget-gate activations per unit, averaged over steps and sequences, before and after
  training, sorted; the units whose ∏ f over the whole sequence is largest are the ones that can
  carry the memory.

Numbers are cached in ``s1.json`` beside the runs, keyed on the checkpoints they came from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.questions import figures, protocol
from repro import cells, jacobians, plotting, results, train

SEQUENCES = 8  # fresh sequences per trial


def _params(c, model: str, run_dir: Path):
    t = protocol.build(c, model)
    state = train.load_state(run_dir, t.problem, t.optimizer, t.schedule)
    inits = jax.vmap(t.problem.init)(jax.random.split(jax.random.key(c.seed), c.trials))
    return protocol.model_for(c, model), state.params, inits


def _forget(cell: cells.LSTM, cell_params, xs):
    """Forget-gate activations (L, n) of a ``cells.LSTM`` along one sequence, from zero state, as
    the cell computes them (``cells.LSTM.gates``)."""
    variables = {"params": cell_params}

    def step(carry, x):
        f = cell.apply(variables, carry, x, method=cells.LSTM.gates).forget
        return cell.apply(variables, carry, x)[0], f

    return jax.lax.scan(step, cell.initialize_carry(), xs)[1]


def _lstm_numbers(model, params, xs):
    """Per sequence: log10‖∂c_T/∂c_t‖, log10 max_j ∏ f, log10‖∂h_T/∂h_t‖ (each (L+1,)), f (L, n)."""
    cell = {"params": params["params"]["cell"]}
    step = lambda s, x: model.cell.apply(cell, s, x)[0]
    h0 = model.cell.initialize_carry()
    ln10 = jnp.log(10.0)
    cc = jacobians.log_norms_to_last(step, h0, xs, rows="c", cols="c", norm="svd") / ln10
    hh = jacobians.log_norms_to_last(step, h0, xs, rows="h", cols="h", norm="svd") / ln10
    f = _forget(model.cell, params["params"]["cell"], xs)
    logf = jnp.log10(f)
    tail = jnp.concatenate([jnp.cumsum(logf[::-1], axis=0)[::-1], jnp.zeros((1, f.shape[1]))])
    return cc, jnp.max(tail, axis=1), hh, f


def _rnn_numbers(model, params, xs):
    cell = {"params": params["params"]["cell"]}
    step = lambda s, x: model.cell.apply(cell, s, x)[0]
    h0 = model.cell.initialize_carry()
    return jacobians.log_norms_to_last(step, h0, xs, norm="svd") / jnp.log(10.0)


def compute(c, model: str, run_dir: Path) -> dict:
    """The S1 numbers of one run (median over sequences, per trial)."""
    net, trained, initial = _params(c, model, run_dir)
    batch = protocol.TASKS[c.task].sample(c, jax.random.key(c.seed + 1), SEQUENCES)
    out = {}
    if isinstance(net.cell, cells.LSTM):
        per = jax.jit(jax.vmap(jax.vmap(lambda p, xs: _lstm_numbers(net, p, xs), (None, 0)),
                               (0, None)))  # fmt: skip
        cc, prod, hh, f = per(trained, batch.inputs)  # (trials, sequences, ...)
        f0 = jax.vmap(jax.vmap(lambda p, xs: _forget(net.cell, p["params"]["cell"], xs),
                               (None, 0)), (0, None))(initial, batch.inputs)  # fmt: skip
        out.update(
            log10_dc=np.median(cc, axis=1).tolist(),
            log10_prod_f=np.median(prod, axis=1).tolist(),
            log10_dh=np.median(hh, axis=1).tolist(),
            mean_f=np.mean(f, axis=(1, 2)).tolist(),  # (trials, units)
            mean_f_init=np.mean(f0, axis=(1, 2)).tolist(),
            log10_total_prod_f=np.median(np.sum(np.log10(f), axis=2), axis=1).tolist(),
        )
    else:
        per = jax.jit(jax.vmap(jax.vmap(lambda p, xs: _rnn_numbers(net, p, xs), (None, 0)),
                               (0, None)))  # fmt: skip
        out["log10_dh"] = np.median(per(trained, batch.inputs), axis=1).tolist()
    return out


def _weights_hash(ckpt: Path) -> str:
    """sha256 of what a checkpoint holds but its wall time (which differs between two runs that
    computed the same numbers), so an unchanged run is not analysed again."""
    digest = hashlib.sha256()
    with np.load(ckpt) as saved:
        for name in sorted(f for f in saved.files if f != "wall_s"):
            digest.update(name.encode() + saved[name].tobytes())
    return digest.hexdigest()


def numbers(config, row, model: str) -> dict | None:
    """The cached S1 numbers of a (row, model) run; None if it has no checkpoint."""
    run_dir = runner.run_dirs(config, row, model, ("",))[0]
    ckpt = run_dir / "checkpoint.npz"
    if not ckpt.exists():
        return None
    source = {"checkpoint": _weights_hash(ckpt), "sequences": SEQUENCES}
    return results.cached_json(
        run_dir / "s1.json", source, lambda: compute(row.config, model, run_dir)
    )


def draw(config, rows, runs, entries, comparisons=()) -> list[Path]:
    """S1-cell (a, b) and S1-forget (c) for the first row."""
    row = rows[0]
    models = [m for m in rows_lib.models_of(row.config) if runs.get((row.id, m))]
    got = {m: numbers(config, row, m) for m in models}
    done = [e for e in entries if e["row"] == row.id and not e.get("not_run")]
    solved = {e["model"]: f"{e['solved']}/{e['trials']}" for e in done}
    fig, (ax, bx, cx) = plotting.figure(1, 3, height=2.8, width=7.0)
    style, _label = figures.style, figures.label

    for m, d in got.items():
        if d is None:
            continue
        s = style(m)
        lag = lambda a: np.arange(np.asarray(a).shape[-1])[::-1]
        if "log10_dc" in d:
            dc, pf = np.asarray(d["log10_dc"]), np.asarray(d["log10_prod_f"])
            ax.plot(lag(dc), np.median(dc, 0), color=s["color"], linestyle=s["linestyle"])
            ax.plot(lag(pf), np.median(pf, 0), color=s["color"], linestyle="none",
                    marker=s["marker"], markersize=2.5, markerfacecolor="none")  # fmt: skip
            mf, mf0 = np.asarray(d["mean_f"]), np.asarray(d["mean_f_init"])
            units = np.arange(1, mf.shape[1] + 1)
            cx.plot(units, np.median(np.sort(mf, 1)[:, ::-1], 0), color=s["color"],
                    linestyle=s["linestyle"])  # fmt: skip
            cx.plot(units, np.median(np.sort(mf0, 1)[:, ::-1], 0), color=s["color"],
                    linestyle="none", marker=s["marker"], markersize=2.5,
                    markerfacecolor="none")  # fmt: skip
        dh = np.asarray(d["log10_dh"])
        bx.plot(lag(dh), np.median(dh, 0), color=s["color"], linestyle=s["linestyle"],
                label=f"{_label(m)} ({solved.get(m, '?')} solved)")  # fmt: skip
    ax.set_xlabel("lag T − t")
    ax.set_ylabel("log$_{10}$ (median of trials)")
    ax.set_title("(a) cell path: lines ‖∂c$_T$/∂c$_t$‖,\nopen markers max$_j$ ∏ f$_j$", loc="left")
    bx.set_xlabel("lag T − t")
    bx.set_ylabel("log$_{10}$‖∂h$_T$/∂h$_t$‖ (median of trials)")
    bx.set_title("(b) state path ‖∂h$_T$/∂h$_t$‖,\ntrained nets", loc="left")
    cx.set_xlabel("unit (sorted by mean f)")
    cx.set_ylabel("mean forget-gate activation")
    cx.set_title("(c) forget gates per unit: lines\ntrained, open markers initial", loc="left")
    cx.set_ylim(0, 1.02)
    fig.legend(*bx.get_legend_handles_labels(), loc="outside upper center", ncol=3, fontsize=7)
    c = row.config
    plotting.caption(
        fig,
        "The post's claim: the LSTM's additive cell path keeps the gradient, the forget gates near 1 "
        "on the units that carry the memory. "
        f"S1-cell (a, b), S1-forget (c), {runner.shown_label(config)}: {figures.TASK_LABELS[c.task]} at "
        f"T = {c.L}, {c.hidden} units, {c.trials} trials each, {c.max_updates:,} updates of Adam "
        f"(lr {c.lr:g}); {SEQUENCES} fresh sequences per trial, exact spectral norms from the "
        "Jacobian engine. Under the truncated gradient ∂c_T/∂c_t = diag(∏ f) (its line meets its "
        "markers) and ∂h_T/∂h_t = 0 for t < T (no line in b). A trial that solved stopped there.",
    )
    return plotting.save(fig, runner.figure_path(config))
