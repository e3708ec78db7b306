"""Make the security log append-only at the database level, on SQLite and PostgreSQL,
and create the shared cache table (the default cache is the database)."""

from django.core.management import call_command
from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER core_securityevent_no_update BEFORE UPDATE ON core_securityevent
       BEGIN SELECT RAISE(ABORT, 'the security log is append-only'); END;""",
    """CREATE TRIGGER core_securityevent_no_delete BEFORE DELETE ON core_securityevent
       BEGIN SELECT RAISE(ABORT, 'the security log is append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_securityevent_no_update;",
    "DROP TRIGGER IF EXISTS core_securityevent_no_delete;",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION core_securityevent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the security log is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_securityevent_no_change BEFORE UPDATE OR DELETE ON core_securityevent
       FOR EACH ROW EXECUTE FUNCTION core_securityevent_append_only();""",
    """CREATE TRIGGER core_securityevent_no_truncate BEFORE TRUNCATE ON core_securityevent
       FOR EACH STATEMENT EXECUTE FUNCTION core_securityevent_append_only();""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_securityevent_no_change ON core_securityevent;",
    "DROP TRIGGER IF EXISTS core_securityevent_no_truncate ON core_securityevent;",
    "DROP FUNCTION IF EXISTS core_securityevent_append_only();",
]


def forward(apps, schema_editor):
    statements = POSTGRES_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = POSTGRES_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
