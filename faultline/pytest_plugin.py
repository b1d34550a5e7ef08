"""Faultline's pytest plugin (the `pytest11` entry point `faultline`): use the lab from your own tests.

    import pytest
    from faultline import Crash, FaultPlan, JobSpec, Scenario

    CHECKOUT = Scenario(name="checkout", jobs=(JobSpec(job_id="order-7", payload={"amount": 30}),),
                        plan=FaultPlan(faults=(Crash(actor="w1", point="worker.after_commit"),)))

    @pytest.mark.faultline(seeds=200, policy="safe")
    def test_checkout_survives_a_crash(faultline):
        faultline.check(CHECKOUT)          # every invariant, on seeds 0-199; fails with the evidence

- the `faultline` fixture: `check(scenario_or_fm, policy=None, fixed=False)` sweeps the marker's
  seeds and fails on the first run that breaks an invariant; `run(...)` returns one `Verdict`
  without asserting. A scenario runs under the marker's policy; an FM under its own naive policy
  (its fixed one with `fixed=True`) unless `policy` is given;
- `@pytest.mark.faultline(seeds=N, policy="safe"|"naive"|Policy, start=0)`;
- `--faultline-seed N` replays one seed instead of the sweep;
- a failure names the invariant, says what broke, lists the evidence events, gives the command that
  replays it, and writes the run's history (JSON Lines) into the test's temporary folder.
"""

from __future__ import annotations

import attrs
import pytest

from runtime.core.record import RunRecord

MARKER = "faultline(seeds=1, policy='safe', start=0): sweep the faultline fixture's runs over seeds"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("faultline")
    group.addoption(
        "--faultline-seed",
        type=int,
        default=None,
        metavar="N",
        help="Run only seed N in every faultline check (replay a failure).",
    )


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", MARKER)


@attrs.frozen
class Verdict:
    """One run and how the judges saw it."""

    record: RunRecord
    violations: tuple
    seed: int
    replay: str

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def violated(self) -> set[str]:
        return {v.invariant for v in self.violations}

    def report(self, history_path=None) -> str:
        lines = [f"seed {self.seed}: {len(self.violations)} violation(s)"]
        for violation in self.violations:
            lines.append(f"  {violation.message}")
            for index in violation.events:
                lines.append(f"    evidence {self.record.events[index].describe()}")
        lines.append(f"replay: {self.replay}")
        if history_path is not None:
            lines.append(f"history: {history_path}")
        return "\n".join(lines)


class Lab:
    """What the `faultline` fixture gives a test."""

    def __init__(self, request, tmp_path_factory) -> None:
        self._request, self._tmp_factory = request, tmp_path_factory
        marker = request.node.get_closest_marker("faultline")
        options = dict(marker.kwargs) if marker is not None else {}
        unknown = sorted(set(options) - {"seeds", "policy", "start"})
        if unknown or (marker is not None and marker.args):
            raise pytest.UsageError(
                f"@pytest.mark.faultline takes seeds=, policy=, start=; got {unknown or marker.args}"
            )
        self.seeds, self.start = int(options.get("seeds", 1)), int(options.get("start", 0))
        self.policy = options.get("policy", "safe")
        self.only_seed = request.config.getoption("--faultline-seed")

    def _resolve(self, what, policy, fixed: bool):
        from faultline import catalog
        from faultline.explore import policy_named
        from runtime.core.policy import Policy

        if isinstance(what, str):  # an FM: its own naive or fixed policy unless one is given
            mode = catalog.find(what)
            if policy is None:
                return mode, mode.scenario, mode.policy(fixed=fixed)
            return mode, mode.scenario, policy if isinstance(policy, Policy) else policy_named(policy)
        chosen = self.policy if policy is None else policy  # a scenario: the marker's policy by default
        return None, what, chosen if isinstance(chosen, Policy) else policy_named(chosen)

    def run(self, what, policy=None, *, seed: int = 0, plan=None, fixed: bool = False) -> Verdict:
        """One run of a Scenario, or of an FM by id, judged."""
        from invariants import check_all
        from runtime.sim import run

        mode, scenario, chosen = self._resolve(what, policy, fixed)
        record = run(scenario, chosen, seed, plan)
        if mode is not None:
            replay = f"faultline run {mode.id} --seed {seed}" + (" --fix" if fixed else "")
        else:
            replay = f"pytest {self._request.node.nodeid} --faultline-seed {seed}"
        return Verdict(record=record, violations=check_all(record), seed=seed, replay=replay)

    def check(self, what, policy=None, *, plan=None, fixed: bool = False) -> list[Verdict]:
        """Every invariant holds on each seed of the sweep (or the one --faultline-seed names)."""
        seeds = [self.only_seed] if self.only_seed is not None else range(self.start, self.start + self.seeds)
        verdicts = []
        for seed in seeds:
            verdict = self.run(what, policy, seed=seed, plan=plan, fixed=fixed)
            if not verdict.ok:
                folder = self._tmp_factory.mktemp("faultline")
                history = folder / f"seed{seed}.jsonl"
                history.write_text(verdict.record.jsonl(), encoding="utf-8")
                pytest.fail(verdict.report(history), pytrace=False)
            verdicts.append(verdict)
        return verdicts


@pytest.fixture
def faultline(request, tmp_path_factory) -> Lab:
    """Run scenarios or FMs in the simulator and judge them (see faultline.pytest_plugin)."""
    return Lab(request, tmp_path_factory)
