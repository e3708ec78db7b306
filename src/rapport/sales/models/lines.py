"""The priced line shared by deals, quotes and orders."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from rapport.core.models import Workspace, WorkspaceManager
from rapport.sales.money import LineAmounts

ZERO = Decimal("0")
PERCENT_MIN = MinValueValidator(ZERO, message="A percentage cannot be negative.")
PERCENT_MAX = MaxValueValidator(Decimal("100"), message="A percentage cannot be over 100.")


class LineBase(models.Model):
    """Quantity x unit price, less a discount (%), plus tax (%). Stored figures are recomputed on save.

    Lines are parts of their parent record: they are replaced, not versioned; the parent's History
    says who changed them and the parent's version moves with every change.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("sales.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    quantity = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(ZERO, message="The quantity cannot be negative.")],
    )
    unit_price = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(ZERO, message="The unit price cannot be negative.")],
    )
    discount_percent = models.DecimalField(
        "discount (%)",
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[PERCENT_MIN, PERCENT_MAX],
    )
    tax_rate = models.DecimalField(
        "tax (%)",
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[PERCENT_MIN, PERCENT_MAX],
    )
    position = models.PositiveIntegerField(default=0)
    net_amount = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, editable=False)

    objects = WorkspaceManager()

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.quantity.normalize():f} x {self.name}"

    @property
    def amounts(self) -> LineAmounts:
        return LineAmounts.compute(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            tax_rate=self.tax_rate,
        )

    def compute(self) -> None:
        figures = self.amounts
        self.net_amount, self.tax_amount, self.total_amount = figures.net, figures.tax, figures.total

    def save(self, *args, **kwargs) -> None:
        self.compute()
        super().save(*args, **kwargs)
