"""The batch every task generator returns (re-exported as ``repro.tasks.Batch``)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

__all__ = ["Batch"]


class Batch(NamedTuple):
    """One batch of sequences.

    inputs: (B, L, n_in), zero after each sequence's end.
    targets: (B, L, n_out), meaningful where ``mask`` is 1.
    mask: (B, L) float, 1.0 at the steps that carry a target (the loss and the scoring steps).
    length: (B,) int32, each sequence's true length (<= L).
    extra: task-specific arrays (e.g. noise-free targets of H97 3c), each with leading dim B.
    """

    inputs: jax.Array
    targets: jax.Array
    mask: jax.Array
    length: jax.Array
    extra: dict[str, Any] = {}
