"""Foreign keys without single-column indexes or constraints where composite indexes serve (docs/decisions/0003)."""

import django.db.models.deletion
from django.db import migrations, models

from rapport.core.migration_operations import AlterForeignKeyInPlace, RemoveIndexOnPostgres


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_alter_recordhistory_actor_and_more"),
        ("search", "0002_engine_indexes"),
    ]

    operations = [
        RemoveIndexOnPostgres(
            model_name="searchentry",
            name="search_title_prefix_idx",
        ),
        RemoveIndexOnPostgres(
            model_name="searchentry",
            name="search_email_prefix_idx",
        ),
        AlterForeignKeyInPlace(
            model_name="searchentry",
            name="content_type",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="searchentry",
            name="workspace",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="core.workspace",
            ),
        ),
    ]
