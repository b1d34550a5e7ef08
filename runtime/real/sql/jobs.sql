-- The SQL of runtime/real/jobs.py, by name (runtime/real/queries.py loads it).

-- name: status_select_history
SELECT time_ms, kind, detail FROM history WHERE job_id = ? ORDER BY seq

-- name: status_select_messages
SELECT state, visible_at_ms FROM messages WHERE job_id = ? ORDER BY id LIMIT 1

-- name: status_select_job_attempts
SELECT attempts FROM job_attempts WHERE job_id = ?

-- name: status_select_dead_letters
SELECT error FROM dead_letters WHERE job_id = ? ORDER BY id DESC LIMIT 1
