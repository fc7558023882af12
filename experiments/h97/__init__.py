"""Hochreiter & Schmidhuber (1997) and Gers et al. (2000) on the shared claim pipeline.

``paper``: the papers' numbers as data; ``protocol``: rows → (model, problem, schedule);
``conditions``: Tables 10 and 11 rebuilt from the configs.
"""
