"""Dead-letter redrive in the real world: `POST /dead-letters/redrive` and `faultline redrive` move the
job service's dead letters back to its queue, keeping their ids (and keys) or minting new ones."""

import json

from faultline.service.harness import request, service
from runtime.core.policy import Policy
from runtime.real.db import Database
from runtime.real.queue import SqlQueue
from tests.builders import call_cli


def bury(db_url: str, job_id: str) -> None:
    """A job of the service that failed for good: published, leased, its failure final."""
    database = Database(db_url)
    database.open()
    queue = SqlQueue(database, Policy.safe())
    queue.enqueue("api", job_id, {"amount": 3}, 100, job_id, f"key-{job_id}")
    delivery = queue.lease("w1", 0)
    assert delivery is not None
    queue.report_failure("w1", delivery, error="boom", reason="handler", delay_ms=None, republish=False)
    database.close()


def queue_rows(db_url: str) -> tuple[list, list]:
    database = Database(db_url)
    messages = database.read("SELECT job_id, key FROM messages ORDER BY id")
    dead = database.read("SELECT job_id FROM dead_letters")
    database.close()
    return messages, dead


def test_the_service_redrives_its_dead_letters_under_their_own_ids(tmp_path):
    db = str(tmp_path / "svc.sqlite")
    with service(db) as api:
        bury(db, "job-1")
        assert request(f"{api}/dead-letters/redrive", b"{}") == (200, {"redriven": 1})
        assert queue_rows(db) == ([("job-1", "key-job-1")], [])
        assert request(f"{api}/dead-letters/redrive", b"{}") == (200, {"redriven": 0})
        status, answer = request(f"{api}/dead-letters/redrive", b'{"ids": "some"}')
        assert (status, answer["field"]) == (422, "ids")
    database = Database(db)
    [(detail,)] = database.read("SELECT detail FROM history WHERE kind = 'redriven'")
    assert json.loads(detail) == {"dead_letter": "job-1", "ids": "keep"}
    database.close()


def test_the_cli_redrive_can_mint_new_ids_and_refuses_a_missing_database(capsys, tmp_path):
    db = str(tmp_path / "svc.sqlite")
    bury(db, "job-2")
    code, out, _ = call_cli(capsys, "redrive", "--db", db, "--ids", "mint", "--json")
    assert (code, json.loads(out)) == (0, {"redriven": 1})
    assert queue_rows(db) == ([("job-2~r1", "key-job-2")], [])
    code, _, err = call_cli(capsys, "redrive", "--db", str(tmp_path / "none.sqlite"))
    assert code == 2 and "this command never creates one" in err and not (tmp_path / "none.sqlite").exists()
