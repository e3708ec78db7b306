"""factory-boy factories for sales. Pass ``workspace=``; related rows are made in the same workspace."""

from __future__ import annotations

from decimal import Decimal

import factory

from rapport.sales.models import Deal, LostReason, Pipeline, Product, ProductPrice, Stage


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pipeline {n}")
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def stages(obj, create, extracted, **kwargs):
        """``stages=[("Lead", 10), ("Won soon", 80, 7)]``: name, probability, rotting days."""
        if not create:
            return
        specs = extracted if extracted is not None else [("Qualified", 10), ("Proposal", 50), ("Negotiation", 80)]
        for position, spec in enumerate(specs, start=1):
            name, probability, *rest = spec
            Stage.objects.create(
                workspace=obj.workspace,
                pipeline=obj,
                name=name,
                probability=probability,
                rotting_days=rest[0] if rest else None,
                position=position,
            )


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    workspace = factory.LazyAttribute(lambda o: o.pipeline.workspace)
    name = factory.Sequence(lambda n: f"Stage {n}")
    probability = 20
    position = factory.Sequence(lambda n: n)


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    workspace = factory.LazyAttribute(lambda o: o.pipeline.workspace)
    name = factory.Sequence(lambda n: f"Deal {n}")
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.order_by("position").first())
    amount = Decimal("1000.00")
    currency = "USD"


class LostReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LostReason

    name = factory.Sequence(lambda n: f"Reason {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    tax_rate = Decimal("20.00")

    @factory.post_generation
    def prices(obj, create, extracted, **kwargs):
        """``prices={"USD": "100.00"}``; by default USD 100 and EUR 90."""
        if not create:
            return
        for currency, amount in (extracted or {"USD": "100.00", "EUR": "90.00"}).items():
            ProductPrice.objects.create(
                workspace=obj.workspace, product=obj, currency=currency, unit_price=Decimal(amount)
            )
