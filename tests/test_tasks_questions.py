"""Task generators of the practitioners' questions (s_recall, s_adding, s_delayed_recall): rules
checked on many samples."""

import jax
import numpy as np
import pytest
from test_tasks_pascanu2013 import _np, _uniform

from repro import problems, tasks
from repro.tasks import questions


@pytest.mark.parametrize("L, first, last", [(12, 0, None), (40, 0, 4), (7, 3, 7)])
def test_recall_rules(L, first, last):
    n, K = 8000, 4
    b = _np(questions.recall(jax.random.key(0), n, L, symbols=K, first=first, last=last))
    assert b.inputs.shape == (n, L, K + 1) and b.targets.shape == (n, L, K)
    sym = b.inputs[..., :K].argmax(-1)
    assert np.all(b.inputs[..., :K].sum(-1) == 1)  # one symbol at every step
    marker = b.inputs[..., K]
    assert np.all(marker.sum(1) == 1)  # exactly one marked step
    p = marker.argmax(1)
    np.testing.assert_array_equal(p, b.extra["p"])
    _uniform(p, range(first, L if last is None else last), n)
    _uniform(sym[:, 0], range(K), n)
    assert np.all(b.mask[:, -1] == 1) and np.all(b.mask[:, :-1] == 0)
    np.testing.assert_array_equal(b.targets[:, -1].argmax(-1), sym[np.arange(n), p])
    assert np.all(b.targets[:, :-1] == 0) and np.all(b.length == L)


@pytest.mark.parametrize("L", [10, 37, 200])
def test_adding_rules(L):
    n = 8000
    b = _np(questions.adding(jax.random.key(1), n, L))
    marker, values = b.inputs[..., 0], b.inputs[..., 1]
    assert np.all(marker.sum(1) == 2) and np.all((values >= 0) & (values < 1))
    p0, p1 = b.extra["p0"], b.extra["p1"]
    assert np.all(marker[np.arange(n), p0] == 1) and np.all(marker[np.arange(n), p1] == 1)
    _uniform(p0, range(0, L // 10), n)
    _uniform(p1, range(L // 10, L // 10 + 4 * L // 10), n)
    want = (values[np.arange(n), p0] + values[np.arange(n), p1]) / 2
    np.testing.assert_allclose(b.targets[:, -1, 0], want, rtol=1e-6)
    assert np.all(b.mask.sum(1) == 1) and np.all(b.mask[:, -1] == 1)


@pytest.mark.parametrize("k", [1, 5, 100])
def test_delayed_recall_rules(k):
    n = 8000
    b = _np(questions.delayed_recall(jax.random.key(2), n, k))
    u = b.inputs[..., 0]
    assert u.shape == (n, k + 1) and set(np.unique(u)) == {-1.0, 1.0}
    _uniform(u[:, 0], (-1.0, 1.0), n)
    _uniform(u[:, -1], (-1.0, 1.0), n)
    np.testing.assert_array_equal(b.targets[:, k, 0], u[:, 0])  # y_k = u_{k-k}
    assert np.all(b.mask[:, :k] == 0) and np.all(b.mask[:, k] == 1)
    # the scoring rule: |y - u_0| >= 0.5 is wrong; 0 (no memory) is wrong, a right sign with margin
    # is right
    obj = problems.last_linear(0.25)
    zero = obj.score(np.zeros_like(b.targets), b)[0]
    assert not np.any(zero)
    assert np.all(obj.score(0.7 * b.targets, b)[0])


def test_registry_and_bad_arguments():
    assert {"s_recall", "s_adding", "s_delayed_recall"} <= set(tasks.TASKS)
    with pytest.raises(ValueError, match="L=9"):
        questions.adding(jax.random.key(0), 4, 9)
    with pytest.raises(ValueError, match="first=3, last=3"):
        questions.recall(jax.random.key(0), 4, 10, first=3, last=3)
    with pytest.raises(ValueError, match="symbols=1"):
        questions.recall(jax.random.key(0), 4, 10, symbols=1)
    with pytest.raises(ValueError, match="k=0"):
        questions.delayed_recall(jax.random.key(0), 4, 0)


def test_oscillator_labels_and_the_alias_tone():
    n, samples, duration = 400, 10_000, 5e-3
    x, y = (np.asarray(a) for a in questions.oscillator(jax.random.key(3), n, noise=0.0))
    assert x.shape == (n, samples) and np.all((y >= 0) & (y <= 1))
    assert np.all((x[:, 0] >= 0.5) & (x[:, 0] <= 1.0))  # released at displacement A, from rest
    assert np.all(np.abs(x) <= x[:, :1] + 1e-6)  # a damped oscillation never exceeds A
    assert abs(np.mean(y) - 0.5) < 0.05 and abs(np.std(y) - 12**-0.5) < 0.03  # U[0, 1]
    xh, yh = (
        np.asarray(a) for a in questions.oscillator(jax.random.key(4), 64, high=True, noise=0.0)
    )
    freqs = np.fft.rfftfreq(samples, duration / samples)
    spec = np.abs(np.fft.rfft(xh, axis=1))
    band = freqs > 20e3  # the tone: its frequency is the label
    peak = freqs[band][np.argmax(spec[:, band], axis=1)]
    want = (questions.TONE_KHZ[0] + yh * (questions.TONE_KHZ[1] - questions.TONE_KHZ[0])) * 1e3
    assert np.all(np.abs(peak - want) <= 200.0)  # one frequency bin (1 / 5 ms)


@pytest.mark.parametrize("factor", [5, 50])
def test_downsample_keeps_the_band_and_removes_what_would_alias(factor):
    # 2 MHz sampling; after decimation by m the rate is 2 MHz / m and its Nyquist frequency half that
    t = np.arange(10_000) * 5e-7
    tone = lambda f: np.sin(2 * np.pi * f * t)[None]
    low, high = tone(1e3), tone(0.75 * 2e6 / factor)  # 1.5 x the new Nyquist frequency: aliases
    np.testing.assert_array_equal(questions.downsample(low, factor), low[:, ::factor])
    kept = np.asarray(questions.downsample(low, factor, "antialias"))
    assert kept.shape == (1, 10_000 // factor)
    inner = slice(4, -4)  # the filter's half-width (4 output samples) reflects at the ends
    np.testing.assert_allclose(kept[:, inner], low[:, ::factor][:, inner], atol=1e-3)
    np.testing.assert_allclose(kept, low[:, ::factor], atol=0.05)
    gone = np.asarray(questions.downsample(high, factor, "antialias"))[:, inner]
    strided = np.asarray(questions.downsample(high, factor))
    assert np.std(strided) > 0.5 and np.max(np.abs(gone)) < 0.01  # striding folds it in-band
    with pytest.raises(ValueError, match="method='x'"):
        questions.downsample(low, 2, "x")
