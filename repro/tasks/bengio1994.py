"""Task generators of Bengio, Simard & Frasconi (1994) and Bengio & Frasconi (1993) (tasks ``b94_*``).

Time is 1-based as in the papers; every sequence has one input and one output per step and a target
only at its last step. "Length uniform between T/2 and T" is an integer ℓ drawn uniformly from
{⌈T/2⌉, ..., T} per sequence (spec Decision); the batch is padded to T, masked, and its inputs are
zero after ℓ. "Uniform in [a, b]" is continuous. Class k = 1 has target +target, class 0 -target.

Trainable inputs (the h_t^k of the minimal task, the u_k of the latch) are not data: the generator
puts 0 at those steps and the model adds the class's parameters there, using ``extra["label"]``.

The training sets of the comparative protocol (spec §2.4: 20 sequences, 10 per class, drawn once
per trial) are one call with ``batch=20`` and ``balanced=True``; parity has i.i.d. bits and no
balance. The Fig. 2 training set (50 per class) is ``minimal(key, 100)``.

Noise scales (``s``, ``noise``) may be scalar JAX arrays, e.g. traced under ``jax.vmap`` over the
Fig. 2(a) grid; array values are not range-checked. Every other argument is static and checked
before any tracing. Claim ids refer to ../shared/papers/bengio1994.md.

References:
  Y. Bengio, P. Simard, P. Frasconi. Learning long-term dependencies with gradient descent is
  difficult. IEEE Trans. Neural Networks 5(2):157-166, 1994. §II, §III, §V.
  Y. Bengio, P. Frasconi. Credit assignment through time: alternatives to backpropagation. NIPS 6,
  1993. §7.
"""

from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp

from repro.tasks.batch import Batch

__all__ = ["TASKS", "latch", "minimal", "parity", "two_sequence", "two_sequence_keys"]


# ----------------------------------------------------------------------------- validation


def _int_at_least(name: str, value, low: int, why: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}={value!r}: must be an integer >= {low}{why}")


def _flag(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name}={value!r}: must be True or False")


def _batch_size(batch, balanced: bool) -> None:
    _int_at_least("batch", batch, 1)
    _flag("balanced", balanced)
    if balanced and batch % 2:
        raise ValueError(f"batch={batch!r}: must be even when balanced=True (half per class)")


def _max_length(T, low: int = 2, why: str = "") -> None:
    _int_at_least("T", T, low, why or " (lengths are drawn from {⌈T/2⌉..T}, so T = 1 cannot vary)")


def _noise_scale(name: str, value) -> None:
    """A noise scale: a finite real >= 0, or a scalar JAX array (unchecked, e.g. traced)."""
    if isinstance(value, jax.Array):
        if value.ndim != 0:
            raise ValueError(f"{name}: must be a scalar, got an array of shape {value.shape}")
        return
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name}={value!r}: must be a finite real number >= 0")


def _target(value) -> None:
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 < value <= 1
    ):
        raise ValueError(f"target={value!r}: must be a real number in (0, 1] (tanh output ±target)")


# ----------------------------------------------------------------------------- shared pieces


def _labels(key, batch: int, balanced: bool) -> jax.Array:
    """(B,) int32 classes: exactly B/2 of each in random order if balanced, else Bernoulli(0.5)."""
    if balanced:
        half = jnp.repeat(jnp.arange(2, dtype=jnp.int32), batch // 2)
        return jax.random.permutation(key, half)
    return jax.random.bernoulli(key, 0.5, (batch,)).astype(jnp.int32)


def _lengths(key, batch: int, T: int) -> jax.Array:
    """ℓ uniform in {⌈T/2⌉, ..., T} (spec §0 Decision)."""
    return jax.random.randint(key, (batch,), (T + 1) // 2, T + 1).astype(jnp.int32)


def _positions(T: int) -> jax.Array:
    return jnp.arange(1, T + 1)[None, :]  # (1, T), 1-based


def _uniform_noise(key, shape, noise) -> jax.Array:
    """Uniform in [-noise, noise]."""
    return jnp.asarray(noise, jnp.float32) * jax.random.uniform(key, shape, minval=-1.0, maxval=1.0)


def _end_target_batch(x, lengths, labels, target: float, T: int, extra: dict) -> Batch:
    """Zero x after each ℓ; target ±target at step ℓ only."""
    pos = _positions(T)
    x = jnp.where(pos <= lengths[:, None], x, 0.0)
    mask = (pos == lengths[:, None]).astype(jnp.float32)
    d = jnp.where(labels == 1, target, -target).astype(jnp.float32)
    targets = jnp.where(mask == 1, d[:, None], 0.0)
    return Batch(x[..., None], targets[..., None], mask, lengths, extra)


# ----------------------------------------------------------------------------- the tasks


def minimal(
    key,
    batch: int,
    T: int = 20,
    *,
    L: int = 3,
    s=0.2,
    noise_param: str = "variance",
    target: float = 0.8,
    balanced: bool = True,
) -> Batch:
    """B94 §II minimal task, the set-up of Fig. 2 (claims B94-F2a, B94-F2b, B94-F2-SENS, B94-F1).

    Task ``b94_minimal``. One input; every sequence has length T. Steps 1..L are 0 (the model adds
    the class's trainable inputs h_t^k there); steps L < t <= T are Gaussian, mean 0 and variance s
    (``noise_param="std"``: standard deviation s), i.i.d. over sequences and steps. Target at step
    T: +target (class 1) / -target (class 0), 0.8 in the paper.

    Args:
      key: PRNG key.
      batch: number of sequences; the Fig. 2 training set (50 per class) is ``batch=100``.
      T: sequence length, an integer > L.
      L: number of trainable leading inputs (3 in the paper).
      s: noise variance (or std); a Python number >= 0 or a scalar JAX array.
      noise_param: "variance" (the paper) or "std".
      target: the target's magnitude, in (0, 1].
      balanced: exactly batch/2 sequences per class, in random order (batch must be even);
        False draws each class with p = 0.5.

    Returns:
      Batch with inputs and targets (B, T, 1), mask 1.0 at step T, length T, and
      ``extra["label"]`` (B,) int32 class.
    """
    _batch_size(batch, balanced)
    _int_at_least("L", L, 1)
    _max_length(T, L + 1, f" (longer than the L={L} trainable inputs)")
    _noise_scale("s", s)
    if noise_param not in ("variance", "std"):
        raise ValueError(f"noise_param={noise_param!r}: must be 'variance' or 'std'")
    _target(target)
    k_cls, k_noise = jax.random.split(key)
    labels = _labels(k_cls, batch, balanced)
    s = jnp.asarray(s, jnp.float32)
    std = jnp.sqrt(s) if noise_param == "variance" else s
    x = std * jax.random.normal(k_noise, (batch, T))
    x = jnp.where(_positions(T) <= L, 0.0, x)
    lengths = jnp.full((batch,), T, jnp.int32)
    return _end_target_batch(x, lengths, labels, target, T, {"label": labels})


def latch(
    key, batch: int, T: int, *, noise=0.2, target: float = 0.8, balanced: bool = True
) -> Batch:
    """B94 §V latch, the minimal task with L = 1 (claims B94-F4-latch, HS96-RG-B94).

    Task ``b94_latch``. One input; ℓ uniform in {⌈T/2⌉..T}. Step 1 is 0 (the model adds its
    trainable u_k there, no noise: spec Decision); steps 2..ℓ are uniform noise in [-noise, noise]
    (0.2 in B94); zero after ℓ. Target at step ℓ: +target (class 1) / -target (class 0), 0.8 by
    spec Decision.

    Args:
      key: PRNG key.
      batch: number of sequences (the comparative protocol's training set: 20).
      T: maximal length, an integer >= 2.
      noise: half-width of the uniform noise; a Python number >= 0 or a scalar JAX array.
      target: the target's magnitude, in (0, 1].
      balanced: exactly batch/2 sequences per class, in random order (batch must be even);
        False draws each class with p = 0.5.

    Returns:
      Batch with inputs and targets (B, T, 1), mask 1.0 at step ℓ, length ℓ, and
      ``extra["label"]`` (B,) int32 class.
    """
    _batch_size(batch, balanced)
    _max_length(T)
    _noise_scale("noise", noise)
    _target(target)
    k_cls, k_len, k_noise = jax.random.split(key, 3)
    labels = _labels(k_cls, batch, balanced)
    lengths = _lengths(k_len, batch, T)
    x = jnp.where(_positions(T) == 1, 0.0, _uniform_noise(k_noise, (batch, T), noise))
    return _end_target_batch(x, lengths, labels, target, T, {"label": labels})


def two_sequence_keys(key, n_key: int = 3) -> jax.Array:
    """The two class keys κ_0, κ_1 of the 2-sequence task, i.i.d. uniform in [-1, 1].

    Drawn once per trial (spec §2.7) and passed to every ``two_sequence`` call of that trial.

    Returns:
      (2, n_key) float32; row k is class k's key.
    """
    _int_at_least("n_key", n_key, 1)
    return jax.random.uniform(key, (2, n_key), minval=-1.0, maxval=1.0)


def two_sequence(
    key,
    batch: int,
    T: int,
    class_keys=None,
    *,
    n_key: int | None = None,
    noise=0.2,
    noise_on_key: bool = True,
    target: float = 0.8,
    balanced: bool = True,
) -> Batch:
    """B94 §V / BF93 §7 2-sequence task (claims B94-F4-2seq, BF93-T1, BF93-T2).

    Task ``b94_two_sequence``. One input; ℓ uniform in {⌈T/2⌉..T}. A class-k sequence is its key
    κ_k (n_key = 3 elements, BF93) followed by zeros up to ℓ, with uniform noise in [-noise, noise]
    (0.2) added to every element 1..ℓ (``noise_on_key=False``: only to elements n_key+1..ℓ); zero
    after ℓ. Target at step ℓ: +target (class 1) / -target (class 0), 0.8 by spec Decision.

    Args:
      key: PRNG key.
      batch: number of sequences (the comparative protocol's training set: 20).
      T: maximal length, an integer >= 2 with ⌈T/2⌉ >= n_key, so every sequence holds its key.
      class_keys: (2, n_key) array, row k = κ_k, normally ``two_sequence_keys`` drawn once per
        trial. None draws ``two_sequence_keys(k, n_key)`` with ``k, _ = jax.random.split(key)``:
        each call then has its own keys, so pass them explicitly wherever two calls (training and
        test data) must share a task. The sequences come from the other half of the split either
        way: ``class_keys=None`` gives the same batch as passing those keys.
      n_key: key length when ``class_keys`` is None (default 3); else None or class_keys.shape[1].
      noise: half-width of the uniform noise; a Python number >= 0 or a scalar JAX array.
      noise_on_key: whether the key elements are noisy too (the spec's default: yes).
      target: the target's magnitude, in (0, 1].
      balanced: exactly batch/2 sequences per class, in random order (batch must be even);
        False draws each class with p = 0.5.

    Returns:
      Batch with inputs and targets (B, T, 1), mask 1.0 at step ℓ, length ℓ, ``extra["label"]``
      (B,) int32 class and ``extra["key"]`` (B, n_key) the noise-free key κ_label.
    """
    _batch_size(batch, balanced)
    if class_keys is None:
        n_key = 3 if n_key is None else n_key
        _int_at_least("n_key", n_key, 1)
    else:
        shape = jnp.shape(class_keys)
        if len(shape) != 2 or shape[0] != 2 or shape[1] < 1:
            raise ValueError(f"class_keys: must have shape (2, n_key) with n_key >= 1, got {shape}")
        if n_key is not None and n_key != shape[1]:
            raise ValueError(f"n_key={n_key!r}: must be None or class_keys.shape[1] = {shape[1]}")
        n_key = shape[1]
    _max_length(
        T,
        max(2, 2 * n_key - 1),
        f" (every length, the shortest ⌈T/2⌉ included, must hold the n_key={n_key} key elements)",
    )
    _noise_scale("noise", noise)
    _flag("noise_on_key", noise_on_key)
    _target(target)
    k_keys, k_data = jax.random.split(key)
    if class_keys is None:
        class_keys = two_sequence_keys(k_keys, n_key)
    class_keys = jnp.asarray(class_keys, jnp.float32)
    k_cls, k_len, k_noise = jax.random.split(k_data, 3)
    labels = _labels(k_cls, batch, balanced)
    lengths = _lengths(k_len, batch, T)
    seq_keys = class_keys[labels]  # (B, n_key)
    clean = jnp.pad(seq_keys, ((0, 0), (0, T - n_key)))
    noise_x = _uniform_noise(k_noise, (batch, T), noise)
    if not noise_on_key:
        noise_x = jnp.where(_positions(T) <= n_key, 0.0, noise_x)
    extra = {"label": labels, "key": seq_keys}
    return _end_target_batch(clean + noise_x, lengths, labels, target, T, extra)


def parity(key, batch: int, T: int, *, noise=0.2, target: float = 1.0) -> Batch:
    """B94 §V / BF93 §7 parity (claims B94-F4-parity, BF93-T3, BF93-T4, HS96-RG-B94).

    Task ``b94_parity``. One input; ℓ uniform in {⌈T/2⌉..T}. Bits b_t i.i.d. uniform over {-1, +1};
    input b_t + uniform noise in [-noise, noise] (0.2) at steps 1..ℓ, zero after ℓ. Target at step
    ℓ: +target if the number of +1's among b_1..b_ℓ is odd, else -target (target 1, spec Decision;
    option 0.8). Classes are not balanced: they follow from the i.i.d. bits. For a logistic output
    with targets 1/0 (the spec's option) use ``extra["label"]``.

    Args:
      key: PRNG key.
      batch: number of sequences (the comparative protocol's training set: 20).
      T: maximal length, an integer >= 2 (the lengths vary, as in the paper).
      noise: half-width of the uniform noise; a Python number >= 0 or a scalar JAX array.
      target: the target's magnitude, in (0, 1].

    Returns:
      Batch with inputs and targets (B, T, 1), mask 1.0 at step ℓ, length ℓ, ``extra["label"]``
      (B,) int32 (1 = odd) and ``extra["bits"]`` (B, T) float32 b_t, 0 after ℓ.
    """
    _batch_size(batch, False)
    _max_length(T, 2, " (lengths are drawn from {⌈T/2⌉..T}; the paper's lengths vary)")
    _noise_scale("noise", noise)
    _target(target)
    k_len, k_bits, k_noise = jax.random.split(key, 3)
    lengths = _lengths(k_len, batch, T)
    valid = _positions(T) <= lengths[:, None]
    bits = jnp.where(jax.random.bernoulli(k_bits, 0.5, (batch, T)), 1.0, -1.0)
    bits = jnp.where(valid, bits, 0.0)
    labels = (jnp.sum(bits == 1.0, axis=1) % 2).astype(jnp.int32)
    x = bits + _uniform_noise(k_noise, (batch, T), noise)
    return _end_target_batch(x, lengths, labels, target, T, {"label": labels, "bits": bits})


TASKS = {
    "b94_minimal": minimal,
    "b94_latch": latch,
    "b94_two_sequence": two_sequence,
    "b94_parity": parity,
}
