"""The simulated world: virtual clock, seeded scheduler, in-memory ports, injector, driver, run()."""

from runtime.sim.run import run

__all__ = ["run"]
