-- The SQL of runtime/real/db.py, by name (runtime/real/queries.py loads it).

-- name: next_update_counters
UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value

-- name: record_at_insert_history
INSERT INTO history (time_ms, kind, actor, job_id, attempt, token, detail) VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: call_insert_store_calls
INSERT INTO store_calls (time_ms, actor, operation, outcome) VALUES (?, ?, ?, ?)

-- name: take_fault_update_faults_left
UPDATE faults_left SET remaining = remaining - 1 WHERE point = ? AND subject = ? AND remaining > 0 RETURNING remaining

-- name: pragma_wal
PRAGMA journal_mode=WAL

-- name: pragma_synchronous
PRAGMA synchronous=NORMAL

-- name: commit
COMMIT

-- name: begin_immediate
BEGIN IMMEDIATE

-- name: begin
BEGIN

-- name: writers_turn
SELECT pg_advisory_xact_lock(?)

-- name: writers_turn_shared
SELECT pg_advisory_xact_lock_shared(?)

-- name: job_turn
SELECT pg_advisory_xact_lock_shared(?), pg_advisory_xact_lock(?, hashtext(?))

-- name: try_job_turn
SELECT pg_try_advisory_xact_lock(?, hashtext(?))

-- name: next_sequence
SELECT nextval(?)

-- name: rollback
ROLLBACK

-- name: deallocate_all
DEALLOCATE ALL

-- name: migrate_create_schema_migrations
CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)

-- name: migrate_select_schema_migrations
SELECT version FROM schema_migrations

-- name: migrate_insert_schema_migrations
INSERT INTO schema_migrations VALUES (%s)

-- name: reset_select_pg_tables
SELECT tablename FROM pg_tables WHERE schemaname = current_schema()

-- name: drop_tables
DROP TABLE {tables} CASCADE

-- name: reset_insert_counters
INSERT INTO counters (name, value) VALUES (?, 0)

-- name: reset_insert_meta
INSERT INTO meta (key, value) VALUES ('epoch_ms', ?)

-- name: restart_clock_update_meta
UPDATE meta SET value = ? WHERE key = 'epoch_ms'

-- name: open_insert_counters
INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT DO NOTHING

-- name: open_insert_meta
INSERT INTO meta (key, value) VALUES ('epoch_ms', ?) ON CONFLICT DO NOTHING

-- name: notify_workers
NOTIFY faultline_workers

-- name: listen_workers
LISTEN faultline_workers

-- name: ping
SELECT 1

-- name: meta_select_meta
SELECT value FROM meta WHERE key = ?

-- name: events_select_history
SELECT seq, time_ms, kind, actor, job_id, attempt, token, detail FROM history ORDER BY time_ms, seq

-- name: inspect_database_select_pg_database
SELECT 1 FROM pg_database WHERE datname = %s

-- name: inspect_sqlite_select_sqlite_master
SELECT name FROM sqlite_master WHERE type = 'table'

-- name: create_database
CREATE DATABASE {}

-- name: drop_database
DROP DATABASE IF EXISTS {} WITH (FORCE)

-- name: migrate_sqlite
BEGIN;
{script}
INSERT INTO schema_migrations VALUES ('{version}');
COMMIT;
