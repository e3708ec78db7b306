"""Migration operations that change indexes and foreign-key constraints without rebuilding SQLite tables.

SQLite cannot drop an index-bearing column attribute or a foreign-key constraint in place, so
Django's ``AlterField`` copies the whole table into a new one there. That copy silently drops what
engine-specific migrations added outside the model state: the FTS triggers of the search index and
raw-SQL indexes. These operations keep the model state change and do the database part in place.
See docs/decisions/0003-write-path-indexes.md.
"""

from __future__ import annotations

from django.db import migrations


class AlterForeignKeyInPlace(migrations.AlterField):
    """``AlterField`` for a foreign key's ``db_index`` / ``db_constraint`` only.

    PostgreSQL: as ``AlterField`` (drops or adds the index and the constraint, no table rewrite).
    SQLite: the single-column index is dropped or created in place; the constraint, part of the
    table's definition there, is left as it was (it only costs a lookup per written row).
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        from_model = from_state.apps.get_model(app_label, self.model_name)
        to_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return None
        old, new = from_model._meta.get_field(self.name), to_model._meta.get_field(self.name)
        if old.db_index and not new.db_index:
            names = schema_editor._constraint_names(
                from_model, [old.column], index=True, unique=False, primary_key=False
            )
            for name in names:
                schema_editor.execute(schema_editor._delete_index_sql(from_model, name))
        elif new.db_index and not old.db_index:
            schema_editor.execute(schema_editor._create_index_sql(to_model, fields=[new]))
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return self.database_forwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexOnPostgres(migrations.RemoveIndex):
    """``RemoveIndex`` on PostgreSQL only: SQLite keeps the index, which its engine still reads."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
