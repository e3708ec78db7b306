"""What the contacts app plugs into the registries of other apps (called from ContactsConfig.ready)."""

from __future__ import annotations

from rapport.core.demo import demo_loaders
from rapport.core.registry import NavItem, registry


def register() -> None:
    registry.add_nav(NavItem(label="Contacts", url_name="contacts:contact_list", order=10))
    registry.add_nav(NavItem(label="Companies", url_name="contacts:company_list", order=20))
    registry.add_nav(NavItem(label="Tags", url_name="contacts:tag_list", order=90))

    from rapport.customfields.registry import register_record_type

    register_record_type("contacts.contact", "Contact")
    register_record_type("contacts.company", "Company")

    _register_search()

    from rapport.contacts.demo import load_demo

    if load_demo not in demo_loaders:
        demo_loaders.append(load_demo)


def _register_search() -> None:
    """Contacts and companies in global search and the Ctrl-K palette; the provider re-checks visibility."""
    from django.urls import reverse

    from rapport.contacts.models import Company, Contact
    from rapport.contacts.services import company_document, contact_document
    from rapport.search.providers import register_model_provider

    register_model_provider(
        Contact,
        "contact",
        "Contacts",
        url_for=lambda record: reverse("contacts:contact_detail", args=[record.pk]),
        describe=contact_document,
        order=10,
    )
    register_model_provider(
        Company,
        "company",
        "Companies",
        url_for=lambda record: reverse("contacts:company_detail", args=[record.pk]),
        describe=company_document,
        order=20,
    )
