"""`faultline workflow run` and `workflow show`: a workflow's runs with a row per task and the verdict,
exit codes, bad input (one line, exit 2, nothing written), the report's DAG, replay lines."""

import json
from pathlib import Path
from xml.etree import ElementTree

from faultline.present.workflow_runs import dag_svg, runs_of
from faultline.runspec import RunSpec
from tests.builders import call_cli

ROOT = Path(__file__).resolve().parents[2]
ETL = str(ROOT / "examples" / "etl_fanout.yml")
PERIODIC = str(ROOT / "examples" / "periodic.yml")


def test_a_safe_run_succeeds_with_a_row_per_task(capsys):
    code, out, _ = call_cli(capsys, "workflow", "run", ETL)
    assert code == 0
    assert "run run-1 of etl: succeeded" in out
    assert out.index("│ extract") < out.index("│ load")  # parents first
    assert "every invariant holds" in out


def test_json_carries_each_run_and_its_tasks(capsys):
    code, out, _ = call_cli(capsys, "workflow", "run", ETL, "--json")
    data = json.loads(out)
    assert code == 0 and data["violations"] == []
    [run] = data["runs"]
    assert run["state"] == "succeeded"
    assert [(t["task"], t["state"], t["attempts"]) for t in run["tasks"]][0] == ("extract", "succeeded", 1)
    assert data["replay"] == f"faultline workflow run {ETL} --seed 0 --policy safe --workers 3"


def test_a_scheduled_workflow_runs_two_ticks_under_two_schedulers(capsys):
    code, out, _ = call_cli(capsys, "workflow", "run", PERIODIC, "--json")
    data = json.loads(out)
    assert code == 0
    assert [(r["tick"], r["by"], r["state"]) for r in data["runs"]] == [(1, "s1", "succeeded"), (2, "s1", "succeeded")]


def test_the_naive_dispatchers_double_dispatch_and_exit_1(capsys):
    """With no fault at all: at seed 2 the three transforms finish inside one poll of the dispatchers."""
    code, out, _ = call_cli(capsys, "workflow", "run", ETL, "--policy", "naive", "--workers", "4", "--seed", "2")
    assert code == 1
    assert "INV_014 task-dispatched-once" in out and "VIOLATED" in out


def test_bad_input_is_one_line_exit_2_and_writes_nothing(capsys, tmp_path):
    history = tmp_path / "h.jsonl"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"faults": [{"kind": "crash", "actor": "d9", "point": "dispatcher.after_first_write"}]}))
    cases = [
        ([str(tmp_path / "none.yml")], "workflow spec"),
        ([ETL, "--policy", "bogus"], "unknown explorer policy 'bogus'"),
        ([ETL, "--plan", str(plan)], "unknown actor 'd9'"),
        ([ETL, "--set", "dispatch_cas=maybe"], "dispatch_cas"),
    ]
    for args, says in cases:
        code, out, err = call_cli(capsys, "workflow", "run", *args, "--history", str(history))
        assert code == 2, args
        assert says in err and err.count("\n") == 1 and "Traceback" not in err, err
        assert not history.exists()


def test_a_submit_timeout_on_a_task_is_refused_it_has_no_client_reply(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"faults": [{"kind": "submit_timeout", "job": "run-1:extract"}]}))
    code, _, err = call_cli(capsys, "workflow", "run", ETL, "--plan", str(plan))
    assert code == 2 and "is a workflow task, not a client request" in err


def test_the_report_draws_each_runs_dag(capsys, tmp_path):
    report = tmp_path / "r.html"
    code, _, _ = call_cli(capsys, "workflow", "run", ETL, "--report", str(report))
    html = report.read_text()
    assert code == 0 and "<h2>Workflow runs</h2>" in html
    assert html.count('class="dag"') == 1 and "transform_fees" in html


def test_the_dag_places_parents_left_of_their_children():
    record = RunSpec(workload=ETL, workers=3, policy_name="safe").run()
    [run] = runs_of(record)
    root = ElementTree.fromstring(dag_svg(run))
    ns = "{http://www.w3.org/2000/svg}"
    x = {group.find(f"{ns}text").text: float(group.find(f"{ns}rect").get("x")) for group in root.iter(f"{ns}g")}
    assert x["extract"] < x["transform_orders"] == x["transform_fees"] < x["load"]
    edges = [path for path in root.iter(f"{ns}path") if path.get("marker-end")]
    assert len(edges) == 3 + 3  # one arrow per dependency


def test_show_reads_a_real_run_back_and_refuses_an_unknown_one(capsys, tmp_path):
    db = str(tmp_path / "wf.sqlite")
    code, out, _ = call_cli(capsys, "workflow", "run", str(ROOT / "examples" / "hello.yml"), "--real", "--db", db)
    assert code == 0, out
    code, out, _ = call_cli(capsys, "workflow", "show", "run-1", "--db", db, "--json")
    found = json.loads(out)
    assert code == 0 and found["state"] == "succeeded"
    assert [(t["task"], t["state"]) for t in found["tasks"]] == [("hello", "succeeded"), ("world", "succeeded")]
    code, _, err = call_cli(capsys, "workflow", "show", "run-9", "--db", db)
    assert code == 2 and "no run 'run-9'" in err and "run-1" in err
