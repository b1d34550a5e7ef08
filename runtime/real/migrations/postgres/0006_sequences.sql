-- Message ids, fencing tokens, queue positions and redrive rounds come from sequences: a counter row
-- would make every lease wait for the one before it to commit (transactions about different jobs run
-- side by side; runtime/real/db.py). Owned by counters.value, so a reset that drops the tables drops
-- them too; each starts after the counter's value, for a database made before this migration.
CREATE SEQUENCE counter_message OWNED BY counters.value;
CREATE SEQUENCE counter_token OWNED BY counters.value;
CREATE SEQUENCE counter_seq OWNED BY counters.value;
CREATE SEQUENCE counter_redrive OWNED BY counters.value;
SELECT setval('counter_' || name, value + 1, false) FROM counters WHERE name IN ('message', 'token', 'seq', 'redrive');
