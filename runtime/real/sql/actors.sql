-- The SQL of runtime/real/actors.py, by name (runtime/real/queries.py loads it).

-- name: register_insert_actors
INSERT INTO actors (name) VALUES (?) ON CONFLICT (name) DO NOTHING

-- name: register_update_actors
UPDATE actors SET pid = ?, holding = NULL WHERE name = ?

-- name: record_crash_select_actors
SELECT holding, point, incarnation, died_ms FROM actors WHERE name = ?

-- name: record_crash_select_messages
SELECT job_id, attempt, token FROM messages WHERE owner = ? AND state = 'leased' ORDER BY token DESC

-- name: record_crash_update_actors
UPDATE actors SET holding = NULL, point = NULL, died_ms = NULL WHERE name = ?

-- name: record_restart_update_actors
UPDATE actors SET incarnation = incarnation + 1 WHERE name = ? RETURNING incarnation

-- name: lease_holder_pid_select_actors
SELECT a.pid FROM actors a JOIN messages m ON m.owner = a.name WHERE m.state = 'leased' AND a.pid IS NOT NULL ORDER BY a.name

-- name: settled_select_messages
SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM actors WHERE holding IS NOT NULL)
