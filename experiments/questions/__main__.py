"""``python -m experiments.questions``: the practitioners' questions' driver (``__init__.py``)."""

from experiments import common, questions

# The flag is defined only when run as a script, so tests can import several drivers.
questions._CONFIG = questions.define_flag()
common.run(questions.main)
