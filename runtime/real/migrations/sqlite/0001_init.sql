-- Faultline's real world, SQLite dialect. One database holds the queue, the store, the history and
-- what the supervisor needs to survive a killed process. Times are the run's milliseconds.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    job_id TEXT,
    attempt INTEGER,
    token INTEGER,
    detail TEXT NOT NULL
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    request TEXT NOT NULL,
    key TEXT,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    owner TEXT,
    token INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    lease_expires_at_ms INTEGER
);
CREATE INDEX messages_ready ON messages (state, seq);
CREATE TABLE job_attempts (job_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL);
CREATE TABLE lease_tokens (job_id TEXT PRIMARY KEY, token INTEGER NOT NULL);
CREATE TABLE published (job_id TEXT PRIMARY KEY, time_ms INTEGER NOT NULL, event_seq INTEGER NOT NULL);
CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, attempt INTEGER NOT NULL, error TEXT NOT NULL);
CREATE TABLE retry_budget (second INTEGER PRIMARY KEY, due INTEGER NOT NULL);
CREATE TABLE ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, row TEXT NOT NULL);
CREATE TABLE idempotency_keys (job_id TEXT PRIMARY KEY, ledger_id INTEGER NOT NULL);
CREATE TABLE results (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE submissions (key TEXT PRIMARY KEY, job_id TEXT NOT NULL);
CREATE TABLE business_rows (job_id TEXT PRIMARY KEY, row TEXT NOT NULL);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL UNIQUE, job TEXT NOT NULL);
CREATE TABLE store_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX store_calls_time ON store_calls (time_ms);
CREATE TABLE fault_hits (actor TEXT NOT NULL, point TEXT NOT NULL, hits INTEGER NOT NULL, PRIMARY KEY (actor, point));
CREATE TABLE faults_left (point TEXT NOT NULL, subject TEXT NOT NULL, remaining INTEGER NOT NULL, PRIMARY KEY (point, subject));
CREATE TABLE actors (name TEXT PRIMARY KEY, pid INTEGER, holding TEXT, point TEXT, pause_ms INTEGER, incarnation INTEGER NOT NULL DEFAULT 1);
CREATE TABLE caller (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
