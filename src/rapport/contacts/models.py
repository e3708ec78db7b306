"""Companies, contacts and what hangs off them (emails, phones, addresses, roles, relationships, consent).

Companies and contacts are :class:`~rapport.core.models.OwnedRecord`: they carry the workspace,
version, soft delete, History and custom values. The rows hanging off them (emails, phones...)
are plain rows with a ``workspace`` column for indexes and scoping; their changes are written as
History events on the parent by :mod:`rapport.contacts.services`, the only place that writes them.

Every composite index starts with the workspace; list indexes are partial (live rows only),
matching the default manager's ``deleted_at IS NULL``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from rapport.contacts.iso import COUNTRIES, COUNTRY_CHOICES
from rapport.contacts.validation import validate_country, validate_currency, validate_http_url
from rapport.core.models import OwnedRecord, WorkspaceManager

LIVE = models.Q(deleted_at__isnull=True)


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MARKETING_QUALIFIED = "marketing_qualified", "Marketing-qualified lead"
    SALES_QUALIFIED = "sales_qualified", "Sales-qualified lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    OTHER = "other", "Other"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    ATTEMPTING = "attempting", "Attempting to contact"
    CONNECTED = "connected", "Connected"
    QUALIFIED = "qualified", "Qualified"
    UNQUALIFIED = "unqualified", "Unqualified"


class LeadSource(models.TextChoices):
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    EVENT = "event", "Event"
    OUTBOUND = "outbound", "Outbound"
    INBOUND_CALL = "inbound_call", "Inbound call"
    PARTNER = "partner", "Partner"
    ADVERTISING = "advertising", "Advertising"
    SOCIAL = "social", "Social media"
    IMPORT = "import", "Import"
    OTHER = "other", "Other"


class CompanySize(models.TextChoices):
    S1 = "1-10", "1-10 employees"
    S11 = "11-50", "11-50 employees"
    S51 = "51-200", "51-200 employees"
    S201 = "201-500", "201-500 employees"
    S501 = "501-1000", "501-1,000 employees"
    S1001 = "1001-5000", "1,001-5,000 employees"
    S5001 = "5001-10000", "5,001-10,000 employees"
    S10001 = "10001+", "More than 10,000 employees"


class Industry(models.TextChoices):
    SOFTWARE = "software", "Software"
    IT_SERVICES = "it_services", "IT services"
    FINANCE = "finance", "Finance"
    INSURANCE = "insurance", "Insurance"
    HEALTHCARE = "healthcare", "Healthcare"
    EDUCATION = "education", "Education"
    MANUFACTURING = "manufacturing", "Manufacturing"
    RETAIL = "retail", "Retail"
    WHOLESALE = "wholesale", "Wholesale"
    LOGISTICS = "logistics", "Transport & logistics"
    ENERGY = "energy", "Energy"
    CONSTRUCTION = "construction", "Construction"
    REAL_ESTATE = "real_estate", "Real estate"
    MEDIA = "media", "Media"
    HOSPITALITY = "hospitality", "Hospitality"
    FOOD = "food", "Food & beverage"
    AGRICULTURE = "agriculture", "Agriculture"
    TELECOM = "telecom", "Telecommunications"
    CONSULTING = "consulting", "Consulting"
    LEGAL = "legal", "Legal"
    GOVERNMENT = "government", "Government"
    NONPROFIT = "nonprofit", "Non-profit"
    OTHER = "other", "Other"


class EmailConsent(models.TextChoices):
    UNKNOWN = "unknown", "Not asked"
    OPTED_IN = "opted_in", "Opted in"
    OPTED_OUT = "opted_out", "Opted out"


class EmailLabel(models.TextChoices):
    WORK = "work", "Work"
    PERSONAL = "personal", "Personal"
    OTHER = "other", "Other"


class PhoneLabel(models.TextChoices):
    WORK = "work", "Work"
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    FAX = "fax", "Fax"
    OTHER = "other", "Other"


class AddressLabel(models.TextChoices):
    OFFICE = "office", "Office"
    HEADQUARTERS = "headquarters", "Headquarters"
    BILLING = "billing", "Billing"
    SHIPPING = "shipping", "Shipping"
    HOME = "home", "Home"
    OTHER = "other", "Other"


class RelationshipKind(models.TextChoices):
    REPORTS_TO = "reports_to", "Reports to"
    ASSISTANT_OF = "assistant_of", "Assistant of"
    COLLEAGUE_OF = "colleague_of", "Colleague of"
    REFERRED_BY = "referred_by", "Referred by"
    MENTOR_OF = "mentor_of", "Mentor of"
    PARTNER_OF = "partner_of", "Partner of"
    OTHER = "other", "Related to"


# How the relationship reads from the other contact's page.
INVERSE_LABELS = {
    RelationshipKind.REPORTS_TO: "Manages",
    RelationshipKind.ASSISTANT_OF: "Has assistant",
    RelationshipKind.COLLEAGUE_OF: "Colleague of",
    RelationshipKind.REFERRED_BY: "Referred",
    RelationshipKind.MENTOR_OF: "Mentored by",
    RelationshipKind.PARTNER_OF: "Partner of",
    RelationshipKind.OTHER: "Related to",
}


class ContactRoleKind(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    CHAMPION = "champion", "Champion"
    INFLUENCER = "influencer", "Influencer"
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    USER = "user", "User"
    OTHER = "other", "Other"


def _list_indexes(prefix: str, extra: list[models.Index] | None = None) -> list[models.Index]:
    """The indexes every list sorts and filters by, workspace first, live rows only."""
    return [
        models.Index(fields=["workspace", "-created_at", "-id"], condition=LIVE, name=f"{prefix}_ws_created"),
        models.Index(fields=["workspace", "-updated_at", "-id"], condition=LIVE, name=f"{prefix}_ws_updated"),
        models.Index(fields=["workspace", "owner", "-created_at", "-id"], condition=LIVE, name=f"{prefix}_ws_owner"),
        models.Index(
            fields=["workspace", "lifecycle_stage", "-created_at", "-id"], condition=LIVE, name=f"{prefix}_ws_stage"
        ),
        models.Index(
            fields=["workspace", "owner", "lifecycle_stage", "-created_at", "-id"],
            condition=LIVE,
            name=f"{prefix}_ws_owner_stage",
        ),
        *(extra or []),
    ]


class Company(OwnedRecord):
    name = models.CharField(max_length=200)
    primary_domain = models.CharField(max_length=253, blank=True, editable=False)
    industry = models.CharField(max_length=32, choices=Industry.choices, blank=True)
    size = models.CharField("employees", max_length=16, choices=CompanySize.choices, blank=True)
    annual_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    revenue_currency = models.CharField(
        max_length=3, blank=True, validators=[validate_currency], help_text="ISO 4217 code, e.g. USD or EUR."
    )
    phone = models.CharField(max_length=20, blank=True, help_text="Stored in international (E.164) form.")
    website = models.URLField(max_length=300, blank=True, validators=[validate_http_url])
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
        verbose_name="parent company",
    )
    lifecycle_stage = models.CharField(max_length=24, choices=LifecycleStage.choices, blank=True)
    description = models.TextField(blank=True)

    tagged_items = GenericRelation("tags.TaggedItem")

    history_excluded = OwnedRecord.history_excluded | {"primary_domain"}

    class Meta:
        verbose_name_plural = "companies"
        base_manager_name = "all_objects"
        ordering = ["name", "id"]
        indexes = _list_indexes(
            "company",
            [
                models.Index(fields=["workspace", "name", "id"], condition=LIVE, name="company_ws_name"),
                models.Index(fields=["workspace", "parent"], name="company_ws_parent"),
            ],
        )

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.annual_revenue is not None and not self.revenue_currency:
            errors["revenue_currency"] = "Give the currency of the annual revenue (ISO 4217, e.g. USD)."
        if self.annual_revenue is not None and self.annual_revenue < 0:
            errors["annual_revenue"] = "Annual revenue cannot be negative."
        if self.parent_id:
            error = self._parent_cycle_error()
            if error:
                errors["parent"] = error
        if errors:
            raise ValidationError(errors)

    def _parent_cycle_error(self) -> str | None:
        if self.pk and self.parent_id == self.pk:
            return "A company cannot be its own parent."
        seen: set[int] = set()
        current = self.parent_id
        while current is not None and current not in seen:
            if self.pk and current == self.pk:
                return "This parent is one of the company's own subsidiaries: a company tree cannot loop."
            seen.add(current)
            current = Company._base_manager.filter(pk=current).values_list("parent_id", flat=True).first()
            if len(seen) > 100:
                return "The company tree is too deep (more than 100 levels)."
        return None


class CompanyDomain(models.Model):
    """A web domain of a company; unique in the workspace among live companies (``is_live``)."""

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    is_primary = models.BooleanField(default=False)
    is_live = models.BooleanField(default=True, help_text="False while the company is in the recycle bin.")

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-is_primary", "domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain"], condition=models.Q(is_live=True), name="companydomain_unique_live"
            )
        ]
        indexes = [models.Index(fields=["workspace", "company"], name="companydomain_ws_company")]

    def __str__(self) -> str:
        return self.domain


class Contact(OwnedRecord):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    birthday = models.DateField(null=True, blank=True)
    lead_source = models.CharField(max_length=24, choices=LeadSource.choices, blank=True)
    lifecycle_stage = models.CharField(
        max_length=24, choices=LifecycleStage.choices, blank=True, default=LifecycleStage.LEAD
    )
    lead_status = models.CharField(max_length=16, choices=LeadStatus.choices, blank=True)
    # Copies of the primary email / phone, kept by the services: lists sort and filter on them.
    primary_email = models.CharField(max_length=254, blank=True, editable=False)
    primary_phone = models.CharField(max_length=20, blank=True, editable=False)
    email_consent = models.CharField(
        max_length=12, choices=EmailConsent.choices, default=EmailConsent.UNKNOWN, editable=False
    )
    email_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_consent_source = models.CharField(max_length=120, blank=True, editable=False)
    do_not_contact = models.BooleanField(
        default=False, help_text="Nobody should call, email or write to this person, whatever the consent."
    )

    tagged_items = GenericRelation("tags.TaggedItem")

    history_excluded = OwnedRecord.history_excluded | {"primary_email", "primary_phone"}

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["last_name", "first_name", "id"]
        indexes = _list_indexes(
            "contact",
            [
                models.Index(
                    fields=["workspace", "last_name", "first_name", "id"], condition=LIVE, name="contact_ws_name"
                ),
                models.Index(fields=["workspace", "company"], name="contact_ws_company"),
                models.Index(fields=["workspace", "primary_email"], name="contact_ws_email"),
            ],
        )

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.primary_email or f"Contact {self.pk}"

    def clean(self) -> None:
        if not (self.first_name.strip() or self.last_name.strip()):
            raise ValidationError({"first_name": "Enter a first name or a last name."})
        if self.birthday and self.birthday > timezone.localdate():
            raise ValidationError({"birthday": "A birthday cannot be in the future."})


class _ChildRow(models.Model):
    # every child table has (workspace, ...) indexes that serve workspace lookups
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False)

    objects = WorkspaceManager()

    class Meta:
        abstract = True


class _ContactDetail(_ChildRow):
    """An e-mail, phone or address: written with every contact (or company) created, thousands per import.

    Its workspace is its parent's, whose own key carries the constraint; one more lookup per
    written row at commit guarded nothing the parent's does not (docs/decisions/0003).
    """

    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        abstract = True


class EmailAddress(_ContactDetail):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    label = models.CharField(max_length=12, choices=EmailLabel.choices, default=EmailLabel.WORK)
    email = models.CharField(max_length=254)
    is_primary = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["workspace", "email"], name="email_ws_email"),
            models.Index(fields=["workspace", "contact"], name="email_ws_contact"),
        ]

    def __str__(self) -> str:
        return self.email


class PhoneNumber(_ContactDetail):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    label = models.CharField(max_length=12, choices=PhoneLabel.choices, default=PhoneLabel.WORK)
    number = models.CharField(max_length=20, help_text="E.164, e.g. +14155550100.")
    digits = models.CharField(max_length=20, help_text="The number's digits only, for lookups.")
    is_primary = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["workspace", "digits"], name="phone_ws_digits"),
            models.Index(fields=["workspace", "contact"], name="phone_ws_contact"),
        ]

    def __str__(self) -> str:
        return self.number


class Address(_ContactDetail):
    """A postal address of a company or of a contact (exactly one of the two)."""

    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=16, choices=AddressLabel.choices, default=AddressLabel.OFFICE)
    street = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField("state / region", max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES, blank=True, validators=[validate_country])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(company__isnull=False, contact__isnull=True)
                | models.Q(company__isnull=True, contact__isnull=False),
                name="address_one_parent",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "company"], name="address_ws_company"),
            models.Index(fields=["workspace", "contact"], name="address_ws_contact"),
        ]

    def __str__(self) -> str:
        return self.one_line

    @property
    def one_line(self) -> str:
        country = COUNTRIES.get(self.country, self.country)
        parts = [self.street, " ".join(p for p in (self.postal_code, self.city) if p), self.region, country]
        return ", ".join(p for p in parts if p)


class ContactCompanyHistory(_ChildRow):
    """A company the contact worked at before (or alongside) the current one."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="past_companies")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="past_contacts")
    title = models.CharField(max_length=150, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "past company"
        ordering = ["-end_date", "-start_date", "-id"]
        indexes = [models.Index(fields=["workspace", "contact"], name="pastco_ws_contact")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(start_date__lte=models.F("end_date")),
                name="pastco_dates_in_order",
                violation_error_message="The end date is before the start date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.start_date or '?'} - {self.end_date or 'now'})"


class Relationship(_ChildRow):
    """``from_contact`` <kind> ``to_contact``, e.g. Ann *reports to* Bob (read back as Bob *manages* Ann)."""

    from_contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="relationships_out")
    to_contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(max_length=16, choices=RelationshipKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "from_contact", "to_contact", "kind"], name="relationship_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_contact=models.F("to_contact")), name="relationship_not_self"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "to_contact"], name="relationship_ws_to")]

    def __str__(self) -> str:
        return f"{self.from_contact} {self.get_kind_display().lower()} {self.to_contact}"

    @property
    def inverse_label(self) -> str:
        return INVERSE_LABELS[RelationshipKind(self.kind)]


class ContactRole(_ChildRow):
    """The part a contact plays at a company (decision maker, champion...), current company or not."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="roles")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contact_roles")
    role = models.CharField(max_length=16, choices=ContactRoleKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "contact", "company", "role"], name="contactrole_unique")
        ]
        indexes = [models.Index(fields=["workspace", "company"], name="contactrole_ws_company")]

    def __str__(self) -> str:
        return f"{self.contact} — {self.get_role_display()} at {self.company}"


class ConsentEvent(_ChildRow):
    """One opt-in or opt-out, append-only: the contact's current consent is the latest event."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=12, default="email", choices=[("email", "Email")])
    status = models.CharField(
        max_length=12, choices=[(EmailConsent.OPTED_IN, "Opted in"), (EmailConsent.OPTED_OUT, "Opted out")]
    )
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=120, help_text="Where the person said so: web form, call, import...")
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "contact", "-at"], name="consent_ws_contact_at")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.source}) at {self.at:%Y-%m-%d %H:%M}"


class SavedView(_ChildRow):
    """A named list setup (columns, filters, sort): private to its creator or shared with the workspace."""

    record_type = models.CharField(max_length=16, help_text="The list it belongs to: contact, company, deal...")
    name = models.CharField(max_length=80)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_shared = models.BooleanField("shared with the workspace", default=False)
    columns = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=list, blank=True)
    logic = models.CharField(max_length=3, default="and", choices=[("and", "All filters"), ("or", "Any filter")])
    sort = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "record_type", "created_by", "name"], name="savedview_unique_name"
            )
        ]
        indexes = [models.Index(fields=["workspace", "record_type", "is_shared"], name="savedview_ws_type")]

    def __str__(self) -> str:
        return self.name
