"""`faultline judge`: a saved history judged again from the file alone; a file that is not a history
in time order is refused (exit 2, one line)."""

import json

from faultline.cli import main


def run_cli(capsys, *args):
    try:
        main(list(args))
    except SystemExit as done:
        code = done.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_saved_history_is_judged_the_same_again(capsys, tmp_path):
    history = tmp_path / "h.jsonl"
    code, _out, _err = run_cli(capsys, "run", "FM_001", "--history", str(history))
    assert code == 1
    code, out, _err = run_cli(capsys, "judge", str(history), "--json")
    assert code == 1
    assert [v["invariant"] for v in json.loads(out)["violations"]] == ["INV_001"]


def test_a_history_whose_time_runs_backwards_is_refused(capsys, tmp_path):
    history = tmp_path / "h.jsonl"
    run_cli(capsys, "run", "FM_001", "--fix", "--history", str(history))
    lines = history.read_text().splitlines()
    event = json.loads(lines[4])
    event["time_ms"] = 10**7  # later than the one after it
    lines[4] = json.dumps(event)
    history.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(capsys, "judge", str(history))
    assert code == 2 and out == ""
    assert "time runs backwards at event #5" in err and len(err.strip().splitlines()) == 1


def test_a_folder_or_a_stranger_file_is_refused(capsys, tmp_path):
    code, _out, err = run_cli(capsys, "judge", str(tmp_path))
    assert code == 2 and "is a folder" in err
    stranger = tmp_path / "x.jsonl"
    stranger.write_text("not json\n")
    code, _out, err = run_cli(capsys, "judge", str(stranger))
    assert code == 2 and "is not a Faultline history" in err
