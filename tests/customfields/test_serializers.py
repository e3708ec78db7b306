"""Custom values in record serializers, and in the OpenAPI document."""

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework import generics, serializers

from rapport.customfields import CustomValuesField, CustomValuesMixin
from tests.sampleapp.models import Widget


class WidgetSerializer(CustomValuesMixin, serializers.ModelSerializer):
    custom = CustomValuesField("sampleapp.widget")

    class Meta:
        model = Widget
        fields = ["id", "name", "custom"]


class WidgetDetail(generics.RetrieveUpdateAPIView):
    serializer_class = WidgetSerializer
    queryset = Widget.objects.none()


@pytest.fixture
def fields(make_field):
    make_field("number", key="seats", required=True)
    make_field("select", key="tier", options={"choices": ["Gold", "Silver"]})
    make_field("money", key="budget")


def test_reading_shows_every_defined_key(cast, acting, fields):
    with acting(cast.owner, cast.workspace):
        widget = Widget.objects.create(name="W", custom={"seats": "3", "old_key": "x"})
        assert WidgetSerializer(widget).data["custom"] == {"seats": "3", "tier": None, "budget": None}


def test_writing_validates_and_merges_custom_values(cast, acting, fields):
    with acting(cast.owner, cast.workspace):
        widget = Widget.objects.create(name="W", custom={"seats": "3", "tier": "gold"})
        serializer = WidgetSerializer(widget, data={"custom": {"tier": None, "budget": "5"}}, partial=True)
        assert serializer.is_valid(), serializer.errors
        serializer.save()
        widget.refresh_from_db()
    assert widget.custom == {"seats": "3", "budget": {"amount": "5.00", "currency": "USD"}}


def test_errors_name_each_custom_key_and_required_fields_count_on_create(cast, acting, fields):
    with acting(cast.owner, cast.workspace):
        bad = WidgetSerializer(data={"name": "W", "custom": {"tier": "Bronze", "colour": "red"}})
        assert not bad.is_valid()
        assert set(bad.errors["custom"]) == {"tier", "colour", "seats"}
        missing = WidgetSerializer(data={"name": "W"})
        assert not missing.is_valid()
        assert set(missing.errors["custom"]) == {"seats"}


def test_openapi_documents_each_custom_field_with_its_type(cast, acting, fields):
    generator = SchemaGenerator(patterns=[path("widgets/<int:pk>/", WidgetDetail.as_view())])
    with acting(cast.owner, cast.workspace):
        schema = generator.get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    custom = components["WidgetCustomFields"]["properties"]
    assert set(custom) == {"seats", "tier", "budget"}
    assert custom["seats"]["format"] == "decimal"
    assert "Money" in str(custom["budget"])
    assert "#/components/schemas/WidgetCustomFields" in str(components["Widget"]["properties"]["custom"])
