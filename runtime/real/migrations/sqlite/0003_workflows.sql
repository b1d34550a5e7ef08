-- Workflows (docs/12_workflows.md): specs created over HTTP, runs and their task instances, the
-- completion notes the dispatchers take, the ticks fenced triggers claim, the leader lock.
CREATE TABLE workflows (id TEXT PRIMARY KEY, name TEXT NOT NULL, spec TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE runs (
    run TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    schedule TEXT,
    tick INTEGER,
    epoch INTEGER,
    created_ms INTEGER NOT NULL,
    finished_ms INTEGER
);
CREATE TABLE run_tasks (
    run TEXT NOT NULL,
    task TEXT NOT NULL,
    position INTEGER NOT NULL,
    state TEXT NOT NULL,
    parents TEXT NOT NULL,
    job TEXT NOT NULL,
    dispatched_ms INTEGER,
    finished_ms INTEGER,
    PRIMARY KEY (run, task)
);
CREATE TABLE task_jobs (job_id TEXT PRIMARY KEY, run TEXT NOT NULL, task TEXT NOT NULL);
CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, run TEXT NOT NULL, task TEXT, owner TEXT);
CREATE TABLE schedule_ticks (schedule TEXT NOT NULL, tick INTEGER NOT NULL, run TEXT NOT NULL, PRIMARY KEY (schedule, tick));
CREATE TABLE locks (name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
ALTER TABLE actors ADD COLUMN busy INTEGER NOT NULL DEFAULT 0;
CREATE INDEX dead_letters_job ON dead_letters (job_id);
