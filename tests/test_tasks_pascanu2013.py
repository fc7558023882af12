"""P13 task generators (the authors' code rules): checked on many samples."""

import math

import jax
import numpy as np
import pytest

from repro import tasks
from repro.tasks import pascanu2013 as p13


def _np(b):
    return jax.tree_util.tree_map(np.asarray, b)


def _uniform(values, support, n):
    counts = np.array([(values == s).sum() for s in support])
    expected = n / len(support)
    assert set(np.unique(values)) <= set(support), np.unique(values)
    assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected)), counts


@pytest.mark.parametrize("bits, tenths", [(2, (1, 5)), (3, (1, 3, 6))])
@pytest.mark.parametrize("L", [20, 57, 200])
def test_temporal_order_rules(bits, tenths, L):
    n = 8000
    name = "p13_temporal_order" if bits == 2 else "p13_temporal_order_3bit"
    b = _np(tasks.get(name)(jax.random.key(0), n, L))
    assert b.inputs.shape == (n, L, 6) and np.all(b.inputs.sum(-1) == 1)
    sym = b.inputs.argmax(-1)
    ab = sym <= 1
    assert np.all(ab.sum(1) == bits)  # no start or end markers: only the relevant symbols
    cls = np.zeros(n, int)
    for j, tenth in enumerate(tenths):
        lo, width = tenth * L // 10, L // 10
        in_range = ab & (np.arange(L) >= lo) & (np.arange(L) < lo + width)
        assert np.all(in_range.sum(1) == 1)
        _uniform(np.argmax(in_range, 1), range(lo, lo + width), n)
        cls += 2**j * sym[in_range]
    _uniform(sym[~ab], range(2, 6), (~ab).sum())
    _uniform(cls, range(2**bits), n)
    np.testing.assert_array_equal(b.targets[:, -1].argmax(-1), cls)
    assert np.all(b.mask[:, -1] == 1) and b.mask.sum() == n


@pytest.mark.parametrize(
    "name, combine",
    [("p13_addition", lambda a, c: (a + c) / 2), ("p13_multiplication", lambda a, c: a * c)],
)
def test_addition_and_multiplication_rules(name, combine):
    L, n = 100, 4000
    lengths = []
    for seed in range(200):  # one length per minibatch: l = L + U{0..⌊0.1L⌋-1}
        b = _np(tasks.get(name)(jax.random.key(seed), 20, L))
        assert np.all(b.length == b.length[0])
        lengths.append(b.length[0])
    _uniform(np.array(lengths), range(L, L + L // 10), 200)
    b = _np(tasks.get(name)(jax.random.key(7), n, L))
    length = b.length[0]
    marker, v = b.inputs[..., 0], b.inputs[..., 1]
    assert b.inputs.shape == (n, L + L // 10 - 1, 2)
    assert np.all(marker.sum(1) == 2) and set(np.unique(marker)) == {0.0, 1.0}
    p0, p1 = b.extra["p0"], b.extra["p1"]
    _uniform(p0, range(0, length // 10), n)
    _uniform(p1, range(length // 10, length // 10 + 4 * length // 10), n)
    assert np.all(marker[np.arange(n), p0] == 1) and np.all(marker[np.arange(n), p1] == 1)
    assert np.all((v[:, :length] >= 0) & (v[:, :length] < 1)) and np.all(v[:, length:] == 0)
    want = combine(v[np.arange(n), p0], v[np.arange(n), p1])
    np.testing.assert_allclose(b.targets[:, length - 1, 0], want, rtol=1e-6)
    assert np.all(b.mask[:, length - 1] == 1) and b.mask.sum() == n


def test_random_permutation_rules():
    n, L = 8000, 60
    b = _np(tasks.get("p13_random_permutation")(jax.random.key(1), n, L))
    sym = b.inputs.argmax(-1)
    assert b.inputs.shape == (n, L, 100)
    c = sym[:, 0]
    _uniform(c, [0, 1], n)
    _uniform(sym[:, 1:].reshape(-1), range(2, 100), n * (L - 1))
    np.testing.assert_array_equal(b.targets[:, L - 1].argmax(-1), c)
    assert b.mask.sum() == n and np.all(b.mask[:, -1] == 1)


@pytest.mark.parametrize("K, P", [(5, 10), (2, 5)])
def test_memorization_rules(K, P):
    n, L = 3000, 50
    b = _np(tasks.get("p13_memorization")(jax.random.key(2), n, L, K=K, P=P))
    assert b.inputs.shape == (n, L + 2 * P, K + 2) and b.targets.shape == (n, L + 2 * P, K + 1)
    sym, tgt = b.inputs.argmax(-1), b.targets.argmax(-1)
    pattern = sym[:, :P]
    np.testing.assert_array_equal(pattern, b.extra["pattern"])
    _uniform(pattern.reshape(-1), range(K), n * P)
    assert np.all(sym[:, P : L + P] == K) and np.all(sym[:, L + P] == K + 1)
    assert np.all(sym[:, L + P + 1 :] == K)
    assert np.all(tgt[:, : L + P] == K)
    np.testing.assert_array_equal(tgt[:, L + P :], pattern)
    assert np.all(b.mask == 1)


def test_variable_length_per_update_does_not_recompile():
    traces = []

    @jax.jit
    def draw(key, L):
        traces.append(1)
        return tasks.get("p13_temporal_order")(key, 20, L, max_len=200)

    for L in (50, 120, 199):
        b = _np(draw(jax.random.key(L), L))
        assert np.all(b.length == L) and np.all(b.mask[:, L - 1] == 1)
        assert np.all(b.inputs[:, L:] == 0) and np.all(b.inputs[:, :L].sum(-1) == 1)
    assert len(traces) == 1


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("p13_temporal_order", {"L": 9}, "L=9"),
        ("p13_addition", {"L": 5}, "L=5"),
        ("p13_memorization", {"L": 10, "K": 1}, "K=1"),
        ("p13_random_permutation", {"L": 0}, "L=0"),
        ("p13_temporal_order", {"L": 50, "max_len": 40}, "max_len=40"),
    ],
)
def test_bad_config(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tasks.get(name)(jax.random.key(0), 4, **kwargs)
    with pytest.raises(ValueError, match="max_len"):
        jax.jit(lambda L: p13.addition(jax.random.key(0), 2, L))(50)
