"""RunSpec: one run described as data (an FM or the standard workload, policy, overrides, plan, seed),
which resolves to a scenario and policy, runs, and prints the command that replays it exactly."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

import attrs

from runtime.core.errors import BadInputError
from runtime.core.faults import FaultPlan
from runtime.real.db import DEFAULT_DB


@attrs.frozen(kw_only=True)
class RunSpec:
    fm: str | None = None
    """A failure mode's id; None runs the standard workload."""
    fixed: bool = False
    policy_name: str | None = None
    """The standard workload's policy: naive, safe, or an FM's id (its naive policy)."""
    overrides: Mapping[str, str] = attrs.field(factory=dict, converter=lambda d: dict(d))
    jobs: int | None = None
    workers: int | None = None
    seed: int = 0
    plan: FaultPlan | None = None
    plan_path: str | None = None
    """Where `plan` was read from (for the replay command)."""
    drawn: bool = False
    """The plan is the explorer's draw for `seed` (replayed with `faultline replay`)."""
    real: bool = False
    """Run in the real world (OS processes on a database) instead of the simulator."""
    db: str | None = None
    """The real world's database: a SQLite file path or a postgresql:// URL (default: DEFAULT_DB)."""
    time_scale: float = 1.0
    """Real milliseconds per virtual millisecond in the real world."""
    reset: bool = False
    """The user agreed to wipe the Faultline database already at `db`."""
    create_db: bool = False
    """The user asked for the Postgres database `db` to be created if it does not exist."""
    lock: str | None = None
    """The real world's leader lock: a redis:// URL (default: where the scenario keeps it)."""
    broker: str | None = None
    """The real world's broker: an amqp:// URL; RabbitMQ then delivers the jobs."""
    workload: str | None = None
    """A workflow spec (YAML) run instead of the standard workload."""
    mechanisms: bool = False
    """The explorer's seed also drew its mechanisms (`explore --mechanisms`)."""

    def __attrs_post_init__(self):
        if self.fm is None and self.fixed:
            raise BadInputError("--fix and --expect-violation need an FM (e.g. faultline run FM_001 --fix)")
        if self.fm is not None and (self.policy_name is not None or self.jobs is not None or self.workers is not None):
            raise BadInputError(
                "--policy, --jobs and --workers describe the standard workload; "
                f"drop them, or drop {self.fm!r} to run the standard workload"
            )

    @property
    def mode(self):
        from faultline import catalog

        return catalog.find(self.fm) if self.fm is not None else None

    def _workload(self):
        from faultline import explore

        jobs = explore.DEFAULT_JOBS if self.jobs is None else self.jobs
        workers = explore.DEFAULT_WORKERS if self.workers is None else self.workers
        explore.check_workload(jobs, workers)
        return jobs, workers

    def resolve(self):
        """(scenario, policy) for this run; bad names and values raise BadInputError before any work."""
        from faultline import explore

        if self.fm is not None:
            mode = self.mode
            policy = mode.policy(fixed=self.fixed).with_overrides(self.overrides)
            scenario = mode.scenario if self.plan is None else mode.scenario.with_plan(self.plan)
            return self._brokered(scenario), policy
        jobs, workers = self._workload()
        policy = explore.policy_named(self.policy_name or "naive").with_overrides(self.overrides)
        sweep = explore.Sweep(jobs=jobs, workers=workers, workload=self.workload)
        if self.mechanisms:
            policy = explore.with_mechanisms(policy, self.seed, protective=self.policy_name == "safe")
        plan = self.plan
        if plan is None:
            plan = sweep.draw(self.seed, policy) if self.drawn else FaultPlan()
        return self._brokered(sweep.scenario(plan)), policy

    def _brokered(self, scenario):
        """With --broker, RabbitMQ delivers the scenario's jobs (a scenario it can't deliver is bad input)."""
        if self.broker is None or scenario.broker is not None:
            return scenario
        from runtime.core.errors import ScenarioError

        try:
            return attrs.evolve(scenario, broker="rabbitmq")
        except ScenarioError as error:
            raise BadInputError(f"--broker: {error}") from None

    def check(self) -> None:
        """Everything about the inputs that can be wrong, checked before any output is written."""
        from runtime.core.scenario import check_seed, validate_plan

        check_seed(self.seed)
        scenario, policy = self.resolve()
        validate_plan(scenario, policy)
        if self.db is not None and not self.real:
            raise BadInputError(f"--db {self.db!r} names a database for the real world; add --real, or drop --db")
        if self.real:
            from faultline.realcheck import RESET, check_database

            self._check_servers(scenario)
            check_database(self.db_url, mode=RESET, reset=self.reset, create=self.create_db, scratch=self.db is None)

    def _check_servers(self, scenario) -> None:
        """--broker names a RabbitMQ that answers; --lock a Redis that answers, for a run with schedulers
        to take it (and a scenario that keeps its broker or lock there finds one at the default URL)."""
        from runtime.real.broker import DEFAULT_BROKER_URL, RabbitBroker, check_broker_url
        from runtime.real.lock import DEFAULT_LOCK_URL, RedisLock

        if self.lock is not None and not scenario.schedulers:
            raise BadInputError("--lock keeps the schedulers' leader lock, and this run has no scheduler; drop --lock")
        if scenario.broker is not None:
            RabbitBroker(check_broker_url(self.broker or DEFAULT_BROKER_URL), "").check()
        if self.lock is not None:
            RedisLock(self.lock, None).check()
        elif scenario.leader_lock == "redis":
            try:
                RedisLock(DEFAULT_LOCK_URL, None).check()
            except BadInputError as error:
                raise BadInputError(f"{self.title} keeps its leader lock in Redis: {error}; give --lock URL") from None

    @property
    def db_url(self) -> str:
        return self.db or DEFAULT_DB

    def run(self):
        scenario, policy = self.resolve()
        if self.real:
            from runtime.real.run import run_real

            return run_real(
                scenario,
                policy,
                self.seed,
                db_url=self.db_url,
                scale=self.time_scale,
                lock_url=self.lock,
                broker_url=self.broker,
            )
        from runtime.core.bite import unbitten
        from runtime.sim import run

        record = run(scenario, policy, self.seed)
        missing = [] if self.drawn else unbitten(record.events, record.final, scenario.plan)
        if missing:  # deterministic: the same seed never bites either, so the run proves nothing
            raise BadInputError(
                f"the plan's fault {missing[0]} did not bite in this run (seed {self.seed}), so it proves "
                "nothing; change the plan (docs/03_fault_plans.md says when each fault bites) or the seed"
            )
        return record

    @property
    def title(self) -> str:
        if self.fm is not None:
            mode = self.mode
            return f"{mode.id} {mode.title}" + self._world()
        jobs, workers = self._workload()
        drawn = f", seed {self.seed}" if self.drawn else ""
        if self.workload is not None:
            return f"workflow {self.workload} ({workers} workers){drawn}{self._world()}"
        return f"standard workload ({jobs} jobs, {workers} workers){drawn}{self._world()}"

    def _world(self) -> str:
        if not self.real:
            return ""
        from runtime.real.db import dialect_of

        return f" · real world ({dialect_of(self.db_url)})"

    @property
    def label(self) -> str:
        base = ("fixed" if self.fixed else "naive") if self.fm is not None else (self.policy_name or "naive")
        return base + ("+overrides" if self.overrides else "")

    def replay_command(self) -> str:
        """The one command that replays this run exactly (never wrapped: print it on its own line)."""
        parts = self._replay_parts() if self.drawn and self.plan is None else self._run_parts()
        if self.real:
            parts += ["--real"] + (["--db", self.db, "--reset"] if self.db else [])
            parts += ["--broker", self.broker] if self.broker else []
            parts += ["--lock", self.lock] if self.lock else []
            parts += ["--time-scale", f"{self.time_scale:g}"] if self.time_scale != 1.0 else []
        return shlex.join(parts)

    def _replay_parts(self) -> list[str]:
        """An explored seed: `faultline replay`, built by the explorer's own builder."""
        from faultline.explore.plans import replay_parts

        jobs, workers = self._workload()
        return replay_parts(
            self.seed,
            self.policy_name or "naive",
            workload=self.workload,
            jobs=jobs,
            workers=workers,
            overrides=self.overrides,
            mechanisms=self.mechanisms,
        )

    def _run_parts(self) -> list[str]:
        """An FM, the standard workload or a workflow with its own plan (or none): `faultline run`."""
        if self.workload is not None:
            parts = ["faultline", "workflow", "run", self.workload, "--seed", str(self.seed)]
            parts += ["--policy", self.policy_name or "naive", "--workers", str(self._workload()[1])]
        elif self.fm is not None:
            parts = ["faultline", "run", self.mode.id, "--seed", str(self.seed)] + (["--fix"] if self.fixed else [])
        else:
            parts = ["faultline", "run", "--seed", str(self.seed), "--policy", self.policy_name or "naive"]
            jobs, workers = self._workload()
            if self.plan is not None or (jobs, workers) != _defaults():
                parts += ["--jobs", str(jobs), "--workers", str(workers)]
        if self.plan_path is not None:
            parts += ["--plan", self.plan_path]
        for field, value in self.overrides.items():
            parts += ["--set", f"{field}={value}"]
        if self.mechanisms:
            parts.append("--mechanisms")
        return parts

    def fix_hint(self) -> str | None:
        mode = self.mode
        if mode is None or self.fixed:
            return None
        changes = mode.policy(fixed=False).differences(mode.policy(fixed=True))
        fields = ", ".join(f"{k}: {a} → {b}" for k, (a, b) in changes.items())
        return f"the fix (make test-fm{mode.number}-fix) changes {fields}"


def _defaults() -> tuple[int, int]:
    from faultline import explore

    return explore.DEFAULT_JOBS, explore.DEFAULT_WORKERS
