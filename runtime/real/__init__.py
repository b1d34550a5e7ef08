"""The real world: the same protocol (runtime.core) on SQLite or Postgres, in OS processes."""
