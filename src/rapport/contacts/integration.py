"""The contacts app's only doors into custom fields and global search.

Everything contacts needs from ``rapport.customfields`` and ``rapport.search`` goes through the
small functions here, so the rest of the app reads the same whichever way those apps evolve.
"""

from __future__ import annotations

from typing import Any

from django.db import models

CONTACT_TYPE = "contacts.contact"
COMPANY_TYPE = "contacts.company"


# --- custom fields -------------------------------------------------------------------------------


def definitions(record_type: str) -> list[Any]:
    """The live custom field definitions of a record type, in display order (one query)."""
    from rapport.customfields.selectors import definitions_for

    return list(definitions_for(record_type))


def clean_custom(defs: list[Any], data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated custom values ``{key: value}``; errors are raised keyed ``custom.<key>``."""
    from rapport.customfields.values import clean_values

    return clean_values(defs, data, partial=partial, api=True)


def merged_custom(current: dict[str, Any] | None, cleaned: dict[str, Any]) -> dict[str, Any]:
    from rapport.customfields.values import merged_custom as merge

    return merge(current, cleaned)


def custom_form_fields(defs: list[Any], actor: Any) -> dict[str, Any]:
    """Form fields named ``cf_<key>``."""
    from rapport.customfields.forms import form_fields

    return form_fields(defs, actor=actor)


def custom_initial(defs: list[Any], record: Any) -> dict[str, Any]:
    from rapport.customfields.values import initial_from_record

    return initial_from_record(defs, record)


def custom_form_values(cleaned_data: dict[str, Any]) -> dict[str, Any]:
    """The ``cf_<key>`` values of a bound form as ``{key: value}`` for :func:`clean_custom`."""
    return {name.removeprefix("cf_"): value for name, value in cleaned_data.items() if name.startswith("cf_")}


def custom_display(definition: Any, record: Any) -> str:
    from rapport.customfields.values import display_value

    return display_value(definition, (record.custom or {}).get(definition.key))


def custom_operators(definition: Any) -> tuple[str, ...]:
    from rapport.customfields.query import operators_for

    return tuple(operators_for(definition))


def custom_filter_q(definition: Any, operator: str, value: str) -> models.Q:
    from rapport.customfields.query import filter_q

    return filter_q(definition, operator, value)


def custom_order_expression(definition: Any) -> Any:
    """The expression lists sort (and page) by for a custom field (the caller sets direction)."""
    from rapport.customfields.query import order_by_expression

    expression = order_by_expression(definition, False)
    return getattr(expression, "expression", expression)


def custom_search_texts(defs: list[Any], record: Any) -> list[str]:
    from rapport.customfields.values import search_texts

    return list(search_texts(defs, record))


# --- search ---------------------------------------------------------------------------------------


def index(record: Any, **document: Any) -> None:
    """Add or refresh the record's global-search entry (a record in the recycle bin is removed)."""
    from rapport.search.index import index_record

    index_record(record, **document)


def unindex(record: Any) -> None:
    from rapport.search.index import remove_record

    remove_record(record)
