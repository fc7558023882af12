"""H97 Exp. 1's probe: what a frozen-weight check also measures with ``config.probe`` (issue 28).

At the check's weights, on the check's strings: ``s_max`` (the largest |s| of any cell at any step:
saturation), ``store`` (the best cell's separation of the T strings from the P strings at the
long-lag step: positive when that cell alone tells them apart, the symbol is stored) and ``gain``
(that cell's mean y_out·h′(s) at the long-lag step, H97 eq. 23). ``experiments.h97.mechanism``
summarises and draws what it logged.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from repro.tasks import Batch

T_SYMBOL = 1  # one-hot index of T in repro.tasks.hochreiter1997.REBER_SYMBOLS ("BTPSXVE")


def probe(model, batch: Batch):
    """(params) -> {"s_max", "store", "gain"} on ``batch`` (Exp. 1 strings, batch-major)."""
    n = batch.inputs.shape[0]
    xs = jnp.swapaxes(batch.inputs, 0, 1)
    lag = batch.length - 2  # the step whose target is the second embedded symbol
    is_t = jnp.argmax(batch.inputs[:, 1], axis=-1) == T_SYMBOL  # the first embedded symbol
    valid = jnp.swapaxes(batch.mask, 0, 1)[..., None] > 0  # (T, n, 1)
    rows = jnp.arange(n)

    def measure(params):
        def step(c, x):
            c = model.apply(params, c, x)[0]
            return c, (c.s, c.y)

        _, (s, y) = jax.lax.scan(step, model.initialize_carry((n,)), xs)  # (T, n, cells)
        s_at = s[lag, rows]  # (n, cells)
        if model.output_gate:  # y_hid ends with the output gates
            gate = jnp.repeat(y[lag, rows, -model.blocks :], model.block_size, axis=-1)
        else:
            gate = jnp.ones_like(s_at)
        slope = jax.jvp(model.squash_h, (s_at,), (jnp.ones_like(s_at),))[1]  # h′(s)
        t_min = jnp.min(jnp.where(is_t[:, None], s_at, jnp.inf), axis=0)
        t_max = jnp.max(jnp.where(is_t[:, None], s_at, -jnp.inf), axis=0)
        p_min = jnp.min(jnp.where(is_t[:, None], jnp.inf, s_at), axis=0)
        p_max = jnp.max(jnp.where(is_t[:, None], -jnp.inf, s_at), axis=0)
        margin = jnp.maximum(t_min - p_max, p_min - t_max)  # (cells,)
        best = jnp.argmax(margin)
        return {
            "s_max": jnp.max(jnp.where(valid, jnp.abs(s), 0.0)),
            "store": margin[best],
            "gain": jnp.mean((gate * slope)[:, best]),
        }

    return measure


def with_probe(evaluate, model, check):
    """The check ``(params, key) -> dict`` with the probe's three entries added."""
    measure = lambda params, key: probe(model, check(key))(params)
    return lambda params, key: {**evaluate(params, key), **measure(params, key)}
