"""`make mutants`: plant one bug at a time in a temporary copy of the tree and prove the lab catches it.

Each mutant is a real code edit that disables one protective mechanism. It is judged, in order, by:
- the safe explorer (`faultline explore --policy safe`, the same code users run), or a real run of
  a plan (`faultline run --real`), or a real drill: an invariant broken in a sweep or a real record;
- then, if those stay silent, the test suite without its pins: a failing checker test, FM test or
  contract test. Tests that flag *any* change in behaviour (the pinned digests, the idle-poll
  identity, the exact metrics, the generated docs) are left out: a bug caught only by them would be
  baked in the day the digests are rewritten, so such a mutant counts as escaped.
The report names the judge that caught each mutant. Controls are edits that change nothing; they
must raise nothing. Exit 1 if any mutant escapes or a control fires.

    python -m faultline.mutants [--seeds N] [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
COPIED = (
    "runtime",
    "faultline",
    "invariants",
    "failure_modes",
    "tests",
    "docs",
    "benchmarks",  # tests/sim/test_golden.py compares runs with benchmarks/compare_runs.py
    "constraints",
    "examples",
    "pyproject.toml",
    "Makefile",
    "requirements.txt",
)


@attrs.frozen(kw_only=True)
class Mutant:
    name: str
    mechanism: str
    path: str
    old: str
    new: str
    control: bool = False
    note: str = ""
    """Why a mutant the explorer cannot see is still meaningful (the test that guards it)."""
    workload: str | None = None
    """A workflow spec the explorer runs instead of the standard workload (a workflow mechanism)."""
    sets: tuple[str, ...] = ()
    """`--set FIELD=VALUE` for the safe explorer: a mechanism the safe policy leaves off (batches)."""
    real: tuple[str, ...] = ()
    """Instead of the explorer: `faultline run ARGS --real` on a fresh SQLite file (a bug in the SQL
    ports, which only the real world runs). `{plan}` in ARGS is `plan` written to a file."""
    plan: str = ""
    drill: str | None = None
    """Instead of the explorer: `faultline drill NAME` (a bug in the job service)."""


PINS = (
    "--ignore=tests/sim/test_golden.py",  # pinned digests
    "--ignore=tests/sim/test_idle_polls.py",  # skipped idle polls' identity with polling tick by tick
    "--ignore=tests/lab/test_docs_sync.py",  # generated docs
    "--ignore=tests/sim/test_determinism.py",  # digests across processes
    "--ignore=tests/sim/test_check_determinism.py",
    "--deselect=tests/lab/test_observability.py::test_fm_metrics_are_exact",  # exact metric values
    "--deselect=tests/lab/test_observability.py::test_happy_path_metrics_are_exact",
)
"""Tests that flag any change in behaviour: not judges (see the module's docstring)."""


def kind_of_test(nodeid: str) -> str:
    """What a failing test is, as a judge."""
    if nodeid.startswith("tests/judges/test_invariants.py"):
        return "checker test"
    if nodeid.startswith("failure_modes/"):
        return "FM test (invariants on the scenario and a seed sweep)"
    if nodeid.startswith("tests/contract/"):
        return "contract test"
    return "test"


MUTANTS = (
    Mutant(
        name="fence-ignores-newer-leases",
        mechanism="fencing",
        path="runtime/core/decisions.py",
        old="    if fencing and token < newest:\n        return FENCED",
        new="    if fencing and token < 0:\n        return FENCED",
        note="under safe, heartbeats already abandon a zombie's attempt; FM_008's fix relies on fencing alone",
    ),
    Mutant(
        name="idempotency-key-looked-up-in-wrong-table",
        mechanism="idempotency",
        path="runtime/sim/store.py",
        old="done=job_id in self.idempotency_keys if idempotent else False,",
        new="done=job_id in self.results if idempotent else False,",
    ),
    Mutant(
        name="ack-before-the-effect",
        mechanism="ack ordering",
        path="runtime/core/worker.py",
        old="if self.on_receipt:\n            yield Ack, delivery, True",
        new="if not self.on_receipt:\n            yield Ack, delivery, True",
    ),
    Mutant(
        name="expired-leases-never-reclaimed",
        mechanism="lease reclaim",
        path="runtime/sim/queue.py",
        old="and message.lease_expires_at_ms == expires:\n                expired.append(message)",
        new="and message.lease_expires_at_ms == expires:\n                pass",
    ),
    Mutant(
        name="heartbeat-never-renews",
        mechanism="renewal",
        path="runtime/core/worker.py",
        old="if duration > 0 and (yield Renew, delivery) is None:",
        new="if duration < 0 and (yield Renew, delivery) is None:",
    ),
    Mutant(
        name="queue-leases-past-the-bound",
        mechanism="attempt bound",
        path="runtime/core/decisions.py",
        old="return limit is None or attempt <= limit",
        new="return limit is None or attempt <= limit + 1",
        note="workers and the reaper bury at the bound; only a lost ack on the final attempt comes back",
    ),
    Mutant(
        name="retry-ignores-backoff",
        mechanism="backoff",
        path="runtime/core/worker.py",
        old=(
            "            low, high = decide.backoff_range_ms(policy, delivery.attempt, delivery.payload)\n"
            "            delay = low if high == low else self.draw(low, high)"
        ),
        new="            delay = 0",
    ),
    Mutant(
        name="final-failure-is-retried",
        mechanism="dead-letter",
        path="runtime/core/decisions.py",
        old="return limit is not None and attempt >= limit",
        new="return limit is not None and attempt > limit",
        note="the queue still buries at the bound, but with the wrong last error; FM_005's fix checks it",
    ),
    Mutant(
        name="outbox-path-skipped",
        mechanism="outbox",
        path="runtime/core/client.py",
        old="if spec.business_row and policy.outbox:",
        new="if spec.business_row and not policy.outbox:",
    ),
    Mutant(
        name="store-error-swallowed",
        mechanism="store-error handling",
        path="runtime/core/decisions.py",
        old="return FAIL if policy.retry_on_store_error else IGNORE",
        new="return IGNORE if policy.retry_on_store_error else FAIL",
    ),
    Mutant(
        name="submission-key-never-claimed",
        mechanism="submission dedupe",
        path="runtime/sim/store.py",
        old="owner = self.submission_keys.setdefault(key, job_id)",
        new="owner = job_id",
    ),
    Mutant(
        name="workers-judge-leases-by-their-own-clocks",
        mechanism="lease clock",
        path="runtime/sim/queue.py",
        old="if self._worker_clock and expiries and",
        new="if not self._worker_clock and expiries and",
    ),
    Mutant(
        name="one-token-for-every-lease",
        mechanism="token per delivery",
        path="runtime/sim/queue.py",
        old="token = self._next_token = self._next_token + 1",
        new="token = self._next_token",
    ),
    Mutant(
        name="lost-lease-not-abandoned",
        mechanism="lease loss",
        path="runtime/core/worker.py",
        old="        if (yield Renew, delivery) is None:\n            yield Record, ev.LEASE_LOST, delivery.job_id",
        new="        if (yield Renew, delivery) == -1:\n            yield Record, ev.LEASE_LOST, delivery.job_id",
        note="under safe, fencing refuses the zombie's write; FM_011's fix and a unit test rely on the abandon",
    ),
    Mutant(
        name="retry-budget-doubled",
        mechanism="retry budget",
        path="runtime/sim/queue.py",
        old="if count >= self.per_s:",
        new="if count >= 2 * self.per_s:",
    ),
    Mutant(
        name="crashed-client-drops-its-request",
        mechanism="request handling",
        path="runtime/core/client.py",
        old="            if resubmits:\n                self.resend = True",
        new="            if not resubmits:\n                self.resend = True",
    ),
    Mutant(
        name="relay-marks-sent-before-publishing",
        mechanism="outbox relay ordering",
        path="runtime/core/relay.py",
        old=(
            '                yield Enqueue, job_id, job["payload"], job["duration_ms"], '
            'job["request"], job["key"], True\n'
            "                if RELAY_AFTER_PUBLISH in points:\n"
            "                    yield Point, RELAY_AFTER_PUBLISH, job_id\n"
            "                outcome = yield MarkRelayed, job_id\n"
        ),
        new=(
            "                outcome = yield MarkRelayed, job_id\n"
            "                if RELAY_AFTER_PUBLISH in points:\n"
            "                    yield Point, RELAY_AFTER_PUBLISH, job_id\n"
            '                yield Enqueue, job_id, job["payload"], job["duration_ms"], '
            'job["request"], job["key"], True\n'
        ),
    ),
    Mutant(
        name="publish-dedupe-window-never-matches",
        mechanism="publish dedupe window",
        path="runtime/sim/queue.py",
        old="if previous is not None and now - previous[0] < window:",
        new="if previous is not None and now - previous[0] < 0:",
        note="under safe, the idempotency key absorbs a second publish; a unit test pins the window",
    ),
    Mutant(
        name="dispatch-claim-ignores-the-state",
        mechanism="dispatch compare-and-set",
        path="runtime/sim/runs.py",
        old="if claim and run.states[task] != PENDING:",
        new="if claim and run.states[task] == SKIPPED:",
        workload="examples/etl_fanout.yml",
    ),
    Mutant(
        name="dispatch-writes-apart",
        mechanism="atomic dispatch",
        path="runtime/core/workflow/processes.py",
        old="    if policy.dispatch_atomic:\n        return ((policy.dispatch_cas, True, True),)\n",
        new="",
        workload="examples/etl_fanout.yml",
    ),
    Mutant(
        name="trigger-unfenced",
        mechanism="fenced triggers",
        path="runtime/sim/runs.py",
        old="        if fenced and epoch is not None:  # the epoch must lead (or be the newest token); the tick be new",
        new="        fenced = False\n        if fenced:",
        workload="examples/periodic.yml",
    ),
    Mutant(
        name="broker-delivery-steals-a-held-job",
        mechanism="a broker's first delivery never takes a job another worker holds",
        path="runtime/core/decisions.py",
        old='    return state == "ready" or (state == "leased" and redelivered)',
        new='    return state in ("ready", "leased")',
        note="the explorer's workloads have no broker yet; the queue contract claims on every world",
    ),
    Mutant(
        name="broker-keeps-a-dead-consumers-deliveries",
        mechanism="a lost connection's deliveries redelivered",
        path="runtime/core/brokered.py",
        old="        self.broker.drop(actor)",
        new="        pass",
        note="the explorer's workloads have no broker yet; FM_026 loses the job without the redelivery",
    ),
    Mutant(
        name="unconfirmed-publish-not-sent-again",
        mechanism="a publish the broker did not confirm is sent again",
        path="runtime/core/brokered.py",
        old="            if published:\n                return",
        new="            return",
        note="the explorer's workloads have no broker yet; FM_027's fix loses j2 without the retry",
    ),
    Mutant(
        name="broker-acked-after-commit-despite-on-claim",
        mechanism="a delivery acked as soon as the database's lease is the worker's",
        path="runtime/core/brokered.py",
        old='        self._on_claim = policy.broker_ack == "on_claim"',
        new="        self._on_claim = False",
        note="the explorer's workloads have no broker yet; FM_028's fix times out again without it",
    ),
    Mutant(
        name="redis-fence-admits-a-stale-token",
        mechanism="fencing tokens for a leader lock in Redis",
        path="runtime/core/workflow/progress.py",
        old="        return newest is None or epoch >= newest",
        new="        return True",
        workload="examples/periodic_redis.yml",
        note="a stale leader's tick is refused by its unique key too; FM_025's fix and the lock contract see the token",
    ),
    Mutant(
        name="redis-lock-renewed-by-anyone",
        mechanism="a Redis lock renewed only by its holder",
        path="runtime/real/lock.py",
        old="  if holder ~= ARGV[1] then return {0, 0} end",
        new="  if false then return {0, 0} end",
        workload="examples/periodic_redis.yml",
        note="the real Redis lock only: the lock contract runs it against the server",
    ),
    Mutant(
        name="task-dispatch-judge-counts-from-three",
        mechanism="INV_014's checker",
        path="invariants/workflows.py",
        old="        if len(events) > 1:\n            who",
        new="        if len(events) > 2:\n            who",
        workload="examples/etl_fanout.yml",
        note="the safe explorer never double-dispatches; the checker tests on hand-built histories catch it",
    ),
    Mutant(
        name="batch-acked-whole",
        mechanism="batch ack per job",
        path="runtime/core/worker.py",
        old='whole = policy.batch_ack == "batch"',
        new="whole = True",
        sets=("batch_size=5",),
    ),
    Mutant(
        name="retry-republishes",
        mechanism="retry by redelivery",
        path="runtime/core/worker.py",
        old='copy = delay is not None and policy.retry_strategy == "republish" and not self.on_receipt',
        new="copy = delay is not None and not self.on_receipt",
    ),
    Mutant(
        name="redrive-mints-ids",
        mechanism="redrive keeps ids",
        path="runtime/sim/queue.py",
        old='new_id = job_id if keep_ids else f"{job_id}~r{self._redrives}"',
        new='new_id = f"{job_id}~r{self._redrives}"',
        note="a committed job is rarely dead-lettered under safe (8 attempts); FM_019's fix catches it",
    ),
    Mutant(
        name="schedulers-without-the-lock",
        mechanism="leader lock",
        path="runtime/core/workflow/processes.py",
        old="    if not policy.leader_lock:",
        new="    if True:",
        workload="examples/periodic.yml",
        note="the safe policy's unique tick key refuses the second instance; FM_020's fix has no fence",
    ),
    Mutant(
        name="lease-expiry-buries-early",
        mechanism="lease expiring on the final attempt",
        path="runtime/core/decisions.py",
        old="(limit is not None and counted >= limit)",
        new="(limit is not None and counted >= 1)",
    ),
    Mutant(
        name="expired-attempt-refunded",
        mechanism="a dead worker's attempt counted",
        path="runtime/core/decisions.py",
        old="    return not policy.expiry_counts_attempt",
        new="    return True",
    ),
    Mutant(
        name="stopped-heartbeat-goes-unnoticed",
        mechanism="a failed renewal abandons the attempt",
        path="runtime/core/faults.py",
        old='self._unnoticed = policy.heartbeat_mode == "thread"',
        new="self._unnoticed = True",
    ),
    Mutant(
        name="eta-ignored-by-the-queue",
        mechanism="a delayed job kept in the queue until due",
        path="runtime/core/decisions.py",
        old='eta > now_ms and policy.eta_wait == "queue" else now_ms',
        new='eta > now_ms and policy.eta_wait == "never" else now_ms',
        note="the standard workload has no delayed job; FM_023's prevention test (INV_011) guards it",
    ),
    Mutant(
        name="ack-ignores-its-token",
        mechanism="ack checked against its lease",
        path="runtime/sim/queue.py",
        old="        if message is None or message.token != token:\n            reason =",
        new="        if message is None:\n            reason =",
        note="under safe a zombie's attempt is abandoned before its ack; the queue contract pins the check",
    ),
    Mutant(
        name="redrive-keeps-the-spent-budget",
        mechanism="a redrive's attempt budget",
        path="runtime/sim/queue.py",
        old="            if keep_ids:\n                self.attempts[job_id] = 0\n",
        new="",
    ),
    Mutant(
        name="sql-redrive-never-publishes",
        mechanism="a redriven job runs (SQL)",
        path="runtime/real/queue.py",
        old="            self.publish(tx, actor, new_id, _as_stored(payload), duration, request, key)",
        new="            pass",
        real=("--policy", "safe", "--jobs", "1", "--workers", "2", "--set", "max_attempts=1", "--plan", "{plan}"),
        plan='{"faults": [{"kind": "crash", "actor": "w1", "point": "worker.before_commit"}, '
        '{"kind": "redrive", "at_ms": 3000}]}',
    ),
    Mutant(
        name="sql-retry-budget-doubled",
        mechanism="retry budget (SQL)",
        path="runtime/real/queue.py",
        old="if row is None or row[0] < self._budget:",
        new="if row is None or row[0] < 2 * self._budget:",
        note="the real world's FM_009 fix is a documented limit; the queue contract judges the SQL budget",
    ),
    Mutant(
        name="sql-key-committed-apart-from-its-effect",
        mechanism="idempotency key with its effect (SQL)",
        path="runtime/real/store.py",
        old="            if self.mid_call is not None:  # the ledger row written, the key not yet: dies, nothing lands",
        new=(
            '            tx.run("COMMIT")\n            tx.run("BEGIN IMMEDIATE")\n'
            "            if self.mid_call is not None:  # the ledger row written, the key not yet: dies, nothing lands"
        ),
        real=("--policy", "safe", "--jobs", "1", "--workers", "2", "--plan", "{plan}"),
        plan='{"faults": [{"kind": "crash", "actor": "w1", "point": "worker.mid_commit"}]}',
    ),
    Mutant(
        name="service-claims-the-key-apart-from-the-job",
        mechanism="key claim and publish together (service)",
        path="runtime/real/jobs.py",
        old="        if os.environ.get(CRASH_AT) == API_BEFORE_PUBLISH:",
        new=(
            '        tx.run("COMMIT")\n        tx.run("BEGIN IMMEDIATE")\n'
            "        if os.environ.get(CRASH_AT) == API_BEFORE_PUBLISH:"
        ),
        drill="api-crash",
    ),
    Mutant(
        name="backoff-promise-widened",
        mechanism="backoff (the policy's own range)",
        path="runtime/core/policy.py",
        old='        if self.jitter == "equal":\n            return cap // 2, cap',
        new='        if self.jitter == "equal":\n            return 0, cap',
        note="the worker and the policy agree on the wider range; the judge computes the promise itself",
    ),
    Mutant(
        name="control-idle-check-rewritten",
        mechanism="(control)",
        path="runtime/sim/queue.py",
        old="        return not self.messages",
        new="        return len(self.messages) == 0",
        control=True,
    ),
    Mutant(
        name="control-handler-default-rewritten",
        mechanism="(control)",
        path="runtime/core/decisions.py",
        old='    failing = payload.get("fail_n_times", 0)',
        new='    failing = payload.get("fail_n_times") or 0',
        control=True,
    ),
)


def occurrences(mutant: Mutant, root: Path = ROOT) -> int:
    return (root / mutant.path).read_text(encoding="utf-8").count(mutant.old)


def copy_tree(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.egg-info")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)


def _env(root: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=_env(root), capture_output=True, text=True, check=False
    )


def _violations(done: subprocess.CompletedProcess) -> Any:
    """The violations a command's JSON reports when it exits 1 (violated); None for any other exit or
    output (a crash before the CLI could answer also exits 1, with a traceback instead of JSON)."""
    if done.returncode != 1:
        return None
    try:
        return json.loads(done.stdout)["violations"]
    except (ValueError, KeyError, TypeError):
        return None


def _first_judge(mutant: Mutant, root: Path, seeds: int, processes: int) -> tuple[str | None, str]:
    """(what caught it, how) from the sweep, the real run or the drill; (None, why not) when silent."""
    if mutant.drill:
        done = _run(root, "-m", "faultline", "drill", mutant.drill, "--json")
        found = _violations(done)
        if found is not None:
            violated = sorted({v["invariant"] for v in found})
            return f"{', '.join(violated)} (drill {mutant.drill})", "drill"
        return None, f"drill {mutant.drill} exit {done.returncode}: {done.stderr.strip()[-160:]}"
    if mutant.real:
        (root / "mutant-plan.json").write_text(mutant.plan, encoding="utf-8")
        args = [arg.replace("{plan}", str(root / "mutant-plan.json")) for arg in mutant.real]
        done = _run(root, "-m", "faultline", "run", *args, "--real", "--db", str(root / "mutant.sqlite"), "--json")
        found = _violations(done)
        if found is not None:
            violated = sorted({v["invariant"] for v in found})
            return f"{', '.join(violated)} (real run)", "real run"
        return None, f"real run exit {done.returncode}: {done.stderr.strip()[:160]}"
    explored = _run(
        root,
        *("-m", "faultline", "explore", "--policy", "safe", "--seeds", str(seeds)),
        *("--processes", str(processes), "--json"),
        *(("--workload", mutant.workload) if mutant.workload else ()),
        *(arg for pair in mutant.sets for arg in ("--set", pair)),
    )
    found = _violations(explored)
    if found:
        first = min(found.items(), key=lambda item: (item[1]["first_seed"], item[0]))
        return f"{first[0]} (explore, first seed {first[1]['first_seed']}; {len(found)} invariant(s))", "explore"
    if explored.returncode != 0:
        return None, f"explore crashed (exit {explored.returncode}): {explored.stderr.strip()[-160:]}"
    return None, "explore silent"


def judge(mutant: Mutant, seeds: int, processes: int) -> dict:
    """Apply the mutant to a fresh copy; its judge (sweep, real run or drill), then (if silent) the
    test suite without its pins."""
    with tempfile.TemporaryDirectory(prefix="faultline-mutant-") as temp:
        root = Path(temp)
        copy_tree(root)
        target = root / mutant.path
        text = target.read_text(encoding="utf-8")
        if text.count(mutant.old) != 1:
            return {"caught_by": f"BROKEN: the edit matches {text.count(mutant.old)} times in {mutant.path}"}
        target.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
        began = time.perf_counter()
        caught, how = _first_judge(mutant, root, seeds, processes)
        if caught is not None:
            return {"caught_by": caught, "judge": how, "seconds": round(time.perf_counter() - began, 1)}
        if how.startswith(("explore crashed",)):
            return {"caught_by": how}
        tested = _run(
            root,
            *("-m", "pytest", "-q", "-n", str(processes), "-p", "no:cacheprovider"),
            "--ignore=tests/lab/test_mutants.py",  # it checks the mutants' own text: never a judge of them
            *PINS,
            *("-m", "not drill"),  # the suite `make test` runs
        )
        seconds = round(time.perf_counter() - began, 1)
        if tested.returncode == 0:
            return {"caught_by": None, "judge": None, "seconds": seconds}
        failed = [line.split(" ")[1] for line in tested.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
        kinds = sorted({kind_of_test(node) for node in failed})
        first = failed[0] if failed else "(suite failed)"
        return {
            "caught_by": f"{first} ({len(failed)} test(s))",
            "judge": ", ".join(kinds) or "test",
            "seconds": seconds,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2000, help="seeds the safe explorer runs per mutant")
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--only", nargs="*", default=None, help="mutant names to run")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if args.only is None or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name:45} {m.mechanism:22} {m.path}")
        return 0
    rows, bad = [], 0
    for mutant in chosen:
        verdict = judge(mutant, args.seeds, args.processes)
        caught = verdict["caught_by"]
        ok = (
            (caught is None)
            if mutant.control
            else (caught is not None and not caught.startswith(("BROKEN", "explore crashed")))
        )
        bad += not ok
        rows.append(
            {
                "mutant": mutant.name,
                "mechanism": mutant.mechanism,
                "control": mutant.control,
                "caught_by": caught,
                "judge": verdict.get("judge"),
                "ok": ok,
                "note": mutant.note,
                "seconds": verdict.get("seconds"),
            }
        )
        if not args.json:
            status = "ok  " if ok else "FAIL"
            shown = caught or ("silent (as a control must be)" if mutant.control else "ESCAPED (no judge caught it)")
            judge_kind = f"[{verdict.get('judge')}] " if verdict.get("judge") else ""
            print(f"{status} {mutant.name:45} {mutant.mechanism:22} {judge_kind}{shown}", flush=True)
            if mutant.note:
                print(f"     {'':45} {'':22} why the explorer alone may miss it: {mutant.note}")
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        mutants = sum(1 for m in chosen if not m.control)
        caught = mutants - sum(1 for r in rows if not r["control"] and not r["ok"])
        silent = sum(1 for r in rows if r["control"] and r["ok"])
        print(f"\n{caught}/{mutants} mutants caught by a judge, {silent}/{len(chosen) - mutants} controls silent")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
