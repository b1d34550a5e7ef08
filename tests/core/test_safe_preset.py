"""Policy.safe() holds every fix: every FM scenario runs clean under it, on a sweep of seeds."""

import pytest

from faultline.catalog import catalog
from faultline.testing import failing_seeds
from runtime.core.policy import Policy


@pytest.mark.parametrize("mode", catalog(), ids=lambda m: m.id)
def test_safe_preset_keeps_every_invariant_on_every_fm_scenario(mode):
    assert failing_seeds(mode, range(50), policy=Policy.safe()) == {}


@pytest.mark.parametrize("mode", catalog(), ids=lambda m: m.id)
def test_each_fix_is_contained_in_the_safe_preset(mode):
    """Whatever a fix turns on, safe() turns on the same way (or a stricter version of it)."""
    safe = Policy.safe().to_dict()
    for field, (_, fixed_value) in mode.policy(False).differences(mode.policy(True)).items():
        if field == "jitter":
            assert safe[field] != "none", (mode.id, field)  # jittered, by full or equal jitter
        elif isinstance(fixed_value, bool | str):  # a switch or a choice (ack_mode, lease_clock, ...)
            assert safe[field] == fixed_value, (mode.id, field)
        else:
            assert safe[field] is not None, (mode.id, field)
