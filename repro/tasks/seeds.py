"""Task generators of the practitioners' questions (``seeds.md``, tasks ``s_*``), pure JAX.

  s_recall          copy/recall (S2): a symbol stream with one marked step anywhere; at the last
                    step output the marked symbol. The lag is how far back the marked step lies.
  s_adding          the adding problem (S2) as P13 draws it (markers at p0 < ⌊L/10⌋ and
                    ⌊L/10⌋ ≤ p1 < ⌊L/2⌋, target (v[p0] + v[p1]) / 2) at a fixed length L, so every
                    sequence of a length shares its last step (P13 adds up to L/10 steps).
  s_delayed_recall  delayed recall (S3): y_t = u_{t−k} with u_t = ±1, scored at the last step
                    t = k, so one value must survive k steps of equally strong inputs.

Positions are 0-based; U{a..b} is a uniform integer in the inclusive range. Every sequence of a
batch has the nominal length (no padding), so ``mask`` is 1 only at the last step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from repro.tasks import Batch

__all__ = ["TASKS", "adding", "delayed_recall", "recall"]


def _int(name: str, value, low: int, why: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}={value!r}: must be an integer >= {low}{why}")


def _last_mask(batch: int, L: int) -> jax.Array:
    return jnp.zeros((batch, L)).at[:, -1].set(1.0)


def recall(
    key, batch: int, L: int, *, symbols: int = 4, first: int = 0, last: int | None = None
) -> Batch:
    """Copy/recall: inputs (B, L, symbols + 1), one-hot symbols U{0..symbols−1} at every step and a
    marker (channel ``symbols``) at one position p = U{first..last−1}; target at step L − 1: the
    one-hot symbol at p (last-step softmax). The lag L − 1 − p is the distance the symbol must be
    carried. Default window: the whole sequence (lags 0..L−1, uniformly), so accuracy against lag
    shows a bias toward recent inputs; ``last = ⌊L/10⌋`` makes every lag at least 0.9 L.
    """
    _int("batch", batch, 1)
    _int("L", L, 1)
    _int("symbols", symbols, 2)
    last = L if last is None else last
    _int("first", first, 0)
    if not (isinstance(last, int) and first < last <= L):
        raise ValueError(f"first={first!r}, last={last!r}: need 0 <= first < last <= L={L}")
    k_sym, k_pos = jax.random.split(key)
    sym = jax.random.randint(k_sym, (batch, L), 0, symbols)
    p = jax.random.randint(k_pos, (batch,), first, last)
    marker = (jnp.arange(L)[None, :] == p[:, None]).astype(jnp.float32)
    inputs = jnp.concatenate([jax.nn.one_hot(sym, symbols), marker[..., None]], axis=-1)
    target = jax.nn.one_hot(jnp.take_along_axis(sym, p[:, None], axis=1)[:, 0], symbols)
    mask = _last_mask(batch, L)
    targets = mask[..., None] * target[:, None, :]
    return Batch(inputs, targets, mask, jnp.full((batch,), L, jnp.int32), {"p": p})


def adding(key, batch: int, L: int) -> Batch:
    """The adding problem at a fixed length L >= 10: inputs (B, L, 2), channel 0 a marker (1.0 at
    p0 = U{0..⌊L/10⌋−1} and p1 = ⌊L/10⌋ + U{0..⌊4L/10⌋−1}), channel 1 values U[0, 1); target at
    step L − 1: (v[p0] + v[p1]) / 2 (score it with ``problems.last_linear(0.04)``, P13's rule)."""
    _int("batch", batch, 1)
    _int("L", L, 10, " (the first marker is drawn from {0..⌊L/10⌋-1})")
    k_val, k0, k1 = jax.random.split(key, 3)
    values = jax.random.uniform(k_val, (batch, L))
    p0 = jax.random.randint(k0, (batch,), 0, L // 10)
    p1 = L // 10 + jax.random.randint(k1, (batch,), 0, (4 * L) // 10)
    pos = jnp.arange(L)[None, :]
    marker = ((pos == p0[:, None]) | (pos == p1[:, None])).astype(jnp.float32)
    pick = lambda p: jnp.take_along_axis(values, p[:, None], axis=1)[:, 0]
    mask = _last_mask(batch, L)
    targets = (mask * ((pick(p0) + pick(p1)) / 2)[:, None])[..., None]
    inputs = jnp.stack([marker, values], axis=-1)
    return Batch(inputs, targets, mask, jnp.full((batch,), L, jnp.int32), {"p0": p0, "p1": p1})


def delayed_recall(key, batch: int, k: int) -> Batch:
    """Delayed recall at lag k: inputs u_t = ±1 (equally likely, independent), t = 0..k, one
    channel; target y_k = u_0 (a linear output, scored at the last step only)."""
    _int("batch", batch, 1)
    _int("k", k, 1)
    u = jnp.where(jax.random.bernoulli(key, 0.5, (batch, k + 1)), 1.0, -1.0)
    mask = _last_mask(batch, k + 1)
    targets = (mask * u[:, :1])[..., None]
    return Batch(u[..., None], targets, mask, jnp.full((batch,), k + 1, jnp.int32))


TASKS = {"s_recall": recall, "s_adding": adding, "s_delayed_recall": delayed_recall}
