"""Task generators of the three papers, one module per paper, all pure JAX.

Every generator is ``sample(key, batch, **cfg) -> Batch`` with static shapes: sequences of variable
length are padded to the task's bucket (its longest possible length) and masked, so a jitted training
step never recompiles as lengths vary. Arrays are batch-major: inputs (B, L, n_in), targets
(B, L, n_out), mask (B, L) with 1.0 at the steps that carry a loss. Configuration arguments are
static (Python numbers); they are validated before any tracing, with errors that name the argument.

Tasks are named by paper (``h97_*``, ``p13_*``, ``b94_*``; ``s_*`` for the practitioners' questions): same-named tasks of different papers
follow different rules and are different tasks.
"""

from __future__ import annotations

from collections.abc import Callable

from repro.tasks.batch import Batch

__all__ = ["Batch", "TASKS", "get"]


def _registry() -> dict[str, Callable[..., Batch]]:
    from repro.tasks import bengio1994, hochreiter1997, pascanu2013, questions

    return {**bengio1994.TASKS, **hochreiter1997.TASKS, **pascanu2013.TASKS, **questions.TASKS}


TASKS = _registry()


def get(name: str) -> Callable[..., Batch]:
    """The generator of task ``name``.

    Raises:
      ValueError: unknown ``name``; the message lists the known tasks.
    """
    if name not in TASKS:
        raise ValueError(f"task={name!r}: unknown task; known: {sorted(TASKS)}")
    return TASKS[name]
