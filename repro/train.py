"""Multi-trial training: trials as a vmapped leading axis, jitted chunks of many updates.

A *problem* says what one trial does (initialise, draw a training batch, compute the loss and the
per-sequence scores, optionally test with frozen weights). ``train`` runs many independent trials of
it at once:

- The whole state of all trials is one pytree with a leading trial axis, updated under ``jax.vmap``
  and sharded over the visible devices along that axis (``jax.sharding``).
- One host call runs a *chunk*: ``lax.scan`` over ``evals_per_chunk`` intervals of ``eval_every``
  updates, each interval followed by the frozen-weight test (if the problem has one); once every
  trial has stopped, the chunk's remaining intervals are skipped. Lengths that vary per update are
  drawn inside the traced sampler, so nothing recompiles.
- Stopping rules (H97 Table 11, P13 §2.1), per trial: a window rule on the training stream (the
  ``window`` most recent training sequences all correct, and optionally their mean error below
  ``max_avg_error``: ST3(β)), and/or the problem's frozen-weight test (``passed``), checked every
  ``eval_every`` updates. A trial that succeeds, diverges (non-finite loss, gradient or parameters)
  or spends its budget is frozen: its updates are masked while the other trials go on.
- Per trial the results give the number of training sequences presented until success (the papers'
  "success after"), or when it diverged, and the problem's final test after stopping.
- With a run directory, every chunk appends to ``metrics.jsonl`` and checkpoints the state
  atomically; a killed run resumes from its last checkpoint and ends with the same results.

Randomness: trial i uses ``fold_in(key(seed), i)``, split into named streams (init, train, eval,
test); update u draws its batch from ``fold_in(train, u)``. So results do not depend on chunking,
on the number of devices, or on interruptions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from repro import results as results_lib
from repro.tasks import Batch

__all__ = [
    "OPTIMIZERS",
    "Milestone",
    "Problem",
    "Schedule",
    "TrainState",
    "Trainer",
    "concatenate",
    "load_state",
    "make_optimizer",
    "nan_guard",
    "train",
]

log = logging.getLogger(__name__)

Params = Any
Stats = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class Problem:
    """What one trial trains, as pure functions (all traced; no Python side effects).

    init: ``key -> params``.
    sample: ``key -> Batch``, the training batch of one update (batch 1 for online learning).
    loss: ``(params, batch) -> (loss, stats)``; ``stats["correct"]`` (B,) bool says which sequences
      were processed correctly and ``stats["error"]`` (B,) is each sequence's error for ST3's average
      (e.g. mean absolute error at the final step).
    evaluate: optional frozen-weight check ``(params, key) -> dict`` with a bool ``"passed"`` and
      scalar metrics, run every ``eval_every`` updates (H97 §2.3, P13's 10,000-sequence validation).
    test: optional final test ``(params, key) -> dict`` of scalars, run once per trial after it stops.
    grad: optional ``(params, batch) -> ((loss, stats), grads)`` replacing ``value_and_grad(loss)``,
      for gradients that are not the loss's (P13's Ω is added to W_rec's gradient before clipping).
    step_grad: optional ``(params, batch, updates) -> ((loss, stats), grads)``, a ``grad`` that is
      also told how many updates the trial has made (a term whose weight follows a schedule, e.g.
      P13's α_t = α/epoch); at most one of ``grad`` and ``step_grad``.

    The optimiser gets the update's loss as ``value`` when it takes extra arguments (an
    ``optax.GradientTransformationExtraArgs``, e.g. a chain with ``optax.contrib.reduce_on_plateau``).
    """

    init: Callable[[jax.Array], Params]
    sample: Callable[[jax.Array], Batch]
    loss: Callable[[Params, Batch], tuple[jax.Array, Stats]]
    evaluate: Callable[[Params, jax.Array], dict] | None = None
    test: Callable[[Params, jax.Array], dict] | None = None
    grad: Callable[[Params, Batch], tuple[tuple[jax.Array, Stats], Params]] | None = None
    step_grad: (
        Callable[[Params, Batch, jax.Array], tuple[tuple[jax.Array, Stats], Params]] | None
    ) = None

    def __post_init__(self):
        if self.grad is not None and self.step_grad is not None:
            raise ValueError("Problem: set at most one of grad and step_grad")


@dataclasses.dataclass(frozen=True)
class Milestone:
    """An event recorded on the way to the stopping rule, without stopping the trial.

    The first sequence count at which it holds is recorded per trial, with a copy of the weights at
    that moment; the problem's final ``test`` also runs on that copy (H97 Exp. 3 records ST1 and ST2
    in one run; Exp. 5 tests at "fewer than 140 of 2000 wrong" and goes on to "fewer than 13").

    name: its key in the results (``milestones[name]``).
    entry: a bool entry of the problem's ``evaluate`` dict, checked at every frozen-weight check; or
    max_wrong: at most this many wrong among the ``window`` most recent training sequences, checked
      after every update once the window is full. Exactly one of the two is set.
    label: how figures and tables call it (e.g. "ST1"; default: its name).
    """

    name: str
    entry: str | None = None
    max_wrong: int | None = None
    label: str = ""

    def __post_init__(self):
        if (self.entry is None) == (self.max_wrong is None):
            raise ValueError(f"milestone {self.name!r}: set exactly one of entry and max_wrong")
        if self.max_wrong is not None and not (
            isinstance(self.max_wrong, int) and self.max_wrong >= 0
        ):
            raise ValueError(f"milestone {self.name!r}: max_wrong={self.max_wrong!r} must be >= 0")


@dataclasses.dataclass(frozen=True)
class Schedule:
    """How long and how the trials run, and when a trial has succeeded.

    trials: number of independent trials (seeds 0..trials-1 of ``seed``).
    seed: root seed.
    max_sequences: budget per trial in training sequences; a trial that spends it has failed.
    eval_every: updates between log points (and frozen-weight checks, if the problem has them).
    evals_per_chunk: log points per host call (a chunk runs eval_every * evals_per_chunk updates).
    window: the ``window`` most recent training sequences must all be correct (0: no window rule).
      Checked only once ``window`` sequences have been seen (H97 §2.2).
    max_avg_error: ST3(β): also require the mean ``stats["error"]`` over the window to be < β.
    window_max_wrong: the window rule allows this many wrong sequences in the window (0: all correct;
      H97 Exp. 5's "fewer than 13 of the 2000 most recent" is 12).
    gate_eval: run the frozen-weight check only for trials whose last ``eval_every`` training
      sequences were all correct (H97 §2.3's option; the check is skipped, not run and ignored,
      when no trial qualifies, which saves the cost of large test sets).
    milestones: events to record on the way (see :class:`Milestone`).
    fixed_eval: every frozen-weight check of a trial gets the same key, so a check that draws its
      sequences from the key sees one fixed set per trial (H97 spec option ``fixed_test_set``);
      default: a fresh key, so fresh sequences, at every check.
    first_trial: the global id of the first trial: this schedule runs trials first_trial …
      first_trial + trials − 1 (a block of a larger run). Trial i draws every key from the seed
      and i alone, so blocks run anywhere merge into exactly the results of one run.
    """

    trials: int
    seed: int = 0
    max_sequences: int = 5_000_000
    eval_every: int = 100
    evals_per_chunk: int = 50
    window: int = 0
    max_avg_error: float | None = None
    window_max_wrong: int = 0
    gate_eval: bool = False
    milestones: tuple[Milestone, ...] = ()
    fixed_eval: bool = False
    first_trial: int = 0

    @property
    def trial_ids(self) -> jax.Array:
        """The global ids of this schedule's trials."""
        return jnp.arange(self.first_trial, self.first_trial + self.trials)

    def __post_init__(self):
        for name in ("trials", "max_sequences", "eval_every", "evals_per_chunk"):
            _positive_int(name, getattr(self, name))
        if not (isinstance(self.first_trial, int) and self.first_trial >= 0):
            raise ValueError(f"first_trial={self.first_trial!r}: must be an integer >= 0")
        if not isinstance(self.window, int) or isinstance(self.window, bool) or self.window < 0:
            raise ValueError(f"window={self.window!r}: must be an integer >= 0")
        if self.max_avg_error is not None:
            if not self.max_avg_error > 0:
                raise ValueError(f"max_avg_error={self.max_avg_error!r}: must be > 0")
            if self.window == 0:
                raise ValueError("max_avg_error is set but window=0: ST3 averages over a window")
        wmw = self.window_max_wrong
        if (
            not isinstance(wmw, int)
            or isinstance(wmw, bool)
            or not 0 <= wmw <= max(self.window - 1, 0)
        ):
            raise ValueError(
                f"window_max_wrong={wmw!r}: must be an integer in [0, window - 1] (window={self.window})"
            )
        names = [m.name for m in self.milestones]
        if len(set(names)) != len(names):
            raise ValueError(f"milestones={names!r}: names must be distinct")
        for m in self.milestones:
            if m.max_wrong is not None and (self.window == 0 or m.max_wrong >= self.window):
                raise ValueError(
                    f"milestone {m.name!r}: max_wrong={m.max_wrong} needs a window > max_wrong "
                    f"(window={self.window})"
                )


def _positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name}={value!r}: must be an integer > 0")


# ----------------------------------------------------------------------------- optimisers


def nan_guard(shrink: Params, threshold: float = 1e10) -> optax.GradientTransformation:
    """P13's non-finite guard (code, not paper; spec §1.4), as an optax transform.

    If the global norm of the incoming gradient is NaN, Inf or > ``threshold``, the gradient becomes
    ``shrink_i · param_i`` for each leaf (``shrink`` is a pytree of floats like the params: 0.02 on
    W_rec and 0 elsewhere gives the authors' rule), so SGD shrinks W_rec by (1 - 0.02·lr).
    """

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("nan_guard needs params")
        norm = optax.tree.norm(updates)
        bad = ~jnp.isfinite(norm) | (norm > threshold)
        guarded = jax.tree.map(lambda s, p: s * p, shrink, params)
        return jax.tree.map(lambda g, r: jnp.where(bad, r, g), updates, guarded), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


OPTIMIZERS = ("sgd", "nesterov", "rmsprop", "adam")


def make_optimizer(
    name: str,
    learning_rate: float,
    *,
    clip_norm: float | None = None,
    guard: optax.GradientTransformation | None = None,
) -> optax.GradientTransformation:
    """``guard`` (optional), global-norm clipping (optional, P13 Algorithm 1), then ``name``.

    sgd: plain SGD, w ← w − lr·g (H97 online SGD with batch 1; P13 MSGD), no momentum.
    nesterov: SGD with Nesterov momentum 0.9 (optax.sgd(lr, 0.9, nesterov=True)).
    rmsprop: optax.rmsprop(lr) (decay 0.9, eps 1e-8).
    adam: optax.adam(lr).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer={name!r}: unknown; known: {list(OPTIMIZERS)}")
    if not (isinstance(learning_rate, int | float) and learning_rate > 0):
        raise ValueError(f"learning_rate={learning_rate!r}: must be a number > 0")
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm={clip_norm!r}: must be > 0 (or None for no clipping)")
    chain = []
    if guard is not None:
        chain.append(guard)
    if clip_norm is not None:
        chain.append(optax.clip_by_global_norm(clip_norm))
    chain.append(
        {
            "sgd": lambda: optax.sgd(learning_rate),
            "nesterov": lambda: optax.sgd(learning_rate, momentum=0.9, nesterov=True),
            "rmsprop": lambda: optax.rmsprop(learning_rate),
            "adam": lambda: optax.adam(learning_rate),
        }[name]()
    )
    return optax.chain(*chain)


# ----------------------------------------------------------------------------- state


@flax.struct.dataclass
class TrainState:
    """The state of one trial (under ``train`` every leaf has a leading trial axis)."""

    params: Params
    opt_state: Any
    seen: jax.Array  # int32: training sequences presented
    updates: jax.Array  # int32: updates made
    solved: jax.Array  # bool: the success criterion was met (the trial stopped)
    solved_at: jax.Array  # int32: sequences presented when it was met; -1 if not
    diverged: jax.Array  # bool: loss, gradient or parameters became non-finite (trial frozen)
    diverged_at: jax.Array  # int32: sequences presented when it diverged; -1 if not
    run_correct: jax.Array  # int32: consecutive correct training sequences, most recent last
    recent_error: jax.Array  # (max(window, 1),) ring buffer of per-sequence errors
    recent_wrong: jax.Array  # (max(window, 1),) bool ring buffer: which of them were wrong
    window_wrong: jax.Array  # int32: how many of the ring's sequences were wrong
    marked_at: jax.Array  # (n milestones,) int32: sequences presented when each was reached; -1
    marked_params: tuple  # the weights when each milestone was reached (one copy per milestone)


def _all_finite(tree) -> jax.Array:
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def _select(pred, new, old):
    return jax.tree.map(lambda a, b: jnp.where(pred, a, b), new, old)


def _trailing_true(x: jax.Array) -> jax.Array:
    """Number of trailing True entries of a 1-D bool array."""
    n = x.shape[0]
    idx = jnp.arange(n)
    last_false = jnp.max(jnp.where(~x, idx, -1))
    return (n - 1 - last_false).astype(jnp.int32)


class Trainer:
    """The jitted chunk of ``train`` and its pieces, built once for a problem, optimiser, schedule.

    ``trace_count`` counts how often the chunk function was traced (a test asserts 1 across chunks
    whose sequence lengths differ).
    """

    def __init__(self, problem: Problem, tx: optax.GradientTransformation, schedule: Schedule):
        self.problem, self.tx, self.schedule = problem, tx, schedule
        self.trace_count = 0
        self._chunk = jax.jit(self._chunk_impl, donate_argnums=0)
        self.any_active = jax.jit(lambda st: jnp.any(jax.vmap(self.active)(st)))

    # -- one trial ---------------------------------------------------------------------------

    def streams(self, trial: jax.Array) -> dict[str, jax.Array]:
        key = jax.random.fold_in(jax.random.key(self.schedule.seed), trial)
        names = ("init", "train", "eval", "test")
        return dict(zip(names, jax.random.split(key, len(names)), strict=True))

    def init_trial(self, trial: jax.Array) -> TrainState:
        params = self.problem.init(self.streams(trial)["init"])
        i32 = lambda v: jnp.asarray(v, jnp.int32)
        return TrainState(
            params=params,
            opt_state=self.tx.init(params),
            seen=i32(0),
            updates=i32(0),
            solved=jnp.asarray(False),
            solved_at=i32(-1),
            diverged=jnp.asarray(False),
            diverged_at=i32(-1),
            run_correct=i32(0),
            recent_error=jnp.zeros((max(self.schedule.window, 1),), jnp.float32),
            recent_wrong=jnp.zeros((max(self.schedule.window, 1),), bool),
            window_wrong=i32(0),
            marked_at=jnp.full((len(self.schedule.milestones),), -1, jnp.int32),
            marked_params=tuple(params for _ in self.schedule.milestones),
        )

    def active(self, st: TrainState) -> jax.Array:
        return ~st.solved & ~st.diverged & (st.seen < self.schedule.max_sequences)

    def _window_ok(self, st: TrainState) -> jax.Array:
        sch = self.schedule
        if sch.window == 0:
            return jnp.asarray(True)
        ok = (st.seen >= sch.window) & (st.window_wrong <= sch.window_max_wrong)
        if sch.max_avg_error is not None:
            ok &= jnp.mean(st.recent_error) < sch.max_avg_error
        return ok

    def _update(self, st: TrainState, keys: dict[str, jax.Array]):
        """One update of one trial: sample, gradient, optimiser step, scores, stopping."""
        sch, prob = self.schedule, self.problem
        active = self.active(st)
        batch = prob.sample(jax.random.fold_in(keys["train"], st.updates))
        loss, stats, grads, params, opt_state = self._step(st, batch)
        finite = jnp.isfinite(loss) & _all_finite(grads) & _all_finite(params)

        correct = jnp.asarray(stats["correct"], bool).reshape(-1)
        n = correct.shape[0]
        seen = st.seen + n
        new = self._count(st, stats, correct).replace(
            params=params, opt_state=opt_state, seen=seen, updates=st.updates + 1
        )
        window_wrong = new.window_wrong
        full = seen >= sch.window
        new = self._mark(
            new,
            {
                m.name: full & (window_wrong <= m.max_wrong)
                for m in sch.milestones
                if m.max_wrong is not None
            },
        )
        if prob.evaluate is None:  # success is judged on the training stream, at every update
            solved = self._window_ok(new) & (sch.window > 0)
            new = new.replace(solved=solved, solved_at=jnp.where(solved, seen, -1))
        # One select over the whole state; a trial that went bad keeps its old weights and only
        # its counters change.
        went_bad = active & ~finite
        out = _select(active & finite, new, st)
        out = out.replace(
            seen=jnp.where(went_bad, seen, out.seen),
            diverged=out.diverged | went_bad,
            diverged_at=jnp.where(went_bad, seen, out.diverged_at),
        )
        metrics = {
            "loss": jnp.where(active, loss, 0.0),
            "grad_norm": jnp.where(active, optax.tree.norm(grads), 0.0),
            "errors": jnp.where(active, jnp.sum(~correct), 0),
            "sequences": jnp.where(active, n, 0),
            "active": active.astype(jnp.int32),
        }
        return out, metrics

    def _step(self, st: TrainState, batch):
        """The loss, its statistics and gradient at ``batch``, and the optimiser's step."""
        prob = self.problem
        if prob.grad is not None:
            (loss, stats), grads = prob.grad(st.params, batch)
        elif prob.step_grad is not None:
            (loss, stats), grads = prob.step_grad(st.params, batch, st.updates)
        else:
            (loss, stats), grads = jax.value_and_grad(prob.loss, has_aux=True)(st.params, batch)
        if isinstance(self.tx, optax.GradientTransformationExtraArgs):
            step, opt_state = self.tx.update(grads, st.opt_state, st.params, value=loss)
        else:
            step, opt_state = self.tx.update(grads, st.opt_state, st.params)
        return loss, stats, grads, optax.apply_updates(st.params, step), opt_state

    def _count(self, st: TrainState, stats: dict, correct: jax.Array) -> TrainState:
        """The run of correct sequences and the ring of recent errors after this update's batch."""
        n, window = correct.shape[0], self.schedule.window
        run = jnp.where(jnp.all(correct), st.run_correct + n, _trailing_true(correct))
        recent, recent_wrong, window_wrong = st.recent_error, st.recent_wrong, st.window_wrong
        if window:
            err = jnp.asarray(stats["error"], jnp.float32).reshape(-1)
            slots = (st.seen + jnp.arange(n)) % window
            recent = recent.at[slots].set(err)
            window_wrong = window_wrong - jnp.sum(recent_wrong[slots]) + jnp.sum(~correct)
            recent_wrong = recent_wrong.at[slots].set(~correct)
        return st.replace(
            run_correct=run.astype(jnp.int32),
            recent_error=recent,
            recent_wrong=recent_wrong,
            window_wrong=window_wrong.astype(jnp.int32),
        )

    def _mark(self, st: TrainState, reached: dict[str, jax.Array]) -> TrainState:
        """Record the milestones in ``reached`` (name -> bool) that are reached for the first time."""
        at, kept = st.marked_at, list(st.marked_params)
        for i, m in enumerate(self.schedule.milestones):
            if m.name not in reached:
                continue
            first = reached[m.name] & (at[i] < 0)
            at = at.at[i].set(jnp.where(first, st.seen, at[i]))
            kept[i] = _select(first, st.params, kept[i])
        return st.replace(marked_at=at, marked_params=tuple(kept))

    def check_key(self, st: TrainState, keys: dict[str, jax.Array]) -> jax.Array:
        """The key of a trial's frozen-weight check now: one per trial (``fixed_eval``) or fresh."""
        if self.schedule.fixed_eval:
            return keys["eval"]
        return jax.random.fold_in(keys["eval"], st.updates)

    def _interval(self, st: TrainState, keys: dict[str, jax.Array]):
        """``eval_every`` updates, then the frozen-weight check; returns the interval's metrics.

        Every trial that was running when the interval began and did not diverge in it is checked,
        also one that has just spent its budget: the last check falls at the end of the budget."""
        was_active = self.active(st)
        st, m = jax.lax.scan(
            lambda s, _: self._update(s, keys), st, None, length=self.schedule.eval_every
        )
        updates = jnp.maximum(jnp.sum(m["active"]), 1)
        out = {
            "train/loss": jnp.sum(m["loss"]) / updates,
            "train/grad_norm": jnp.sum(m["grad_norm"]) / updates,
            "train/error_rate": jnp.sum(m["errors"]) / jnp.maximum(jnp.sum(m["sequences"]), 1),
            "train/updates": jnp.sum(m["active"]),
            "train/sequences": jnp.sum(m["sequences"]),
        }
        if self.problem.evaluate is not None:
            check = was_active & ~st.diverged
            key = self.check_key(st, keys)
            if self.schedule.gate_eval:
                check &= st.run_correct >= self.schedule.eval_every
                # One decision for all trials (a collective over the vmapped trial axis), so the
                # check really is skipped when no trial qualifies.
                any_check = jax.lax.psum(check.astype(jnp.int32), "trials") > 0
                shape = jax.eval_shape(self.problem.evaluate, st.params, key)
                res = jax.lax.cond(
                    any_check,
                    self.problem.evaluate,
                    lambda p, k: jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shape),
                    st.params,
                    key,
                )
            else:
                res = self.problem.evaluate(st.params, key)
            entries = {k: check & jnp.asarray(v, bool) for k, v in res.items()}
            st = self._mark(
                st,
                {m.name: entries[m.entry] for m in self.schedule.milestones if m.entry is not None},
            )
            solved = entries["passed"] & self._window_ok(st)
            st = st.replace(
                solved=st.solved | solved, solved_at=jnp.where(solved, st.seen, st.solved_at)
            )
            for name, value in res.items():
                out[f"eval/{name}"] = jnp.where(check, jnp.asarray(value, jnp.float32), jnp.nan)
        return st, out

    def _chunk_impl(self, state: TrainState, trials: jax.Array):
        self.trace_count += 1  # Python side effect: runs once per trace, not per call

        def one(st, trial):
            keys = self.streams(trial)  # once per trial and chunk, not per update
            return jax.lax.scan(
                lambda s, _: self._interval_unless_all_stopped(s, keys),
                st,
                None,
                length=self.schedule.evals_per_chunk,
            )

        return jax.vmap(one, axis_name="trials")(state, trials)

    def _interval_unless_all_stopped(self, st: TrainState, keys: dict[str, jax.Array]):
        """``_interval``, skipped once no trial is running: the rest of a chunk costs nothing.

        One decision for all trials (a collective over the vmapped trial axis, so a real branch).
        A skipped interval gives what it would have given: every trial's state unchanged (a
        stopped trial's updates are masked and draw nothing) and its metrics with no update in them
        (zero counts, no checks)."""
        running = jax.lax.psum(self.active(st).astype(jnp.int32), "trials") > 0
        shape = jax.eval_shape(lambda s: self._interval(s, keys)[1], st)
        idle = {k: jnp.full(v.shape, jnp.nan if k.startswith("eval/") else 0, v.dtype)
                for k, v in shape.items()}  # fmt: skip
        return jax.lax.cond(running, lambda s: self._interval(s, keys), lambda s: (s, idle), st)

    # -- all trials --------------------------------------------------------------------------

    def init(self, trials: jax.Array) -> TrainState:
        return jax.jit(jax.vmap(self.init_trial))(trials)

    def chunk(self, state: TrainState, trials: jax.Array):
        """Run one chunk for all trials: returns (state, metrics with leaves (trials, evals))."""
        return self._chunk(state, trials)

    def final_test(self, state: TrainState, trials: jax.Array) -> dict:
        if self.problem.test is None:
            return {}

        def one(st, trial):
            key = self.streams(trial)["test"]
            out = self.problem.test(st.params, key)
            for i, m in enumerate(self.schedule.milestones):  # a fresh test set per milestone
                res = self.problem.test(st.marked_params[i], jax.random.fold_in(key, i + 1))
                out.update({f"{m.name}/{k}": v for k, v in res.items()})
            return out

        test = jax.jit(jax.vmap(one)).lower(state, trials)
        return test.compile(compiler_options=RUN_ONCE)(state, trials)


# XLA:CPU options for a program that runs once (the final test): LLVM without its optimisation
# passes and without the fusion emitters compiles it about 4x faster, and the slower code costs
# less than that once (an S2 final test: 4.3 s to compile and 0.5 s to run, against 0.9 s and 1.1 s).
RUN_ONCE = {
    "xla_backend_optimization_level": 0,
    "xla_llvm_disable_expensive_passes": True,
    "xla_cpu_use_fusion_emitters": False,
}


# ----------------------------------------------------------------------------- sharding


def _mesh_for(n_trials: int) -> jax.sharding.Mesh:
    """A 1-D mesh over as many devices as evenly divide the trials (all of them if possible)."""
    devices = jax.devices()
    n = max(d for d in range(1, len(devices) + 1) if n_trials % d == 0)
    return jax.sharding.Mesh(np.array(devices[:n]), ("trials",))


def _shard(tree, mesh: jax.sharding.Mesh):
    spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("trials"))
    return jax.device_put(tree, spec)


# ----------------------------------------------------------------------------- checkpoints


def _save_checkpoint(
    run_dir: Path, state: TrainState, chunks: int, lines: int, wall_s: float
) -> None:
    leaves = jax.tree_util.tree_leaves(state)
    results_lib.atomic_write_npz(
        run_dir / "checkpoint.npz",
        **{f"leaf_{i}": np.asarray(x) for i, x in enumerate(leaves)},
        chunks=np.asarray(chunks),
        lines=np.asarray(lines),
        wall_s=np.asarray(wall_s),  # training time of every session so far
    )


def _load_checkpoint(run_dir: Path, like: TrainState):
    path = run_dir / "checkpoint.npz"
    if not path.exists():
        return None
    with np.load(path) as data:
        leaves, treedef = jax.tree_util.tree_flatten(like)
        loaded = [data[f"leaf_{i}"] for i in range(len(leaves))]
        for a, b in zip(loaded, leaves, strict=True):
            if a.shape != b.shape or a.dtype != b.dtype:
                raise ValueError(f"{path}: checkpoint does not match this run's state")
        return (
            jax.tree_util.tree_unflatten(treedef, loaded),
            int(data["chunks"]),
            int(data["lines"]),
            float(data["wall_s"]) if "wall_s" in data else 0.0,
        )


def _keep_lines(path: Path, n: int) -> None:
    """Truncate ``path`` to its first ``n`` complete lines (metrics written after the checkpoint)."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines[:n] if line.endswith("\n")]
    results_lib.atomic_write(path, "".join(kept).encode())


# ----------------------------------------------------------------------------- driver


def _fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def _per_trial(metrics: dict, j: int) -> dict:
    """Log point ``j`` of a chunk's metrics as JSON-able per-trial lists."""
    return {
        name: [None if not math.isfinite(v) else v for v in np.asarray(m[:, j], float).tolist()]
        for name, m in metrics.items()
    }


def summarize(state: TrainState, schedule: Schedule) -> dict:
    """Per-trial outcome arrays and summary numbers of a finished (or stopped) set of trials."""
    solved = np.asarray(state.solved)
    solved_at = np.asarray(state.solved_at)
    diverged = np.asarray(state.diverged)
    marked = np.asarray(state.marked_at)
    block = {"first_trial": schedule.first_trial} if schedule.first_trial else {}
    return {
        **block,
        "milestones": {
            m.name: {"at": marked[:, i].tolist(), "reached": (marked[:, i] >= 0).tolist()}
            for i, m in enumerate(schedule.milestones)
        },
        "trials": schedule.trials,
        "solved": solved.tolist(),
        "solved_at": solved_at.tolist(),
        "diverged": diverged.tolist(),
        "diverged_at": np.asarray(state.diverged_at).tolist(),
        "sequences_seen": np.asarray(state.seen).tolist(),
        **_counts(solved, solved_at, diverged),
    }


def _counts(solved, solved_at, diverged) -> dict:
    """The summary numbers of per-trial outcomes: how many solved and diverged, and the times of
    the solved trials."""
    solved = np.asarray(solved, bool)
    at = np.asarray(solved_at)[solved].astype(float)
    return {
        "n_solved": int(solved.sum()),
        "n_diverged": int(np.asarray(diverged, bool).sum()),
        "success_after": {
            "mean": float(at.mean()) if at.size else None,
            "median": float(np.median(at)) if at.size else None,
            "min": float(at.min()) if at.size else None,
            "max": float(at.max()) if at.size else None,
        },
    }


def concatenate(parts: list[dict]) -> dict:
    """The results of several sets of trials as one set (the blocks of one run, in order, or the
    parts of a row trained apart): every per-trial list, at any depth (one entry per trial), joined
    in order; the trial count, the summary numbers and the wall time recomputed; ``finished`` only
    if every part is. Anything else is the first part's."""
    if len(parts) == 1:
        return parts[0]

    def join(values: list, trials: list[int]):
        first = values[0]
        if isinstance(first, dict):
            return {k: join([v[k] for v in values], trials) for k in first}
        if isinstance(first, list) and all(
            len(v) == n for v, n in zip(values, trials, strict=True)
        ):
            return [x for v in values for x in v]
        return first

    trials = [p["trials"] for p in parts]
    out = {
        k: v if k == "provenance" else join([p[k] for p in parts], trials)
        for k, v in parts[0].items()
    }
    out["trials"] = sum(trials)
    out.update(_counts(out["solved"], out["solved_at"], out["diverged"]))
    out["wall_time_s"] = sum(p["wall_time_s"] for p in parts)
    out["finished"] = all(p["finished"] for p in parts)
    return out


def load_state(
    run_dir: str | Path, problem: Problem, tx: optax.GradientTransformation, schedule: Schedule
) -> TrainState:
    """The state of every trial saved in ``run_dir``'s last checkpoint (leading trial axis): e.g.
    the trained weights, ``load_state(...).params``, for analysis after ``train``."""
    trainer = Trainer(problem, tx, schedule)
    like = trainer.init(schedule.trial_ids)
    loaded = _load_checkpoint(Path(run_dir), like)
    if loaded is None:
        raise ValueError(f"{run_dir}: no checkpoint.npz (run train() there first)")
    return loaded[0]


def progress_of(
    run_dir: str | Path, problem: Problem, tx: optax.GradientTransformation, schedule: Schedule
) -> dict:
    """The results of an unfinished run as they stand at its last checkpoint (``"finished": False``):
    the per-trial outcomes so far and the final test on the current weights. Reads only (no lock:
    the run may be training in another process), so a table can report a run that spans sessions.
    """
    state = load_state(run_dir, problem, tx, schedule)
    out = summarize(state, schedule)
    test = Trainer(problem, tx, schedule).final_test(state, schedule.trial_ids)
    out["test"] = {k: np.asarray(v).tolist() for k, v in jax.device_get(test).items()}
    out["finished"] = False
    return out


def continue_training(
    problem: Problem,
    tx: optax.GradientTransformation,
    schedule: Schedule,
    state: TrainState,
    *,
    intervals: int,
    every: int,
    evaluate: Callable[[Params, jax.Array], dict] | None = None,
) -> tuple[TrainState, dict]:
    """Train every trial of ``state`` (e.g. ``load_state`` of a finished run) ``intervals × every``
    more sequences with no stopping rule, and check it after each ``every``: does a stopped
    solution survive further training, or does a floor stay a floor?

    Each trial continues its own training stream where it stopped (the update counter goes on);
    the checks use ``evaluate`` (default ``problem.evaluate``) with the schedule's check keys (one
    fixed set per trial under ``fixed_eval``, else fresh). A trial that diverged stays frozen and
    its checks are NaN. Returns the final state (no milestones) and the checks' scalars with leaves
    (trials, intervals), plus ``"seen"``: sequences presented at each check.
    """
    _positive_int("intervals", intervals)
    _positive_int("every", every)
    evaluate = evaluate or problem.evaluate
    if evaluate is None:
        raise ValueError("continue_training: the problem has no evaluate and none was given")
    sch = dataclasses.replace(
        schedule,
        max_sequences=np.iinfo(np.int32).max,
        eval_every=every,
        evals_per_chunk=intervals,
        window=0,
        max_avg_error=None,
        window_max_wrong=0,
        milestones=(),
        gate_eval=False,
    )
    trainer = Trainer(dataclasses.replace(problem, evaluate=None, test=None), tx, sch)
    trials = schedule.trial_ids
    start = trainer.init(trials).replace(
        params=state.params,
        opt_state=state.opt_state,
        seen=state.seen,
        updates=state.updates,
        diverged=state.diverged,
        diverged_at=state.diverged_at,
    )

    def one(st, trial):
        keys = trainer.streams(trial)

        def interval(s, _):
            s, _ = trainer._interval(s, keys)  # no check in there: its problem has none
            res = evaluate(s.params, trainer.check_key(s, keys))
            res = {
                k: jnp.where(s.diverged, jnp.nan, jnp.asarray(v, jnp.float32))
                for k, v in res.items()
            }
            return s, {**res, "seen": s.seen}

        return jax.lax.scan(interval, st, None, length=intervals)

    return jax.jit(jax.vmap(one))(start, trials)


def train(
    problem: Problem,
    tx: optax.GradientTransformation,
    schedule: Schedule,
    *,
    run_dir: str | Path | None = None,
    config: dict | None = None,
    progress: Callable[[str], None] | None = None,
    max_chunks: int | None = None,
) -> dict:
    """Train ``schedule.trials`` trials of ``problem`` with ``tx`` until every trial has stopped.

    Args:
      problem, tx, schedule: what to train, the optax optimiser, and the schedule and stopping rule.
      run_dir: if given, write ``config.json`` (``config``), ``metrics.jsonl`` (one line per log point,
        per-trial lists), ``checkpoint.npz`` after every chunk, and ``results.json`` with provenance
        at the end. A run directory with a checkpoint for the same config resumes from it; one with
        finished results for the same config is returned as is.
      config: the JSON-able configuration recorded in ``config.json`` (compared on resume).
      progress: called with one line per chunk (updates/s, trials solved, ETA); default: logging.
      max_chunks: stop after this many chunks in this call (for tests and time-boxed runs); the
        results then say ``"finished": false`` and a later call resumes.

    Returns:
      The results dict: per-trial ``solved``, ``solved_at`` (sequences until success, -1 if not),
      ``diverged``, ``diverged_at``, ``sequences_seen``, the final ``test`` metrics (per trial), a
      ``success_after`` summary, ``wall_time_s``, ``updates_per_s`` and ``finished``.
    """
    progress = progress or log.info
    config = {} if config is None else config
    if run_dir is None:
        return _train(problem, tx, schedule, None, config, progress, max_chunks)
    with results_lib.locked(run_dir):  # a second run on this directory fails at once
        return _train(problem, tx, schedule, Path(run_dir), config, progress, max_chunks)


def _train(problem, tx, schedule, run_dir, config, progress, max_chunks) -> dict:
    if run_dir is not None:
        if results_lib.is_complete(run_dir, config):
            return results_lib.load_json(run_dir / "results.json")
        cfg_path = run_dir / "config.json"
        if cfg_path.exists() and results_lib.load_json(cfg_path) != results_lib.jsonable(config):
            raise ValueError(f"{run_dir}: holds a run of another config; choose another run_dir")
        results_lib.atomic_write_json(cfg_path, config)

    trainer = Trainer(problem, tx, schedule)
    mesh = _mesh_for(schedule.trials)
    trials = _shard(schedule.trial_ids, mesh)
    with heartbeat(progress, "initialising the trials"):  # instant, unless XLA's CPU runtime stalls
        state = trainer.init(trials)
    chunks_done, lines, wall_before = 0, 0, 0.0
    if run_dir is not None:
        loaded = _load_checkpoint(run_dir, state)
        if loaded is not None:
            state, chunks_done, lines, wall_before = loaded
            progress(f"resuming {run_dir} after chunk {chunks_done}")
        _keep_lines(run_dir / "metrics.jsonl", lines)
    state = _shard(state, mesh)

    t_start, calls, n_updates_total = time.perf_counter(), 0, 0
    if bool(trainer.any_active(state)) and max_chunks != 0:
        # Compile before the first chunk (the jit call below reuses it), so that the first
        # chunk's rate and ETA do not include the compilation.
        progress("compiling the training chunk…")
        with heartbeat(progress, "compiling"):
            trainer._chunk.lower(state, trials).compile()
        progress(f"compiled in {time.perf_counter() - t_start:.1f} s")
    while bool(trainer.any_active(state)):
        if max_chunks is not None and calls >= max_chunks:
            break
        t0 = time.perf_counter()
        with heartbeat(progress, f"chunk {chunks_done + 1}"):
            state, metrics = trainer.chunk(state, trials)
            metrics = jax.device_get(metrics)
        dt = time.perf_counter() - t0
        chunks_done, calls = chunks_done + 1, calls + 1
        if run_dir is not None:
            lines += _write_chunk(run_dir, schedule, metrics, chunks_done)
            _save_checkpoint(
                run_dir, state, chunks_done, lines, wall_before + time.perf_counter() - t_start
            )
        n_updates = int(np.sum(metrics["train/updates"]))
        n_updates_total += n_updates
        progress(_progress_line(state, schedule, metrics, chunks_done, n_updates, dt))
    session = time.perf_counter() - t_start
    out = _results(trainer, state, trials, progress)
    out["wall_time_s"] = wall_before + session  # every session of this run
    out["updates_per_s"] = n_updates_total / session if session > 0 else None  # this session
    out["chunks"] = chunks_done
    if run_dir is not None and out["finished"]:
        results_lib.write_run(run_dir, config, out, wall_time_s=out["wall_time_s"])
    return out


def _results(trainer: Trainer, state: TrainState, trials: jax.Array, progress) -> dict:
    """The outcome of every trial, its final test and whether all have stopped."""
    out = summarize(state, trainer.schedule)
    with heartbeat(progress, "the final test"):
        test = jax.device_get(trainer.final_test(state, trials))
    out["test"] = {k: np.asarray(v).tolist() for k, v in test.items()}
    out["finished"] = not bool(trainer.any_active(state))
    out["trace_count"] = trainer.trace_count
    return out


# Seconds between the lines a long step prints while it runs, and after which a step with no
# end in sight says how to get out of a stall of XLA's CPU runtime.
HEARTBEAT_S = 10.0
STALL_S = 600.0


@contextlib.contextmanager
def heartbeat(progress: Callable[[str], None], what: str, every: float = HEARTBEAT_S):
    """While the block runs, ``progress`` hears ``what`` is still running every ``every`` seconds,
    so no wait is silent; after ``STALL_S`` the line says how to get out of a stall."""
    done, t0 = threading.Event(), time.perf_counter()

    def beat():
        while not done.wait(every):
            elapsed = time.perf_counter() - t0
            hint = (
                "; no end after 10 min: if the CPU is idle, XLA's CPU runtime may have "
                "stalled (README, 'Known problem'): stop it and run it again, it resumes"
                if elapsed > STALL_S
                else ""
            )
            progress(f"{what}: still running, {_fmt_time(elapsed)}{hint}")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _write_chunk(run_dir, schedule: Schedule, metrics: dict, chunk: int) -> int:
    """Append a chunk's log points to metrics.jsonl, one line each; returns how many."""
    rows = [
        json.dumps({"chunk": chunk, "point": j, **_per_trial(metrics, j)}, allow_nan=False)
        for j in range(schedule.evals_per_chunk)
    ]
    with open(run_dir / "metrics.jsonl", "a") as fh:
        fh.write("\n".join(rows) + "\n")
    return len(rows)


def _progress_line(state, schedule: Schedule, metrics: dict, chunk: int, n_updates: int, dt) -> str:
    """What a finished chunk prints: rate, trials solved and diverged, sequences, an ETA bound."""
    seq_rate = float(np.max(np.sum(metrics["train/sequences"], axis=1))) / dt  # per trial
    seen = np.asarray(state.seen)
    running = ~np.asarray(state.solved) & ~np.asarray(state.diverged)
    if running.any():
        left = schedule.max_sequences - seen[running].min()
        eta = f"ETA ≤ {_fmt_time(left / seq_rate if seq_rate > 0 else math.inf)} (budget)"
    else:
        eta = "every trial has stopped"
    return (
        f"chunk {chunk}: {n_updates / dt:,.0f} updates/s (all trials), "
        f"solved {int(np.sum(state.solved))}/{schedule.trials}, "
        f"diverged {int(np.sum(state.diverged))}, sequences {int(seen.max()):,}, {eta}"
    )
