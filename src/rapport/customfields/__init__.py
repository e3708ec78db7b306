"""Custom fields: admin-defined fields per record type, stored in each record's ``custom`` JSON.

The public interface (see docs/custom-fields.md) is importable from this package directly::

    from rapport.customfields import definitions_for, form_fields, clean_values, filter_q

Names are resolved lazily so importing the package never loads models before Django is ready.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "definitions_for": "rapport.customfields.selectors",
    "form_fields": "rapport.customfields.forms",
    "form_field": "rapport.customfields.forms",
    "initial_from_record": "rapport.customfields.values",
    "clean_values": "rapport.customfields.values",
    "merged_custom": "rapport.customfields.values",
    "apply_values": "rapport.customfields.values",
    "form_values": "rapport.customfields.values",
    "display_value": "rapport.customfields.values",
    "display_values": "rapport.customfields.values",
    "search_texts": "rapport.customfields.values",
    "filter_q": "rapport.customfields.query",
    "operators_for": "rapport.customfields.query",
    "order_by_expression": "rapport.customfields.query",
    "serializer_field": "rapport.customfields.serializers",
    "custom_serializer_class": "rapport.customfields.serializers",
    "CustomValuesField": "rapport.customfields.serializers",
    "CustomValuesMixin": "rapport.customfields.serializers",
    "register_record_type": "rapport.customfields.registry",
    "custom_values_changed": "rapport.customfields.signals",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rapport.customfields' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
