"""Search tests index the sample Widget (no dependency on contacts).

A widget's name is its title; ``notes`` and searchable custom fields are its text; the custom
keys ``emails``, ``phones`` and ``domains`` stand for the addresses a real record type would keep
in their own tables.
"""

from __future__ import annotations

import pytest

from rapport.customfields import definitions_for, search_texts
from rapport.customfields.registry import register_record_type, unregister_record_type
from rapport.search.index import Document
from rapport.search.providers import register_model_provider, unregister_model_provider
from tests.sampleapp.models import Widget


def describe_widget(widget: Widget) -> Document:
    custom = widget.custom or {}
    return Document(
        title=widget.name,
        subtitle=(custom.get("emails") or [""])[0],
        texts=[widget.notes, *search_texts(definitions_for("sampleapp.widget"), widget)],
        emails=custom.get("emails", []),
        phones=custom.get("phones", []),
        domains=custom.get("domains", []),
    )


@pytest.fixture(autouse=True)
def widget_provider():
    register_record_type("sampleapp.widget", "Widget")
    register_model_provider(
        Widget, "widget", "Widgets", url_for=lambda widget: f"/widgets/{widget.pk}/", describe=describe_widget
    )
    yield
    unregister_model_provider("widget")
    unregister_record_type("sampleapp.widget")


@pytest.fixture
def make_widget(cast, acting):
    """``make_widget("John Smith", emails=[...], owner=...)``: a saved and indexed widget."""
    from rapport.search.index import index_record

    def _make(name, *, owner=None, workspace=None, notes="", **custom):
        workspace = workspace or cast.workspace
        actor_user = cast.owner if workspace == cast.workspace else cast.outsider
        with acting(actor_user, workspace):
            widget = Widget.objects.create(name=name, notes=notes, owner=owner, custom=custom)
            document = describe_widget(widget)
            index_record(
                widget,
                title=document.title,
                subtitle=document.subtitle,
                texts=document.texts,
                emails=document.emails,
                phones=document.phones,
                domains=document.domains,
            )
        return widget

    return _make


@pytest.fixture
def find(cast, acting):
    """``find("query", user=cast.owner)`` -> labels of the hits, best first."""
    from rapport.search.query import search

    def _find(text, user=None, workspace=None, **kwargs):
        user = user or cast.owner
        with acting(user, workspace or cast.workspace) as actor:
            return [hit.label for hit in search(actor, text, **kwargs)]

    return _find
