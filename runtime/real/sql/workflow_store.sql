-- The SQL of runtime/real/workflow_store.py, by name (runtime/real/queries.py loads it).

-- name: create_insert_workflows
INSERT INTO workflows (id, name, spec, created_ms) VALUES (?, ?, ?, ?)

-- name: trigger_select_workflows
SELECT spec FROM workflows WHERE id = ?

-- name: has_table
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?

-- name: has_table [postgres]
SELECT to_regclass(?) IS NOT NULL

-- name: newest_runs_select_runs
SELECT run FROM runs ORDER BY created_ms DESC LIMIT ?

-- name: run_status_select_runs
SELECT workflow, state, created_ms, finished_ms FROM runs WHERE run = ?

-- name: run_tasks_select_run_tasks
SELECT task, state, parents, dispatched_ms, finished_ms FROM run_tasks WHERE run = ? ORDER BY position

-- name: run_tasks_select_job_attempts
SELECT attempts FROM job_attempts WHERE job_id = ?

-- name: run_tasks_select_ledger
SELECT 1 FROM ledger WHERE job_id = ? LIMIT 1
