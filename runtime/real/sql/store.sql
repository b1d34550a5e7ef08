-- The SQL of runtime/real/store.py, by name (runtime/real/queries.py loads it).

-- name: call_select_store_calls
SELECT count(*) FROM store_calls WHERE time_ms >= ?

-- name: commit_effect_select_lease_tokens
SELECT (SELECT token FROM lease_tokens WHERE job_id = ?), (SELECT count(*) FROM business_rows WHERE job_id = ?), (SELECT count(*) FROM idempotency_keys WHERE job_id = ?)

-- name: commit_effect_insert_ledger
INSERT INTO ledger (job_id, row) VALUES (?, ?)

-- name: commit_effect_insert_idempotency_keys
INSERT INTO idempotency_keys (job_id, ledger_id) SELECT ?, max(id) FROM ledger WHERE job_id = ?

-- name: commit_effect_insert_results
INSERT INTO results (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value

-- name: claim_in_insert_submissions
INSERT INTO submissions (key, job_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING

-- name: claim_in_select_submissions
SELECT job_id FROM submissions WHERE key = ?

-- name: commit_business_select_business_rows
SELECT 1 FROM business_rows WHERE job_id = ?

-- name: commit_business_insert_submissions
INSERT INTO submissions (key, job_id) VALUES (?, ?)

-- name: commit_business_insert_business_rows
INSERT INTO business_rows (job_id, row) VALUES (?, ?)

-- name: commit_business_insert_outbox
INSERT INTO outbox (job_id, job) VALUES (?, ?)

-- name: read_outbox_select_outbox
SELECT job_id, job FROM outbox ORDER BY seq

-- name: mark_relayed_delete_outbox
DELETE FROM outbox WHERE job_id = ? RETURNING job_id

-- name: outbox_pending_select_outbox
SELECT 1 FROM outbox LIMIT 1

-- name: snapshot_select_ledger
SELECT row FROM ledger ORDER BY id

-- name: snapshot_select_outbox
SELECT job_id FROM outbox ORDER BY seq

-- name: snapshot_select_business_rows
SELECT job_id FROM business_rows ORDER BY job_id

-- name: snapshot_select_submissions
SELECT key, job_id FROM submissions ORDER BY key

-- name: snapshot_select_store_calls
SELECT time_ms, actor, operation, outcome FROM store_calls ORDER BY time_ms, id
