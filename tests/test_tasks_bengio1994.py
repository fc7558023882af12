"""B94 / BF93 task generators: every rule of the spec checked on many samples.

Compiling is the cost here, not sampling: the rule tests share one shape (N sequences of T_MAIN
steps, compiled once per primitive), and the edge cases, balance and jit/vmap checks each trace all
tasks in one jitted function.
"""

import functools
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import tasks
from repro.tasks import bengio1994 as b94

N = 20_000
T_MAIN = 11  # odd: lengths {6..11}
VARIABLE_LENGTH = ["b94_latch", "b94_two_sequence", "b94_parity"]
BALANCED = ["b94_minimal", "b94_latch", "b94_two_sequence"]
TARGET = {"b94_minimal": 0.8, "b94_latch": 0.8, "b94_two_sequence": 0.8, "b94_parity": 1.0}


def _np(batch):
    return jax.tree_util.tree_map(np.asarray, batch)


@functools.cache
def _draw(name, seed, batch=N, **cfg):
    return _np(tasks.get(name)(jax.random.key(seed), batch, **{"T": T_MAIN, **cfg}))


def _same(a, b):
    """Equal; floats to float32 rounding of the operands (XLA fuses differently under jit: e.g.
    key + noise may become one fused multiply-add, and jax.random.normal's erfinv moves by 1 ulp)."""
    if np.issubdtype(a.dtype, np.floating):
        np.testing.assert_allclose(a, b, rtol=3e-7, atol=3e-7)
    else:
        np.testing.assert_array_equal(a, b)


def _uniform_counts_ok(values, support, n):
    """Every value in ``support`` occurs, each within 5 standard errors of n/len(support)."""
    counts = np.array([(values == s).sum() for s in support])
    expected = n / len(support)
    sd = math.sqrt(expected * (1 - 1 / len(support)))
    assert set(np.unique(values)) <= set(support), np.unique(values)
    assert np.all(np.abs(counts - expected) < 5 * sd), counts


def _moments_ok(x, mean, var, var_of_square):
    """Sample mean and variance within 5 standard errors (var_of_square: Var((x - mean)²))."""
    n = x.size
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n) + 1e-7, x.mean()
    assert abs(x.var() - var) < 5 * math.sqrt(var_of_square / n) + 1e-7, x.var()


def _uniform_noise_ok(noise, half_width):
    """Continuous uniform on [-a, a]: bounds, both ends reached, moments, flat deciles."""
    a = half_width
    assert np.all(np.abs(noise) <= a * (1 + 1e-6))
    assert noise.max() > 0.999 * a and noise.min() < -0.999 * a
    _moments_ok(noise, 0.0, a**2 / 3, a**4 * (1 / 5 - 1 / 9))
    deciles = np.clip(np.floor((noise + a) / (2 * a) * 10), 0, 9)
    _uniform_counts_ok(deciles, range(10), noise.size)


def _check_end_target(b, T, n, target):
    """Shapes; mask one-hot at ℓ; ±target at ℓ by class, 0 elsewhere; inputs 0 after ℓ.

    Returns the (n, T) mask of the steps 1..ℓ.
    """
    assert b.inputs.shape == (n, T, 1) and b.targets.shape == (n, T, 1) and b.mask.shape == (n, T)
    assert b.length.shape == (n,) and b.length.dtype == np.int32 and b.mask.dtype == np.float32
    assert b.extra["label"].dtype == np.int32 and set(np.unique(b.extra["label"])) <= {0, 1}
    pos = np.arange(1, T + 1)[None, :]
    np.testing.assert_array_equal(b.mask, (pos == b.length[:, None]).astype(np.float32))
    d = np.where(b.extra["label"] == 1, target, -target).astype(np.float32)
    np.testing.assert_array_equal(b.targets[..., 0], np.where(b.mask == 1, d[:, None], 0.0))
    valid = pos <= b.length[:, None]
    assert np.all(b.inputs[..., 0][~valid] == 0)
    return valid


# ----------------------------------------------------------------------------- lengths and masks


@pytest.mark.parametrize("name", VARIABLE_LENGTH)
def test_lengths_uniform_between_half_T_and_T(name):
    b = _draw(name, 0)
    _check_end_target(b, T_MAIN, N, TARGET[name])
    _uniform_counts_ok(b.length, range(6, T_MAIN + 1), N)


@functools.cache
def _edge_batches():
    """All four tasks at T = 2..5 (the 2-sequence key shrunk to fit ⌈T/2⌉), in one trace."""

    def draw(key):
        out = {}
        for T in (2, 3, 4, 5):
            k = jax.random.fold_in(key, T)
            out[T] = {
                "b94_minimal": b94.minimal(k, 2000, T, L=T - 1),
                "b94_latch": b94.latch(k, 2000, T),
                "b94_two_sequence": b94.two_sequence(k, 2000, T, n_key=(T + 1) // 2),
                "b94_parity": b94.parity(k, 2000, T),
            }
        return out

    return _np(jax.jit(draw)(jax.random.key(1)))


@pytest.mark.parametrize("T", [2, 3, 4, 5])
def test_small_T_edge_cases(T):
    n, batches = 2000, _edge_batches()[T]
    for name in VARIABLE_LENGTH:
        b = batches[name]
        valid = _check_end_target(b, T, n, TARGET[name])
        _uniform_counts_ok(b.length, range(math.ceil(T / 2), T + 1), n)
        if name == "b94_latch":
            assert np.all(b.inputs[:, 0] == 0)
        else:
            assert np.all(b.inputs[..., 0][valid] != 0)
    b = batches["b94_two_sequence"]  # the shortest sequences are exactly the (noisy) key
    n_key = (T + 1) // 2
    assert b.extra["key"].shape == (n, n_key)
    assert np.all(np.abs(b.inputs[:, :n_key, 0] - b.extra["key"]) <= 0.2 + 1e-6)
    b = batches["b94_minimal"]
    _check_end_target(b, T, n, 0.8)
    assert np.all(b.length == T) and np.all(b.inputs[:, : T - 1] == 0)
    assert np.all(b.inputs[:, T - 1] != 0)


# ----------------------------------------------------------------------------- minimal (§2.1)


@pytest.mark.parametrize(
    "s, noise_param, std", [(0.2, "variance", math.sqrt(0.2)), (0.2, "std", 0.2), (1.0, "std", 1.0)]
)
@pytest.mark.parametrize("L", [1, 3])
def test_minimal_rules(s, noise_param, std, L):
    b = _draw("b94_minimal", 1, L=L, s=s, noise_param=noise_param)
    _check_end_target(b, T_MAIN, N, 0.8)
    assert np.all(b.length == T_MAIN) and np.all(b.mask[:, -1] == 1)
    assert b.extra["label"].sum() == N // 2  # balanced by default (50 per class in the paper)
    x = b.inputs[..., 0]
    assert np.all(x[:, :L] == 0)  # the model adds h_t^k at steps 1..L
    noise = x[:, L:]
    var = std**2
    _moments_ok(noise, 0.0, var, 2 * var**2)  # Gaussian: Var((x - μ)²) = 2σ⁴
    within = (np.abs(noise) < std).mean()  # Gaussian, not uniform: P(|x| < σ) = 0.6827
    assert abs(within - 0.682689) < 5 * math.sqrt(0.2166 / noise.size), within
    lab = b.extra["label"] == 1  # the noise does not depend on the class
    assert abs(noise[lab].var() - noise[~lab].var()) < 10 * math.sqrt(2 * var**2 / noise[lab].size)


def test_minimal_noise_free_and_target_option():
    b = _draw("b94_minimal", 2, s=0.0, target=0.5)
    assert np.all(b.inputs == 0)
    _check_end_target(b, T_MAIN, N, 0.5)
    assert b94.minimal(jax.random.key(0), 2).inputs.shape == (2, 20, 1)  # default T = 20


# ----------------------------------------------------------------------------- latch (§2.6)


@pytest.mark.parametrize("noise", [0.2, 0.5])
def test_latch_rules(noise):
    b = _draw("b94_latch", 3, noise=noise)
    valid = _check_end_target(b, T_MAIN, N, 0.8)
    x = b.inputs[..., 0]
    assert np.all(x[:, 0] == 0)  # the model adds u_k at t = 1, noise-free
    _uniform_noise_ok(x[:, 1:][valid[:, 1:]], noise)
    assert b.extra["label"].sum() == N // 2 and set(b.extra) == {"label"}


def test_latch_without_noise_is_all_zero():
    b = _draw("b94_latch", 4, noise=0.0, target=1.0)
    assert np.all(b.inputs == 0)
    _check_end_target(b, T_MAIN, N, 1.0)


# ----------------------------------------------------------------------------- 2-sequence (§2.7)


def test_two_sequence_keys_are_uniform():
    keys = np.asarray(b94.two_sequence_keys(jax.random.key(5), n_key=N))
    assert keys.shape == (2, N)
    _uniform_noise_ok(keys[0], 1.0)
    _uniform_noise_ok(keys[1], 1.0)
    assert abs(np.corrcoef(keys)[0, 1]) < 5 / math.sqrt(N)  # κ_0 and κ_1 independent
    assert b94.two_sequence_keys(jax.random.key(0)).shape == (2, 3)


@pytest.mark.parametrize("noise_on_key", [True, False])
@pytest.mark.parametrize("n_key", [3, 5])
def test_two_sequence_rules(noise_on_key, n_key):
    noise = 0.2
    class_keys = b94.two_sequence_keys(jax.random.key(6), n_key)
    b = _np(
        b94.two_sequence(
            jax.random.key(7), N, T_MAIN, class_keys, noise=noise, noise_on_key=noise_on_key
        )
    )
    class_keys = np.asarray(class_keys)
    valid = _check_end_target(b, T_MAIN, N, 0.8)
    assert b.extra["label"].sum() == N // 2
    assert np.all(b.length >= n_key)  # every sequence holds its whole key
    np.testing.assert_array_equal(b.extra["key"], class_keys[b.extra["label"]])
    x = b.inputs[..., 0]
    resid = x[:, :n_key] - b.extra["key"]
    if noise_on_key:
        _uniform_noise_ok(resid.reshape(-1), noise)
    else:
        assert np.all(resid == 0)
    _uniform_noise_ok(x[:, n_key:][valid[:, n_key:]], noise)  # zeros after the key, plus noise


def test_two_sequence_default_keys_come_from_the_key():
    key = jax.random.key(8)
    b_none = _np(b94.two_sequence(key, N, T_MAIN))
    k_keys, _ = jax.random.split(key)
    explicit = b94.two_sequence_keys(k_keys)
    b_explicit = _np(b94.two_sequence(key, N, T_MAIN, explicit))
    for got, want in zip(jax.tree.leaves(b_none), jax.tree.leaves(b_explicit), strict=True):
        np.testing.assert_array_equal(got, want)
    # Batches with shared class keys (training and test data of one trial) share the two keys.
    other = _np(b94.two_sequence(jax.random.key(9), N, T_MAIN, explicit))
    for b in (b_none, other):
        np.testing.assert_array_equal(b.extra["key"], np.asarray(explicit)[b.extra["label"]])


# ----------------------------------------------------------------------------- parity (§2.8)


@pytest.mark.parametrize("noise, target", [(0.2, 1.0), (0.2, 0.8), (0.0, 1.0)])
def test_parity_rules(noise, target):
    b = _draw("b94_parity", 11, noise=noise, target=target)
    valid = _check_end_target(b, T_MAIN, N, target)
    bits, x = b.extra["bits"], b.inputs[..., 0]
    assert bits.shape == (N, T_MAIN) and np.all(bits[~valid] == 0)
    _uniform_counts_ok(bits[valid], [-1.0, 1.0], valid.sum())
    label = b.extra["label"]
    np.testing.assert_array_equal(label, (bits == 1).sum(1) % 2)  # odd number of +1's
    np.testing.assert_array_equal(label, ((x > 0) & valid).sum(1) % 2)  # read off the inputs
    if noise:
        _uniform_noise_ok((x - bits)[valid], noise)
    else:
        np.testing.assert_array_equal(x, bits)
    _uniform_counts_ok(label, [0, 1], N)


# ----------------------------------------------------------------------------- balance


@functools.cache
def _sets_of_20():
    """Labels of 2000 training sets of 20 (the comparative protocol), every task, one trace."""

    def labels(key):
        out = {
            (name, balanced): tasks.get(name)(key, 20, T=10, balanced=balanced).extra["label"]
            for name in BALANCED
            for balanced in (True, False)
        }
        out["b94_parity", False] = b94.parity(key, 20, 10).extra["label"]
        return out

    keys = jax.random.split(jax.random.key(13), 2000)
    return _np(jax.jit(jax.vmap(labels))(keys))


@pytest.mark.parametrize("name", BALANCED)
def test_balanced_training_set_of_the_comparative_protocol(name):
    labels = _sets_of_20()[name, True]
    assert np.all(labels.sum(1) == 10)  # 10 per class, every time
    # in random order: every position is class 1 half the time
    assert np.all(np.abs(labels.mean(0) - 0.5) < 5 * 0.5 / math.sqrt(len(labels)))


@pytest.mark.parametrize("name", BALANCED + ["b94_parity"])
def test_unbalanced_classes_are_drawn_independently(name):
    """balanced=False, and parity always: Binomial(20, 1/2) per set, P(exactly 10) = 0.176."""
    labels = _sets_of_20()[name, False]
    assert abs((labels.sum(1) == 10).mean() - 0.176) < 0.05
    _uniform_counts_ok(labels.reshape(-1), [0, 1], labels.size)
    assert b94.parity(jax.random.key(0), 7, 4).inputs.shape == (7, 4, 1)  # odd batch allowed


# ----------------------------------------------------------------------------- jit and vmap


def test_jit_and_vmap_over_keys_and_noise_levels_match_eager():
    """One jitted, vmapped function of (key, noise level) draws every task; each slice equals the
    eager batch at that key and a Python noise level (the Fig. 2(a) grid vmaps over s)."""
    traces = []
    two_keys = b94.two_sequence_keys(jax.random.key(14))

    def draw(key, level):
        traces.append(1)
        return {
            "b94_minimal": b94.minimal(key, N, T_MAIN, s=level),
            "b94_minimal_std": b94.minimal(key, N, T_MAIN, s=level, noise_param="std"),
            "b94_latch": b94.latch(key, N, T_MAIN, noise=level),
            "b94_two_sequence": b94.two_sequence(key, N, T_MAIN, noise=level),
            "b94_two_sequence_keys": b94.two_sequence(key, N, T_MAIN, two_keys, noise=level),
            "b94_parity": b94.parity(key, N, T_MAIN, noise=level),
        }

    grid = jax.jit(jax.vmap(draw))
    keys, levels = jax.random.split(jax.random.key(15), 2), [0.2, 0.7]
    out = _np(grid(keys, jnp.array(levels)))
    _np(grid(jax.random.split(jax.random.key(16), 2), jnp.array([0.0, 1.0])))
    assert len(traces) == 1  # traced once; new keys and levels reuse it
    for i, level in enumerate(levels):
        eager = _np(draw(keys[i], level))
        assert jax.tree.structure(eager) == jax.tree.structure(out)
        for a, b in zip(jax.tree.leaves(eager), jax.tree.leaves(out), strict=True):
            _same(a, b[i])


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("b94_minimal", {"T": 3, "L": 3}, "T=3"),
        ("b94_minimal", {"L": 0}, "L=0"),
        ("b94_minimal", {"s": -0.1}, "s=-0.1"),
        ("b94_minimal", {"s": float("nan")}, "s=nan"),
        ("b94_minimal", {"s": "0.2"}, "s='0.2'"),
        ("b94_minimal", {"noise_param": "sd"}, "noise_param='sd'"),
        ("b94_minimal", {"target": 1.5}, "target=1.5"),
        ("b94_minimal", {"balanced": None}, "balanced=None"),
        ("b94_latch", {"T": 1}, "T=1"),
        ("b94_latch", {"T": 10.0}, "T=10.0"),
        ("b94_latch", {"T": True}, "T=True"),
        ("b94_latch", {"T": 10, "noise": -1}, "noise=-1"),
        ("b94_latch", {"T": 10, "noise": float("inf")}, "noise=inf"),
        ("b94_latch", {"T": 10, "target": 0}, "target=0"),
        ("b94_latch", {"T": 10, "balanced": 1}, "balanced=1"),
        ("b94_two_sequence", {"T": 4}, "T=4"),
        ("b94_two_sequence", {"T": 10, "n_key": 6}, "T=10"),
        ("b94_two_sequence", {"T": 10, "n_key": 0}, "n_key=0"),
        ("b94_two_sequence", {"T": 10, "class_keys": np.zeros((3, 3))}, "class_keys"),
        ("b94_two_sequence", {"T": 10, "class_keys": np.zeros(3)}, "class_keys"),
        ("b94_two_sequence", {"T": 10, "class_keys": np.zeros((2, 3)), "n_key": 4}, "n_key=4"),
        ("b94_two_sequence", {"T": 4, "class_keys": np.zeros((2, 3))}, "T=4"),
        ("b94_two_sequence", {"T": 10, "noise_on_key": "yes"}, "noise_on_key='yes'"),
        ("b94_parity", {"T": 1}, "T=1"),
        ("b94_parity", {"T": 10, "noise": jnp.ones(3)}, "noise"),
        ("b94_parity", {"T": 10, "target": -1.0}, "target=-1.0"),
    ],
)
def test_bad_config_raises_before_tracing(name, kwargs, message):
    fn = tasks.get(name)
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        fn(jax.random.key(0), 4, **kwargs)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=re.escape(message)):  # the same error under jit
        jax.jit(lambda k: fn(k, 4, **kwargs))(jax.random.key(0))


@pytest.mark.parametrize("name", VARIABLE_LENGTH + ["b94_minimal"])
@pytest.mark.parametrize("batch", [0, -2, 2.0, True])
def test_bad_batch_raises(name, batch):
    with pytest.raises(ValueError, match=re.escape(f"batch={batch!r}")):
        tasks.get(name)(jax.random.key(0), batch, T=10)


@pytest.mark.parametrize("name", BALANCED)
def test_odd_batch_needs_balanced_false(name):
    with pytest.raises(ValueError, match=r"batch=5: must be even when balanced=True"):
        tasks.get(name)(jax.random.key(0), 5, T=10)


def test_two_sequence_keys_bad_n_key():
    with pytest.raises(ValueError, match="n_key=0"):
        b94.two_sequence_keys(jax.random.key(0), 0)


# ----------------------------------------------------------------------------- registry


def test_registry():
    names = {"b94_minimal", "b94_latch", "b94_two_sequence", "b94_parity"}
    assert set(b94.TASKS) == names and names <= set(tasks.TASKS)
    assert tasks.get("b94_parity") is b94.parity
    assert tasks.get("b94_two_sequence") is b94.two_sequence
    for name, fn in b94.TASKS.items():
        assert f"``{name}``" in fn.__doc__ and "claim" in fn.__doc__
    assert {"h97_adding", "p13_addition"} <= set(tasks.TASKS)  # the other papers are still there
