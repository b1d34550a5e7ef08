-- The SQL of runtime/real/run.py, by name (runtime/real/queries.py loads it).

-- name: child_select_actors
SELECT 1 FROM actors WHERE name = ?

-- name: protocol_update_actors
UPDATE actors SET busy = 0 WHERE name = ?

-- name: start_insert_actors
INSERT INTO actors (name, busy) VALUES (?, ?)

-- name: start_insert_actors_2
INSERT INTO actors (name, busy) VALUES (?, 1)
