-- The SQL of runtime/real/driver.py, by name (runtime/real/queries.py loads it).

-- name: quiet
SELECT (SELECT state FROM caller WHERE id = 1), (SELECT count(*) FROM messages), (SELECT count(*) FROM outbox), (SELECT count(*) FROM actors WHERE holding IS NOT NULL)

-- name: save_caller_insert_caller
INSERT INTO caller (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state

-- name: load_caller_select_caller
SELECT state FROM caller WHERE id = 1

-- name: hold_update_actors
UPDATE actors SET holding = ? WHERE name = ?

-- name: write_down_update_actors
UPDATE actors SET point = ?, died_ms = ? WHERE name = ?

-- name: quiet_with_work
{quiet}, (SELECT count(*) FROM actors WHERE busy = 1) + (SELECT count(*) FROM notes) + (SELECT count(*) FROM ({unsynced}) AS unsynced)
