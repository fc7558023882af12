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

S0's signals are not ``Batch`` tasks but a data set (signals, labels) and a downsampler:
  oscillator        a released damped oscillator sampled at 10,000 points over 5 ms, label its
                    natural frequency (in the low-frequency response); ``high=True`` adds a tone of
                    25-75 kHz whose frequency is the label (the aliasing caveat).
  downsample        keep every m-th sample ("stride") or low-pass first ("antialias": a windowed-sinc
                    FIR at 0.8 of the new Nyquist frequency, then every m-th sample).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.signal

from repro.tasks.batch import Batch

__all__ = ["TASKS", "adding", "delayed_recall", "downsample", "oscillator", "recall"]

F0_KHZ = (0.6, 1.6)  # natural frequencies of the oscillator (label range), kHz
TONE_KHZ = (25.0, 75.0)  # the high-frequency tone of the aliasing data set (label range), kHz


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


def oscillator(key, n: int, *, samples: int = 10_000, duration: float = 5e-3, high: bool = False,
               noise: float = 0.02):  # fmt: skip
    """n signals (n, samples) over ``duration`` seconds and labels (n,) in [0, 1].

    x(t) = A e^{−ζω₀t} cos(ω_d t) (released from rest at displacement A; ω_d = ω₀√(1 − ζ²)), with
    f₀ = ω₀/2π ~ U[0.6, 1.6] kHz, ζ ~ U[0.05, 0.3], A ~ U[0.5, 1], plus N(0, noise²) per sample.
    Label: (f₀ − 0.6 kHz) / 1 kHz. With ``high``, the signal adds 0.5 sin(2π f_h t + φ),
    f_h ~ U[25, 75] kHz, φ ~ U[0, 2π), and the label is (f_h − 25 kHz) / 50 kHz instead (the
    oscillator stays as a distractor): a label only the high-frequency content carries.
    """
    _int("n", n, 1)
    _int("samples", samples, 2)
    k = jax.random.split(key, 6)
    t = jnp.arange(samples) * (duration / samples)
    u = lambda kk, lo, hi: jax.random.uniform(kk, (n, 1), minval=lo, maxval=hi)
    f0, zeta, amp = u(k[0], *F0_KHZ) * 1e3, u(k[1], 0.05, 0.3), u(k[2], 0.5, 1.0)
    w0 = 2 * jnp.pi * f0
    x = amp * jnp.exp(-zeta * w0 * t) * jnp.cos(w0 * jnp.sqrt(1 - zeta**2) * t)
    label = (f0[:, 0] / 1e3 - F0_KHZ[0]) / (F0_KHZ[1] - F0_KHZ[0])
    if high:
        fh, phase = u(k[3], *TONE_KHZ) * 1e3, u(k[4], 0.0, 2 * jnp.pi)
        x = x + 0.5 * jnp.sin(2 * jnp.pi * fh * t + phase)
        label = (fh[:, 0] / 1e3 - TONE_KHZ[0]) / (TONE_KHZ[1] - TONE_KHZ[0])
    return x + noise * jax.random.normal(k[5], x.shape), label


def downsample(x: jax.Array, factor: int, method: str = "stride") -> jax.Array:
    """Signals (n, L) → (n, ⌈L/factor⌉): every ``factor``-th sample ("stride"), or after a
    zero-phase windowed-sinc low-pass (Hamming, 8·factor + 1 taps, cutoff 0.8 of the new Nyquist
    frequency, the ends reflected; "antialias"). ``factor`` 1 returns x."""
    _int("factor", factor, 1)
    if method not in ("stride", "antialias"):
        raise ValueError(f"method={method!r}: must be 'stride' or 'antialias'")
    if factor == 1:
        return x
    if method == "antialias":
        taps = jnp.arange(-4 * factor, 4 * factor + 1)
        cutoff = 0.8 / (2 * factor)  # cycles per sample
        h = 2 * cutoff * jnp.sinc(2 * cutoff * taps) * jnp.hamming(taps.size)
        h = h / jnp.sum(h)
        pad = lambda row: jnp.pad(row, 4 * factor, mode="reflect")  # no edge dip at t = 0
        x = jax.vmap(lambda row: jax.scipy.signal.fftconvolve(pad(row), h, mode="valid"))(x)
    return x[:, ::factor]


TASKS = {"s_recall": recall, "s_adding": adding, "s_delayed_recall": delayed_recall}
