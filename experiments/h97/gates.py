"""H97-D3: do large learning rates drive the output gates toward 0? (H97 §5.1, Exp. 1)

``trace(config, row)`` trains the row's trials from their initialisation along the same streams as
its run, but without stopping (``train.continue_training`` from the initial state), for
``config.gate_trace`` sequences, and every ``after_stop_every`` sequences measures each block's
mean output-gate activation y_out over every step of the row's test strings. Stored in
``out_dir/<row>/lstm1997/gates.json``; the figure draws one panel per row, the median over trials
of each block with the range between the trials' quartiles.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from experiments.claims import rows as rows_lib
from experiments.claims import runner
from experiments.h97 import protocol
from repro import plotting, results, train


def _with_gates(state, blocks: int):
    return state, state.y[..., -blocks:]  # y_hid ends with the output gates


def _out_gates(model, sample):
    """(params, key) -> {"y_out": (blocks,) mean output-gate activation over the valid steps}."""

    def probe(params, key):
        batch = sample(key)
        xs = jnp.swapaxes(batch.inputs, 0, 1)
        carry = model.initialize_carry(batch.inputs.shape[:1])
        _, ys = jax.lax.scan(
            lambda c, x: _with_gates(model.apply(params, c, x)[0], model.blocks), carry, xs
        )
        mask = jnp.swapaxes(batch.mask, 0, 1)[..., None]
        return {"y_out": jnp.sum(ys * mask, axis=(0, 1)) / jnp.sum(mask)}

    return probe


def trace(config, row: rows_lib.Row) -> dict:
    """The stored trace of a row (recomputed when the row's run config or the trace changes)."""
    c = row.config
    path = runner.run_dirs(config, row, "lstm1997", protocol.parts(c))[0] / "gates.json"
    run = runner.identity(row, "lstm1997", 0, protocol.PROTOCOL)
    source = {"run": run, "sequences": c.gate_trace, "every": c.after_stop_every}
    path.parent.mkdir(parents=True, exist_ok=True)
    return results.cached_json(path, source, lambda: _trace(c))


def _trace(c) -> dict:
    t = protocol.build(c, "lstm1997")
    trainer = train.Trainer(t.problem, t.optimizer, t.schedule)
    start = trainer.init(t.schedule.trial_ids)
    probe = _out_gates(t.model, protocol.FAMILIES[c.task].data(c, 0).test)
    _, got = train.continue_training(
        t.problem,
        t.optimizer,
        t.schedule,
        start,
        intervals=c.gate_trace // c.after_stop_every,
        every=c.after_stop_every,
        evaluate=probe,
    )
    first = jax.vmap(lambda p: probe(p, jax.random.key(0))["y_out"])(start.params)
    return {
        "seen": [0, *np.asarray(got["seen"])[0].astype(int).tolist()],
        # (trials, checks, blocks), the first check at initialisation
        "y_out": np.concatenate([np.asarray(first)[:, None], got["y_out"]], axis=1).tolist(),
    }


def draw(config, rows: list[rows_lib.Row], traces: list[dict]) -> list:
    width = plotting.FULL_WIDTH if len(rows) > 1 else plotting.COLUMN_WIDTH
    fig, axes = plotting.figure(1, len(rows), height=2.4, width=width, sharey=True)
    axes = np.atleast_1d(axes)
    colors = [plotting.OKABE_ITO[k] for k in ("blue", "vermillion", "bluish green", "orange")]
    for ax, row, tr in zip(axes, rows, traces, strict=True):
        seen = np.asarray(tr["seen"]) / 1e3
        y = np.asarray(tr["y_out"])  # (trials, checks, blocks)
        for b in range(y.shape[2]):
            q1, med, q3 = np.percentile(y[:, :, b], [25, 50, 75], axis=0)
            ax.plot(seen, med, color=colors[b % 4], label=f"block {b + 1}")
            ax.fill_between(seen, q1, q3, color=colors[b % 4], alpha=0.2, lw=0)
        ax.set_title(f"{row.title}: {y.shape[0]} trials", loc="left")
        ax.set_xlabel("training strings (thousands)")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("mean output gate $y^{out}$\n(test strings)")
    axes[0].legend(loc="lower right")
    plotting.caption(
        fig,
        f"{config.claim}: median over trials (band: quartiles), trained without stopping for "
        f"{rows[0].config.gate_trace:,} strings; {runner.shown_label(config)}. The paper gives no "
        "numbers: large α drives output gates toward 0",
    )
    return plotting.save(fig, runner.figure_path(config, "_gates"))
