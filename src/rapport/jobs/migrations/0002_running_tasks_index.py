"""A partial index so the reaper's scan of RUNNING task results stays small as finished results pile up.

django-tasks-db indexes only READY rows; both SQLite and PostgreSQL support partial indexes.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX jobs_running_tasks_idx ON django_tasks_database_dbtaskresult (started_at) "
                "WHERE status = 'RUNNING'"
            ),
            reverse_sql="DROP INDEX IF EXISTS jobs_running_tasks_idx",
        ),
    ]
