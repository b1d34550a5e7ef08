"""`make mutants` stays runnable: every planted bug still applies to exactly one place in the code,
and the catalogue covers the mechanisms the safe policy relies on. (The mutants themselves run in
`make mutants`: each needs a copy of the tree and a sweep, too slow for `make test`.)"""

import pytest

from faultline.mutants import MUTANTS, occurrences


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_edits_exactly_one_place(mutant):
    assert occurrences(mutant) == 1, f"{mutant.name}: update its `old` text in faultline/mutants.py"
    assert mutant.old != mutant.new


def test_there_are_at_least_fifteen_mutants_on_distinct_mechanisms_and_two_controls():
    mutants = [m for m in MUTANTS if not m.control]
    assert len(mutants) >= 15 and len({m.mechanism for m in mutants}) == len(mutants)
    assert sum(m.control for m in MUTANTS) == 2
