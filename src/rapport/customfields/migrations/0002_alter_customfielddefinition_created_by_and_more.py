"""Foreign keys without single-column indexes or constraints where composite indexes serve (docs/decisions/0003)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from rapport.core.migration_operations import AlterForeignKeyInPlace


class Migration(migrations.Migration):
    dependencies = [
        ("customfields", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterForeignKeyInPlace(
            model_name="customfielddefinition",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="customfielddefinition",
            name="deleted_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="customfielddefinition",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
