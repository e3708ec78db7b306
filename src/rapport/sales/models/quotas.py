"""Sales quotas: a target amount per person and period."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from rapport.core.models import WorkspaceScoped
from rapport.sales.money import CURRENCY_CHOICES, validate_currency


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Quota(WorkspaceScoped):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=8, choices=PeriodKind.choices, default=PeriodKind.QUARTER)
    period_start = models.DateField(help_text="First day of the month or quarter.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, validators=[validate_currency])

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-period_start", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "period", "period_start", "currency"],
                condition=models.Q(deleted_at__isnull=True),
                name="quota_unique_period",
                violation_error_message="This person already has a quota for this period and currency.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} from {self.period_start:%Y-%m-%d}: {self.currency} {self.amount}"
