-- The SQL of runtime/real/runs.py, by name (runtime/real/queries.py loads it).

-- name: unsynced
SELECT t.job_id FROM task_jobs t WHERE EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = t.job_id) OR EXISTS (SELECT 1 FROM dead_letters d WHERE d.job_id = t.job_id)

-- name: sync_select_task_jobs
SELECT t.job_id, min(l.id) FROM task_jobs t JOIN ledger l ON l.job_id = t.job_id GROUP BY t.job_id

-- name: sync_select_task_jobs_2
SELECT t.job_id, min(d.id) FROM task_jobs t JOIN dead_letters d ON d.job_id = t.job_id WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = t.job_id) GROUP BY t.job_id

-- name: sync_delete_task_jobs
DELETE FROM task_jobs WHERE job_id = ? RETURNING run, task

-- name: sync_update_run_tasks
UPDATE run_tasks SET state = ?, finished_ms = ? WHERE run = ? AND task = ?

-- name: sync_insert_notes
INSERT INTO notes (run, task) VALUES (?, ?)

-- name: states_select_run_tasks
SELECT task, parents, state FROM run_tasks WHERE run = ? ORDER BY position

-- name: trigger_run_select_locks
SELECT holder, epoch FROM locks WHERE name = ?

-- name: trigger_run_upsert_locks
INSERT INTO locks (name, holder, epoch, expires_ms) VALUES (?, ?, ?, 0) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch WHERE locks.epoch < excluded.epoch

-- name: trigger_run_select_runs
SELECT 1 FROM runs WHERE run = ?

-- name: trigger_run_insert_schedule_ticks
INSERT INTO schedule_ticks (schedule, tick, run) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING run

-- name: trigger_run_insert_schedule_ticks_2
INSERT INTO schedule_ticks (schedule, tick, run) VALUES (?, ?, ?) ON CONFLICT DO NOTHING

-- name: create_insert_runs
INSERT INTO runs (run, workflow, spec, state, schedule, tick, epoch, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: create_insert_run_tasks
INSERT INTO run_tasks (run, task, position, state, parents, job) VALUES (?, ?, ?, ?, ?, ?)

-- name: create_insert_notes
INSERT INTO notes (run, task) VALUES (?, NULL)

-- name: take_note_select_notes
SELECT id, run, task FROM notes WHERE owner IS NULL ORDER BY id LIMIT 1

-- name: take_note_update_notes
UPDATE notes SET owner = ? WHERE id = ?

-- name: dispatch_select_run_tasks
SELECT state, job FROM run_tasks WHERE run = ? AND task = ?

-- name: dispatch_insert_task_jobs
INSERT INTO task_jobs (job_id, run, task) VALUES (?, ?, ?) ON CONFLICT DO NOTHING

-- name: dispatch_update_run_tasks
UPDATE run_tasks SET state = ?, dispatched_ms = ? WHERE run = ? AND task = ?

-- name: settle_update_run_tasks
UPDATE run_tasks SET state = ?, finished_ms = ? WHERE run = ? AND task = ? AND state = ?

-- name: settle_delete_notes
DELETE FROM notes WHERE id = ?

-- name: settle_update_runs
UPDATE runs SET state = ?, finished_ms = ? WHERE run = ? AND state = ? RETURNING run

-- name: release_in_update_notes
UPDATE notes SET owner = NULL WHERE owner = ?

-- name: acquire_lock_select_locks
SELECT holder, epoch, expires_ms FROM locks WHERE name = ?

-- name: acquire_lock_update_locks
UPDATE locks SET expires_ms = ? WHERE name = ?

-- name: acquire_lock_insert_locks
INSERT INTO locks (name, holder, epoch, expires_ms) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, expires_ms = excluded.expires_ms

-- name: last_tick_select_schedule_ticks
SELECT max(tick) FROM schedule_ticks WHERE schedule = ?

-- name: snapshot_select_runs
SELECT run, state FROM runs ORDER BY created_ms, run

-- name: snapshot_select_run_tasks
SELECT run, task, state FROM run_tasks ORDER BY run, position

-- name: snapshot_select_task_jobs
SELECT job_id, run, task FROM task_jobs

-- name: snapshot_select_ledger
SELECT 1 FROM ledger WHERE job_id = ?

-- name: snapshot_select_dead_letters
SELECT 1 FROM dead_letters WHERE job_id = ?

-- name: notes_waiting
SELECT 1 FROM notes UNION ALL SELECT 1 FROM ({unsynced}) AS unsynced LIMIT 1

-- name: free_notes
SELECT 1 FROM notes WHERE owner IS NULL UNION ALL SELECT 1 FROM ({unsynced}) AS unsynced LIMIT 1
