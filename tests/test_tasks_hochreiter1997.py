"""H97 task generators: every rule of the spec checked on many samples."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import tasks
from repro.tasks import hochreiter1997 as h97


def _np(batch):
    return jax.tree_util.tree_map(np.asarray, batch)


def _uniform_counts_ok(values, support, n):
    """Every value in ``support`` occurs, each within 5 standard errors of n/len(support)."""
    counts = np.array([(values == s).sum() for s in support])
    expected = n / len(support)
    sd = math.sqrt(expected * (1 - 1 / len(support)))
    assert set(np.unique(values)) <= set(support)
    assert np.all(np.abs(counts - expected) < 5 * sd), counts


def _check_marked_pairs(b, T, n):
    v, marker = b.inputs[..., 0], b.inputs[..., 1]
    L = b.length
    pos = np.arange(1, T + T // 10 + 1)[None, :]
    valid = pos <= L[:, None]
    assert b.inputs.shape == (n, T + T // 10, 2) and b.targets.shape == (n, T + T // 10, 1)
    _uniform_counts_ok(L, range(T, T + T // 10 + 1), n)
    assert np.all(v[~valid] == 0) and np.all(marker[~valid] == 0)
    plus = marker == 1
    assert np.all(plus.sum(1) == 2)
    i1, i2 = b.extra["i1"], b.extra["i2"]
    assert np.all(plus[np.arange(n), i1 - 1]) and np.all(plus[np.arange(n), i2 - 1])
    _uniform_counts_ok(i1, range(1, 11), n)
    assert np.all(i1 != i2) and np.all((i2 >= 1) & (i2 <= T // 2))
    # i2 is uniform on {1..T/2} \ {i1}: given i1 = 5, every other position equally likely.
    _uniform_counts_ok(i2[i1 == 5], [j for j in range(1, T // 2 + 1) if j != 5], (i1 == 5).sum())
    first_marked = plus[:, 0]
    assert np.all(marker[~first_marked, 0] == -1)
    assert np.all(marker[np.arange(n), L - 1] == -1)  # position L is never marked
    others = valid & ~plus & (pos != 1) & (pos != L[:, None])
    assert np.all(marker[others] == 0)
    np.testing.assert_array_equal(b.mask, (pos == L[:, None]).astype(np.float32))
    assert np.all(b.targets[..., 0][b.mask == 0] == 0)
    return v, plus, first_marked


def test_adding_rules():
    n, T = 20_000, 100
    b = _np(h97.adding(jax.random.key(0), n, T))
    v, plus, first_marked = _check_marked_pairs(b, T, n)
    assert np.all(np.abs(v) <= 1) and np.all(v[:, 1:100].std() > 0.5)
    assert np.all(v[first_marked, 0] == 0) and first_marked.mean() > 0.09  # ≈ 0.1 + 0.9/49
    a = np.where(plus, v, 0).sum(1)
    target = b.targets[np.arange(n), b.length - 1, 0]
    np.testing.assert_allclose(target, 0.5 + a / 4, atol=1e-6)
    assert np.all((target >= 0) & (target <= 1))


def test_adding_first_pair_rule_x1_only():
    n = 20_000
    b = _np(h97.adding(jax.random.key(1), n, 100, first_pair_rule="x1_only"))
    only_x2 = (b.extra["i2"] == 1) & (b.extra["i1"] != 1)
    assert only_x2.sum() > 100
    assert np.all(b.inputs[only_x2, 0, 0] != 0)
    assert np.all(b.inputs[b.extra["i1"] == 1, 0, 0] == 0)


def test_multiplication_rules():
    n, T = 20_000, 100
    b = _np(h97.multiplication(jax.random.key(2), n, T))
    v, plus, first_marked = _check_marked_pairs(b, T, n)
    valid = np.arange(1, 111)[None, :] <= b.length[:, None]
    assert np.all((v[valid] >= 0) & (v[valid] <= 1))
    assert np.all(v[first_marked, 0] == 1.0)
    prod = np.prod(np.where(plus, v, 1.0), axis=1)
    np.testing.assert_allclose(b.targets[np.arange(n), b.length - 1, 0], prod, rtol=1e-6)


@pytest.mark.parametrize(
    "variant, ranges, n_classes",
    [("6a", [(10, 20), (50, 60)], 4), ("6b", [(10, 20), (33, 43), (66, 76)], 8)],
)
def test_temporal_order_rules(variant, ranges, n_classes):
    n = 16_000
    b = _np(tasks.get(f"h97_temporal_order_{variant}")(jax.random.key(3), n))
    assert b.inputs.shape == (n, 110, 8)
    L = b.length
    _uniform_counts_ok(L, range(100, 111), n)
    pos = np.arange(1, 111)[None, :]
    valid = pos <= L[:, None]
    assert np.all(b.inputs.sum(-1) == valid)  # one-hot inside, zero after the end
    sym = b.inputs.argmax(-1)
    assert np.all(sym[:, 0] == 7) and np.all(sym[np.arange(n), L - 1] == 6)  # E first, B last
    xy = (sym == 4) | (sym == 5)
    assert np.all(xy.sum(1) == len(ranges))
    cls = np.zeros(n, int)
    for lo, hi in ranges:
        in_range = xy & (pos >= lo) & (pos <= hi)
        assert np.all(in_range.sum(1) == 1)
        _uniform_counts_ok(np.argmax(in_range, 1) + 1, range(lo, hi + 1), n)
        cls = 2 * cls + (sym[in_range] == 5)  # X = 0, Y = 1, first symbol most significant
    others = valid & ~xy & (pos != 1) & (pos != L[:, None])
    assert np.all(sym[others] <= 3)
    _uniform_counts_ok(sym[others], range(4), others.sum())
    _uniform_counts_ok(cls, range(n_classes), n)
    np.testing.assert_array_equal(b.targets[np.arange(n), L - 1].argmax(-1), cls)
    assert b.targets.sum() == n and np.all(b.mask.sum(1) == 1)


def test_2a_has_exactly_two_sequences():
    p = 100
    b = _np(tasks.get("h97_2a")(jax.random.key(4), 2000, p=p))
    seq = np.concatenate([b.inputs.argmax(-1), b.targets[:, -1:].argmax(-1)], axis=1)  # (B, p+1)
    assert b.inputs.shape == (2000, p, p + 1) and np.all(b.mask == 1)
    np.testing.assert_array_equal(seq[:, 1:-1], np.broadcast_to(np.arange(p - 1), (2000, p - 1)))
    assert np.all(seq[:, 0] == seq[:, -1]) and set(np.unique(seq[:, 0])) == {p - 1, p}
    _uniform_counts_ok(seq[:, 0], [p - 1, p], 2000)
    np.testing.assert_array_equal(b.inputs[:, 1:], b.targets[:, :-1])  # targets are next inputs


def test_2b_middle_is_random():
    p, n = 20, 20_000
    b = _np(tasks.get("h97_2b")(jax.random.key(5), n, p=p))
    middle = b.inputs[:, 1:].argmax(-1)
    _uniform_counts_ok(middle.reshape(-1), range(p - 1), middle.size)
    assert np.all(b.inputs[:, 0].argmax(-1) == b.targets[:, -1].argmax(-1))


def test_2c_extra_distractors_are_geometric():
    """P(k) = 0.1·0.9^k: full length q + 4 + k has mean q + 13 (spec: ± 0.1 over 10⁶ samples)."""
    k = np.asarray(h97.extra_distractors(jax.random.key(6), 1_000_000, 250))
    assert abs(k.mean() + 4 - 13) < 0.1
    assert abs((k == 0).mean() - 0.1) < 0.002 and abs((k == 1).mean() - 0.09) < 0.002
    assert k.min() == 0


@pytest.mark.parametrize("q, p", [(50, 50), (100, 10)])
def test_2c_rules(q, p):
    n = 4000
    b = _np(tasks.get("h97_2c")(jax.random.key(7), n, q=q, p=p))
    L = b.length
    assert np.all(L >= q + 3) and b.inputs.shape == (n, q + 253, p + 4)
    sym = b.inputs.argmax(-1)
    pos = np.arange(1, q + 254)[None, :]
    valid = pos <= L[:, None]
    assert np.all(b.inputs.sum(-1) == valid)
    assert np.all(sym[:, 0] == p + 1) and np.all(np.isin(sym[:, 1], [p + 2, p + 3]))
    assert np.all(sym[np.arange(n), L - 1] == p)  # the trigger e ends the input
    middle = valid & (pos > 2) & (pos < L[:, None])
    assert np.all(sym[middle] < p)
    _uniform_counts_ok(sym[middle], range(p), middle.sum())
    cls = sym[:, 1] - (p + 2)
    _uniform_counts_ok(cls, [0, 1], n)
    np.testing.assert_array_equal(b.targets[np.arange(n), L - 1].argmax(-1), cls)
    assert np.all(b.mask.sum(1) == 1) and np.all(b.mask[np.arange(n), L - 1] == 1)


@pytest.mark.parametrize("variant", ["3a", "3b", "3c"])
def test_noise_signal_rules(variant):
    n, T, N = 20_000, 100, 3
    b = _np(tasks.get(f"h97_{variant}")(jax.random.key(8), n, T=T, N=N))
    x, L = b.inputs[..., 0], b.length
    _uniform_counts_ok(L, range(T, T + T // 10 + 1), n)
    pos = np.arange(1, T + T // 10 + 1)[None, :]
    valid = pos <= L[:, None]
    assert np.all(x[~valid] == 0)
    cls2 = b.extra["class"] == 1
    _uniform_counts_ok(b.extra["class"], [0, 1], n)
    sign = np.where(cls2, -1.0, 1.0)[:, None]
    noise = x[valid & (pos > N)]
    assert abs(noise.mean()) < 0.01 and abs(noise.var() - 0.2) < 0.005  # variance 0.2
    info = x[:, :N]
    if variant == "3b":
        resid = info - sign
        assert abs(resid.var() - 0.2) < 0.01 and abs(resid.mean()) < 0.01
    else:
        np.testing.assert_array_equal(info, np.broadcast_to(sign, info.shape))
    target = b.targets[np.arange(n), L - 1, 0]
    if variant == "3c":
        clean = np.where(cls2, 0.8, 0.2)
        np.testing.assert_allclose(b.extra["clean_target"], clean, atol=1e-7)
        assert abs((target - clean).var() - 0.1) < 0.005 and abs((target - clean).mean()) < 0.01
    else:
        np.testing.assert_array_equal(target, np.where(cls2, 0.0, 1.0))


def test_generators_are_jittable_with_static_shapes():
    traces = []

    @jax.jit
    def draw(key):
        traces.append(1)
        return tasks.get("h97_adding")(key, 8, T=100)

    a, b = draw(jax.random.key(0)), draw(jax.random.key(1))
    assert len(traces) == 1 and a.inputs.shape == b.inputs.shape
    assert not np.array_equal(a.length, b.length) or not np.array_equal(a.inputs, b.inputs)
    assert jnp.array_equal(draw(jax.random.key(0)).inputs, a.inputs)  # deterministic


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("h97_adding", {"T": 19}, "T=19"),
        ("h97_adding", {"T": 100, "first_pair_rule": "x"}, "first_pair_rule"),
        ("h97_multiplication", {"T": 0}, "T=0"),
        ("h97_2a", {"p": 1}, "p=1"),
        ("h97_2c", {"q": 0}, "q=0"),
        ("h97_3a", {"T": 3, "N": 3}, "T=3"),
        ("h97_3b", {"N": 0}, "N=0"),
    ],
)
def test_bad_config_raises_before_compute(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tasks.get(name)(jax.random.key(0), 4, **kwargs)
    with pytest.raises(ValueError, match="batch"):
        tasks.get(name)(jax.random.key(0), 0)
    with pytest.raises(ValueError, match="unknown task"):
        tasks.get("h97_nope")


# ----------------------------------------------------------------------------- Reber (H97-F3/F4)

# The spec's transition table, written independently of the generator's state machine.
REBER = {
    "start": {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": "end"},
    5: {"P": 4, "V": "end"},
    "end": {"E": None},
}


def _inner_ok(s):
    node = "start"
    for i, c in enumerate(s):
        if node is None or c not in REBER[node]:
            return False
        node = REBER[node][c]
        if node is None:
            return i == len(s) - 1
    return False


def _embedded_ok(s):
    return (
        len(s) >= 9
        and s[0] == "B"
        and s[1] in "TP"
        and s[-2] == s[1]
        and s[-1] == "E"
        and _inner_ok(s[2:-2])
    )


def _successors(s):
    """Legal next symbols after each prefix s[:t+1], from the spec's rules."""
    out, inner = [], s[2:-2]
    for t in range(len(s) - 1):
        if t == 0:
            out.append(set("TP"))
        elif t == 1:
            out.append({"B"})
        elif t < len(s) - 3:  # inside the inner string: successors of the node reached
            node = "start"
            for c in inner[: t - 1]:
                node = REBER[node][c]
            out.append(set(REBER[node]))
        elif t == len(s) - 3:  # after the inner E: only the embedded symbol a
            out.append({s[1]})
        else:
            out.append({"E"})
    return out


def _strings(syms, lengths):
    return [
        "".join(h97.REBER_SYMBOLS[i] for i in row[:n]) for row, n in zip(syms, lengths, strict=True)
    ]


def test_reber_examples_and_mutations():
    for inner in ["BTSSXXTVVE", "BPVPXVPXVPXVVE", "BTXSE"]:
        assert _inner_ok(inner)
        assert _embedded_ok("BT" + inner + "TE") and _embedded_ok("BP" + inner + "PE")
        assert not _embedded_ok("BT" + inner + "PE")  # the long-lag symbol must match
    assert _embedded_ok("BTBTXSETE") and len("BTBTXSETE") == 9  # the minimal length


def test_reber_walks_follow_the_grammar_with_fair_branches():
    n = 100_000
    syms, lengths = map(np.asarray, h97.reber_walks(jax.random.key(9), n, 64))
    ok = lengths > 0
    assert ok.mean() > 0.999
    strings = _strings(syms[ok], lengths[ok])
    assert all(_embedded_ok(s) for s in strings)
    assert all(
        np.all(row[n_:] == -1) for row, n_ in zip(syms[ok][:1000], lengths[ok][:1000], strict=True)
    )
    # Branch frequencies at every choice point: 0.5 ± 0.01.
    counts = {k: {} for k in (1, 2, 3, 4, 5, "a")}
    for s in strings:
        counts["a"][s[1]] = counts["a"].get(s[1], 0) + 1
        node = "start"
        for c in s[2:-2]:
            if node in counts:
                counts[node][c] = counts[node].get(c, 0) + 1
            node = REBER[node][c]
    for node, c in counts.items():
        total = sum(c.values())
        assert len(c) == 2 and total > 10_000, (node, c)
        assert all(abs(v / total - 0.5) < 0.01 for v in c.values()), (node, c)
    # A one-symbol mutation to a symbol outside the legal successors is always rejected.
    rng = np.random.default_rng(0)
    rejected = 0
    for s in strings[:2000]:
        i = int(rng.integers(1, len(s)))
        c = str(rng.choice([c for c in "BTPSXVE" if c != s[i]]))
        m = s[:i] + c + s[i + 1 :]
        if c not in _successors(s)[i - 1]:
            assert not _embedded_ok(m), (s, m)
            rejected += 1
    assert rejected > 1000


def test_reber_sets_and_batches():
    data = h97.reber_sets(jax.random.key(10), 256, 256)
    train, test = (jax.tree_util.tree_map(np.asarray, data[k]) for k in ("train", "test"))
    s_train = _strings(train["symbols"], train["length"])
    s_test = _strings(test["symbols"], test["length"])
    assert len(s_train) == 256 and len(s_test) == 256
    assert not set(s_train) & set(
        s_test
    )  # strings of the training set are excluded from the test set
    assert all(_embedded_ok(s) for s in s_train + s_test)
    for s, legal in zip(s_train[:50], train["legal"][:50], strict=True):
        want = _successors(s)
        got = [{h97.REBER_SYMBOLS[k] for k in np.flatnonzero(legal[t])} for t in range(len(s) - 1)]
        assert got == want, s
    unique = h97.reber_sets(jax.random.key(10), 64, 64, unique_strings=True)
    assert (
        len(
            set(_strings(*map(np.asarray, (unique["train"]["symbols"], unique["train"]["length"]))))
        )
        == 64
    )
    b = _np(tasks.get("h97_reber")(jax.random.key(11), 500, data=data["train"]))
    np.testing.assert_array_equal(b.inputs[:, 1:], b.targets[:, :-1])
    assert np.all(b.mask.sum(1) == b.length) and np.all(b.length >= 8)
    steps = b.mask == 1
    assert np.all(b.targets[steps].sum(-1) == 1) and np.all(b.inputs[steps].sum(-1) == 1)
    # the actual next symbol is always a legal one
    assert np.all((b.targets * b.extra["legal"]).sum(-1)[steps] == 1)
    assert np.all(b.extra["legal"][~steps] == 0)


def test_reber_all_is_every_string_of_the_set_in_order():
    data = h97.reber_sets(jax.random.key(12), 16, 16)["test"]
    b = _np(h97.reber_all(data))
    assert b.inputs.shape[0] == 16
    np.testing.assert_array_equal(b.length, np.asarray(data["length"]) - 1)
    want = np.asarray(jax.nn.one_hot(data["symbols"], 7))
    np.testing.assert_array_equal(b.inputs, want[:, :-1])
    np.testing.assert_array_equal(b.targets, want[:, 1:])
