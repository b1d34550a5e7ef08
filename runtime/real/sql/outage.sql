-- The SQL of runtime/real/outage.py, by name (runtime/real/queries.py loads it).

-- name: give_back_insert_history
INSERT INTO history (time_ms, kind, actor, job_id, attempt, token, detail) VALUES (?,?,?,?,?,?,?)

-- name: commit
COMMIT

-- name: begin_exclusive
BEGIN EXCLUSIVE

-- name: take_away_select_pg_stat_activity
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND state = 'idle'

-- name: take_away_select_pg_stat_activity_2
SELECT 1 FROM pg_stat_activity WHERE datname = %s

-- name: take_away_select_pg_stat_activity_3
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s

-- name: allow_connections
ALTER DATABASE {} ALLOW_CONNECTIONS {}
