-- The SQL of runtime/real/peers.py, by name (runtime/real/queries.py loads it): what the benchmarks
-- read from a peer queue's own tables where its API says nothing (Postgres only).

-- name: procrastinate_drain_s
-- From the first job started to the last one done, by procrastinate's own clock.
SELECT extract(epoch from max(at) FILTER (WHERE type = 'succeeded') - min(at) FILTER (WHERE type = 'started'))
FROM procrastinate_events;

-- name: procrastinate_unfinished
SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded';

-- name: procrastinate_latencies_ms
-- Deferred to succeeded, per paced job (the paced jobs carry a negative amount).
SELECT extract(epoch from max(e.at) - min(e.at)) * 1000 FROM procrastinate_events e
JOIN procrastinate_jobs j ON j.id = e.job_id
WHERE (j.args->>'amount')::int < 0 AND e.type IN ('deferred', 'succeeded')
GROUP BY e.job_id;

-- name: backend_pids
-- The server processes serving this database's other connections (their CPU is read from /proc).
SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();
