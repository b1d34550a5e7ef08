"""The job system under test: its protocol (runtime.core) and the worlds it runs in (runtime.sim)."""
