"""S0: should a 10,000-point signal be downsampled before a (Bi)LSTM? (seeds.md S0)

The seed author's network: 1 input channel → bidirectional LSTM, output of the last step → fully
connected → regression (MSE). With the last step's output the backward LSTM has read only x_T, so it
is computed as one step from its zero state (the same numbers as running it over the whole sequence
and keeping its value at T). Data (``repro.tasks.questions.oscillator``): released damped oscillators,
10,000 samples over 5 ms, label the natural frequency; downsampled by every factor in ``factors``
(the same training set, updates, optimiser and seeds for every length).

- S0-time: wall time per epoch (compilation timed apart) and the wall time until the validation
  RMSE first reaches ``target_rmse`` (a trial that never does is censored at its last epoch).
- S0-fit: validation RMSE after every epoch, every trial.
- S0-grad: on the trained nets, log₁₀|∂ŷ/∂x_t| against the time of sample t (reverse mode), and
  log₁₀‖∂h_T/∂h_t‖ of the forward LSTM (Jacobian engine, log-scale products: finite at 10,000 steps).
- S0-alias: the data set whose label is a 25-75 kHz tone: final RMSE with no downsampling, naive
  striding and anti-aliased decimation at ``alias_factors``.

Each (data set, factor, method) is a block of ``computed.block``: a killed run keeps its finished ones.
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import logging

from experiments import common
from experiments.claims import computed, runner
from experiments.questions import paper
from repro import cells, jacobians, plotting, problems
from repro.tasks import questions as data

__all__ = ["draw", "run"]

GRAD_SEQUENCES = 4  # validation sequences whose gradients are measured


def _check(c) -> list[int]:
    common.positive(c, "hidden", "trials", "train_size", "val_size", "batch", "epochs", "samples")
    computed.finite(c, "lr", "target_rmse", "duration", positive=True)
    factors = [int(v) for v in computed.floats(c, "factors")]
    alias = [int(v) for v in computed.floats(c, "alias_factors")]
    for name, fs in (("factors", factors), ("alias_factors", alias)):
        if not fs or any(f < 1 or c.samples // f < 2 for f in fs):
            raise ValueError(
                f"config.{name}={c[name]!r}: must be integers >= 1 leaving >= 2 of the "
                f"{c.samples} samples"
            )
    if c.train_size % c.batch:
        raise ValueError(
            f"config.train_size={c.train_size}: must be a multiple of config.batch={c.batch}"
        )
    computed.prepare(c)
    return factors


def _model(c):
    return cells.LSTM(c.hidden)


def init(c, key):
    """Parameters of the BiLSTM-last regression net."""
    lstm = _model(c)
    kf, kb, kw = jax.random.split(key, 3)
    p = lambda k: lstm.init(k, lstm.initialize_carry(), jnp.zeros(1))["params"]
    bound = math.sqrt(6 / (2 * c.hidden + 1))
    w = jax.random.uniform(kw, (1, 2 * c.hidden), minval=-bound, maxval=bound)
    return {"fwd": p(kf), "bwd": p(kb), "W": w, "b": jnp.zeros(1)}


def predict(c, params, x: jax.Array) -> jax.Array:
    """ŷ (B,) for signals x (B, L): [forward h_T, backward h at T] → dense."""
    lstm = _model(c)
    xs = x[..., None]
    fwd = problems.unroll(lstm, {"params": params["fwd"]}, xs)[:, -1]
    carry = lstm.initialize_carry(x.shape[:1])
    _, bwd = lstm.apply({"params": params["bwd"]}, carry, xs[:, -1])
    return (jnp.concatenate([fwd, bwd], -1) @ params["W"].T + params["b"])[:, 0]


def _rmse(c, params, x, y):
    return jnp.sqrt(jnp.mean((predict(c, params, x) - y) ** 2))


def fit(c, x_train, y_train, x_val, y_val) -> dict:
    """Train ``trials`` nets (vmapped) for ``epochs`` epochs of minibatch Adam; per-epoch wall times
    (compilation apart), validation and training RMSE, and the final parameters."""
    tx = optax.adam(c.lr)
    keys = jax.random.split(jax.random.key(c.seed), c.trials)
    params = jax.vmap(lambda k: init(c, k))(keys)
    opt = jax.vmap(tx.init)(params)
    steps = c.train_size // c.batch

    def one_epoch(p, o, key, xt, yt, xv, yv):  # data as arguments: one program per length
        order = jax.random.permutation(key, c.train_size).reshape(steps, c.batch)

        def update(carry, idx):
            p, o = carry
            loss, g = jax.value_and_grad(
                lambda q: jnp.mean((predict(c, q, xt[idx]) - yt[idx]) ** 2)
            )(p)
            u, o = tx.update(g, o, p)
            return (optax.apply_updates(p, u), o), loss

        (p, o), losses = jax.lax.scan(update, (p, o), order)
        return p, o, jnp.sqrt(jnp.mean(losses)), _rmse(c, p, xv, yv)

    epoch = jax.jit(jax.vmap(one_epoch, (0, 0, 0, None, None, None, None)))
    ekeys = lambda e: jax.vmap(lambda k: jax.random.fold_in(k, e))(keys)
    data_args = (x_train, y_train, x_val, y_val)
    t0 = time.perf_counter()
    compiled = epoch.lower(params, opt, ekeys(0), *data_args).compile()
    compile_s = time.perf_counter() - t0
    length = x_train.shape[1]
    logging.info("S0, %d samples: compiled in %.0f s; %d epochs", length, compile_s, c.epochs)
    val0 = jax.vmap(lambda p: _rmse(c, p, x_val, y_val))(params)
    times, train_rmse, val_rmse = [], [], [np.asarray(val0)]
    for e in range(c.epochs):
        t0 = time.perf_counter()
        params, opt, tr, va = jax.block_until_ready(compiled(params, opt, ekeys(e), *data_args))
        times.append(time.perf_counter() - t0)
        train_rmse.append(np.asarray(tr))
        val_rmse.append(np.asarray(va))
        eta = np.mean(times) * (c.epochs - e - 1)
        logging.info("S0, %d samples: epoch %d/%d in %.1f s, median val RMSE %.3g, ETA %.0f s",
                     length, e + 1, c.epochs, times[-1], float(np.median(va)), eta)  # fmt: skip
    return {
        "compile_s": np.asarray(compile_s),
        "epoch_s": np.asarray(times),
        "train_rmse": np.stack(train_rmse, 1),  # (trials, epochs)
        "val_rmse": np.stack(val_rmse, 1),  # (trials, epochs + 1), column 0 before training
        "params": params,
    }


def reach(c, params, x: jax.Array) -> dict:
    """Per trial, median over sequences: log₁₀|∂ŷ/∂x_t| (L,) and log₁₀‖∂h_T/∂h_t‖ (L + 1,)."""
    lstm = _model(c)

    def one(p, xs):
        g = jax.grad(lambda z: predict(c, p, z[None])[0])(xs)
        dx = jnp.where(g == 0, jnp.nan, jnp.log10(jnp.abs(g)))  # 0: underflowed in reverse mode
        step = lambda s, u: lstm.apply({"params": p["fwd"]}, s, u)[0]
        dh = jacobians.log_norms_to_last(
            step, lstm.initialize_carry(), xs[:, None], rows="h", cols="h", norm="svd"
        )
        return dx, dh / jnp.log(10.0)

    dx, dh = jax.jit(jax.vmap(jax.vmap(one, (None, 0)), (0, None)))(params, x)
    return {"log10_dx": np.median(dx, 1), "log10_dh": np.median(dh, 1)}  # NaN where it underflowed


def _dataset(c, high: bool, key_id: int):
    x, y = data.oscillator(jax.random.key(c.seed + key_id), c.train_size + c.val_size,
                           samples=c.samples, duration=c.duration, high=high)  # fmt: skip
    return x, y


def _block(c, name, x, y, factor, method, with_reach):
    def compute():
        xd = data.downsample(x, factor, method)
        n = c.train_size
        out = fit(c, xd[:n], y[:n], xd[n:], y[n:])
        params = out.pop("params")
        if with_reach:
            out.update(reach(c, params, xd[n : n + GRAD_SEQUENCES]))
        return out

    return computed.block(c, name, compute)


def run(c) -> list:
    """Every block, numbers.json and the figure."""
    factors = _check(c)
    alias = [int(v) for v in computed.floats(c, "alias_factors")]
    x, y = _dataset(c, False, 1)
    main = {f: _block(c, f"low_x{f}", x, y, f, "stride", True) for f in factors}
    xh, yh = _dataset(c, True, 2)
    aliasing = {"none": _block(c, "high_x1", xh, yh, 1, "stride", False)}
    for f in alias:
        for m in ("stride", "antialias"):
            aliasing[f"{m}_x{f}"] = _block(c, f"high_{m}_x{f}", xh, yh, f, m, False)
    numbers = {
        "lengths": {str(f): c.samples // f for f in factors},
        "epoch_s": {str(f): float(np.median(b["epoch_s"])) for f, b in main.items()},
        "compile_s": {str(f): float(b["compile_s"]) for f, b in main.items()},
        "final_val_rmse": {str(f): b["val_rmse"][:, -1].tolist() for f, b in main.items()},
        "time_to_target_s": {str(f): _time_to_target(c, b) for f, b in main.items()},
        "alias_final_val_rmse": {k: b["val_rmse"][:, -1].tolist() for k, b in aliasing.items()},
        "label_std": float(np.std(np.asarray(y))),
        # S0-grad, per trial: the share of samples whose gradient is exactly 0 in float32 reverse
        # mode in at least one of the 4 signals (NaN in their median, log10_dx), and
        # log₁₀‖∂h_T/∂h_0‖ from the Jacobian engine
        "zero_gradient_fraction": {
            str(f): np.isnan(b["log10_dx"]).mean(-1).tolist() for f, b in main.items()
        },
        "log10_dh_T_0": {str(f): b["log10_dh"][:, 0].tolist() for f, b in main.items()},
    }
    # what the status rule reads: the post gives no number a run can be weighed against
    numbers["rows"] = [
        {"row": f"x{f}", "title": f"{c.samples // f} samples", "model": "bilstm", "paper": {},
         "trials": len(numbers["final_val_rmse"][str(f)]), "budget": c.epochs}
        for f in factors
    ]  # fmt: skip
    computed.write(c, numbers)
    return draw(c, factors, main, aliasing, numbers)


def _time_to_target(c, b) -> list:
    """Per trial: wall seconds (epochs summed, compilation excluded) until the validation RMSE first
    reached the target; None if it never did (censored)."""
    out = []
    cum = np.cumsum(b["epoch_s"])
    for row in b["val_rmse"][:, 1:]:
        hit = np.nonzero(row <= c.target_rmse)[0]
        out.append(float(cum[hit[0]]) if hit.size else None)
    return out


_COLOURS = ("blue", "bluish green", "orange", "vermillion", "reddish purple", "sky blue", "black")


def draw(c, factors, main, aliasing, numbers) -> list:
    """(a) time per epoch and to the target, (b) validation RMSE, (c) the samples that get no
    gradient in float32, (d) aliasing."""
    fig, axes = plotting.figure(2, 2, height=5.2, width=7.0)
    (ax, bx), (cx, dx) = axes
    colour = {f: plotting.OKABE_ITO[_COLOURS[i % len(_COLOURS)]] for i, f in enumerate(factors)}
    L = {f: c.samples // f for f in factors}
    _draw_time(ax, c, factors, main, numbers, colour, L)
    _draw_fit(bx, c, factors, main, numbers, colour, L)
    _draw_zero_gradient(cx, factors, numbers, colour, L)
    _draw_aliasing(dx, aliasing, numbers)
    plotting.caption(
        fig,
        "The post: downsampling long signals before an LSTM makes training faster and the loss "
        "fall faster, as gradients vanish over very long sequences; its caveat: only for signals "
        "without high-frequency content. "
        f"S0-time, S0-fit, S0-grad, S0-alias, {c.profile} profile: BiLSTM (last output, "
        f"{c.hidden} units per direction) → dense, "
        f"Adam lr {c.lr:g}, batch {c.batch}, {c.train_size} training and {c.val_size} validation "
        f"signals, {c.epochs} epochs ({c.epochs * c.train_size // c.batch} updates) for every "
        f"length, {c.trials} trials; label: the oscillator's natural frequency (0.6-1.6 kHz); "
        "(c), (d) bars: median, dots: trials ((d): a trial whose RMSE diverged to NaN is "
        "counted above its bar and ranks worst in the median). (c): in reverse mode the "
        "gradient reaching the "
        "early samples underflows to exactly 0 in float32 (a sample counts if it does so in any of "
        "4 validation signals), while the exact norm of the state "
        "Jacobian (Jacobian engine, log scale) is tiny but not 0. Times on this machine's CPU; the "
        "post's (dashed) are its author's whole runs.",
    )
    return plotting.save(fig, runner.figure_path(c))


def _draw_time(ax, c, factors, main, numbers, colour, L) -> None:
    """(a) Wall time per epoch against the length, each trial's time to the target, the post's."""
    xs = [L[f] for f in factors]
    ax.plot(xs, [numbers["epoch_s"][str(f)] for f in factors], color="0.3", marker="o",
            markersize=3, label="wall time per epoch (median)")  # fmt: skip
    epochs_total = [float(np.sum(main[f]["epoch_s"])) for f in factors]
    for f, tot in zip(factors, epochs_total, strict=True):
        hits = [t for t in numbers["time_to_target_s"][str(f)] if t is not None]
        misses = len(numbers["time_to_target_s"][str(f)]) - len(hits)
        ax.scatter([L[f]] * len(hits), hits, color=colour[f], marker="s", s=12, zorder=3)
        if misses:
            ax.scatter([L[f]], [tot], color=colour[f], marker="^", s=18, facecolors="none",
                       zorder=3)  # fmt: skip
        ax.annotate(f"{len(hits)}/{len(hits) + misses}", (L[f], tot), textcoords="offset points",
                    xytext=(4, 4), fontsize=7, color=colour[f])  # fmt: skip
    ax.scatter([], [], color="0.3", marker="s", s=12, label=f"time to RMSE ≤ {c.target_rmse:g}")
    ax.scatter([], [], color="0.3", marker="^", s=18, facecolors="none",
               label="not reached: all epochs (censored)")  # fmt: skip
    post = paper.S0_POST_SECONDS
    ax.plot(list(post), list(post.values()), **plotting.PAPER_STYLE, marker="D", markersize=3.5,
            label="the post: all epochs, their data and machine")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-2, 1e15)  # room above the data (the post's runs: 10⁴ s) for the legend
    ax.set_xlim(right=max(xs) * 3)  # room for the last k/n
    ax.set_xlabel("sequence length (samples over 5 ms)")
    ax.set_ylabel("wall time (s), no compilation")
    ax.set_title("(a) S0-time", loc="left")
    ax.legend(fontsize=7, loc="upper left")


def _draw_fit(bx, c, factors, main, numbers, colour, L) -> None:
    """(b) Every trial's validation RMSE against the epoch."""
    for f in factors:
        v = main[f]["val_rmse"]
        ep = np.arange(v.shape[1])
        for j in range(v.shape[0]):
            bx.plot(ep, v[j], color=colour[f], linewidth=0.8,
                    label=f"{L[f]:,} (×1/{f})" if j == 0 else None)  # fmt: skip
    bx.axhline(numbers["label_std"], **plotting.PAPER_STYLE, label="predict the mean")
    bx.axhline(c.target_rmse, color="0.6", linestyle=":", linewidth=0.8, label="target RMSE")
    bx.set_ylim(0, 1.0)  # room above the curves for the legend
    bx.set_xlabel("epoch")
    bx.set_ylabel("validation RMSE (label in [0, 1])")
    bx.set_title(f"(b) S0-fit: every trial ({c.trials} per length)", loc="left")
    bx.legend(fontsize=7, loc="upper right", ncol=2, title="samples per signal", title_fontsize=7)


def _draw_zero_gradient(cx, factors, numbers, colour, L) -> None:
    """(c) The share of samples whose float32 gradient is exactly 0, and the exact norm above."""
    for i, f in enumerate(factors):
        share = 100 * np.asarray(numbers["zero_gradient_fraction"][str(f)])
        cx.bar(i, np.median(share), color=colour[f], alpha=0.35, width=0.6)
        cx.scatter(np.full(share.shape, i), share, color=colour[f], s=10, zorder=3)
        exact = np.median(numbers["log10_dh_T_0"][str(f)])
        power = f"{exact:.1f}" if abs(exact) < 10 else f"{exact:.0f}"
        cx.annotate(f"10$^{{{power}}}$", (i, 110), ha="center", fontsize=7, color="0.25")
    cx.set_xticks(range(len(factors)), [f"{L[f]:,}" for f in factors])
    cx.set_ylim(0, 122)
    cx.set_yticks(range(0, 101, 20))
    cx.set_xlabel("sequence length (samples)")
    cx.set_ylabel("% of samples with ∂ŷ/∂x$_t$ = 0\n(in any of 4 signals)")
    cx.set_title("(c) S0-grad: samples that get exactly zero gradient\n(float32, trained nets; "
                 "above: exact ‖∂h$_T$/∂h$_0$‖, median)", loc="left")  # fmt: skip


def _draw_aliasing(dx, aliasing, numbers) -> None:
    """(d) Final validation RMSE with and without an anti-aliasing filter before striding."""
    keys = list(aliasing)
    for i, k in enumerate(keys):
        vals = np.asarray(numbers["alias_final_val_rmse"][k], dtype=float)
        diverged = np.isnan(vals)
        median = np.median(np.where(diverged, np.inf, vals))  # a diverged trial ranks worst
        if np.isfinite(median):
            dx.bar(i, median, color="0.85", edgecolor="0.4", width=0.6)
        dx.scatter(np.full(vals.shape, i), vals, color="0.2", s=8, zorder=3)  # NaN: not drawn
        if diverged.any():
            dx.text(i, 0.97, f"{diverged.sum()}/{vals.size}\ndiverged", ha="center", va="top",
                    transform=dx.get_xaxis_transform(), fontsize=7, color="0.2")  # fmt: skip
    dx.axhline(numbers["label_std"], **plotting.PAPER_STYLE)
    dx.text(len(keys) - 0.5, numbers["label_std"] * 1.03, "predict the mean", fontsize=7,
            color="0.35", ha="right")  # fmt: skip
    names = {"none": "none\n10,000"}
    for k in keys[1:]:
        m, f = k.split("_x")
        names[k] = f"{'stride' if m == 'stride' else 'low-pass'}\n×1/{f}"
    dx.set_xticks(range(len(keys)), [names[k] for k in keys])
    dx.set_ylabel("final validation RMSE")
    dx.set_title("(d) S0-alias: label = a 25-75 kHz tone", loc="left")
