"""Lead assignment rules: who gets a new lead (round robin within a team, or by a field)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rapport.core.models import WorkspaceScoped


class RuleField(models.TextChoices):
    ANY = "", "Every new lead"
    COUNTRY = "country", "Country (of any address)"
    LEAD_SOURCE = "lead_source", "Lead source"


class AssignmentRule(WorkspaceScoped):
    """Rules are tried in order; the first whose condition matches assigns the lead.

    The target is one person, or a team whose active members take turns (round robin).
    """

    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    field = models.CharField("when", max_length=16, choices=RuleField.choices, blank=True)
    values = models.CharField(
        max_length=300, blank=True, help_text="Comma-separated values that match, e.g. DE, AT, CH or website."
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="round robin in team",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    history_excluded = WorkspaceScoped.history_excluded | {"last_assigned"}

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def value_list(self) -> list[str]:
        return [v.strip().lower() for v in self.values.split(",") if v.strip()]
