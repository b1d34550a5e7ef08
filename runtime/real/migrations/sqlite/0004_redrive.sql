-- A dead letter keeps what a redrive needs to publish it again.
ALTER TABLE dead_letters ADD COLUMN payload TEXT;
ALTER TABLE dead_letters ADD COLUMN duration_ms INTEGER;
ALTER TABLE dead_letters ADD COLUMN request TEXT;
ALTER TABLE dead_letters ADD COLUMN key TEXT;
INSERT INTO counters (name, value) SELECT 'redrive', 0 WHERE NOT EXISTS (SELECT 1 FROM counters WHERE name = 'redrive');
