"""The command line's bad-input corpus: every row is what a careless operator or a hostile user types.
Each exits 2 with one line on stderr that names the value, writes nothing (the folder it runs in is
byte-for-byte the same afterwards, every database too) and creates no Postgres database."""

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import uuid
from pathlib import Path

import pytest

from runtime.real.db import Database
from tests.builders import call_cli
from tests.conftest import POSTGRES_SERVER

ROOT = Path(__file__).resolve().parents[2]
HELLO = str(ROOT / "examples" / "hello.yml")
PG_MISSING = f"{POSTGRES_SERVER}/faultline_never_made_{uuid.uuid4().hex[:8]}"


def plan(*faults) -> str:
    return json.dumps({"faults": list(faults)})


FILES = {
    "notes.txt": "my notes: do not lose them\n",
    "pyproject.toml": '[project]\nname = "mine"\n',
    "cycle.yml": "name: x\ntasks:\n  - {name: a, depends_on: [b]}\n  - {name: b, depends_on: [a]}\n",
    "deep.yml": "name: x\ntasks:\n  - {name: a, payload: {n: " + "[" * 5000 + "]" * 5000 + "}}\n",
    "alias.yml": "name: x\nbase: &b {amount: 1}\ntasks:\n  - {name: a, payload: *b}\n",
    "big.yml": "name: x\ntasks: [{name: a}]\n#" + "x" * 40_000 + "\n",
    "badpayload.yml": "name: x\ntasks:\n  - {name: a, payload: {amount: lots}}\n",
    "list.yml": "- a\n- b\n",
    "plan_kind.json": plan({"kind": ["crash"]}),
    "plan_point.json": plan({"kind": "crash", "actor": "w1", "point": "worker.lunch"}),
    "plan_actor.json": plan({"kind": "crash", "actor": "w9", "point": "worker.after_lease"}),
    "plan_job.json": plan({"kind": "duplicate_delivery", "job": "j7"}),
    "plan_role.json": plan({"kind": "crash", "actor": "client", "point": "worker.after_lease"}),
    "plan_skew.json": plan({"kind": "clock_skew", "actor": "client", "skew_ms": 5}),
    "plan_pause.json": plan({"kind": "pause", "actor": "w1", "point": "worker.after_lease", "duration_ms": 36000000}),
    "plan_outage.json": plan({"kind": "store_outage", "start_ms": 0, "end_ms": 99999999999}),
    "plan_repeat.json": plan({"kind": "poison_job", "job": "j1"}, {"kind": "poison_job", "job": "j1"}),
    "plan_nan.json": '{"faults": [{"kind": "store_outage", "start_ms": NaN, "end_ms": 5}]}',
    "plan_notjson.json": "{faults: nope}",
    "plan_deep.json": "[" * 30_000 + "]" * 30_000,
    "plan_big.json": " " * 70_000 + "{}",
    "deep.json": "[" * 30_000 + "]" * 30_000,
    "incomplete.json": json.dumps({"faults": [], "found": {"invariant": "INV_001"}}),
    "short.key": "tooshort\n",
    "spaced.key": "a key with spaces that is long enough\n",
}
BYTES = {"notutf8.yml": b"\xff\xfe name: x\n", "plan_latin1.json": b"\xff\xfe not utf-8"}


@pytest.fixture(scope="module")
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox_files(tmp_path_factory) -> Path:
    """Made once: someone's text and SQLite files, a Faultline database, a folder, and inputs of
    every bad shape."""
    folder = tmp_path_factory.mktemp("sandbox")
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in BYTES.items():
        (folder / name).write_bytes(data)
    (folder / "dir").mkdir()
    foreign = sqlite3.connect(folder / "foreign.sqlite")
    foreign.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    foreign.execute("INSERT INTO users (name) VALUES ('ada')")
    foreign.commit()
    foreign.close()
    lab = Database(str(folder / "lab.sqlite"))
    lab.reset()
    lab.close()
    return folder


@pytest.fixture
def sandbox(sandbox_files, tmp_path, monkeypatch):
    """A working folder of its own for each row: a copy of the files the rows name, and a FIFO."""
    shutil.copytree(sandbox_files, tmp_path, dirs_exist_ok=True)
    os.mkfifo(tmp_path / "fifo")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAULTLINE_FM_PATH", "unset")  # --fm-path sets it in this process: undone afterwards
    monkeypatch.delenv("FAULTLINE_FM_PATH")
    return tmp_path


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: its kind, size, modification time and content hash."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else ""
        found[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return found


def postgres_databases() -> set[str] | None:
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=2, autocommit=True) as conn:
            return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    except Exception:  # noqa: BLE001 - no server here: the rows that need one skip (never in CI)
        if os.environ.get("CI"):
            raise
        return None


# (argv, what the one line says). {port} is a port another process listens on.
ROWS = [
    # run: which run, and its policy
    (["run", "FM_99"], "unknown failure mode 'FM_99' (known: FM_001"),
    (["run", "FM_001", "--seed", "-1"], "seed must be an integer in [0, 2**64 - 1], got '-1'"),
    (["run", "FM_001", "--seed", "1.5"], "got '1.5' (try --seed 0)"),
    (["run", "FM_001", "--seed", "²"], "got '²'"),
    (["run", "FM_001", "--seed", "9" * 5000], "got '999"),
    (["run", "FM_001", "--seed", str(2**64)], "seed must be an integer in [0, 2**64 - 1]"),
    (["run", "FM_001", "--set", "lease=1"], "unknown policy field 'lease'"),
    (["run", "FM_001", "--set", "lease_ms"], "--set expects FIELD=VALUE, got 'lease_ms'"),
    (["run", "FM_001", "--set", "lease_ms=" + "9" * 5000], "must be an integer"),
    (["run", "FM_001", "--set", "lease_ms=abc"], "lease_ms = 'abc' must be an integer"),
    (["run", "FM_001", "--set", "max_attempts=0"], "max_attempts = 0 must be an integer in [1, 1000]"),
    (["run", "--jobs", "10001"], "'--jobs': 10001 is not in the range 1<=x<=10000"),
    (["run", "--workers", "0"], "'--workers': 0 is not in the range 1<=x<=64"),
    (["run", "--policy", "yolo"], "unknown explorer policy 'yolo'"),
    (["run", "FM_001", "--policy", "safe"], "--policy, --jobs and --workers describe the standard workload"),
    (["run", "FM_001", "--jobs", "5"], "describe the standard workload"),
    (["run", "--fix"], "--fix and --expect-violation need an FM"),
    (["run", "--expect-violation"], "--fix and --expect-violation need an FM"),
    (["explode"], "No such command 'explode'"),
    (["run", "FM_001", "--bogus"], "No such option '--bogus'"),
    # run: the fault plan
    (["run", "FM_001", "--plan", "/nonexistent/plan.json"], "cannot read fault plan '/nonexistent/plan.json'"),
    (["run", "FM_001", "--plan", "dir"], "fault plan 'dir' is a folder"),
    (["run", "FM_001", "--plan", "fifo"], "fault plan 'fifo' is not a regular file"),
    (["run", "FM_001", "--plan", "/dev/zero"], "fault plan '/dev/zero' is not a regular file"),
    (["run", "FM_001", "--plan", "plan_big.json"], "fault plan 'plan_big.json' is 70002 characters; at most 65536"),
    (["run", "FM_001", "--plan", "plan_latin1.json"], "fault plan 'plan_latin1.json' is not UTF-8 text (byte 0)"),
    (["run", "FM_001", "--plan", "plan_deep.json"], "is nested too deeply to be a fault plan"),
    (["run", "FM_001", "--plan", "plan_notjson.json"], "not valid JSON"),
    (["run", "FM_001", "--plan", "plan_nan.json"], "field 'start_ms' must be int, got nan"),
    (["run", "FM_001", "--plan", "plan_kind.json"], "fault #1: unknown kind ['crash']"),
    (["run", "FM_001", "--plan", "plan_point.json"], "unknown fault point 'worker.lunch'"),
    (["run", "FM_001", "--plan", "plan_actor.json"], "unknown actor 'w9' (known: w1, w2, client, relay)"),
    (["run", "FM_001", "--plan", "plan_job.json"], "unknown job 'j7' (the scenario's jobs: j1, j2)"),
    (["run", "FM_001", "--plan", "plan_role.json"], "client never reaches 'worker.after_lease'"),
    (["run", "FM_001", "--plan", "plan_skew.json"], "'client' is not a worker"),
    (["run", "FM_001", "--plan", "plan_pause.json"], "duration_ms must be an integer in [1, 3600000], got 36000000"),
    (["run", "FM_001", "--plan", "plan_outage.json"], "end_ms must be an integer in"),
    (["run", "FM_001", "--plan", "plan_repeat.json"], "fault #2 (poison_job) repeats fault #1"),
    # run: the outputs, checked as a set before any work
    (["run", "FM_001", "--history", "/nonexistent/dir/h.jsonl"], "folder '/nonexistent/dir' does not exist"),
    (["run", "FM_001", "--history", "dir"], "--history 'dir': is a folder; give a file path"),
    (["run", "FM_001", "--history", "fifo"], "--history 'fifo': is a special file"),
    (["run", "FM_001", "--history", "/dev/null"], "--history '/dev/null': is a special file"),
    (["run", "FM_001", "--history", "/dev/full"], "--history '/dev/full': is a special file"),
    (["run", "FM_001", "--trace", "/proc/version"], "--trace '/proc/version': cannot be written"),
    (["run", "FM_001", "--history", "out.jsonl", "--metrics", "out.jsonl"], "--history and --metrics both name"),
    (["run", "FM_001", "--history", "x.jsonl", "--trace", "./x.jsonl"], "--history and --trace both name"),
    (["run", "FM_001", "--history", "-", "--trace", "-"], "--history - and --trace - both want stdout"),
    (["run", "FM_001", "--json", "--history", "-"], "--history - and --json both want stdout"),
    (["run", "FM_001", "--json", "--metrics"], "--metrics - and --json both want stdout"),
    (["run", "FM_001", "--trace", "t" * 300], "the file name is too long"),
    (["run", "FM_001", "--history", ""], "--history '': needs a file path"),
    # run: the real world's options, and its database
    (["run", "FM_001", "--db", "x.sqlite"], "--db only applies with --real"),
    (["run", "FM_001", "--time-scale", "2"], "--time-scale only applies with --real"),
    (["run", "FM_001", "--reset"], "--reset only applies with --real"),
    (["run", "FM_001", "--real", "--reset"], "--reset only applies with --db"),
    (["run", "FM_025", "--lock", "redis://127.0.0.1:6379/3"], "--lock only applies with --real"),
    (["run", "FM_001", "--broker", "amqp://127.0.0.1"], "--broker only applies with --real"),
    (["run", "FM_001", "--real", "--broker", "http://127.0.0.1"], "--broker 'http://127.0.0.1' must be an amqp://"),
    (["run", "FM_001", "--real", "--broker", "amqp://guest:guest@127.0.0.1:1/%2F"], "no RabbitMQ answers at"),
    (["run", "FM_003", "--real", "--broker", "amqp://127.0.0.1"], "a broker does not deliver a store_outage fault"),
    (["run", "FM_001", "--real", "--broker", "amqp://127.0.0.1", "--set", "batch_size=2"], "not yet batches or acks"),
    (["run", "FM_025", "--real", "--lock", "http://127.0.0.1"], "--lock 'http://127.0.0.1' must be a redis://"),
    (["run", "FM_025", "--real", "--lock", "redis://127.0.0.1:6379/x"], "must be a Redis database number"),
    (["run", "FM_025", "--real", "--lock", "redis://127.0.0.1:1/3"], "no Redis answers at redis://127.0.0.1:1/3"),
    (["run", "FM_001", "--real", "--lock", "redis://127.0.0.1:6379/3"], "this run has no scheduler; drop --lock"),
    (["run", "FM_001", "--real", "--create-db"], "--create-db only applies with --db"),
    (["run", "FM_001", "--real", "--time-scale", "nan"], "'nan' is not a finite number"),
    (["run", "FM_001", "--real", "--time-scale", "inf"], "is not in the range"),
    (["run", "FM_001", "--real", "--time-scale", "0"], "'--time-scale': 0.0 is not in the range"),
    (["run", "FM_001", "--real", "--db", "notes.txt"], "--db 'notes.txt' is not a SQLite database"),
    (["run", "FM_001", "--real", "--db", "notes.txt", "--reset"], "is not a SQLite database"),
    (["run", "FM_001", "--real", "--db", "pyproject.toml"], "--db 'pyproject.toml' is not a SQLite database"),
    (["run", "FM_001", "--real", "--db", "foreign.sqlite"], "holds tables Faultline did not make (users)"),
    (["run", "FM_001", "--real", "--db", "foreign.sqlite", "--reset"], "holds tables Faultline did not make"),
    (["run", "FM_001", "--real", "--db", "lab.sqlite"], "holds a Faultline database and a run wipes it first"),
    (["run", "FM_001", "--real", "--db", "fifo"], "--db 'fifo' is not a regular file"),
    (["run", "FM_001", "--real", "--db", "dir"], "give a SQLite file path or a postgresql:// URL"),
    (["run", "FM_001", "--real", "--db", "/no/such/folder/x.sqlite"], "folder '/no/such/folder' does not exist"),
    (["run", "FM_001", "--real", "--db", "x.sqlite", "--history", "x.sqlite"], "--history and --db both name"),
    (["run", "FM_001", "--real", "--db", "postgresql://postgres@127.0.0.1:9/faultline_x"], "cannot reach the server"),
    (["run", "FM_001", "--real", "--db", f"{POSTGRES_SERVER}/postgres"], "name a database of Faultline's own"),
    (["run", "FM_001", "--real", "--db", "postgresql://a b c/%%"], "is not a Postgres URL"),
    (["run", "FM_001", "--real", "--db", PG_MISSING], "does not exist; create it, or add --create-db"),
    # report
    (["report", "FM_001"], "Missing option '--out'"),
    (["report", "FM_001", "--out", ""], "--out '': needs a file path (or - for stdout)"),
    (["report", "FM_001", "--out", "dir"], "--out 'dir': is a folder"),
    (["report", "FM_001", "--out", "fifo"], "--out 'fifo': is a special file"),
    (["report", "FM_99", "--out", "r.html"], "unknown failure mode 'FM_99'"),
    (["report", "FM_001", "--out", "r.html", "--real", "--db", "notes.txt"], "is not a SQLite database"),
    # explore
    (["explore", "--dask", "bogus"], "--dask 'bogus' is neither 'local' nor a scheduler address"),
    (["explore", "--seeds", "1", "--shard", "2/2"], "shard 2/2 of 1 seed(s) from 0 is empty"),
    (["explore", "--shard", "x"], "--shard must look like i/n"),
    (["explore", "--shard", "0/2"], "--shard must look like i/n"),
    (["explore", "--seeds", "0"], "'--seeds': 0 is not in the range"),
    (["explore", "--processes", "0"], "'--processes': 0 is not in the range"),
    (["explore", "--start", "-1"], "seed must be an integer in [0, 2**64 - 1], got '-1'"),
    (["explore", "--out-dir", "dir"], "--out-dir only applies with --shrink"),
    (["explore", "--shrink", "--out-dir", "/nonexistent"], "--out-dir '/nonexistent' is not a folder"),
    (["explore", "--workload", HELLO, "--jobs", "5"], "--jobs only applies with the standard workload"),
    (["explore", "--dask", "local", "--processes", "2"], "--processes only applies with local processes"),
    (["explore", "--policy", "yolo"], "unknown explorer policy 'yolo'"),
    (["explore", "--set", "x=1"], "unknown policy field 'x'"),
    (["explore", "--workload", "missing.yml"], "workflow spec 'missing.yml' is not a file"),
    (["explore", "--workload", "deep.yml"], "deep.yml nests deeper than 16 levels"),
    (["explore", "--workload", "big.yml"], "workflow file 'big.yml' is 40029 characters; at most 32768"),
    (["explore", "--workload", "notes.txt"], "notes.txt: name: Field required"),
    (["explore", "--workload", "list.yml"], "list.yml must be a YAML mapping"),
    # replay
    (["replay"], "Missing option '--seed'"),
    (["replay", "--seed", "x"], "got 'x' (try --seed 0)"),
    (["replay", "--seed", "0", "--invariant", "INV_001"], "--invariant only applies with --shrink"),
    (["replay", "--seed", "0", "--out-dir", "dir"], "--out-dir only applies with --shrink"),
    (["replay", "--seed", "0", "--shrink", "--invariant", "INV_999"], "--invariant 'INV_999' is not an invariant id"),
    (["replay", "--seed", "0", "--policy", "safe", "--shrink"], "seed 0 violates no invariant under safe"),
    (["replay", "--seed", "0", "--history", "r.out", "--report", "r.out"], "--history and --report both name"),
    (["replay", "--seed", "0", "--workload", HELLO, "--jobs", "3"], "--jobs only applies with the standard workload"),
    # compare
    (["compare"], "Missing option '--policy'"),
    (["compare", "--policy", "naive", "--policy", "naive"], "each policy once"),
    (["compare", "--policy", "yolo"], "unknown explorer policy 'yolo'"),
    (["compare", "--policy", "naive", "--set", "other:lease_ms=5"], "names policy 'other', which is not compared"),
    (["compare", "--policy", "naive", "--seeds", "0"], "'--seeds': 0 is not in the range"),
    (["compare", "--policy", "naive", "--jobs", "0"], "'--jobs': 0 is not in the range"),
    # check-determinism
    (["check-determinism"], "name an FM (e.g. FM_001) or an explored --seed"),
    (["check-determinism", "FM_001", "--policy", "naive"], "--policy is for an explored --seed"),
    (["check-determinism", "--seed", "0", "--fix"], "--fix needs an FM"),
    # workflow specs
    (["workflow", "validate", "missing.yml"], "cannot read workflow file 'missing.yml'"),
    (["workflow", "validate", "dir"], "File 'dir' is a directory"),
    (["workflow", "validate", "fifo"], "workflow file 'fifo' is not a regular file"),
    (["workflow", "validate", "/dev/zero"], "workflow file '/dev/zero' is not a regular file"),
    (["workflow", "validate", "deep.yml"], "nests deeper than 16 levels"),
    (["workflow", "validate", "alias.yml"], "uses a YAML anchor or alias (line 2)"),
    (["workflow", "validate", "big.yml"], "at most 32768"),
    (["workflow", "validate", "cycle.yml"], "tasks a -> b -> a form a cycle"),
    (["workflow", "validate", "notutf8.yml"], "is not UTF-8 text (byte 0)"),
    (["workflow", "validate", "badpayload.yml"], "task 'a': payload.amount: must be an integer"),
    (["workflow", "validate", "list.yml"], "must be a YAML mapping"),
    (["workflow", "run", "cycle.yml"], "form a cycle"),
    (["workflow", "run", HELLO, "--db", "x.sqlite"], "--db only applies with --real"),
    (["workflow", "run", HELLO, "--real", "--db", "notes.txt"], "is not a SQLite database"),
    (["workflow", "run", HELLO, "--real", "--db", "lab.sqlite"], "add --reset to wipe it"),
    (["workflow", "run", HELLO, "--real", "--time-scale", "nan"], "'nan' is not a finite number"),
    (["workflow", "run", HELLO, "--real", "--lock", "redis://127.0.0.1:6379/3"], "this run has no scheduler"),
    (["workflow", "run", HELLO, "--workers", "0"], "'--workers': 0 is not in the range"),
    (["workflow", "run", HELLO, "--policy", "yolo"], "unknown explorer policy 'yolo'"),
    (["workflow", "run", HELLO, "--history", "w.out", "--trace", "w.out"], "--history and --trace both name"),
    (["workflow", "run", HELLO, "--report", "dir"], "--report 'dir': is a folder"),
    (["workflow", "show", "run-1", "--db", "missing.sqlite"], "does not exist; pass the job service's database"),
    (["workflow", "show", "run-1", "--db", "notes.txt"], "is not a SQLite database"),
    (["workflow", "show", "run-1", "--db", "foreign.sqlite"], "holds tables Faultline did not make"),
    (["workflow", "show", "run-9", "--db", "lab.sqlite"], "no run 'run-9'"),
    (["workflow", "show", "run-1", "--db", PG_MISSING], "this command never creates one"),
    # the operator's redrive
    (["redrive", "--db", "missing.sqlite"], "this command never creates one"),
    (["redrive", "--db", "notes.txt"], "--db 'notes.txt' is not a SQLite database"),
    (["redrive", "--db", "foreign.sqlite"], "holds tables Faultline did not make"),
    (["redrive", "--db", PG_MISSING], "this command never creates one"),
    (["redrive", "--ids", "all"], "'all' is not one of 'keep', 'mint'"),
    # the service, its workers, the quickstart, the drills: refused before anything starts
    (["serve", "--db", "notes.txt"], "--db 'notes.txt' is not a SQLite database"),
    (["serve", "--db", "foreign.sqlite"], "holds tables Faultline did not make"),
    (["serve", "--port", "0"], "'--port': 0 is not in the range"),
    (["serve", "--port", "{port}"], "cannot listen on 127.0.0.1:{port}"),
    (["serve", "--host", "999.1.1.1"], "--host '999.1.1.1' is not an address of this machine"),
    (["serve", "--api-key-file", "missing.key"], "cannot read API key file 'missing.key'"),
    (["serve", "--api-key-file", "short.key"], "the key must be 16 to 512 visible ASCII characters"),
    (["serve", "--api-key-file", "spaced.key"], "the key must be 16 to 512 visible ASCII characters"),
    (["serve", "--api-key-file", "fifo"], "API key file 'fifo' is not a regular file"),
    (["serve", "--workers", "0"], "'--workers': 0 is not in the range"),
    (["serve", "--db", PG_MISSING], "does not exist; create it, or add --create-db"),
    (["worker", "--db", "notes.txt"], "is not a SQLite database"),
    (["worker", "--metrics-port", "{port}"], "--metrics-port {port}: cannot listen"),
    (["worker", "--concurrency", "0"], "'--concurrency': 0 is not in the range"),
    (["worker", "--db", PG_MISSING], "add --create-db"),
    (["up", "--port", "8123", "--metrics-port", "8123"], "--port and --metrics-port are both 8123"),
    (["up", "--db", "notes.txt"], "is not a SQLite database"),
    (["up", "--port", "{port}"], "--port {port}: cannot listen"),
    (["drill", "nope"], "'nope' is not one of 'worker-crash', 'duplicate-submission', 'db-outage'"),
    (["drill", "worker-crash", "--reset"], "--reset only applies with --db"),
    (["drill", "worker-crash", "--db", "notes.txt"], "is not a SQLite database"),
    (["drill", "worker-crash", "--db", "lab.sqlite"], "add --reset to wipe it"),
    # failure-mode folders
    (["fm", "new", "Bad Name"], "must be lowercase ASCII words joined by underscores"),
    (["fm", "new", "lost_wakeup\n"], "must be lowercase ASCII words joined by underscores"),
    (["fm", "new", "lost_wakeup", "--dir", "/nonexistent"], "--dir '/nonexistent' is not a folder; create it first"),
    (["fm", "new", "lost_wakeup", "--from", "missing.json"], "cannot read --from 'missing.json'"),
    (["fm", "new", "lost_wakeup", "--from", "notes.txt"], "cannot be read as JSON"),
    (["fm", "new", "lost_wakeup", "--from", "deep.json"], "cannot be read as JSON (nested too deeply)"),
    (["fm", "new", "lost_wakeup", "--from", "incomplete.json"], "is not a shrunk finding"),
    (["fm", "new", "lost_wakeup", "--from", "fifo"], "--from 'fifo' is not a regular file"),
    (["path", "FM_99", "--test", "repro"], "unknown failure mode 'FM_99'"),
    (["path", "FM_001", "--test", "other"], "'other' is not one of 'repro', 'prevent'"),
    (["--fm-path", "/nonexistent", "list"], "failure-mode folder '/nonexistent' does not exist"),
]


def test_the_corpus_is_large():
    assert len(ROWS) >= 120


@pytest.mark.parametrize(("argv", "says"), ROWS, ids=[" ".join(argv)[:60] for argv, _ in ROWS])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(capsys, sandbox, taken_port, argv, says):
    argv = [arg.replace("{port}", str(taken_port)) for arg in argv]
    says = says.replace("{port}", str(taken_port))
    postgres = any("postgresql://" in arg for arg in argv)
    databases = postgres_databases() if postgres else None
    if postgres and databases is None:
        pytest.skip("no Postgres server here (CI has one)")
    before = snapshot(sandbox)
    code, out, err = call_cli(capsys, *argv)
    assert code == 2, (argv, code, out, err)
    assert out == "" and err.count("\n") == 1 and err.startswith("faultline: error: "), (argv, err)
    assert says in err, (argv, err)
    assert snapshot(sandbox) == before, argv
    if postgres:  # other tests make and drop their own databases meanwhile: look at the ones this row names
        named = {arg.split("?")[0].rsplit("/", 1)[-1] for arg in argv if arg.startswith("postgresql://")}
        after = postgres_databases()
        assert named & (after ^ databases) == set(), argv  # none made, none dropped
