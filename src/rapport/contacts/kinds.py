"""The record types the list machinery serves, described once so list, cell, bulk and export views serve them all.

This app's contacts and companies are built in; a higher app (sales: deals) adds its own with
:func:`register_kind` and a list spec with ``rapport.contacts.columns.register_spec``, then routes
its URLs to the views of ``rapport.contacts.list_views`` — one list engine, not one per app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from rapport.contacts import forms, selectors, services
from rapport.contacts.models import Company, Contact


@dataclass(frozen=True)
class Kind:
    key: str  # "contact" / "company"
    model: type[models.Model]
    label: str
    label_plural: str
    list_fn: Callable[..., Any]
    update_fn: Callable[..., bool]
    record_arg: str
    form_class: type[forms.RecordForm] | None
    related: tuple[str, ...]
    namespace: str = "contacts"  # URL names are "<namespace>:<key>_<list|detail|cell|...>"
    bulk_actions: tuple[str, ...] = ("owner", "lifecycle_stage", "add_tags", "remove_tags", "delete")
    nav_template: str = ""  # a template included above the list (the app's own tabs)
    stylesheet: str = ""  # the app's static CSS file, loaded by the list page

    def url(self, name: str) -> str:
        return f"{self.namespace}:{self.key}_{name}"

    def update(self, actor: Any, record: Any, **kwargs: Any) -> bool:
        return self.update_fn(actor=actor, **{self.record_arg: record}, **kwargs)


CONTACT = Kind(
    key="contact",
    model=Contact,
    label="contact",
    label_plural="contacts",
    list_fn=selectors.contact_list,
    update_fn=services.contact_update,
    record_arg="contact",
    form_class=forms.ContactForm,
    related=("owner", "company"),
)
COMPANY = Kind(
    key="company",
    model=Company,
    label="company",
    label_plural="companies",
    list_fn=selectors.company_list,
    update_fn=services.company_update,
    record_arg="company",
    form_class=forms.CompanyForm,
    related=("owner", "parent"),
)
KINDS = {"contact": CONTACT, "company": COMPANY}


def register_kind(kind: Kind) -> None:
    """Serve another record type with the list views (called from a higher app's AppConfig.ready)."""
    KINDS[kind.key] = kind
