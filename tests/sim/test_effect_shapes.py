"""Every effect a protocol yields is its kind followed by exactly the kind's fields: the drivers read
fields by position (runtime/core/effects.py), so a missing or extra field must fail here, by name."""

import pytest

from faultline.catalog import catalog
from runtime.core import effects as fx
from runtime.sim import run
from runtime.sim.driver import Driver


@pytest.fixture
def shapes(monkeypatch):
    """Run the next runs with every yielded effect checked; returns the kinds seen."""
    seen: set = set()
    process = Driver.process

    def checked_process(self, actor):
        start = actor.start

        def checked():
            protocol = start()
            answer = None
            try:
                while True:
                    try:
                        effect = protocol.send(answer)
                    except StopIteration:
                        return
                    kind = effect[0]
                    assert issubclass(kind, fx.Kind) and len(effect) == len(kind.fields) + 1, fx.show(effect)
                    seen.add(kind)
                    answer = yield effect
            finally:
                protocol.close()

        actor.start = checked
        return process(self, actor)

    monkeypatch.setattr(Driver, "process", checked_process)
    return seen


def test_every_effect_of_every_fm_run_has_its_kinds_fields(shapes):
    for mode in catalog():
        for fixed in (False, True):
            run(mode.scenario, mode.policy(fixed=fixed), 0)
    assert len(shapes) >= 20, sorted(kind.__name__ for kind in shapes)  # the FMs reach nearly every kind
