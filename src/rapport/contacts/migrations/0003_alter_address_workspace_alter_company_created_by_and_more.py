"""Foreign keys without single-column indexes or constraints where composite indexes serve (docs/decisions/0003)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from rapport.core.migration_operations import AlterForeignKeyInPlace


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_savedview_any_record_type"),
        ("core", "0002_security_log_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AlterForeignKeyInPlace(
            model_name="address",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="company",
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
            model_name="company",
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
            model_name="company",
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
        AlterForeignKeyInPlace(
            model_name="consentevent",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="contact",
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
            model_name="contact",
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
            model_name="contact",
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
        AlterForeignKeyInPlace(
            model_name="contactcompanyhistory",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="contactrole",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="emailaddress",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="phonenumber",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="relationship",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
        AlterForeignKeyInPlace(
            model_name="savedview",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.workspace"
            ),
        ),
    ]
