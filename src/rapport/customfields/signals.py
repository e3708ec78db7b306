"""Signals other apps listen to (search re-indexes records whose searchable values changed)."""

from django.dispatch import Signal

# Sent after a definition change altered what records hold or what is searchable.
# Arguments: sender = the record model, workspace_id, pks (list of ids, or None for every record).
custom_values_changed = Signal()
