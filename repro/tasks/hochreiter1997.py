"""Task generators of Hochreiter & Schmidhuber (1997), the paper's own rules (tasks ``h97_*``).

Positions in the docstrings are 1-based as in the paper; "between a and b" is the inclusive integer
range, drawn uniformly (spec Decisions). Claim ids refer to ../shared/papers/hochreiter1997.md.

References:
  S. Hochreiter, J. Schmidhuber. Long Short-Term Memory. Neural Computation 9(8), 1997. §5.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from repro.tasks.batch import Batch

__all__ = [
    "REBER_SYMBOLS",
    "TASKS",
    "reber",
    "reber_sets",
    "reber_walks",
    "adding",
    "multiplication",
    "noise_signal",
    "noise_free_long_lag",
    "temporal_order",
    "two_class_distractors",
]


def _int_at_least(name: str, value, low: int, why: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}={value!r}: must be an integer >= {low}{why}")


def _batch_size(batch) -> None:
    _int_at_least("batch", batch, 1)


def _lengths(key, batch: int, T: int) -> jax.Array:
    """L uniform in {T, ..., T + floor(T/10)} (H97: "between T and T + T/10")."""
    return jax.random.randint(key, (batch,), T, T + T // 10 + 1)


def _at_end(lengths: jax.Array, L_max: int) -> jax.Array:
    """(B, L_max) mask, 1.0 at each sequence's last step."""
    return (jnp.arange(1, L_max + 1)[None, :] == lengths[:, None]).astype(jnp.float32)


def _valid(lengths: jax.Array, L_max: int) -> jax.Array:
    return jnp.arange(1, L_max + 1)[None, :] <= lengths[:, None]


# ----------------------------------------------------------------------------- Exp. 4 and 5


def _marked_pairs(key, batch: int, T: int, *, values, first_value: float, first_pair_rule: str):
    """Shared generator of the adding (Exp. 4) and multiplication (Exp. 5) problems."""
    if first_pair_rule not in ("any", "x1_only"):
        raise ValueError(f"first_pair_rule={first_pair_rule!r}: must be 'any' or 'x1_only'")
    L_max = T + T // 10
    k_len, k_val, k_i1, k_i2 = jax.random.split(key, 4)
    lengths = _lengths(k_len, batch, T)
    v = values(k_val, (batch, L_max))
    i1 = jax.random.randint(k_i1, (batch,), 1, 11)  # X1: {1, ..., 10}
    j = jax.random.randint(k_i2, (batch,), 1, T // 2)  # {1, ..., T/2 - 1}
    i2 = jnp.where(j < i1, j, j + 1)  # X2: uniform on {1, ..., T/2} \ {i1}
    pos = jnp.arange(1, L_max + 1)[None, :]
    marked = (pos == i1[:, None]) | (pos == i2[:, None])
    ends = (pos == 1) | (pos == lengths[:, None])
    marker = jnp.where(marked, 1.0, jnp.where(ends, -1.0, 0.0))
    # Rare case: a marked pair at position 1 takes the fixed value (0 adding, 1 multiplication).
    first = marked[:, 0] if first_pair_rule == "any" else i1 == 1
    v = v.at[:, 0].set(jnp.where(first, first_value, v[:, 0]))
    valid = _valid(lengths, L_max)
    v, marker = jnp.where(valid, v, 0.0), jnp.where(valid, marker, 0.0)
    a = jnp.take_along_axis(v, (i1 - 1)[:, None], axis=1)[:, 0]
    b = jnp.take_along_axis(v, (i2 - 1)[:, None], axis=1)[:, 0]
    mask = _at_end(lengths, L_max)
    extra = {"i1": i1, "i2": i2, "a": a, "b": b}
    return jnp.stack([v, marker], axis=-1), mask, lengths, extra


def adding(key, batch: int, T: int = 100, *, first_pair_rule: str = "any") -> Batch:
    """H97 Exp. 4, the adding problem (claim H97-T7), task ``h97_adding``.

    Pairs (value, marker): values U[-1, 1]; L in {T, ..., T + T/10}; X1 at i1 in {1..10}, X2 at
    i2 uniform in {1..T/2} minus i1, both marked +1; positions 1 and L marked -1 unless marked;
    other markers 0. If a marked pair sits at position 1 its value is 0 (``first_pair_rule="any"``,
    the spec's Decision; "x1_only" applies this only when X1 chose position 1). Target at step L:
    0.5 + (v[i1] + v[i2]) / 4. Correct if |error| < 0.04. Minimal lag T/2.

    Args:
      key: PRNG key.
      batch: number of sequences.
      T: minimal length, an integer >= 20 (X1 in {1..10} must lie inside {1..T/2}).
    """
    _batch_size(batch)
    _int_at_least("T", T, 20, " (the adding problem needs room for X1 in {1..10} before T/2)")
    inputs, mask, lengths, extra = _marked_pairs(
        key,
        batch,
        T,
        values=lambda k, s: jax.random.uniform(k, s, minval=-1.0, maxval=1.0),
        first_value=0.0,
        first_pair_rule=first_pair_rule,
    )
    target = 0.5 + (extra["a"] + extra["b"]) / 4.0
    return Batch(inputs, (mask * target[:, None])[..., None], mask, lengths, extra)


def multiplication(key, batch: int, T: int = 100, *, first_pair_rule: str = "any") -> Batch:
    """H97 Exp. 5, the multiplication problem (claim H97-T8), task ``h97_multiplication``.

    As ``adding`` except: values U[0, 1]; a marked pair at position 1 has value 1.0; target
    v[i1] · v[i2]. Correct if |error| < 0.04.
    """
    _batch_size(batch)
    _int_at_least("T", T, 20, " (the multiplication problem needs X1 in {1..10} before T/2)")
    inputs, mask, lengths, extra = _marked_pairs(
        key,
        batch,
        T,
        values=lambda k, s: jax.random.uniform(k, s),
        first_value=1.0,
        first_pair_rule=first_pair_rule,
    )
    target = extra["a"] * extra["b"]
    return Batch(inputs, (mask * target[:, None])[..., None], mask, lengths, extra)


# ----------------------------------------------------------------------------- Exp. 6

_TEMPORAL_POSITIONS = {"6a": ((10, 20), (50, 60)), "6b": ((10, 20), (33, 43), (66, 76))}
X_SYM, B_SYM, E_SYM = 4, 6, 7  # one-hot order a, b, c, d, X, Y, B, E


def temporal_order(key, batch: int, variant: str = "6a") -> Batch:
    """H97 Exp. 6, temporal order (claim H97-T9), tasks ``h97_temporal_order_6a`` / ``_6b``.

    Symbols one-hot in the order a, b, c, d, X, Y, B, E. L in {100..110}; position 1 is E and
    position L is B (the trigger); the relevant positions t1 in {10..20}, t2 in {50..60} (6a) or
    t1 in {10..20}, t2 in {33..43}, t3 in {66..76} (6b) hold X or Y (p = 0.5 each); every other
    position is uniform over {a, b, c, d}. Target at step L: one-hot class, the binary number with
    X = 0, Y = 1, first symbol most significant (6a: Q R S U; 6b: Q R S U V A B C). Correct if every
    output has |error| < 0.3.
    """
    _batch_size(batch)
    if variant not in _TEMPORAL_POSITIONS:
        raise ValueError(f"variant={variant!r}: must be '6a' or '6b'")
    ranges = _TEMPORAL_POSITIONS[variant]
    L_max = 110
    keys = jax.random.split(key, 3 + 2 * len(ranges))
    lengths = _lengths(keys[0], batch, 100)
    sym = jax.random.randint(keys[1], (batch, L_max), 0, 4)  # a, b, c, d
    pos = jnp.arange(1, L_max + 1)[None, :]
    cls = jnp.zeros((batch,), jnp.int32)
    for n, (lo, hi) in enumerate(ranges):
        t = jax.random.randint(keys[2 + 2 * n], (batch,), lo, hi + 1)
        bit = jax.random.bernoulli(keys[3 + 2 * n], 0.5, (batch,)).astype(jnp.int32)  # Y = 1
        sym = jnp.where(pos == t[:, None], X_SYM + bit[:, None], sym)
        cls = 2 * cls + bit
    sym = jnp.where(pos == 1, E_SYM, sym)
    sym = jnp.where(pos == lengths[:, None], B_SYM, sym)
    inputs = jax.nn.one_hot(sym, 8) * _valid(lengths, L_max)[..., None]
    mask = _at_end(lengths, L_max)
    targets = jax.nn.one_hot(cls, 2 ** len(ranges))[:, None, :] * mask[..., None]
    return Batch(inputs, targets, mask, lengths, {"class": cls})


# ----------------------------------------------------------------------------- Exp. 2


def noise_free_long_lag(key, batch: int, p: int = 100, *, variant: str = "2a") -> Batch:
    """H97 Exp. 2a / 2b (claims H97-T2, H97-2B), tasks ``h97_2a`` / ``h97_2b``.

    p+1 symbols one-hot: a_1..a_{p-1} (index i-1), x (p-1), y (p). A sequence of length p+1 is
    (c, a_1, ..., a_{p-1}, c) with c = x or y (p = 0.5 each); 2b replaces the middle by p-1 symbols
    i.i.d. uniform over a_1..a_{p-1}. The net predicts the next symbol at every step: inputs are
    positions 1..p, targets positions 2..p+1; the loss covers every step (mask all ones).
    Success: 2a every output's |error| < 0.25 at every step; 2b at the final step.
    """
    _batch_size(batch)
    _int_at_least("p", p, 2)
    if variant not in ("2a", "2b"):
        raise ValueError(f"variant={variant!r}: must be '2a' or '2b'")
    k_cls, k_mid = jax.random.split(key)
    c = jnp.where(jax.random.bernoulli(k_cls, 0.5, (batch,)), p, p - 1)  # y or x
    if variant == "2a":
        middle = jnp.broadcast_to(jnp.arange(p - 1), (batch, p - 1))
    else:
        middle = jax.random.randint(k_mid, (batch, p - 1), 0, p - 1)
    seq = jnp.concatenate([c[:, None], middle, c[:, None]], axis=1)  # (B, p+1)
    onehot = jax.nn.one_hot(seq, p + 1)
    mask = jnp.ones((batch, p), jnp.float32)
    lengths = jnp.full((batch,), p, jnp.int32)
    return Batch(
        onehot[:, :-1], onehot[:, 1:], mask, lengths, {"class": (c == p).astype(jnp.int32)}
    )


def extra_distractors(key, batch: int, max_extra: int) -> jax.Array:
    """k with P(k) = 0.1 · 0.9^k (k >= 0): failures before the first success, by inversion; clipped
    at ``max_extra``."""
    u = jax.random.uniform(key, (batch,), minval=jnp.finfo(jnp.float32).tiny)
    return jnp.minimum(jnp.floor(jnp.log(u) / math.log(0.9)), max_extra).astype(jnp.int32)


def two_class_distractors(
    key, batch: int, q: int = 50, p: int = 50, *, max_extra: int = 250
) -> Batch:
    """H97 Exp. 2c, very long lags with many distractors (claim H97-T3), task ``h97_2c``.

    Symbols one-hot over p+4: distractors a_1..a_p (0..p-1), e = trigger (p), b = start (p+1),
    x (p+2), y (p+3). Input: b, then x or y (the class, p = 0.5), then q distractors i.i.d. over
    a_1..a_p, then k more distractors with P(k) = 0.1 · 0.9^k, then e. Input length q + 3 + k;
    full length with the target q + 4 + k (mean q + 13). The target, at the e step only, is the
    class one-hot over 2 outputs (x = 0, y = 1). Success: final error of both outputs < 0.2.

    Args:
      max_extra: bucket for k; k is drawn exactly and clipped here (P(k > 250) = 0.9^251 ≈ 3e-12).
    """
    _batch_size(batch)
    _int_at_least("q", q, 1)
    _int_at_least("p", p, 1)
    _int_at_least("max_extra", max_extra, 0)
    L_max = q + 3 + max_extra
    k_cls, k_dist, k_extra = jax.random.split(key, 3)
    y_class = jax.random.bernoulli(k_cls, 0.5, (batch,)).astype(jnp.int32)
    k = extra_distractors(k_extra, batch, max_extra)
    lengths = q + 3 + k
    pos = jnp.arange(1, L_max + 1)[None, :]
    sym = jax.random.randint(k_dist, (batch, L_max), 0, p)
    sym = jnp.where(pos == 1, p + 1, sym)
    sym = jnp.where(pos == 2, p + 2 + y_class[:, None], sym)
    sym = jnp.where(pos == lengths[:, None], p, sym)
    inputs = jax.nn.one_hot(sym, p + 4) * _valid(lengths, L_max)[..., None]
    mask = _at_end(lengths, L_max)
    targets = jax.nn.one_hot(y_class, 2)[:, None, :] * mask[..., None]
    return Batch(inputs, targets, mask, lengths, {"class": y_class, "extra_distractors": k})


# ----------------------------------------------------------------------------- Exp. 3

NOISE_VARIANCE = 0.2  # H97 Exp. 3: Gaussian noise of variance 0.2 (not standard deviation)
TARGET_NOISE_VARIANCE = 0.1  # Exp. 3c: noise on the training targets


def noise_signal(key, batch: int, T: int = 100, N: int = 3, *, variant: str = "3a") -> Batch:
    """H97 Exp. 3a / 3b / 3c (claims H97-T4, T5, T6), tasks ``h97_3a`` / ``h97_3b`` / ``h97_3c``.

    One real input. L in {T, ..., T + T/10}; two classes (p = 0.5). Elements 1..N carry the class:
    +1.0 (class 1) or -1.0 (class 2); elements N+1..L are Gaussian, mean 0, variance 0.2.
    3b adds such noise to elements 1..N too. Target at step L: 1.0 / 0.0 (3a, 3b); 3c: 0.2 / 0.8
    plus Gaussian noise of variance 0.1 on every training target, the noise-free target in
    ``extra["clean_target"]``. Misclassified: 3a/3b |y - target| >= 0.2; 3c |y - clean| > 0.1.
    """
    _batch_size(batch)
    _int_at_least("N", N, 1)
    _int_at_least("T", T, N + 1, f" (longer than the N={N} information elements)")
    if variant not in ("3a", "3b", "3c"):
        raise ValueError(f"variant={variant!r}: must be '3a', '3b' or '3c'")
    L_max = T + T // 10
    k_len, k_cls, k_noise, k_target = jax.random.split(key, 4)
    lengths = _lengths(k_len, batch, T)
    class2 = jax.random.bernoulli(k_cls, 0.5, (batch,))
    sign = jnp.where(class2, -1.0, 1.0)
    noise = math.sqrt(NOISE_VARIANCE) * jax.random.normal(k_noise, (batch, L_max))
    info = jnp.arange(1, L_max + 1)[None, :] <= N
    x = jnp.where(info, sign[:, None] + (noise if variant == "3b" else 0.0), noise)
    x = jnp.where(_valid(lengths, L_max), x, 0.0)
    if variant == "3c":
        clean = jnp.where(class2, 0.8, 0.2)
        target = clean + math.sqrt(TARGET_NOISE_VARIANCE) * jax.random.normal(k_target, (batch,))
    else:
        clean = target = jnp.where(class2, 0.0, 1.0)
    mask = _at_end(lengths, L_max)
    extra = {"class": class2.astype(jnp.int32), "clean_target": clean}
    return Batch(x[..., None], (mask * target[:, None])[..., None], mask, lengths, extra)


# ----------------------------------------------------------------------------- Exp. 1

REBER_SYMBOLS = "BTPSXVE"  # one-hot order B=0, T=1, P=2, S=3, X=4, V=5, E=6
_PAD = -1
# The embedded Reber walk as a state machine. Each state emits one of two (symbol, next state)
# options with p = 0.5 (both equal where there is no choice). States: 0 outer B, 1 the embedded
# symbol a, 2 inner B, 3-7 the Reber nodes 1-5 of the spec's table, 8 inner E, 9 the second a
# (a copy of state 1's choice), 10 outer E, 11 done.
_OPTIONS = [
    [(0, 1), (0, 1)],  # outer B
    [(1, 2), (2, 2)],  # a = T or P
    [(0, 3), (0, 3)],  # inner B -> node 1
    [(1, 4), (2, 5)],  # node 1: T -> 2, P -> 3
    [(3, 4), (4, 6)],  # node 2: S -> 2, X -> 4
    [(1, 5), (5, 7)],  # node 3: T -> 3, V -> 5
    [(4, 5), (3, 8)],  # node 4: X -> 3, S -> end
    [(2, 6), (5, 8)],  # node 5: P -> 4, V -> end
    [(6, 9), (6, 9)],  # inner E
    [(_PAD, 10), (_PAD, 10)],  # second a: the symbol is copied from state 1
    [(6, 11), (6, 11)],  # outer E
    [(_PAD, 11), (_PAD, 11)],  # done
]


def reber_walks(key, n: int, max_len: int = 64) -> tuple[jax.Array, jax.Array]:
    """n embedded Reber strings as symbol indices, padded with -1 to ``max_len``.

    Returns:
      (symbols (n, max_len) int32, lengths (n,) int32); a walk not finished within ``max_len``
      symbols has length -1 (callers reject it).
    """
    _int_at_least("n", n, 1)
    _int_at_least("max_len", max_len, 9, " (the shortest embedded Reber string has 9 symbols)")
    return _reber_walks(key, n, max_len)


@functools.partial(jax.jit, static_argnums=(1, 2))  # compiled once per (n, max_len), not per call
def _reber_walks(key, n: int, max_len: int) -> tuple[jax.Array, jax.Array]:
    table = jnp.asarray(_OPTIONS, jnp.int32)  # (12, 2, 2)

    def step(carry, k):
        state, a = carry
        sym, nxt = table[state, jax.random.bernoulli(k, 0.5).astype(jnp.int32)]
        sym = jnp.where(state == 9, a, sym)
        a = jnp.where(state == 1, sym, a)
        return (nxt, a), sym

    def walk(k):
        _, syms = jax.lax.scan(step, (jnp.int32(0), jnp.int32(0)), jax.random.split(k, max_len))
        return syms

    syms = jax.vmap(walk)(jax.random.split(key, n))
    length = jnp.sum(syms != _PAD, axis=1).astype(jnp.int32)
    finished = syms[:, -1] == _PAD
    return syms, jnp.where(finished, length, -1)


def _legal_next(syms: jax.Array) -> jax.Array:
    """(n, L, 7) mask of the legal successors after each symbol, by replaying the grammar."""
    import numpy as np

    syms = np.asarray(syms)
    legal = np.zeros((*syms.shape, 7), np.float32)
    for i, row in enumerate(syms):
        state, a = 0, None
        for t, sym in enumerate(row):
            if sym == _PAD:
                break
            opts = _OPTIONS[state]
            state = next(nxt for s, nxt in opts if s == sym or s == _PAD)
            a = sym if t == 1 else a
            allowed = {a} if state == 9 else {s for s, _ in _OPTIONS[state] if s != _PAD}
            legal[i, t, sorted(allowed)] = 1.0
    return jnp.asarray(legal)


def reber_sets(
    key, n_train: int = 256, n_test: int = 256, *, max_len: int = 64, unique_strings: bool = False
) -> dict[str, dict[str, jax.Array]]:
    """H97 Exp. 1 data: a training and a test set of embedded Reber strings (claims H97-T1, F3/F4).

    Training: ``n_train`` i.i.d. walks (duplicates allowed). Test: ``n_test`` i.i.d. walks with every
    string of the training set rejected (spec Decisions; ``unique_strings=True`` also makes every
    string within a set distinct). Walks longer than ``max_len`` are rejected too (they are rare: the
    inner string's loops are geometric). Built once on the host from JAX-drawn walks.

    Returns:
      {"train": set, "test": set}, each {"symbols" (n, max_len), "length" (n,), "legal" (n, max_len, 7)}
      where legal[i, t] is the set of legal successors of symbol t.
    """
    import numpy as np

    _int_at_least("n_train", n_train, 1)
    _int_at_least("n_test", n_test, 1)
    seen: set[tuple[int, ...]] = set()
    out = {}
    for name, count in (("train", n_train), ("test", n_test)):
        rows: list[np.ndarray] = []
        batch_key = jax.random.fold_in(key, 0 if name == "train" else 1)
        draw = 0
        while len(rows) < count:
            syms, lengths = map(
                np.asarray, reber_walks(jax.random.fold_in(batch_key, draw), 2 * count, max_len)
            )
            draw += 1
            for row, length in zip(syms, lengths, strict=True):
                string = tuple(row[:length])
                if length < 0 or (name == "test" and string in seen):
                    continue
                if unique_strings and string in {tuple(r[r != _PAD]) for r in rows}:
                    continue
                rows.append(row)
                if len(rows) == count:
                    break
        symbols = np.stack(rows)
        if name == "train":
            seen = {tuple(r[r != _PAD]) for r in symbols}
        out[name] = {
            "symbols": jnp.asarray(symbols),
            "length": jnp.asarray((symbols != _PAD).sum(1), jnp.int32),
            "legal": _legal_next(symbols),
        }
    return out


def reber(key, batch: int, data: dict[str, jax.Array]) -> Batch:
    """H97 Exp. 1, embedded Reber grammar (claim H97-T1), task ``h97_reber``.

    Draws ``batch`` strings uniformly with replacement from ``data`` (one set of ``reber_sets``).
    The net reads symbols 1..n-1 and predicts symbols 2..n (one-hot), an error at every step.
    A step is correct iff min over legal successors of y_k > max over the others
    (``extra["legal"]``, aligned with the targets).
    """
    _batch_size(batch)
    return _reber_batch(data, jax.random.randint(key, (batch,), 0, data["symbols"].shape[0]))


def reber_all(data: dict[str, jax.Array]) -> Batch:
    """Every string of ``data`` (one set of ``reber_sets``), in order: the fixed test of Exp. 1."""
    return _reber_batch(data, jnp.arange(data["symbols"].shape[0]))


def _reber_batch(data: dict[str, jax.Array], idx: jax.Array) -> Batch:
    syms, length = data["symbols"][idx], data["length"][idx]
    onehot = jax.nn.one_hot(syms, 7)  # the -1 padding becomes all zeros
    mask = (jnp.arange(1, syms.shape[1])[None, :] < length[:, None]).astype(jnp.float32)
    legal = data["legal"][idx][:, :-1] * mask[..., None]
    return Batch(onehot[:, :-1], onehot[:, 1:], mask, length - 1, {"legal": legal})


def _named(fn, **fixed):
    def sample(key, batch, **cfg):
        return fn(key, batch, **fixed, **cfg)

    sample.__doc__ = fn.__doc__
    return sample


TASKS = {
    "h97_reber": reber,
    "h97_2a": _named(noise_free_long_lag, variant="2a"),
    "h97_2b": _named(noise_free_long_lag, variant="2b"),
    "h97_2c": two_class_distractors,
    "h97_3a": _named(noise_signal, variant="3a"),
    "h97_3b": _named(noise_signal, variant="3b"),
    "h97_3c": _named(noise_signal, variant="3c"),
    "h97_adding": adding,
    "h97_multiplication": multiplication,
    "h97_temporal_order_6a": _named(temporal_order, variant="6a"),
    "h97_temporal_order_6b": _named(temporal_order, variant="6b"),
}
