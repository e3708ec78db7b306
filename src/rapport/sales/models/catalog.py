"""The product catalogue with a unit price per currency (the price list)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from rapport.core.models import Workspace, WorkspaceManager, WorkspaceScoped
from rapport.sales.money import CURRENCY_CHOICES, validate_currency


class Product(WorkspaceScoped):
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Tax (%) added to the net price of a line.",
    )
    active = models.BooleanField(default=True, help_text="Inactive products stay on old lines but are not offered.")

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("sku"),
                condition=models.Q(deleted_at__isnull=True),
                name="product_unique_sku",
                violation_error_message="A product with this SKU already exists.",
            )
        ]
        indexes = [models.Index(fields=["workspace", "active", "name"], name="product_active_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def price_in(self, currency: str) -> Decimal | None:
        """The unit price in ``currency`` (from the prefetch cache when there is one), or None."""
        for price in self.prices.all():
            if price.currency == currency:
                return price.unit_price
        return None


class ProductPrice(models.Model):
    """One entry of the price list: a product's unit price in one currency."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, validators=[validate_currency])
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    objects = WorkspaceManager()

    class Meta:
        ordering = ["currency"]
        constraints = [models.UniqueConstraint(fields=["product", "currency"], name="productprice_unique_currency")]

    def __str__(self) -> str:
        return f"{self.currency} {self.unit_price}"
