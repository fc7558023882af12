"""The claim pipeline every paper shares, written once.

claim config → rows (``rows``) → runs through ``repro.train`` (``runner``) → a table of ours beside the
paper's numbers (``table``) → markdown and json → figures (``figures``); the README and REPRODUCTION
result tables are generated from the tables (``docs``).

A paper adds a :class:`~experiments.claims.protocol.Protocol` (how a row's config becomes a model, a
``train.Problem``, a ``train.Schedule`` and an optimiser; what its table adds), its numbers as data, and
one config per claim id. See ``experiments/h97/`` for the Hochreiter & Schmidhuber (1997) protocol.
"""
