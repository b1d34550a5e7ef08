-- When a process that kills itself at a fault point died, by the run's clock (the crash's own time).
ALTER TABLE actors ADD COLUMN died_ms BIGINT;
