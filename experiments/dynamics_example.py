"""Fixed points and Lyapunov spectrum of a small tanh RNN trained on the B94 latch (README example).

The latch (B94 §V, task ``b94_latch``): a class cue at step 1, then uniform noise in [-0.2, 0.2]
for up to T steps; the output at the last step must be +0.8 or -0.8 by class. A net that stores
the bit robustly has two attracting fixed points under zero input, one per class (B94 §III), and
all its Lyapunov exponents are negative: the state contracts onto the attractor, and so do the
gradients (the vanishing that B94 proves). The cue is a trainable input per class, added at step 1,
as the task module describes.

Run: ``.venv/bin/python -m experiments.dynamics_example`` (16 s on a busy 2-core CPU, mostly
compiling).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from repro import cells, problems
from repro import dynamics as dyn
from repro.tasks import bengio1994 as b94

N_HIDDEN = 8  # tanh units
T = 30  # longest training sequence (lengths are drawn from 15..30)
NOISE = 0.2  # half-width of the input noise after the cue (B94's 0.2)
BATCH = 32  # fresh sequences per update
UPDATES = 200  # Adam updates; seed 1 solves the task within about 60
LR = 0.01  # Adam step size
SEED = 1


def _with_cue(u: jax.Array, batch) -> jax.Array:
    """Inputs (B, T, 1) with the class's trainable cue u[label] added at step 1."""
    return batch.inputs.at[:, 0, 0].add(u[batch.extra["label"]])


@functools.partial(jax.jit, static_argnames=("model", "T"))
def _accuracy(model, params, key, T: int) -> jax.Array:
    """Fraction of 1,000 fresh sequences of length up to T whose final output has the class's sign."""
    batch = b94.latch(key, 1_000, T, noise=NOISE)
    y = problems.unroll(model, params["model"], _with_cue(params["u"], batch))  # (B, T, 1)
    y_end = jnp.sum(batch.mask[..., None] * y, axis=(1, 2))  # output at each sequence's end
    return jnp.mean((y_end > 0) == (batch.extra["label"] == 1))


def main() -> dict:
    """Train, then analyse the trained map at zero input; prints and returns what it found."""
    model = cells.Readout(cells.SimpleRNN(N_HIDDEN), 1, activation="tanh")
    k_init, k_data, k_test, k_starts = jax.random.split(jax.random.key(SEED), 4)
    carry = model.initialize_carry()
    params = {
        "model": jax.jit(model.init)(k_init, carry, jnp.zeros((1,))),
        "u": jnp.array([-1.0, 1.0]),  # the class cues' initial values
    }
    tx = optax.adam(LR)

    def loss_fn(params, batch):
        y = problems.unroll(model, params["model"], _with_cue(params["u"], batch))
        return jnp.sum(batch.mask[..., None] * (y - batch.targets) ** 2) / BATCH

    @jax.jit
    def train(params, key):
        def update(state, key):
            params, opt = state
            loss, grads = jax.value_and_grad(loss_fn)(params, b94.latch(key, BATCH, T, noise=NOISE))
            updates, opt = tx.update(grads, opt, params)
            return (optax.apply_updates(params, updates), opt), loss

        state = (params, tx.init(params))
        (params, _), losses = jax.lax.scan(update, state, jax.random.split(key, UPDATES))
        return params, losses

    params, losses = train(params, k_data)
    accuracy = float(_accuracy(model, params, k_test, 10 * T))
    print(
        f"final loss {float(losses[-1]):.4f}; accuracy on sequences up to {10 * T} steps: {accuracy:.3f}"
    )

    # Fixed points of h ↦ tanh(W h + b) (zero input) from 64 starts in the cube [-1, 1]^n.
    step = cells.step_fn(model, params["model"])
    starts = jax.random.uniform(k_starts, (64, N_HIDDEN), minval=-1.0, maxval=1.0)
    fps = dyn.fixed_points(step, carry, jnp.zeros((1,)), starts)
    found = dyn.deduplicate(fps.take(fps.fixed))
    print(f"{int(fps.fixed.sum())} of 64 starts reach a fixed point; {len(found.q)} distinct:")
    # At a fixed point the next state is the point itself, so one step gives its readout.
    _, readouts = model.apply(params["model"], found.points, jnp.zeros((len(found.q), 1)))
    for y, eig, stable in zip(readouts[:, 0], found.eigenvalues, found.stable, strict=True):
        kind = "stable  " if stable else "unstable"
        print(f"  {kind} readout {float(y):+.3f}  |λ| {np.round(np.abs(eig[:3]), 3)}")

    # Lyapunov spectrum of the zero-input map after a class-1 cue: the state settles on that
    # class's attractor, so the exponents approach log|λ| there.
    h1 = jax.jit(step)(carry, params["u"][1:])
    exponents = dyn.lyapunov_exponents(step, h1, jnp.zeros((1_000, 1)))
    print(f"Lyapunov exponents (per step): {np.round(np.asarray(exponents), 3)}")
    return {
        "accuracy": accuracy,
        "fixed_points": found,
        "readouts": readouts[:, 0],
        "lyapunov": exponents,
    }


if __name__ == "__main__":
    main()
