"""Task generators of Pascanu, Mikolov & Bengio (2013), following the authors' code (tasks ``p13_*``).

These differ from Hochreiter & Schmidhuber's tasks of similar names (``h97_*``): e.g. the temporal
order task has no start or end markers, and addition has markers in {0, 1} and target (a + b) / 2.
Positions are 0-based, as in the code. U{a..b} is a uniform integer in the inclusive range.

All sequences of a minibatch share one length (the code draws one per minibatch). ``L`` may be a
traced integer when ``max_len`` (a static bucket) is given, so a training loop that draws a new
length per update (P13 draws 50-200) pads to the bucket and never recompiles.

References:
  R. Pascanu, T. Mikolov, Y. Bengio. On the difficulty of training RNNs. ICML 2013. §4.
  The authors' code, pascanur/trainingRNNs: tempOrder.py, tempOrder3bit.py, addition.py,
  multiplication.py, permutation.py, memorization.py.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from repro.tasks.batch import Batch

__all__ = [
    "TASKS",
    "addition",
    "memorization",
    "multiplication",
    "random_permutation",
    "temporal_order",
]


def _check(name: str, value, low: int, why: str = "") -> None:
    if isinstance(value, jax.Array):
        return  # traced: checked by the caller's static bucket
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}={value!r}: must be an integer >= {low}{why}")


def _bucket(L, max_len, extra: int = 0) -> int:
    """The static padded length: ``max_len`` if given, else L + extra (L must then be static)."""
    if max_len is None:
        if not isinstance(L, int):
            raise ValueError("max_len: required when L is traced (pass the static bucket)")
        return L + extra
    _check("max_len", max_len, 1)
    if isinstance(L, int) and L + extra > max_len:
        raise ValueError(f"max_len={max_len}: shorter than the sequences (L={L} needs {L + extra})")
    return max_len


def _last_step_mask(length, batch: int, L_max: int) -> jax.Array:
    return jnp.broadcast_to(jnp.arange(L_max) == length - 1, (batch, L_max)).astype(jnp.float32)


def _valid(length, L_max: int) -> jax.Array:
    return (jnp.arange(L_max) < length)[None, :]


def temporal_order(key, batch: int, L, *, bits: int = 2, max_len: int | None = None) -> Batch:
    """P13 temporal order (claim P13-F7) and its 3-bit variant (P13-S2).

    Symbols one-hot over 6: 0 = A, 1 = B, 2-5 distractors. Length exactly L (>= 10). Every
    position holds a uniform distractor; then v_j in {0, 1} (A or B) is written at p_j =
    ⌊f_j L⌋ + U{0..⌊0.1L⌋-1} with f = (0.1, 0.5) for 2 bits, (0.1, 0.3, 0.6) for 3 bits.
    Target at the last step: class Σ_j 2^j v_j, one-hot over 2^bits (lastSoftmax).
    """
    _check("batch", batch, 1)
    _check("L", L, 10, " (positions are drawn from ranges of width ⌊0.1 L⌋)")
    if bits not in (2, 3):
        raise ValueError(f"bits={bits!r}: must be 2 or 3")
    L_max = _bucket(L, max_len)
    fractions = (1, 5) if bits == 2 else (1, 3, 6)  # tenths of L
    keys = jax.random.split(key, 1 + 2 * bits)
    sym = jax.random.randint(keys[0], (batch, L_max), 2, 6)
    pos = jnp.arange(L_max)[None, :]
    cls = jnp.zeros((batch,), jnp.int32)
    for j, tenth in enumerate(fractions):
        p = (tenth * L) // 10 + jax.random.randint(keys[1 + 2 * j], (batch,), 0, L // 10)
        v = jax.random.randint(keys[2 + 2 * j], (batch,), 0, 2)
        sym = jnp.where(pos == p[:, None], v[:, None], sym)
        cls = cls + (2**j) * v
    length = jnp.full((batch,), L, jnp.int32)
    inputs = jax.nn.one_hot(sym, 6) * _valid(L, L_max)[..., None]
    mask = _last_step_mask(L, batch, L_max)
    targets = jax.nn.one_hot(cls, 2**bits)[:, None, :] * mask[..., None]
    return Batch(inputs, targets, mask, length, {"class": cls})


def _marked_pair(key, batch: int, L, max_len, combine):
    _check("batch", batch, 1)
    _check("L", L, 10, " (the first marker is drawn from {0..⌊0.1 l⌋-1})")
    L_max = _bucket(L, max_len, extra=(L // 10 - 1) if isinstance(L, int) else 0)
    k_len, k_val, k_p0, k_p1 = jax.random.split(key, 4)
    length = L + jax.random.randint(k_len, (), 0, L // 10)  # one l per minibatch
    values = jax.random.uniform(k_val, (batch, L_max))  # U[0, 1)
    p0 = jax.random.randint(k_p0, (batch,), 0, length // 10)
    p1 = length // 10 + jax.random.randint(k_p1, (batch,), 0, (4 * length) // 10)
    pos = jnp.arange(L_max)[None, :]
    marker = ((pos == p0[:, None]) | (pos == p1[:, None])).astype(jnp.float32)
    valid = _valid(length, L_max)
    values = jnp.where(valid, values, 0.0)
    inputs = jnp.stack([marker, values], axis=-1)  # channel 0 marker, channel 1 value (code)
    a = jnp.take_along_axis(values, p0[:, None], axis=1)[:, 0]
    b = jnp.take_along_axis(values, p1[:, None], axis=1)[:, 0]
    mask = _last_step_mask(length, batch, L_max)
    targets = (mask * combine(a, b)[:, None])[..., None]
    lengths = jnp.full((batch,), length, jnp.int32)
    return Batch(inputs, targets, mask, lengths, {"p0": p0, "p1": p1})


def addition(key, batch: int, L, *, max_len: int | None = None) -> Batch:
    """P13 addition (claims P13-S2, S3), the code's ``addition.py``.

    l = L + U{0..⌊0.1L⌋-1}, one per minibatch. Channel 1: values U[0, 1). Channel 0: marker 1.0 at
    p0 = U{0..⌊0.1 l⌋-1} and p1 = ⌊0.1 l⌋ + U{0..⌊0.4 l⌋-1}, 0 elsewhere. Target at the last step
    (lastLinear): (v[p0] + v[p1]) / 2. Misclassified when the squared error exceeds 0.04.
    """
    return _marked_pair(key, batch, L, max_len, lambda a, b: (a + b) / 2)


def multiplication(key, batch: int, L, *, max_len: int | None = None) -> Batch:
    """P13 multiplication: as ``addition`` with target v[p0] · v[p1]."""
    return _marked_pair(key, batch, L, max_len, lambda a, b: a * b)


def random_permutation(key, batch: int, L, *, max_len: int | None = None) -> Batch:
    """P13 random permutation (claim P13-S2), the code's ``permutation.py``.

    L+1 symbols uniform over {2..99}; a bit c in {0, 1} is put at positions 0 and L. The input is
    positions 0..L-1 (one-hot over 100); the target, at the last input step, is c (lastSoftmax).
    """
    _check("batch", batch, 1)
    _check("L", L, 1)
    L_max = _bucket(L, max_len)
    k_sym, k_bit = jax.random.split(key)
    sym = jax.random.randint(k_sym, (batch, L_max), 2, 100)
    c = jax.random.randint(k_bit, (batch,), 0, 2)
    sym = sym.at[:, 0].set(c)
    inputs = jax.nn.one_hot(sym, 100) * _valid(L, L_max)[..., None]
    mask = _last_step_mask(L, batch, L_max)
    targets = jax.nn.one_hot(c, 100)[:, None, :] * mask[..., None]
    return Batch(inputs, targets, mask, jnp.full((batch,), L, jnp.int32), {"class": c})


def memorization(
    key, batch: int, L, *, K: int = 5, P: int = 10, max_len: int | None = None
) -> Batch:
    """P13 noiseless memorisation (claim P13-S2), the code's ``memorization.py``.

    Total length L + 2P; one-hot over K+2 inputs (digits 0..K-1, blank K, go K+1) and K+1 outputs.
    Steps 0..P-1: the pattern, digits i.i.d. uniform over {0..K-1}. Steps P..end: blank, except step
    L+P, which is "go". Targets (softmax at every step): blank at steps 0..L+P-1, pattern digit i at
    step L+P+i. A sequence is wrong if any step's argmax is wrong. Variants: K = 5, P = 10
    (> 20 bits, the default) and K = 2, P = 5 (5 bits).
    """
    _check("batch", batch, 1)
    _check("L", L, 1)
    _check("K", K, 2)
    _check("P", P, 1)
    L_max = _bucket(L, max_len, extra=2 * P)
    total = L + 2 * P
    pattern = jax.random.randint(key, (batch, P), 0, K)
    pos = jnp.arange(L_max)[None, :]
    pattern_padded = jnp.pad(pattern, ((0, 0), (0, L_max - P)))
    sym = jnp.where(pos < P, pattern_padded, jnp.where(pos == L + P, K + 1, K))
    valid = _valid(total, L_max)
    inputs = jax.nn.one_hot(sym, K + 2) * valid[..., None]
    recall_idx = jnp.broadcast_to(jnp.clip(pos - (L + P), 0, P - 1), (batch, L_max))
    recall = jnp.take_along_axis(pattern, recall_idx, axis=1)
    target = jnp.where(pos >= L + P, recall, K)
    mask = jnp.broadcast_to(valid, (batch, L_max)).astype(jnp.float32)
    targets = jax.nn.one_hot(target, K + 1) * mask[..., None]
    return Batch(inputs, targets, mask, jnp.full((batch,), total, jnp.int32), {"pattern": pattern})


def _named(fn, **fixed):
    def sample(key, batch, L, **cfg):
        return fn(key, batch, L, **fixed, **cfg)

    sample.__doc__ = fn.__doc__
    return sample


TASKS = {
    "p13_temporal_order": _named(temporal_order, bits=2),
    "p13_temporal_order_3bit": _named(temporal_order, bits=3),
    "p13_addition": addition,
    "p13_multiplication": multiplication,
    "p13_random_permutation": random_permutation,
    "p13_memorization": memorization,
}
