"""The 1997 LSTM's learning rule (claim H97-EQ) and the forget-gate reduction (claim G00-FG).

The truncated-gradient autodiff of ``LSTM1997`` is checked against a direct float64 implementation
of the paper's forward-mode equations 19-28 (H97 App. A.2), summed over time steps as in the paper.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from repro import cells

F64 = jnp.float64


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _paper_updates(p, xs, targets, blocks, size, alpha=0.0, gates_first=False):
    """Summed Δw/α of H97 eqs. 19-28 for topology F, bias code "all", one sequence.

    Error enters at every step with a target; it flows back in time only through the CEC, via the
    forward-mode partials ∂s/∂w of eqs. 25 and 27. With ``alpha`` > 0 the weights move by α·Δw/α
    after every step (on-line learning), and the following steps run on the moved weights.
    ``gates_first``: the cell inputs read [x; y_c(t-1); y_in(t); y_out(t)] (update_order
    "gates_first"). A ``W_yx`` in ``p`` adds direct input→output weights (``input_output``).
    """
    p = {k: np.array(v, np.float64) for k, v in p.items()}
    n_cells = blocks * size
    blk = np.repeat(np.arange(blocks), size)  # the block of each cell
    s = np.zeros(n_cells)
    y_prev = np.zeros(n_cells + 2 * blocks)
    n_z = xs.shape[1] + y_prev.size
    ds_dwc = np.zeros((n_cells, n_z + 1))  # ∂s_jv/∂w_{c_jv, m}, last column: bias
    ds_dwin = np.zeros((n_cells, n_z + 1))  # ∂s_jv/∂w_{in_j, m}
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    for x, target in zip(xs, targets, strict=True):
        z = np.concatenate([x, y_prev])
        z1 = np.append(z, 1.0)
        net_in = p["W_in"] @ z + p["b_in"]
        net_out = p["W_out"] @ z + p["b_out"]
        y_in, y_out = _sig(net_in), _sig(net_out)
        z_c = np.concatenate([x, y_prev[:n_cells], y_in, y_out]) if gates_first else z
        net_c = p["W_c"] @ z_c + p["b_c"]
        g = 4 * _sig(net_c) - 2
        g_prime = 4 * _sig(net_c) * (1 - _sig(net_c))
        f_prime_in = y_in * (1 - y_in)
        ds_dwc += (g_prime * y_in[blk])[:, None] * np.append(z_c, 1.0)[None, :]  # eq. 25
        ds_dwin += (g * f_prime_in[blk])[:, None] * z1[None, :]  # eq. 27
        s = s + y_in[blk] * g
        h = 2 * _sig(s) - 1
        h_prime = 2 * _sig(s) * (1 - _sig(s))
        y_c = y_out[blk] * h
        y_k = _sig(p["W_y"] @ y_c + p["b_y"] + (p["W_yx"] @ x if "W_yx" in p else 0.0))
        e_k = y_k * (1 - y_k) * (target - y_k)  # eq. 19
        back = p["W_y"].T @ e_k  # Σ_k W_y[k, jv] e_k
        e_out = y_out * (1 - y_out) * np.bincount(blk, h * back, blocks)  # eq. 21
        e_s = y_out[blk] * h_prime * back  # eq. 23
        upd_c = e_s[:, None] * ds_dwc  # eq. 28
        upd_in = np.zeros((blocks, n_z + 1))  # eq. 26: sum over the cells of each block
        np.add.at(upd_in, blk, e_s[:, None] * ds_dwin)
        step = {
            "W_y": np.outer(e_k, y_c),  # eq. 22
            "b_y": e_k,
            "W_out": np.outer(e_out, z),  # eq. 22
            "b_out": e_out,
            "W_c": upd_c[:, :-1],
            "b_c": upd_c[:, -1],
            "W_in": upd_in[:, :-1],
            "b_in": upd_in[:, -1],
        }
        if "W_yx" in p:
            step["W_yx"] = np.outer(e_k, x)
        for k, d in step.items():
            grads[k] += d
            p[k] += alpha * d
        y_prev = np.concatenate([y_c, y_in, y_out])
    return grads


def _net(x64_dtype=F64, **kw):
    kw = {"n_out": 2, "blocks": 2, "block_size": 2, "bias": "all", "init_scale": 0.5, **kw}
    return cells.LSTM1997(param_dtype=x64_dtype, **kw)


def _loss(cell, params, xs, targets):
    """½ Σ_t Σ_k (t_k - y_k)² (H97 §2: the ½ stands for the factor 2 that eq. 19 leaves out)."""
    _, ys = cells.run(cell, params, xs)
    return 0.5 * jnp.sum((targets - ys) ** 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truncated_autodiff_equals_the_papers_update_equations(x64, seed):
    """H97-EQ: a 2 blocks × 2 cells net, 3 inputs, 2 outputs, 6 steps, targets at every step."""
    cell = _net()
    kx, kt, kp = jax.random.split(jax.random.key(seed), 3)
    xs = jax.random.normal(kx, (6, 3), F64)
    targets = jax.random.uniform(kt, (6, 2), F64)
    params = cell.init(kp, cell.initialize_carry(), xs[0])
    ours = jax.grad(lambda p: _loss(cell, p, xs, targets))(params)["params"]
    paper = _paper_updates(params["params"], np.asarray(xs), np.asarray(targets), 2, 2)
    assert sorted(ours) == sorted(paper)
    for name, delta in paper.items():  # −∂L/∂w equals the paper's Δw/α
        np.testing.assert_allclose(
            -np.asarray(ours[name]), delta, rtol=1e-6, atol=1e-12, err_msg=name
        )


@pytest.mark.parametrize(
    "kw",
    [
        {"update_order": "gates_first"},
        {"input_output": True},
        {"input_output": True, "update_order": "gates_first"},
    ],
    ids=["gates_first", "input_output", "both"],
)
def test_output_layer_and_order_readings_equal_the_papers_equations(x64, kw):
    """The issue-28 readings: eqs. 19-28 with the cell inputs reading this step's gates, and with
    direct input→output weights (their Δw is e_k·x, eq. 22's form), against autodiff."""
    cell = _net(**kw)
    kx, kt, kp = jax.random.split(jax.random.key(5), 3)
    xs = jax.random.normal(kx, (7, 3), F64)
    targets = jax.random.uniform(kt, (7, 2), F64)
    params = cell.init(kp, cell.initialize_carry(), xs[0])
    ours = jax.grad(lambda p: _loss(cell, p, xs, targets))(params)["params"]
    first = kw.get("update_order") == "gates_first"
    paper = _paper_updates(params["params"], np.asarray(xs), np.asarray(targets), 2, 2, 0.0, first)
    assert sorted(ours) == sorted(paper)
    for name, delta in paper.items():
        np.testing.assert_allclose(
            -np.asarray(ours[name]), delta, rtol=1e-6, atol=1e-12, err_msg=name
        )
    # and the reading changes what is computed: the synchronous net's outputs differ
    sync = _net(**{k: v for k, v in kw.items() if k != "update_order"})
    if first:
        diff = cells.run(cell, params, xs)[1] - cells.run(sync, params, xs)[1]
        assert float(jnp.max(jnp.abs(diff))) > 1e-3


def test_output_bias_is_a_bias_of_the_output_units_only(x64):
    """``output_bias`` on bias code "ga": b_y enters every output's net input, nothing else."""
    kw = {"n_out": 3, "blocks": 2, "block_size": 2, "bias": "ga", "param_dtype": F64}
    plain, biased = cells.LSTM1997(**kw), cells.LSTM1997(output_bias=True, **kw)
    xs = jax.random.normal(jax.random.key(0), (5, 4), F64)
    p = biased.init(jax.random.key(1), biased.initialize_carry(), xs[0])
    rest = {"params": {k: v for k, v in p["params"].items() if k != "b_y"}}
    b_y = p["params"]["b_y"]
    assert b_y.shape == (3,) and set(p["params"]) - set(rest["params"]) == {"b_y"}
    y_plain, y_biased = cells.run(plain, rest, xs)[1], cells.run(biased, p, xs)[1]
    logit = lambda y: jnp.log(y / (1 - y))
    np.testing.assert_allclose(
        logit(y_biased) - logit(y_plain), jnp.broadcast_to(b_y, (5, 3)), atol=1e-10
    )
    with pytest.raises(ValueError, match="output_bias=True but bias='all'"):
        cells.LSTM1997(n_out=2, blocks=1, bias="all", output_bias=True)
    with pytest.raises(ValueError, match="update_order='gates_first': needs topology 'F'"):
        cells.LSTM1997(n_out=2, blocks=1, topology="B", update_order="gates_first")
    with pytest.raises(ValueError, match="update_order='later'"):
        cells.LSTM1997(n_out=2, blocks=1, update_order="later")


def _grads(cell, params, xs, targets):
    return jax.grad(lambda p: _loss(cell, p, xs, targets))(params)["params"]


def _zero_recurrent(params, n_in):
    out = dict(params["params"])
    for name in ("W_in", "W_out", "W_c", "W_phi"):
        if name in out:
            out[name] = out[name].at[:, n_in:].set(0.0)
    return {"params": out}


def test_truncated_and_full_gradients_agree_only_without_recurrent_weights(x64):
    """H97 §1.4 of our spec: equal when y_hid -> cells/gates weights are 0, different otherwise."""
    xs = jax.random.normal(jax.random.key(0), (8, 3), F64)
    targets = jax.random.uniform(jax.random.key(1), (8, 2), F64)
    trunc, full = _net(), _net(gradient="full")
    params = trunc.init(jax.random.key(2), trunc.initialize_carry(), xs[0])
    g_t, g_f = _grads(trunc, params, xs, targets), _grads(full, params, xs, targets)
    assert max(float(jnp.max(jnp.abs(g_t[k] - g_f[k]))) for k in g_t) > 1e-4
    zeroed = _zero_recurrent(params, 3)
    g_t, g_f = _grads(trunc, zeroed, xs, targets), _grads(full, zeroed, xs, targets)
    for k in g_t:
        np.testing.assert_allclose(g_t[k], g_f[k], rtol=1e-12, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("gradient", ["truncated", "full"])
def test_forget_gate_held_at_one_gives_the_1997_model(x64, gradient):
    """G00-FG: with y_phi ≡ 1 (W_phi = 0, bias 50: σ(50) rounds to 1 in float64) outputs and
    gradients equal the 1997 model's; with a forget bias near 0 they do not."""
    xs = jax.random.normal(jax.random.key(0), (10, 3), F64)
    targets = jax.random.uniform(jax.random.key(1), (10, 2), F64)
    old = _net(gradient=gradient)
    new = _net(gradient=gradient, forget_gate=True, forget_gate_bias=(50.0, 50.0))
    p_old = old.init(jax.random.key(2), old.initialize_carry(), xs[0])
    p_new = new.init(jax.random.key(2), new.initialize_carry(), xs[0])
    assert new.n_hidden == old.n_hidden  # forget gates are not recurrent sources
    shared = {**p_new["params"], **p_old["params"]}
    shared["W_phi"] = jnp.zeros_like(p_new["params"]["W_phi"])
    p_new = {"params": shared}
    ys_old = cells.run(old, p_old, xs)[1]
    ys_new = cells.run(new, p_new, xs)[1]
    np.testing.assert_allclose(ys_new, ys_old, rtol=1e-15, atol=0)
    g_old, g_new = _grads(old, p_old, xs, targets), _grads(new, p_new, xs, targets)
    for k in g_old:
        np.testing.assert_allclose(g_new[k], g_old[k], rtol=1e-12, atol=1e-18, err_msg=k)
    assert float(jnp.max(jnp.abs(g_new["W_phi"]))) < 1e-15  # σ'(50) ≈ 2e-22
    p_new["params"]["b_phi"] = jnp.zeros(2, F64)
    assert float(jnp.max(jnp.abs(cells.run(new, p_new, xs)[1] - ys_old))) > 1e-3


def test_truncated_forget_gate_carousel_is_the_forget_activation(x64):
    """G00: under truncation the only temporal path is s(t-1) -> s(t), with Jacobian y_phi(t)."""
    from repro import jacobians as jac

    cell = _net(forget_gate=True, forget_gate_bias=(1.0, 2.0))
    xs = jax.random.normal(jax.random.key(0), (5, 3), F64)
    params = cell.init(jax.random.key(1), cell.initialize_carry(), xs[0])
    jacs = jac.step_jacobians(cells.step_fn(cell, params), cell.initialize_carry(), xs)
    s_idx = jac.state_blocks(cell.initialize_carry())["s"]
    y_idx = jac.state_blocks(cell.initialize_carry())["y"]
    states = jac.trajectory(cells.step_fn(cell, params), cell.initialize_carry(), xs)
    p = params["params"]
    for t in range(5):
        y_prev = states[t][y_idx]
        z = jnp.concatenate([xs[t], y_prev])
        phi = jax.nn.sigmoid(p["W_phi"] @ z + p["b_phi"])
        np.testing.assert_allclose(
            jacs[t][np.ix_(s_idx, s_idx)], jnp.diag(jnp.repeat(phi, 2)), atol=1e-14
        )
        np.testing.assert_array_equal(jacs[t][:, y_idx], 0.0)  # truncated: nothing flows via y


@pytest.mark.parametrize("seed", [0, 1])
def test_per_step_updates_equal_the_papers_on_line_equations(x64, seed):
    """H97-EQ on-line: ``problems.per_step_sgd`` (RTRL on the truncated model, an update at every
    step) equals eqs. 19-28 applied step by step with the weights moved after each step."""
    from repro import problems
    from repro.tasks import Batch

    cell, alpha = _net(), 0.7
    kx, kt, kp = jax.random.split(jax.random.key(seed), 3)
    xs = jax.random.normal(kx, (6, 3), F64)
    targets = jax.random.uniform(kt, (6, 2), F64)
    params = cell.init(kp, cell.initialize_carry(), xs[0])
    batch = Batch(xs[None], targets[None], jnp.ones((1, 6), F64), jnp.array([6], jnp.int32))
    grad = jax.jit(problems.per_step_sgd(cell, problems.squared_error(0.1), alpha))
    (loss, stats), total = grad(params, batch)
    paper = _paper_updates(params["params"], np.asarray(xs), np.asarray(targets), 2, 2, alpha)
    summed = _paper_updates(params["params"], np.asarray(xs), np.asarray(targets), 2, 2)
    for name, delta in paper.items():  # G = -Σ_t Δw(t)/α at the moving weights
        np.testing.assert_allclose(
            -np.asarray(total["params"][name]), delta, rtol=1e-6, atol=1e-12, err_msg=name
        )
    assert max(np.max(np.abs(paper[k] - summed[k])) for k in paper) > 1e-3  # on-line differs
    assert stats["correct"].shape == (1,) and np.isfinite(float(loss))
