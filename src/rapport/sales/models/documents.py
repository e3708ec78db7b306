"""Quotes and orders: numbered documents with lines and totals, and the counters that number them."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from rapport.core.models import OwnedRecord, Workspace
from rapport.sales.models.deals import Deal
from rapport.sales.models.lines import LineBase
from rapport.sales.money import CURRENCY_CHOICES, validate_currency

ZERO = Decimal("0")


class NumberSequence(models.Model):
    """The last number given out per workspace and document kind.

    Taken with ``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise
    writers. Numbers are never reused, even when the document is deleted.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "kind"], name="numbersequence_unique_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.last_value}"


class DocumentTotals(models.Model):
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, validators=[validate_currency])
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)
    discount_total = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)
    tax_total = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)

    class Meta:
        abstract = True

    @property
    def net_total(self) -> Decimal:
        return self.subtotal - self.discount_total


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class Quote(OwnedRecord, DocumentTotals):
    number = models.PositiveBigIntegerField(editable=False)
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="quotes")
    title = models.CharField(max_length=200)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="for"
    )
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    issued_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="Terms and remarks printed under the lines.")
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["workspace", "number"], name="quote_unique_number")]
        indexes = [
            models.Index(fields=["workspace", "deal"], name="quote_deal_idx"),
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                condition=models.Q(deleted_at__isnull=True),
                name="quote_ws_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"Q-{self.number:05d}"

    @property
    def is_editable(self) -> bool:
        return self.status == QuoteStatus.DRAFT


class QuoteLine(LineBase):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineBase.Meta):
        indexes = [models.Index(fields=["workspace", "quote", "position"], name="quoteline_quote_idx")]


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    INVOICED = "invoiced", "Invoiced"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


class Order(OwnedRecord, DocumentTotals):
    number = models.PositiveBigIntegerField(editable=False)
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    quote = models.OneToOneField("sales.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="order")
    company = models.ForeignKey(
        "contacts.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    ordered_on = models.DateField()
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    external_ref = models.CharField(
        "external reference", max_length=100, blank=True, help_text="The order's number in another system."
    )
    notes = models.TextField(blank=True)

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-ordered_on", "-number"]
        constraints = [models.UniqueConstraint(fields=["workspace", "number"], name="order_unique_number")]
        indexes = [
            models.Index(fields=["workspace", "status", "ordered_on"], name="order_status_idx"),
            models.Index(fields=["workspace", "company", "status"], name="order_company_idx"),
            models.Index(fields=["workspace", "contact", "status"], name="order_contact_idx"),
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                condition=models.Q(deleted_at__isnull=True),
                name="order_ws_created",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"O-{self.number:05d}"

    @property
    def balance(self) -> Decimal:
        """What the customer still owes on this order (nothing for a cancelled one)."""
        if self.status == OrderStatus.CANCELLED:
            return ZERO
        return self.total - self.amount_paid

    @property
    def is_editable(self) -> bool:
        return self.status == OrderStatus.OPEN


class OrderLine(LineBase):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineBase.Meta):
        indexes = [models.Index(fields=["workspace", "order", "position"], name="orderline_order_idx")]
