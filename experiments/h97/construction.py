"""Sequential construction (H97 §5.2, Task 2a/2b): the memory cell is added once the net without it
has stopped improving.

The paper adds the cell and its input gate "only when the error stops decreasing" and gives no test
for when. This option states one: the net trains ``after`` sequences with its direct input→output
connections only (the cell's output weights held at 0 and its own weights held, so the cell is
absent from every output and gradient), then the cell joins with the weights it was drawn with at
initialisation and everything trains on. The drawn weights ride along in the parameters as a
collection the model never reads (``"added"``), so every trial adds its own draw.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from repro import train

DIRECT = ("W_yx", "b_y")  # the net without its cell: input→output weights and output biases


def _cell_leaves(params: dict) -> tuple[str, ...]:
    return tuple(k for k in params["params"] if k not in DIRECT)


class _State(NamedTuple):
    count: jax.Array  # updates made


def add_cell_after(after: int) -> optax.GradientTransformation:
    """Chained after the optimiser: holds the cell's weights for ``after`` updates, then sets them
    to the drawn values (``params["added"]``) at update ``after``; passes everything through after."""

    def init(params):
        del params
        return _State(jnp.zeros((), jnp.int32))

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("add_cell_after needs params")
        cell = _cell_leaves(params)
        waiting, joining = state.count < after, state.count == after
        new = dict(updates["params"])
        for k in cell:
            joined = params["added"][k] - params["params"][k]
            new[k] = jnp.where(waiting, 0.0, jnp.where(joining, joined, new[k]))
        out = {**updates, "params": new, "added": jax.tree.map(jnp.zeros_like, params["added"])}
        return out, _State(state.count + 1)

    return optax.GradientTransformation(init, update)


def sequential(problem: train.Problem, tx: optax.GradientTransformation, after: int):
    """(problem, tx) of the same net built sequentially: the cell joins after ``after`` updates."""
    if not isinstance(after, int) or after <= 0:
        raise ValueError(f"after={after!r}: must be an integer > 0")

    def init(key):
        params = problem.init(key)
        net = dict(params["params"])
        drawn = {k: net[k] for k in _cell_leaves(params)}
        net["W_y"] = jnp.zeros_like(net["W_y"])  # no path from the cell to any output
        return {"params": net, "added": drawn}

    return dataclasses.replace(problem, init=init), optax.chain(tx, add_cell_after(after))
