"""Test-wide settings: Hypothesis runs derandomized by default so CI is reproducible.

Run `pytest --hypothesis-profile=explore` for fresh random examples on every run.
"""

from hypothesis import settings

settings.register_profile("default", derandomize=True, deadline=None, database=None, max_examples=100)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile("default")
