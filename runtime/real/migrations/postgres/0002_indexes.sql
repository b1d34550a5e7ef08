-- Lookups by job: the idempotency key names its ledger row; GET /jobs/{id} reads the job's history.
CREATE INDEX ledger_job ON ledger (job_id);
CREATE INDEX history_job ON history (job_id);
-- Leasing takes the oldest visible ready message: walk the ready ones in queue order.
CREATE INDEX messages_ready_seq ON messages (seq) WHERE state = 'ready';
