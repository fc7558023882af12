"""Pascanu, Mikolov & Bengio (2013) on the shared claim pipeline.

``paper``: the paper's statements as data; ``protocol``: rows → (model, problem, schedule);
``figures``: success against length (Fig. 7) and the generalisation tables' figure; ``one_unit_figures``: the
one-unit figures (Figs. 3 and 6), which train nothing.
"""
