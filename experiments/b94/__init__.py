"""Bengio, Simard & Frasconi (1994) and Bengio & Frasconi (1993): each claim a function of its config.

``COMPUTED[claim id](config) -> [figure paths]`` (see ``experiments.claims.computed``).
"""

from experiments.b94 import fig2, fig4, theory

COMPUTED = {
    "B94-THEORY": theory.theory,
    "B94-F2a": fig2.f2a,
    "B94-F2b": fig2.f2b,
    "B94-F2-SENS": fig2.f2_sens,
    **{claim: fig4.comparative for claim in fig4.CLAIMS.values()},
}
