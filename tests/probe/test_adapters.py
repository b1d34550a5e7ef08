"""Every adapter against its real library and server: the contract (a happy path that holds, the
queue's own state read back, nothing left behind) and a judged fault. `make test` runs one adapter;
`make drills` runs them all."""

import json

import pytest

from faultline.probe.adapters import ADAPTERS, SERVERS
from faultline.probe.contract import Adapter
from faultline.probe.run import run_probe
from invariants import check_all
from tests.probe.conftest import leftovers, require_servers

ALL = sorted(ADAPTERS)
FAST = "rq"


def probe(name: str, drill: str, configuration: str = "default", **options):
    require_servers(name)
    adapter = ADAPTERS[name]
    settings = {**adapter.configurations[configuration].settings, "server_url": SERVERS[adapter.server]}
    result = run_probe(adapter, drill, settings, configuration=configuration, **options)
    assert leftovers(result.record.header["probe"]["id"]) == []
    return result


@pytest.mark.parametrize("name", ALL)
def test_every_adapter_keeps_the_contract(name):
    assert isinstance(ADAPTERS[name], Adapter)
    assert {"default", "recommended"} <= set(ADAPTERS[name].configurations)
    for config in ADAPTERS[name].configurations.values():
        assert set(config.settings) <= set(ADAPTERS[name].knobs), config.name


@pytest.mark.drill
@pytest.mark.parametrize("name", ALL)
def test_every_adapter_runs_the_happy_path_and_holds(name):
    result = probe(name, "no-fault")
    assert check_all(result.record) == ()
    assert set(result.record.final["queue_states"].values()) == {"succeeded"}
    assert len(result.record.final["ledger"]) == 3


@pytest.mark.drill
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("configuration", ["default", "recommended"])
def test_every_adapter_is_judged_under_a_worker_crash(name, configuration):
    result = probe(name, "worker-crash", configuration, settle_ms=8_000)
    record = result.record
    assert result.facts["fault_bit"] is True
    crashed = [e for e in record.events if e.kind == "crashed" and e.get("point") == "before_effect"]
    assert len(crashed) == 1 and crashed[0].job_id == "s1"
    times = [e.time_ms for e in record.events]
    assert times == sorted(times)
    check_all(record)  # judged: a verdict either way, never an error


def test_rq_worker_crash_by_default_strands_the_job_with_evidence(faultline_cli):
    """RQ, default configuration: a worker SIGKILLed mid-job leaves the job `started` in RQ's registry;
    within the quiet period nothing takes it back (rq/rq#2015, #1461)."""
    require_servers(FAST)
    done = faultline_cli("probe", FAST, "--drill", "worker-crash", "--settle-ms", "2000", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    by_id = {v["invariant"]: v for v in data["violations"]}
    assert {"INV_002", "INV_019"} <= set(by_id)
    events = {e["index"]: e for e in data["events"]}
    started, crashed = (events[i] for i in by_id["INV_019"]["events"])
    assert (started["kind"], crashed["kind"]) == ("started", "crashed")
    assert started["job_id"] == crashed["job_id"] == "s1"
    assert data["facts"]["stuck"] == 1 and data["facts"]["lost"] == 0
    assert data["probe"]["library"] == "rq" and data["probe"]["version"]
    assert data["replay"] == "faultline probe rq --drill worker-crash --settle-ms 2000"
    assert leftovers(data["probe"]["id"]) == []
