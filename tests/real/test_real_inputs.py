"""Bad input to the real world: one line naming the value and the fix, exit 2, nothing run."""

import pytest

from runtime.core.faults import WORKER_BEFORE_COMMIT, Crash, FaultPlan
from runtime.real.run import unfired
from tests.builders import clean_job, e, history


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--db", "x.sqlite"], "--db only applies with --real; add --real, or drop it"),
        (["--real", "--db", "/no/such/folder/x.sqlite"], "folder '/no/such/folder' does not exist"),
        (["--real", "--db", "postgresql://postgres@127.0.0.1:9/faultline_x"], "cannot reach the server"),
        (["--real", "--db", "postgresql://postgres@127.0.0.1:5432/postgres"], "name a database of Faultline's own"),
        (["--real", "--time-scale", "0"], "'--time-scale': 0.0 is not in the range"),
    ],
)
def test_bad_real_world_input_is_one_line_and_exit_2(args, says, faultline_cli, tmp_path):
    done = faultline_cli("run", "FM_001", *args)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and done.stderr.count("\n") == 1 and done.stdout == ""


def test_a_run_where_a_planned_crash_never_fired_is_not_a_pass():
    plan = FaultPlan(faults=(Crash(actor="w1", point=WORKER_BEFORE_COMMIT),))
    quiet = history(*clean_job("j1", "w2"))
    assert unfired(quiet, plan) == ['{"kind": "crash", "actor": "w1", "point": "worker.before_commit", "hit": 1}']
    crashed = e(5, "crashed", "w1", "j1", 1, 1, point=WORKER_BEFORE_COMMIT, incarnation=1)
    assert unfired(history(crashed, *clean_job("j1", "w2", 10)), plan) == []
