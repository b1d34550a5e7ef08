"""`faultline compare`: policies side by side over the same seeds, one row per policy."""

import json

from tests.builders import call_cli


def test_naive_and_safe_side_by_side_safe_loses_and_duplicates_nothing(capsys):
    code, out, _ = call_cli(capsys, "compare", "--policy", "naive", "--policy", "safe", "--seeds", "30", "--json")
    assert code == 0
    data = json.loads(out)
    naive, safe = data["rows"]
    assert (naive["policy"], safe["policy"], data["seeds"]) == ("naive", "safe", 30)
    assert safe["lost_jobs"] == 0 and safe["duplicate_effects"] == 0
    assert set(safe["violating_seeds"].values()) == {0}
    assert naive["lost_jobs"] > 0 and naive["duplicate_effects"] > 0 and naive["violating_seeds"]["INV_001"] > 0
    assert naive["retries_per_job"] > safe["retries_per_job"]
    assert set(safe) == {
        "policy",
        "seeds",
        "violating_seeds",
        "lost_jobs",
        "duplicate_effects",
        "dead_lettered",
        "p50_latency_ms",
        "p99_latency_ms",
        "retries_per_job",
        "peak_store_calls_per_s",
    }


def test_an_override_for_one_policy_changes_only_its_row(capsys):
    args = ["compare", "--policy", "naive", "--policy", "safe", "--seeds", "15", "--json"]
    _, plain, _ = call_cli(capsys, *args)
    _, changed, _ = call_cli(capsys, *args, "--set", "naive:idempotent_effects=true")
    plain_rows, changed_rows = json.loads(plain)["rows"], json.loads(changed)["rows"]
    assert changed_rows[1] == plain_rows[1]
    assert changed_rows[0]["duplicate_effects"] < plain_rows[0]["duplicate_effects"]


def test_the_table_has_a_column_per_policy_and_no_trailing_spaces(capsys):
    code, out, _ = call_cli(capsys, "compare", "--policy", "naive", "--policy", "safe", "--seeds", "10")
    assert code == 0
    assert "naive" in out and "safe" in out and "lost jobs" in out
    assert not [line for line in out.splitlines() if line != line.rstrip()]


def test_bad_compare_input_is_one_line_and_exit_2(capsys):
    for args, says in (
        (["--policy", "nope"], "unknown explorer policy 'nope'"),
        (["--policy", "safe", "--policy", "safe"], "each policy once"),
        (["--policy", "safe", "--set", "naive:fencing=true"], "names policy 'naive', which is not compared"),
        (["--policy", "safe", "--set", "no_such_field=1"], "no_such_field"),
    ):
        code, out, err = call_cli(capsys, "compare", *args, "--seeds", "2")
        assert code == 2 and out == "" and says in err and err.count("\n") == 1, (args, err)
