"""`make drills`: every FM in the real world on SQLite and Postgres, and the service drills, checked
against the numbers docs/drills/real_drills.md reports."""

import re
from pathlib import Path

import pytest

from faultline.catalog import load_all
from faultline.realcheck import REAL_WORLD_LIMITS
from faultline.service.drills import DRILLS, meets, run_drill
from faultline.testing import violations_of
from invariants import check_all
from runtime.real.run import run_real
from tests.real.conftest import SCALE

pytestmark = pytest.mark.drill
MODES = load_all()[0]
# Real ms per virtual ms. The store's capacity is per virtual second, and a transaction's real cost
# counts for more virtual time at a small scale: FM_009 (a retry storm against that capacity) runs at
# half speed, so that a loaded machine still offers the store its storm within one virtual second;
# FM_003 (an outage of 800 ms) runs in real time, and so does FM_013, whose race needs the two parents
# to finish inside one of the dispatchers' poll intervals. FM_006 (which worker leases j1) and FM_011
# (a skewed clock steals a live lease) are timing races too: on a loaded machine they kept their
# shape only in real time.
SCALES = {"FM_003": 1.0, "FM_006": 1.0, "FM_009": 2.0, "FM_011": 1.0, "FM_013": 1.0}
DRILL_NAMES = tuple(DRILLS)
DOC = Path(__file__).resolve().parents[2] / "docs" / "drills" / "real_drills.md"


def run_for_real(mode, fixed: bool, db_url: str, request):
    """The FM's scenario for real; a lock kept in Redis goes to this test process's own Redis database."""
    lock_url = request.getfixturevalue("redis_url") if mode.scenario.leader_lock == "redis" else None
    policy = mode.policy(fixed=fixed)
    return run_real(mode.scenario, policy, db_url=db_url, scale=SCALES.get(mode.id, SCALE), lock_url=lock_url)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.id)
def test_every_fm_breaks_for_real_under_its_naive_policy(mode, db_url, request):
    record = run_for_real(mode, False, db_url, request)
    for invariant in mode.invariants:
        assert violations_of(record, invariant), (mode.id, invariant)


@pytest.mark.parametrize("mode", [m for m in MODES if m.id not in REAL_WORLD_LIMITS], ids=lambda m: m.id)
def test_every_fm_fix_holds_for_real(mode, db_url, request):
    record = run_for_real(mode, True, db_url, request)
    assert check_all(record) == (), mode.id


def documented_rows():
    """The drill table in docs/drills/real_drills.md: (drill, db, policy) -> its cells."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in DRILL_NAMES:
            drill, db, policy, jobs, lost, double, recovered, violated = cells
            rows[(drill, db, policy)] = (int(jobs), int(lost), int(double), int(recovered), violated)
    return rows


ROWS = documented_rows()


@pytest.mark.parametrize("key", sorted(ROWS), ids=lambda key: "-".join(key))
def test_each_real_drill_shows_what_the_docs_report(key, request):
    drill, db, policy = key
    url = request.getfixturevalue("postgres_url") if db == "postgres" else None
    result = run_drill(drill, url, policy)
    jobs, lost, double, recovered, violated = ROWS[key]
    assert result.jobs == jobs
    assert (result.lost > 0, result.double_effects > 0) == (lost > 0, double > 0)
    if drill == "worker-crash":  # elsewhere a lease may also run out while the database is away
        assert (result.lease_expiries_recovered > 0) == (recovered > 0)
    assert {v.invariant for v in result.violations} == set(re.findall(r"INV_\d{3}", violated))
    if policy == "safe":  # a healthy run meets every expected metric
        for metric, values in result.metrics.items():
            assert meets(values["expected"], values["observed"]), (metric, values)


def test_the_docs_cover_every_drill_policy_and_database():
    assert set(ROWS) == {(d, db, p) for d in DRILL_NAMES for db in ("sqlite", "postgres") for p in ("safe", "naive")}
