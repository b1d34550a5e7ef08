-- The SQL of runtime/real/queue.py, by name (runtime/real/queries.py loads it).

-- name: acks_lost_planned
SELECT 1 FROM faults_left WHERE point = ?

-- name: publish_select_published
SELECT time_ms, event_seq FROM published WHERE job_id = ?

-- name: publish_insert_messages
INSERT INTO messages (id, job_id, payload, duration_ms, request, key, seq, state, visible_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: publish_insert_job_attempts
INSERT INTO job_attempts (job_id, attempts) VALUES (?, 0) ON CONFLICT (job_id) DO NOTHING

-- name: publish_insert_published
INSERT INTO published (job_id, time_ms, event_seq) VALUES (?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET time_ms = excluded.time_ms, event_seq = excluded.event_seq

-- name: delete_message
DELETE FROM messages WHERE id = ?

-- name: lease_insert_job_attempts
INSERT INTO job_attempts (job_id, attempts) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET attempts = excluded.attempts

-- name: lease_update_messages
UPDATE messages SET state = ?, owner = ?, attempt = ?, token = ?, lease_expires_at_ms = ? WHERE id = ?

-- name: lease_insert_lease_tokens
INSERT INTO lease_tokens (job_id, token) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET token = excluded.token

-- name: renew_select_messages
SELECT token, state FROM messages WHERE id = ?

-- name: renew_update_messages
UPDATE messages SET lease_expires_at_ms = ? WHERE id = ?

-- name: ack_select_messages
SELECT token FROM messages WHERE id = ?

-- name: report_failure_select_messages
SELECT token, state, seq FROM messages WHERE id = ?

-- name: reclaim_select_messages
SELECT id, job_id, attempt, token, owner, lease_expires_at_ms, payload, duration_ms, request, key FROM messages WHERE state = ? AND lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms + ? <= ? ORDER BY token

-- name: reclaim_select_messages [postgres]
SELECT id, job_id, attempt, token, owner, lease_expires_at_ms, payload, duration_ms, request, key FROM messages WHERE state = ? AND lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms + ? <= ? ORDER BY token FOR UPDATE SKIP LOCKED

-- name: reclaim_select_job_attempts
SELECT attempts FROM job_attempts WHERE job_id = ?

-- name: reclaim_update_job_attempts
UPDATE job_attempts SET attempts = attempts - 1 WHERE job_id = ?

-- name: any_message
SELECT 1 FROM messages LIMIT 1

-- name: budgeted_select_retry_budget
SELECT due FROM retry_budget WHERE second = ?

-- name: budgeted_insert_retry_budget
INSERT INTO retry_budget (second, due) VALUES (?, 1) ON CONFLICT (second) DO UPDATE SET due = retry_budget.due + 1

-- name: requeue_update_messages
UPDATE messages SET seq = ? WHERE id = ?

-- name: requeue_update_messages_2
UPDATE messages SET state = ?, owner = NULL, lease_expires_at_ms = NULL, visible_at_ms = ? WHERE id = ?

-- name: bury_select_messages
SELECT payload, duration_ms, request, key FROM messages WHERE id = ?

-- name: bury_insert_dead_letters
INSERT INTO dead_letters (job_id, attempt, error, payload, duration_ms, request, key) VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: redrive_in_select_dead_letters
SELECT id, job_id, payload, duration_ms, request, key FROM dead_letters ORDER BY id

-- name: redrive_in_delete_dead_letters
DELETE FROM dead_letters WHERE id <= ?

-- name: redrive_in_update_job_attempts
UPDATE job_attempts SET attempts = 0 WHERE job_id = ?

-- name: redrive_in_delete_published
DELETE FROM published WHERE job_id = ?

-- name: snapshot_select_messages
SELECT id, job_id, state, visible_at_ms FROM messages ORDER BY id

-- name: snapshot_select_job_attempts
SELECT job_id, attempts FROM job_attempts ORDER BY job_id

-- name: snapshot_select_dead_letters
SELECT job_id, attempt, error FROM dead_letters ORDER BY id

-- name: claim_select_messages
SELECT id, job_id, payload, duration_ms, request, key, state FROM messages WHERE job_id = ? ORDER BY seq LIMIT 1

-- name: lease_next
SELECT m.id, m.job_id, m.payload, m.duration_ms, m.request, m.key FROM messages m WHERE m.state = ? AND m.visible_at_ms <= ? ORDER BY m.seq LIMIT 1

-- name: lease_next [postgres]
SELECT m.id, m.job_id, m.payload, m.duration_ms, m.request, m.key FROM messages m WHERE m.state = ? AND m.visible_at_ms <= ? ORDER BY m.seq LIMIT 1 FOR UPDATE SKIP LOCKED

-- name: take_message
DELETE FROM messages WHERE id = ? AND token = ? RETURNING id, job_id, payload, duration_ms, request, key, seq, state, token, attempt, owner, lease_expires_at_ms

-- name: restore_message
INSERT INTO messages (id, job_id, payload, duration_ms, request, key, seq, state, token, attempt, owner, lease_expires_at_ms, visible_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)

-- name: message_count
SELECT count(*) FROM messages
