"""``python -m experiments.questions``: ``python -m experiments.run`` with S2-ablation's config by
default (``__init__.py``)."""

from experiments import questions, run

run.main(questions.DEFAULT_CONFIG)
