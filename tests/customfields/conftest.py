"""Custom-field tests use the sample Widget as their record type (no dependency on contacts)."""

from __future__ import annotations

import pytest

from rapport.customfields.registry import register_record_type, unregister_record_type

WIDGET = "sampleapp.widget"


@pytest.fixture(autouse=True)
def widget_record_type():
    register_record_type(WIDGET, "Widget")
    yield WIDGET
    unregister_record_type(WIDGET)


@pytest.fixture
def make_field(cast, acting):
    """``make_field("text", key="nickname", ...)``: a definition on widgets, created by the owner."""
    from rapport.customfields import services

    def _make(field_type: str, *, workspace=None, **data):
        workspace = workspace or cast.workspace
        owner = cast.owner if workspace == cast.workspace else cast.outsider
        data.setdefault("label", data.get("key", field_type).replace("_", " ").title())
        with acting(owner, workspace) as actor:
            return services.definition_create(actor=actor, record_type=WIDGET, data={"field_type": field_type, **data})

    return _make
