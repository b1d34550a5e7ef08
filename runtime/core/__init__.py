"""The job system's protocol: effects, decisions, worker, client, relay, policies, fault plans,
scenarios and the history schema. Imports only attrs and the standard library: no clock, no
scheduler, no I/O. Each world (runtime.sim, runtime.real) drives the same generators."""
