"""Metrics, trace export and the HTML report: exact numbers for deterministic runs, valid
trace-event JSON, and a self-contained report with the evidence highlighted."""

import json
from html.parser import HTMLParser

import prometheus_client
import pytest

from faultline.catalog import find
from faultline.cli import main
from faultline.present.metrics import exposition, registry_for, snapshot
from faultline.present.report import html_report
from faultline.present.trace import trace_document
from invariants import check_all
from runtime.core.policy import Policy
from runtime.sim import run
from tests.sim.test_happy_path import HAPPY

SUBMITTED, SUCCEEDED, DEAD, RETRIES, LEASED = (
    "faultline_jobs_submitted_total",
    "faultline_jobs_succeeded_total",
    "faultline_jobs_dead_lettered_total",
    "faultline_retries_scheduled_total",
    "faultline_jobs_leased_total",
)
BY_REAPER = 'faultline_lease_expiries_total{judged_by="reaper"}'
BY_WORKER = 'faultline_lease_expiries_total{judged_by="worker"}'
CRASHES = 'faultline_crashes_total{role="worker"}'
COMMITTED = 'faultline_effects_total{outcome="committed"}'
DEDUPED = 'faultline_effects_total{outcome="deduplicated"}'
FENCED = 'faultline_effects_total{outcome="fenced"}'
UNAVAILABLE = 'faultline_store_errors_total{kind="unavailable"}'

# (FM, fixed?) -> the metrics its seed-0 run must report, each following from the scenario.
EXPECTED = {
    ("FM_001", False): {SUBMITTED: 2, SUCCEEDED: 2, BY_WORKER: 1, CRASHES: 1, COMMITTED: 3, DEDUPED: 0},
    ("FM_001", True): {SUBMITTED: 2, SUCCEEDED: 2, BY_WORKER: 1, CRASHES: 1, COMMITTED: 2, DEDUPED: 1},
    ("FM_002", False): {SUBMITTED: 3, SUCCEEDED: 2, CRASHES: 1, BY_REAPER: 0, LEASED: 3},
    ("FM_002", True): {SUBMITTED: 3, SUCCEEDED: 3, CRASHES: 1, BY_REAPER: 1, LEASED: 4, COMMITTED: 3},
    ("FM_003", False): {SUBMITTED: 4, SUCCEEDED: 0, UNAVAILABLE: 4, COMMITTED: 0, RETRIES: 0},
    ("FM_003", True): {SUBMITTED: 4, SUCCEEDED: 4, UNAVAILABLE: 14, COMMITTED: 4, RETRIES: 14},
    ("FM_004", False): {SUBMITTED: 3, SUCCEEDED: 3, COMMITTED: 3},
    ("FM_004", True): {SUBMITTED: 2, SUCCEEDED: 2, COMMITTED: 2},
    ("FM_005", False): {SUBMITTED: 4, SUCCEEDED: 0, DEAD: 0, RETRIES: 215},
    ("FM_005", True): {SUBMITTED: 4, SUCCEEDED: 3, DEAD: 1, RETRIES: 2},
    ("FM_006", False): {SUBMITTED: 2, SUCCEEDED: 1, CRASHES: 1, COMMITTED: 1, BY_WORKER: 0},
    ("FM_006", True): {SUBMITTED: 2, SUCCEEDED: 2, CRASHES: 1, COMMITTED: 2, BY_WORKER: 1},
    ("FM_007", False): {SUBMITTED: 2, SUCCEEDED: 1, BY_WORKER: 9, DEDUPED: 7},
    ("FM_007", True): {SUBMITTED: 2, SUCCEEDED: 2, BY_WORKER: 0, DEDUPED: 0},
    ("FM_008", False): {SUCCEEDED: 1, BY_WORKER: 1, COMMITTED: 2, FENCED: 0},
    ("FM_008", True): {SUCCEEDED: 1, BY_WORKER: 1, COMMITTED: 1, FENCED: 1},
    ("FM_009", False): {SUBMITTED: 40, SUCCEEDED: 40, RETRIES: 160, UNAVAILABLE: 133},
    ("FM_009", True): {SUBMITTED: 40, SUCCEEDED: 40, RETRIES: 36, UNAVAILABLE: 36},
    ("FM_010", False): {SUBMITTED: 3, SUCCEEDED: 1, DEAD: 2, RETRIES: 4},
    ("FM_010", True): {SUBMITTED: 3, SUCCEEDED: 3, DEAD: 0, RETRIES: 0},
    ("FM_011", False): {SUBMITTED: 2, SUCCEEDED: 2, BY_WORKER: 2, DEDUPED: 1},
    ("FM_011", True): {SUBMITTED: 2, SUCCEEDED: 2, BY_WORKER: 0, BY_REAPER: 0},
}


def metrics_of(result):
    return snapshot(registry_for(result))


def test_happy_path_metrics_are_exact():
    metrics = metrics_of(run(HAPPY, Policy.naive(), seed=3))
    assert {k: metrics[k] for k in (SUBMITTED, LEASED, SUCCEEDED, COMMITTED, RETRIES, DEAD, CRASHES)} == {
        SUBMITTED: 5,
        LEASED: 5,
        SUCCEEDED: 5,
        COMMITTED: 5,
        RETRIES: 0,
        DEAD: 0,
        CRASHES: 0,
    }
    assert metrics["faultline_execution_duration_seconds_count"] == 5
    assert metrics['faultline_execution_duration_seconds_bucket{le="0.05"}'] == 0
    assert metrics['faultline_execution_duration_seconds_bucket{le="0.25"}'] == 5
    assert metrics["faultline_job_latency_seconds_count"] == 5


@pytest.mark.parametrize("fm, fixed", sorted(EXPECTED), ids=lambda v: str(v))
def test_fm_metrics_are_exact(fm, fixed):
    metrics = metrics_of(find(fm).run(fixed=fixed))
    expected = EXPECTED[(fm, fixed)]
    assert {k: metrics[k] for k in expected} == expected


def test_every_run_gets_its_own_registry_never_the_global_one():
    before = {m.name for m in prometheus_client.REGISTRY.collect()}
    first = registry_for(find("FM_002").run(fixed=True))
    second = registry_for(find("FM_002").run(fixed=True))
    assert first is not second and exposition(first) == exposition(second)
    assert {m.name for m in prometheus_client.REGISTRY.collect()} == before
    assert "_created" not in exposition(first)  # no wall-clock samples


def test_cli_metrics_flag_and_json_carry_the_same_numbers(capsys):
    with pytest.raises(SystemExit):
        main(["run", "FM_002", "--fix", "--metrics"])
    text = capsys.readouterr().out
    assert 'faultline_lease_expiries_total{judged_by="reaper"} 1.0' in text
    with pytest.raises(SystemExit):
        main(["run", "FM_002", "--fix", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["metrics"][BY_REAPER] == 1
    for name, value in data["metrics"].items():
        assert f"{name} {float(value)}" in text


def test_trace_is_valid_trace_event_json_with_the_expected_tracks():
    result = find("FM_001").run()
    document = json.loads(json.dumps(trace_document(result, check_all(result), title="FM_001")))
    events = document["traceEvents"]
    assert document["displayTimeUnit"] == "ms"
    for event in events:
        assert event["ph"] in {"M", "X", "i"} and isinstance(event["pid"], int) and isinstance(event["tid"], int)
        if event["ph"] == "X":
            assert event["dur"] >= 0 and isinstance(event["ts"], int)
        if event["ph"] == "i":
            assert event["s"] in {"t", "g"}
    names = [e["args"]["name"] for e in events if e["name"] == "thread_name"]
    assert names == ["client", "w1", "w2", "queue", "store", "verdict"]
    attempts = [e for e in events if e.get("cat") == "attempt"]
    assert [e["name"] for e in attempts if e["args"]["job"] == "j1"] == ["j1 attempt 1", "j1 attempt 2"]
    [violation] = [e for e in events if e.get("cat") == "violation"]
    assert violation["name"] == "INV_001 violated" and violation["args"]["events"] == [7, 14]
    crash = next(e for e in events if e["name"].startswith("crashed"))
    assert crash["cat"] == "fault" and crash["ts"] == result.events[crash["args"]["event"]].time_ms * 1000


def test_cli_trace_writes_the_file(capsys, tmp_path):
    target = tmp_path / "t.json"
    with pytest.raises(SystemExit):
        main(["run", "FM_001", "--trace", str(target)])
    assert json.loads(target.read_text())["traceEvents"]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.classes, self.urls = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "class":
                self.classes += (value or "").split()
            if name in ("src", "href", "xlink:href") or (value and "://" in value):
                self.urls.append(value)


def test_report_is_self_contained_html_with_svg_and_highlighted_evidence(capsys, tmp_path):
    target = tmp_path / "r.html"
    main(["report", "FM_001", "--out", str(target)])
    html = target.read_text()
    parser = _Collector()
    parser.feed(html)
    assert parser.tags[0] == "html" and "svg" in parser.tags
    assert parser.classes.count("evidence") >= 2  # the two commits of j1 are ringed
    assert parser.urls == [] and "http" not in html and "<script" not in html
    assert "INV_001 effect-once violated" in html and "faultline run FM_001 --seed 0" in html
    assert "faultline_effects_total" in html


def test_report_of_a_fixed_run_says_every_invariant_holds():
    result = find("FM_002").run(fixed=True)
    html = html_report(result, check_all(result), title="t", policy_label="fixed", replay="r", metrics={})
    assert "every invariant holds" in html and 'class="evidence"' not in html


def test_a_run_on_a_broker_counts_its_redeliveries_timeouts_and_lost_publishes():
    timed_out = snapshot(registry_for(find("FM_028").run(fixed=False)))
    events = find("FM_028").run(fixed=False).events
    assert timed_out["faultline_broker_delivery_timeouts_total"] == sum(e.kind == "delivery_timed_out" for e in events)
    assert timed_out["faultline_broker_redeliveries_total"] == sum(e.kind == "redelivered" for e in events) > 0
    lost = snapshot(registry_for(find("FM_027").run(fixed=False)))
    assert lost['faultline_broker_publishes_lost_total{noticed="false"}'] == 1
    assert lost['faultline_broker_publishes_lost_total{noticed="true"}'] == 0
    assert not [name for name in snapshot(registry_for(find("FM_001").run(fixed=False))) if "broker" in name]
