"""Faultline runtime: a small job system run by a seeded, single-threaded discrete-event engine."""
