"""The two dialects' migrations make one schema: the same tables, each with the same columns in the
same order (the SQL ports read rows by position). SQLite and Postgres keep their own migration files
(their types and DDL differ); this test is what holds them together."""

import sqlite3

from runtime.real.db import Database


def sqlite_schema(path: str) -> dict[str, list[str]]:
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: [row[1] for row in db.execute(f'PRAGMA table_info("{t}")')] for t in tables}


def postgres_schema(url: str) -> dict[str, list[str]]:
    import psycopg

    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    schema: dict[str, list[str]] = {}
    for table, column in rows:
        schema.setdefault(table, []).append(column)
    return schema


def test_both_dialects_migrate_to_the_same_tables_and_columns(tmp_path, postgres_url):
    path = str(tmp_path / "schema.sqlite")
    for url in (path, postgres_url):
        database = Database(url)
        database.reset()
        database.close()
    lite, pg = sqlite_schema(path), postgres_schema(postgres_url)
    assert set(lite) == set(pg)
    assert {t: lite[t] for t in sorted(lite)} == {t: pg[t] for t in sorted(pg)}
