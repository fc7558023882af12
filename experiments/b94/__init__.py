"""Bengio, Simard & Frasconi (1994) and Bengio & Frasconi (1993): each claim a function of its config,
``(config) -> [figure paths]`` (``theory.theory``, ``fig2.f2a``/``f2b``/``f2_sens``,
``fig4.comparative``), named by its config's ``protocol`` field (see ``experiments.claims.computed``).
"""
