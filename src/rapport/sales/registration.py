"""What sales plugs into the lower apps: navigation, record-page panels, search, demo data, lead hook."""

from __future__ import annotations


def register() -> None:
    from rapport.core.demo import demo_loaders
    from rapport.core.registry import NavItem, RecordPanel, registry
    from rapport.sales import panels, search
    from rapport.sales.demo import load_demo

    registry.add_nav(NavItem(label="Deals", url_name="sales:board", order=30))
    registry.add_nav(NavItem(label="Leads", url_name="sales:lead_inbox", order=35))
    registry.add_nav(NavItem(label="Forecast", url_name="sales:forecast", order=40))
    registry.add_panel(
        RecordPanel(
            "sales.company_deals", "Deals", ("contacts.company",), "sales/panels/deals.html", panels.company_deals, 40
        )
    )
    registry.add_panel(
        RecordPanel(
            "sales.company_orders",
            "Orders and balance",
            ("contacts.company",),
            "sales/panels/orders.html",
            panels.company_orders,
            45,
        )
    )
    registry.add_panel(
        RecordPanel(
            "sales.contact_deals", "Deals", ("contacts.contact",), "sales/panels/deals.html", panels.contact_deals, 40
        )
    )
    registry.add_panel(
        RecordPanel(
            "sales.contact_orders",
            "Orders and balance",
            ("contacts.contact",),
            "sales/panels/orders.html",
            panels.contact_orders,
            45,
        )
    )
    from rapport.customfields.registry import register_record_type

    register_record_type("sales.deal", "Deal")
    search.register()
    from rapport.sales import table

    table.register()
    if load_demo not in demo_loaders:
        demo_loaders.append(load_demo)
    _connect_lead_assignment()


def _connect_lead_assignment() -> None:
    """New leads without an owner are assigned by the rules once their transaction commits
    (their addresses, which country rules read, are written after the contact row)."""
    from django.db import transaction
    from django.db.models.signals import post_save

    from rapport.contacts.models import Contact

    def on_contact_saved(sender, instance: Contact, created: bool, **kwargs) -> None:
        if not created or instance.owner_id is not None:
            return
        from rapport.core.scoping import workspace_scope
        from rapport.sales.services.leads import assign_lead, is_lead

        if not is_lead(instance):
            return

        def assign() -> None:
            with workspace_scope(instance.workspace_id):
                fresh = Contact.objects.filter(pk=instance.pk).first()
                if fresh is not None:
                    assign_lead(contact=fresh)

        transaction.on_commit(assign)

    post_save.connect(on_contact_saved, sender=Contact, dispatch_uid="rapport.sales.assign_new_leads", weak=False)
