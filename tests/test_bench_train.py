"""Smoke test of bench/train.py: its step functions run at tiny sizes and agree on the loss."""

import jax
import numpy as np
import pytest

from bench import train as bt

# The adding problem needs T >= 20 (X1 in {1..10} before T/2); batch 2, 4 units keep it tiny.
T, BATCH, HIDDEN = 20, 2, 4


@pytest.fixture(scope="module")
def setup():
    data = bt.make_data(BATCH, T)
    return data, bt.ours_params(HIDDEN, data.inputs.shape[-1])


def _two_steps(impl):
    state, first = impl.step(impl.init())
    _, second = impl.step(state)
    return first, second


def test_ours_and_flax_steps_agree(setup):
    data, params = setup
    assert data.inputs.shape == (BATCH, T + T // 10, 2)
    losses = {
        "ours": _two_steps(bt.ours_impl(params, data)),
        "generic": _two_steps(bt.ours_impl(params, data, fused=False)),
        "flax": _two_steps(bt.flax_impl(params, data)),
    }
    for name, (first, second) in losses.items():
        assert np.isfinite(first) and np.isfinite(second), name
    # Same weights and data: the same initial loss, and (one identical Adam step later) the next.
    for name in ("generic", "flax"):
        np.testing.assert_allclose(losses[name], losses["ours"], rtol=1e-5, err_msg=name)


@pytest.mark.slow  # needs the optional bench extra (PyTorch): `make test-slow` installs it
def test_torch_step_agrees():
    pytest.importorskip("torch")
    data = bt.make_data(BATCH, T)
    params = bt.ours_params(HIDDEN, data.inputs.shape[-1])
    ours = _two_steps(bt.ours_impl(params, data))
    torch_losses = _two_steps(bt.torch_impl(params, data, threads=1))
    assert np.all(np.isfinite(torch_losses))
    # The initial loss only: torch's LSTM has two gate biases (ih and hh), each updated by Adam.
    np.testing.assert_allclose(torch_losses[0], ours[0], rtol=1e-5)


def test_h97_trainer_builds():
    tr = bt.h97_trainer(20, eval_every=2, evals_per_chunk=1)
    assert tr.schedule.trials == 10


def test_cost_step_updates_the_1997_lstm():
    """Table 3's step: W counts every weight, one update changes them and they stay finite."""
    step, state, W, steps = bt.cost_step(2, T=20)
    assert steps == 22 and W == sum(int(np.size(p)) for p in jax.tree.leaves(state[0]))
    new = step(state)
    moved = [
        not np.allclose(a, b)
        for a, b in zip(jax.tree.leaves(new[0]), jax.tree.leaves(state[0]), strict=True)
    ]
    assert any(moved) and all(np.isfinite(a).all() for a in jax.tree.leaves(new[0]))


def test_s0_step_trains_the_bilstm():
    """Table 4's step runs S0's net and moves its weights."""
    step, state = bt.s0_step(hidden=2, length=30, batch=4)
    new = step(state)
    leaves = zip(jax.tree.leaves(new[0]), jax.tree.leaves(state[0]), strict=True)
    assert any(not np.allclose(a, b) for a, b in leaves)
