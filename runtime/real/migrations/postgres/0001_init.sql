-- Faultline's real world, Postgres dialect. One database holds the queue, the store, the history and
-- what the supervisor needs to survive a killed process. Times are the run's milliseconds.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE history (
    seq BIGSERIAL PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    job_id TEXT,
    attempt BIGINT,
    token BIGINT,
    detail TEXT NOT NULL
);
CREATE TABLE messages (
    id BIGINT PRIMARY KEY,
    job_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    request TEXT NOT NULL,
    key TEXT,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    visible_at_ms BIGINT NOT NULL,
    owner TEXT,
    token BIGINT NOT NULL DEFAULT 0,
    attempt BIGINT NOT NULL DEFAULT 0,
    lease_expires_at_ms BIGINT
);
CREATE INDEX messages_ready ON messages (state, seq);
CREATE TABLE job_attempts (job_id TEXT PRIMARY KEY, attempts BIGINT NOT NULL);
CREATE TABLE lease_tokens (job_id TEXT PRIMARY KEY, token BIGINT NOT NULL);
CREATE TABLE published (job_id TEXT PRIMARY KEY, time_ms BIGINT NOT NULL, event_seq BIGINT NOT NULL);
CREATE TABLE dead_letters (id BIGSERIAL PRIMARY KEY, job_id TEXT NOT NULL, attempt BIGINT NOT NULL, error TEXT NOT NULL);
CREATE TABLE retry_budget (second BIGINT PRIMARY KEY, due BIGINT NOT NULL);
CREATE TABLE ledger (id BIGSERIAL PRIMARY KEY, job_id TEXT NOT NULL, row TEXT NOT NULL);
CREATE TABLE idempotency_keys (job_id TEXT PRIMARY KEY, ledger_id BIGINT NOT NULL);
CREATE TABLE results (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE submissions (key TEXT PRIMARY KEY, job_id TEXT NOT NULL);
CREATE TABLE business_rows (job_id TEXT PRIMARY KEY, row TEXT NOT NULL);
CREATE TABLE outbox (seq BIGSERIAL PRIMARY KEY, job_id TEXT NOT NULL UNIQUE, job TEXT NOT NULL);
CREATE TABLE store_calls (
    id BIGSERIAL PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX store_calls_time ON store_calls (time_ms);
CREATE TABLE fault_hits (actor TEXT NOT NULL, point TEXT NOT NULL, hits BIGINT NOT NULL, PRIMARY KEY (actor, point));
CREATE TABLE faults_left (point TEXT NOT NULL, subject TEXT NOT NULL, remaining BIGINT NOT NULL, PRIMARY KEY (point, subject));
CREATE TABLE actors (name TEXT PRIMARY KEY, pid BIGINT, holding TEXT, point TEXT, pause_ms BIGINT, incarnation BIGINT NOT NULL DEFAULT 1);
CREATE TABLE caller (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
