-- The SQL of runtime/real/ledger.py, by name (runtime/real/queries.py loads it).

-- name: schema
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    t_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    job TEXT,
    attempt INTEGER,
    token INTEGER,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS ledger (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    token INTEGER NOT NULL,
    request TEXT NOT NULL,
    key TEXT,
    t_ns INTEGER NOT NULL
);

-- name: pragma_wal
PRAGMA journal_mode=WAL

-- name: pragma_synchronous
PRAGMA synchronous=NORMAL

-- name: begin_immediate
BEGIN IMMEDIATE

-- name: commit
COMMIT

-- name: rollback
ROLLBACK

-- name: deliver_select_events
SELECT count(*) + 1 FROM events WHERE kind = 'started' AND job = ?

-- name: deliver_select_events_2
SELECT count(*) + 1 FROM events WHERE kind = 'started'

-- name: effect_insert_ledger
INSERT INTO ledger (job, token, request, key, t_ns) VALUES (?, ?, ?, ?, ?)

-- name: events_select_events
SELECT seq, t_ns, kind, actor, job, attempt, token, detail FROM events ORDER BY t_ns, seq

-- name: ledger_rows_select_ledger
SELECT job, token, request, key FROM ledger ORDER BY t_ns, row

-- name: reached_select_events
SELECT job, attempt, actor FROM events WHERE kind = 'hold' AND json_extract(detail, '$.point') = ? ORDER BY seq

-- name: started_jobs_select_events
SELECT job, attempt, actor FROM events WHERE kind = 'started' ORDER BY seq

-- name: insert_event
INSERT INTO events (t_ns, kind, actor, job, attempt, token, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
