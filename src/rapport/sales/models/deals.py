"""Deals, their stage history, and the lines that price them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from rapport.contacts.models import ContactRoleKind
from rapport.core.models import OwnedRecord, Workspace, WorkspaceManager
from rapport.sales.models.lines import LineBase
from rapport.sales.models.pipelines import ForecastCategory, LostReason, Pipeline, Stage
from rapport.sales.money import CURRENCY_CHOICES, HUNDRED, validate_currency

LIVE = models.Q(deleted_at__isnull=True)


class DealStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class DealSource(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    OUTBOUND = "outbound", "Outbound"
    EVENT = "event", "Event"
    PARTNER = "partner", "Partner"
    ADVERTISING = "advertising", "Advertising"
    OTHER = "other", "Other"


class Deal(OwnedRecord):
    name = models.CharField(max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN)
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Follows the line items when the deal has any.",
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, validators=[validate_currency])
    expected_close_date = models.DateField(null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Win probability (%). Empty: the stage's default.",
    )
    forecast_category = models.CharField(
        max_length=16, choices=ForecastCategory.choices, blank=True, help_text="Empty: the stage's category."
    )
    company = models.ForeignKey(
        "contacts.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    source = models.CharField(max_length=16, choices=DealSource.choices, blank=True)
    next_step = models.CharField(max_length=200, blank=True)
    lost_reason = models.ForeignKey(LostReason, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lost_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)

    tagged_items = GenericRelation("tags.TaggedItem")

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["workspace", "pipeline", "status", "stage"], name="deal_board_idx"),
            models.Index(fields=["workspace", "status", "expected_close_date"], name="deal_close_idx"),
            models.Index(fields=["workspace", "status", "closed_at"], name="deal_closed_idx"),
            models.Index(fields=["workspace", "owner", "status"], name="deal_owner_idx"),
            models.Index(fields=["workspace", "company"], name="deal_company_idx"),
            # The table view and the API page by keyset on these orderings (live rows only).
            models.Index(fields=["workspace", "-created_at", "-id"], condition=LIVE, name="deal_ws_created"),
            models.Index(fields=["workspace", "-updated_at", "-id"], condition=LIVE, name="deal_ws_updated"),
            models.Index(fields=["workspace", "name", "id"], condition=LIVE, name="deal_ws_name"),
            models.Index(fields=["workspace", "amount", "id"], condition=LIVE, name="deal_ws_amount"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN

    @property
    def effective_probability(self) -> int:
        if self.status == DealStatus.WON:
            return 100
        if self.status == DealStatus.LOST:
            return 0
        return self.probability if self.probability is not None else self.stage.probability

    @property
    def effective_forecast_category(self) -> str:
        return self.forecast_category or self.stage.forecast_category

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.effective_probability / HUNDRED).quantize(Decimal("0.01"))

    def days_in_stage(self, now: datetime.datetime | None = None) -> int:
        return ((now or timezone.now()) - self.stage_entered_at).days

    def is_rotting(self, now: datetime.datetime | None = None) -> bool:
        limit = self.stage.rotting_days
        return self.is_open and limit is not None and self.days_in_stage(now) >= limit


class DealStageChange(models.Model):
    """One move of a deal: into a stage or to another status. Append-only.

    ``seconds_in_previous`` is how long the deal stayed where it was, so time-in-stage needs no
    window functions; the first row of a deal has ``from_stage`` empty.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    # SET_NULL: a stage purged from the recycle bin must not block the purge nor erase the history.
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_stage = models.ForeignKey(Stage, null=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=8, choices=DealStatus.choices, blank=True)
    to_status = models.CharField(max_length=8, choices=DealStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    seconds_in_previous = models.PositiveBigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["workspace", "deal", "at"], name="stagechange_deal_idx"),
            models.Index(fields=["workspace", "to_stage", "at"], name="stagechange_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id} ({self.to_status})"


class DealContact(models.Model):
    """A contact involved in a deal, with their role. Part of the deal: changes are History events on it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="deal_roles")
    role = models.CharField(max_length=20, choices=ContactRoleKind.choices, default=ContactRoleKind.OTHER)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="dealcontact_unique_contact")]
        indexes = [models.Index(fields=["workspace", "contact"], name="dealcontact_contact_idx")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"


class LineItem(LineBase):
    """A product (or free text) line of a deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")

    class Meta(LineBase.Meta):
        indexes = [models.Index(fields=["workspace", "deal", "position"], name="lineitem_deal_idx")]
