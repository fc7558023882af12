"""Weight initialisations used by the three papers and the practitioners' questions.

Every initialiser is a flax-style function ``init(key, shape, dtype) -> array``. Matrices use the
mathematical convention of the papers: shape ``(fan_out, fan_in)``, so a layer computes ``W @ x`` and
row ``i`` holds the *incoming* weights of unit ``i``. Spectral radii and sparsity patterns are therefore
stated exactly as in the papers.

References:
  Hochreiter & Schmidhuber (1997), §5: uniform in [-0.2, 0.2] or [-0.1, 0.1].
  Pascanu, Mikolov & Bengio (2013), §4.1.1: N(0, 0.01), N(0, 0.1) and the sparse "smart tanh" matrix
    with 15 non-zero incoming weights per unit rescaled to spectral radius 0.95.
  Le, Jaitly & Hinton (2015): identity recurrent matrix (IRNN).
  Glorot & Bengio (2010); Saxe, McClelland & Ganguli (2014): Glorot-uniform and orthogonal.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

Initializer = Callable[..., jax.Array]

__all__ = [
    "Initializer",
    "array",
    "constant",
    "get",
    "glorot_uniform",
    "identity",
    "normal",
    "orthogonal",
    "scaled_to_spectral_radius",
    "sparse_spectral",
    "spectral_radius",
    "uniform",
]


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name}={value!r}: must be > 0")


def uniform(scale: float) -> Initializer:
    """U[-scale, scale] elementwise (H97 uses scale 0.2 for Exp. 1-2 and 0.1 for Exp. 3-6)."""
    _positive("scale", scale)

    def init(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -scale, scale)

    return init


def normal(std: float) -> Initializer:
    """N(0, std**2) elementwise; ``std`` is the standard deviation, as numpy's ``scale`` in P13's code."""
    _positive("std", std)

    def init(key, shape, dtype=jnp.float32):
        return std * jax.random.normal(key, shape, dtype)

    return init


def constant(value: float) -> Initializer:
    """Every entry equal to the scalar ``value`` (biases; explicit gate biases).

    Raises:
      ValueError: ``value`` is not a scalar (a fixed array is :func:`array`; broadcasting an array to
        ``shape`` is left out on purpose, as it would hide a wrong shape).
    """
    if np.ndim(value) != 0:
        raise ValueError(
            f"value has shape {np.shape(value)}: constant takes a scalar; "
            "for a fixed array use array(value)"
        )

    def init(key, shape, dtype=jnp.float32):
        del key
        return jnp.full(shape, value, dtype)

    return init


def array(value) -> Initializer:
    """Exactly ``value``, cast to the requested dtype: a fixed matrix or vector chosen by hand.

    The returned ``init(key, shape, dtype)`` ignores ``key``. Cells that call their initialiser once
    per gate block (``LSTM``, ``GRU`` with ``recurrent_init``) get ``value`` in every block, so there
    ``value`` has the shape of one block, (n, n).

    Args:
      value: an array-like of numbers (numpy or jax array, nested lists, a scalar). Anything but a jax
        array is copied, so later changes to the caller's array do not reach the initialiser.

    Returns:
      A flax-style ``init(key, shape, dtype)``.

    Raises:
      ValueError: ``value`` is not numeric (at construction), or the ``shape`` asked of ``init``
        differs from ``value``'s shape (at initialisation).
    """
    if not isinstance(value, jax.Array):
        value = np.array(value)
        if value.dtype.kind not in "biufc":
            raise ValueError(f"value has dtype {value.dtype}: array takes numbers")
    value_shape = tuple(np.shape(value))

    def init(key, shape, dtype=jnp.float32):
        del key
        if tuple(shape) != value_shape:
            raise ValueError(
                f"array init: shape={tuple(shape)!r} requested but value has shape {value_shape!r}"
            )
        return jnp.asarray(value, dtype)

    return init


def identity(scale: float = 1.0) -> Initializer:
    """``scale * I`` for a square matrix: the IRNN recurrent matrix (Le et al. 2015)."""

    def init(key, shape, dtype=jnp.float32):
        del key
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"identity init: shape={shape!r}: must be square (n, n)")
        return scale * jnp.eye(shape[0], dtype=dtype)

    return init


def orthogonal(scale: float = 1.0) -> Initializer:
    """A random orthogonal matrix (Haar measure) times ``scale``."""
    return jax.nn.initializers.orthogonal(scale=scale)


def glorot_uniform() -> Initializer:
    """U[-a, a] with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""

    def init(key, shape, dtype=jnp.float32):
        fan_out, fan_in = shape[0], shape[-1]
        a = float(np.sqrt(6.0 / (fan_in + fan_out)))
        return jax.random.uniform(key, shape, dtype, -a, a)

    return init


def spectral_radius(w: jax.Array, *, in_program: bool = False) -> jax.Array:
    """max |eig(w)| of a square matrix (or a batch of them, leading axes).

    By default the non-symmetric eigenvalues are computed in float64 on the host with numpy (through
    ``jax.pure_callback``), so the function also works under ``jit`` on accelerators, where XLA has
    no general eigensolver. ``in_program=True`` on the CPU backend uses ``jnp.linalg.eigvals`` in the
    input's dtype instead (LAPACK inside the compiled program: no host callback, so the program can
    be kept in XLA's persistent compilation cache; float32 agrees with float64 to about 1e-5).
    """
    if in_program and jax.default_backend() == "cpu":
        return jnp.max(jnp.abs(jnp.linalg.eigvals(w)), axis=-1).astype(w.dtype)

    def host(m):
        m = np.asarray(m, dtype=np.float64)
        return np.max(np.abs(np.linalg.eigvals(m)), axis=-1).astype(w.dtype)

    out = jax.ShapeDtypeStruct(w.shape[:-2], w.dtype)
    return jax.pure_callback(host, out, w, vmap_method="expand_dims")


def scaled_to_spectral_radius(base: Initializer, radius: float) -> Initializer:
    """Draw from ``base`` and rescale so the spectral radius is exactly ``radius``."""
    _positive("radius", radius)

    def init(key, shape, dtype=jnp.float32):
        w = base(key, shape, dtype)
        return (radius / spectral_radius(w)) * w

    return init


def sparse_spectral(
    n_nonzero: int = 15,
    radius: float = 0.95,
    *,
    std: float = 0.01,
    direction: str = "incoming",
) -> Initializer:
    """Pascanu et al. (2013) "smart tanh" recurrent matrix.

    1. draw N(0, std**2); 2. per unit keep ``n_nonzero`` random connections and zero the rest;
    3. rescale to spectral radius ``radius``.

    Args:
      n_nonzero: non-zero weights kept per unit (15 in P13).
      radius: target spectral radius (0.95 in P13).
      std: standard deviation of the draw; irrelevant after the rescaling, kept for fidelity.
      direction: "incoming" keeps ``n_nonzero`` per row (the paper's text); "outgoing" keeps them per
        column (the authors' code, whose ``W_hh`` is the transpose).
    """
    if direction not in ("incoming", "outgoing"):
        raise ValueError(f"direction={direction!r}: must be 'incoming' or 'outgoing'")
    if n_nonzero <= 0:
        raise ValueError(f"n_nonzero={n_nonzero!r}: must be > 0")

    def init(key, shape, dtype=jnp.float32):
        n_out, n_in = shape
        k_w, k_mask = jax.random.split(key)
        w = std * jax.random.normal(k_w, shape, dtype)
        per, length = (n_out, n_in) if direction == "incoming" else (n_in, n_out)
        keep = min(n_nonzero, length)
        # A random permutation per unit; its first `keep` entries are the kept connections.
        scores = jax.random.uniform(k_mask, (per, length))
        ranks = jnp.argsort(jnp.argsort(scores, axis=1), axis=1)
        mask = ranks < keep  # (per, length)
        if direction == "outgoing":
            mask = mask.T
        w = jnp.where(mask, w, 0)
        return (radius / spectral_radius(w)) * w

    return init


_REGISTRY: dict[str, Callable[..., Initializer]] = {
    "array": array,
    "uniform": uniform,
    "normal": normal,
    "constant": constant,
    "identity": identity,
    "orthogonal": orthogonal,
    "glorot_uniform": glorot_uniform,
    "sparse_spectral": sparse_spectral,
}


def get(name: str, **kwargs) -> Initializer:
    """Initialiser by name, e.g. ``get("uniform", scale=0.1)`` or ``get("array", value=w)``.

    Raises:
      ValueError: unknown ``name``; the message lists the known names.
    """
    if name not in _REGISTRY:
        raise ValueError(f"init={name!r}: unknown initialiser; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name](**kwargs)
