"""The SQL store (a StorePort) with the in-memory store's semantics (runtime/sim/store.py): the
effect, its ledger row and its idempotency key in one transaction, fenced by the newest lease token;
submission keys under a unique constraint; business rows with their outbox row; a call log.

An outage is real here: the database refuses the call (Unavailable), the call answers UNAVAILABLE,
and the refusal joins the call log when the database is back (runtime/real/db.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runtime.core import history as ev
from runtime.core.decisions import REFUSED_COMMIT_EVENT, commit_verdict
from runtime.core.history import MISSING
from runtime.core.ports import COMMITTED, DEDUPLICATED, DUPLICATE_ROW, FENCED, OK, OVERLOADED, UNAVAILABLE
from runtime.real.db import Database, Unavailable
from runtime.real.queries import queries

SQL = queries("store")


class SqlStore:
    def __init__(self, db: Database, capacity_per_s: int | None = None) -> None:
        self.db, self.capacity = db, capacity_per_s
        self.mid_call = None
        """Called between the statements of the next commit (a crash planned at worker.mid_commit)."""

    def _call(self, actor: str, operation: str, body, pair: bool = False, refused_value=None, job=None):
        """Run `body(tx)` as one store call: admission (capacity), the body, the call-log row. A refused
        call answers its outcome (with `pair`: the outcome and `refused_value`). A call about one `job`
        takes that job's turn, unless the store counts its calls against a capacity (every call then
        waits for the one before it: the count is the store's whole call log)."""
        made = self.db.now_ms()
        try:
            with self.db.transaction(job if self.capacity is None else None) as tx:
                if self.capacity is not None:
                    window = tx.now // 1000 * 1000
                    used = tx.one(SQL.call_select_store_calls, (window,))[0]
                    if used >= self.capacity:
                        tx.call(actor, operation, OVERLOADED)
                        return (OVERLOADED, refused_value) if pair else OVERLOADED
                return body(tx)
        except Unavailable:
            self.db.refused(actor, operation, UNAVAILABLE, made)
            return (UNAVAILABLE, refused_value) if pair else UNAVAILABLE

    def commit_effect(
        self,
        actor: str,
        delivery,
        effect: Mapping[str, Any],
        idempotent: bool,
        fencing: bool,
        requires_row: bool,
        then=None,
    ) -> str:
        """The StorePort's commit. `then(tx, outcome)`: more of the same transaction once the outcome is
        known (the real driver's worker acks in it, runtime/real/driver.py)."""
        job_id, token, attempt, request, key = delivery[0], delivery[5], delivery[4], delivery[7], delivery[8]

        def body(tx):
            outcome = commit(tx)
            if then is not None:
                then(tx, outcome)
            return outcome

        def commit(tx):
            newest, has_row, done = tx.one(
                SQL.commit_effect_select_lease_tokens,
                (job_id, job_id, job_id),
            )
            newest = newest or 0
            verdict = commit_verdict(
                fencing=fencing,
                token=token,
                newest=newest,
                requires_row=requires_row,
                has_row=bool(has_row),
                idempotent=idempotent,
                done=bool(done),
            )
            if verdict != COMMITTED:
                fenced_by = (newest,) if verdict == FENCED else ()
                tx.record(REFUSED_COMMIT_EVENT[verdict], actor, job_id, attempt, token, *fenced_by)
                return tx.call(actor, "commit_effect", verdict)
            ledger_row = {"job_id": job_id, "token": token, "request": request, "idempotency_key": key, **effect}
            tx.run(SQL.commit_effect_insert_ledger, (job_id, json.dumps(ledger_row)))
            if self.mid_call is not None:  # the ledger row written, the key not yet: dies, nothing lands
                self.mid_call()
            if idempotent:  # the key commits with the effect; it names the ledger row just written
                tx.run(
                    SQL.commit_effect_insert_idempotency_keys,
                    (job_id, job_id),
                )
            if "key" in effect:
                tx.run(
                    SQL.commit_effect_insert_results,
                    (effect["key"], json.dumps(dict(effect))),
                )
            values = (
                effect["effect"],
                effect.get("amount", MISSING),
                effect.get("key", MISSING),
                effect.get("value", MISSING),
                request,
            )
            tx.record(ev.EFFECT_COMMITTED, actor, job_id, attempt, token, *values)
            return tx.call(actor, "commit_effect", COMMITTED)

        return self._call(actor, "commit_effect", body, job=job_id)

    def claim_submission(self, actor: str, key: str, job_id: str) -> tuple[str, str | None]:
        def body(tx):
            return OK, self.claim_in(tx, actor, key, job_id)

        return self._call(actor, "claim_submission", body, pair=True)

    @staticmethod
    def claim_in(tx, actor: str, key: str, job_id: str) -> str:
        """The key-claim rule, inside the caller's transaction: claim `key` for `job_id` unless a job
        already owns it; returns the owner (the client's claim_submission, and the job service's submit,
        which publishes the job in the same transaction)."""
        tx.run(SQL.claim_in_insert_submissions, (key, job_id))
        owner = str(tx.one(SQL.claim_in_select_submissions, (key,))[0])
        tx.call(actor, "claim_submission", OK)
        return owner

    def commit_business(
        self, actor: str, job_id: str, row: Mapping[str, Any], outbox_row=None, claim_key: str | None = None
    ) -> tuple[str, str | None]:
        def body(tx):
            if claim_key is not None:
                owner = tx.one(SQL.claim_in_select_submissions, (claim_key,))
                if owner is not None and owner[0] != job_id:
                    tx.call(actor, "commit_business", DEDUPLICATED)
                    return OK, owner[0]
            if tx.one(SQL.commit_business_select_business_rows, (job_id,)) is not None:
                return tx.call(actor, "commit_business", DUPLICATE_ROW), job_id
            if claim_key is not None:
                tx.run(SQL.commit_business_insert_submissions, (claim_key, job_id))
            tx.run(SQL.commit_business_insert_business_rows, (job_id, json.dumps(row, sort_keys=True)))
            if outbox_row is not None:
                tx.run(SQL.commit_business_insert_outbox, (job_id, json.dumps(outbox_row)))
            tx.record(ev.BUSINESS_COMMITTED, actor, job_id, None, None, outbox_row is not None)
            return tx.call(actor, "commit_business", OK), job_id

        return self._call(actor, "commit_business", body, pair=True)

    def read_outbox(self, actor: str) -> tuple[str, list[tuple[str, Mapping[str, Any]]]]:
        def body(tx):
            rows = tx.all(SQL.read_outbox_select_outbox)
            return tx.call(actor, "read_outbox", OK), [(job_id, json.loads(job)) for job_id, job in rows]

        return self._call(actor, "read_outbox", body, pair=True, refused_value=[])

    def mark_relayed(self, actor: str, job_id: str) -> str:
        def body(tx):
            if tx.one(SQL.mark_relayed_delete_outbox, (job_id,)) is not None:
                tx.record(ev.OUTBOX_RELAYED, actor, job_id)
            return tx.call(actor, "mark_relayed", OK)

        return self._call(actor, "mark_relayed", body)

    def outbox_pending(self) -> bool:
        try:
            return bool(self.db.read(SQL.outbox_pending_select_outbox))
        except Unavailable:
            return False

    def snapshot(self) -> dict[str, Any]:
        read = self.db.read
        return {
            "ledger": [json.loads(row) for (row,) in read(SQL.snapshot_select_ledger)],
            "outbox": [job_id for (job_id,) in read(SQL.snapshot_select_outbox)],
            "business_rows": [job_id for (job_id,) in read(SQL.snapshot_select_business_rows)],
            "submissions": dict(read(SQL.snapshot_select_submissions)),
            "store_calls": [list(row) for row in read(SQL.snapshot_select_store_calls)],
        }
