"""API shapes of companies, contacts and tags. Input is parsed here; the services validate and write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from rapport.api.serializers import MemberField, RecordSerializer, VisibleRecordField
from rapport.contacts.models import (
    AddressLabel,
    Company,
    Contact,
    EmailLabel,
    PhoneLabel,
)
from rapport.customfields.serializers import CustomValuesField
from rapport.tags.models import Tag, TagColour
from rapport.tags.services import current_tags


class RawCustomValuesField(CustomValuesField):
    """Documented like every custom-values field; the service validates the values (one place, one set of errors)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Send an object of custom values by key.")
        return data


class EmailSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, help_text="Stored lower-cased.")
    label = serializers.ChoiceField(choices=EmailLabel.choices, default=EmailLabel.WORK)
    is_primary = serializers.BooleanField(default=False, help_text="At most one; the first one otherwise.")


class PhoneSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=40, help_text="Any format; national numbers are read in the workspace's region. Stored in E.164."
    )
    label = serializers.ChoiceField(choices=PhoneLabel.choices, default=PhoneLabel.WORK)
    is_primary = serializers.BooleanField(default=False)


class AddressSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=AddressLabel.choices, default=AddressLabel.OFFICE)
    street = serializers.CharField(max_length=300, allow_blank=True, default="")
    city = serializers.CharField(max_length=120, allow_blank=True, default="")
    region = serializers.CharField(max_length=120, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, allow_blank=True, default="")
    country = serializers.CharField(
        max_length=2, allow_blank=True, default="", help_text="ISO 3166-1 alpha-2 code, e.g. US, FR."
    )


class DomainSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=253, help_text="example.com (no scheme, no path).")
    is_primary = serializers.BooleanField(default=False)


class NestedListField(serializers.ListField):
    """A writable list of nested rows; the whole list replaces the stored rows (read from the prefetch)."""

    def __init__(self, child_serializer: type[serializers.Serializer], **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(child=child_serializer(), max_length=20, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        prefetched = getattr(instance, f"prefetched_{self.source}", None)  # lists: see selectors._rows_prefetch
        return prefetched if prefetched is not None else list(getattr(instance, self.source).all())


class TagNamesField(serializers.ListField):
    def get_attribute(self, instance: Any) -> Any:
        return [t.name for t in current_tags(instance)]


class RecordBaseSerializer(RecordSerializer):
    owner = MemberField(allow_null=True, required=False, help_text="User id of the owner (a member).")
    tags = TagNamesField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=50,
        help_text="Tag names; unknown names create tags.",
    )

    nested_fields: tuple[str, ...] = ()


class ContactSerializer(RecordBaseSerializer):
    company = VisibleRecordField(Company, allow_null=True, required=False, help_text="Id of the current company.")
    full_name = serializers.CharField(read_only=True)
    emails = NestedListField(EmailSerializer)
    phones = NestedListField(PhoneSerializer)
    addresses = NestedListField(AddressSerializer)
    custom = RawCustomValuesField("contacts.contact")

    nested_fields = ("emails", "phones", "addresses", "tags", "custom")

    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "job_title",
            "company",
            "birthday",
            "lead_source",
            "lifecycle_stage",
            "lead_status",
            "owner",
            "do_not_contact",
            "email_consent",
            "email_consent_at",
            "email_consent_source",
            "primary_email",
            "primary_phone",
            "emails",
            "phones",
            "addresses",
            "tags",
            "custom",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "full_name",
            "email_consent",
            "email_consent_at",
            "email_consent_source",
            "primary_email",
            "primary_phone",
            "version",
            "created_at",
            "updated_at",
        ]


class CompanySerializer(RecordBaseSerializer):
    parent = VisibleRecordField(Company, allow_null=True, required=False, help_text="Id of the parent company.")
    domains = NestedListField(DomainSerializer)
    addresses = NestedListField(AddressSerializer)
    custom = RawCustomValuesField("contacts.company")
    phone = serializers.CharField(
        max_length=40, allow_blank=True, required=False, help_text="Any format; stored in E.164."
    )
    revenue_currency = serializers.CharField(
        max_length=3, allow_blank=True, required=False, help_text="ISO 4217 code, e.g. USD."
    )
    website = serializers.CharField(
        max_length=300, allow_blank=True, required=False, help_text="An http:// or https:// address."
    )

    nested_fields = ("domains", "addresses", "tags", "custom")

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "primary_domain",
            "domains",
            "industry",
            "size",
            "annual_revenue",
            "revenue_currency",
            "phone",
            "website",
            "parent",
            "lifecycle_stage",
            "description",
            "owner",
            "addresses",
            "tags",
            "custom",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "primary_domain", "version", "created_at", "updated_at"]


class TagSerializer(RecordSerializer):
    colour = serializers.ChoiceField(choices=TagColour.choices, default=TagColour.GREY)

    class Meta:
        model = Tag
        fields = ["id", "name", "colour", "version", "created_at", "updated_at"]
        read_only_fields = ["id", "version", "created_at", "updated_at"]


class BulkContactsSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=1000,
        help_text="Up to 1,000 contacts. For updates each item has an `id` (and optionally a `version`).",
    )


class BulkErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in `items`.")
    field = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = ContactSerializer(many=True)
