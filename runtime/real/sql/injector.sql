-- The SQL of runtime/real/injector.py, by name (runtime/real/queries.py loads it).

-- name: install_plan_insert_faults_left
INSERT INTO faults_left (point, subject, remaining) VALUES (?, ?, ?)

-- name: at_insert_fault_hits
INSERT INTO fault_hits (actor, point, hits) VALUES (?, ?, 1) ON CONFLICT (actor, point) DO UPDATE SET hits = fault_hits.hits + 1 RETURNING hits
