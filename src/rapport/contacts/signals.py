"""Keep company-domain ownership right when a company enters or leaves the recycle bin.

Deleting and restoring go through ``rapport.core.services`` (also from the core recycle-bin
page), so domain ownership follows those transitions here rather than in each caller. The search
index follows them through the search provider's ``describe`` (rapport.search.providers).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from rapport.contacts.models import Company, CompanyDomain


def _transition(instance) -> str | None:
    loaded = getattr(instance, "_loaded_values", None)
    if loaded is None:
        return None
    was_deleted = loaded.get("deleted_at") is not None
    if instance.deleted_at is not None and not was_deleted:
        return "delete"
    if instance.deleted_at is None and was_deleted:
        return "restore"
    return None


@receiver(pre_save, sender=Company)
def _company_restore_needs_free_domains(sender, instance: Company, **kwargs) -> None:
    if _transition(instance) != "restore":
        return
    mine = list(CompanyDomain.objects.filter(company=instance).values_list("domain", flat=True))
    taken = (
        CompanyDomain.objects.filter(is_live=True, domain__in=mine).exclude(company=instance).select_related("company")
    )
    clashes = [f"{row.domain} (now used by “{row.company}”)" for row in taken]
    if clashes:
        raise ValidationError(
            f"“{instance}” cannot be restored while another company uses its domains: {', '.join(clashes)}. "
            "Remove the domain from that company first."
        )


@receiver(post_save, sender=Company)
def _company_bin_transition(sender, instance: Company, created: bool, **kwargs) -> None:
    transition = None if created else _transition(instance)
    if transition == "delete":
        CompanyDomain.objects.filter(company=instance).update(is_live=False)
    elif transition == "restore":
        CompanyDomain.objects.filter(company=instance).update(is_live=True)
