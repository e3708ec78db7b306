"""Import targets, their fields, and mapping suggestions from header names.

Header names are compared after normalising (lower case, letters and digits only), against the
names that Google Contacts, Outlook (English and German), HubSpot, Salesforce (UI labels and Data
Loader API names), Zoho, Thunderbird, Yahoo!, vCard and Rapport's own exports use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IGNORE = ""


@dataclass(frozen=True)
class TargetField:
    key: str
    label: str
    multiple: bool = False  # several columns may map here (e-mails, phones, tags)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("ß", "ss"))


CONTACT_FIELDS = [
    TargetField("first_name", "First name"),
    TargetField("last_name", "Last name"),
    TargetField("full_name", "Full name (split into first and last)"),
    TargetField("email", "E-mail", multiple=True),
    TargetField("phone", "Phone", multiple=True),
    TargetField("job_title", "Job title"),
    TargetField("company", "Company (by name)"),
    TargetField("company_domain", "Company (by domain)"),
    TargetField("birthday", "Birthday"),
    TargetField("lead_source", "Lead source"),
    TargetField("lifecycle_stage", "Lifecycle stage"),
    TargetField("lead_status", "Lead status"),
    TargetField("owner_email", "Owner (by e-mail)"),
    TargetField("tags", "Tags", multiple=True),
    TargetField("street", "Street", multiple=True),
    TargetField("city", "City"),
    TargetField("region", "State / region"),
    TargetField("postal_code", "Postal code"),
    TargetField("country", "Country"),
    TargetField("external_id", "External id"),
]
COMPANY_FIELDS = [
    TargetField("name", "Name"),
    TargetField("domain", "Domain"),
    TargetField("website", "Website"),
    TargetField("phone", "Phone"),
    TargetField("industry", "Industry"),
    TargetField("annual_revenue", "Annual revenue"),
    TargetField("revenue_currency", "Revenue currency"),
    TargetField("description", "Description"),
    TargetField("lifecycle_stage", "Lifecycle stage"),
    TargetField("owner_email", "Owner (by e-mail)"),
    TargetField("tags", "Tags", multiple=True),
    TargetField("street", "Street", multiple=True),
    TargetField("city", "City"),
    TargetField("region", "State / region"),
    TargetField("postal_code", "Postal code"),
    TargetField("country", "Country"),
    TargetField("external_id", "External id"),
]
DEAL_FIELDS = [
    TargetField("name", "Name"),
    TargetField("pipeline", "Pipeline (by name)"),
    TargetField("stage", "Stage (by name; Closed Won / Closed Lost close the deal)"),
    TargetField("amount", "Amount"),
    TargetField("currency", "Currency"),
    TargetField("close_date", "Expected close date"),
    TargetField("probability", "Probability (%)"),
    TargetField("forecast_category", "Forecast category"),
    TargetField("source", "Source"),
    TargetField("next_step", "Next step"),
    TargetField("lost_reason", "Lost reason (by name)"),
    TargetField("company", "Company (by name)"),
    TargetField("company_domain", "Company (by domain)"),
    TargetField("company_external_id", "Company (by the external id of an account import)"),
    TargetField("owner_email", "Owner (by e-mail)"),
    TargetField("tags", "Tags", multiple=True),
    TargetField("external_id", "External id"),
]
PRODUCT_FIELDS = [
    TargetField("sku", "SKU"),
    TargetField("name", "Name"),
    TargetField("description", "Description"),
    TargetField("price", "Unit price"),
    TargetField("currency", "Price currency"),
    TargetField("tax_rate", "Tax rate (%)"),
    TargetField("active", "Active (yes / no)"),
    TargetField("external_id", "External id"),
]
ACTIVITY_FIELDS = [
    TargetField("kind", "Type (note, call, meeting, e-mail, task)"),
    TargetField("subject", "Subject / task title"),
    TargetField("body", "Notes / description"),
    TargetField("date", "Date (meeting start, task due date)"),
    TargetField("end", "End (meetings)"),
    TargetField("duration", "Call duration (minutes or mm:ss)"),
    TargetField("call_direction", "Call direction"),
    TargetField("call_outcome", "Call outcome"),
    TargetField("location", "Location"),
    TargetField("priority", "Task priority"),
    TargetField("remind_at", "Task reminder"),
    TargetField("assignee_email", "Task assignee (by e-mail)"),
    TargetField("contact_email", "Contact (by e-mail)", multiple=True),
    TargetField("company", "Company (by name)"),
    TargetField("company_domain", "Company (by domain)"),
    TargetField("external_id", "External id"),
]
ORDER_FIELDS = [
    TargetField("external_ref", "External reference (order number elsewhere)"),
    TargetField("ordered_on", "Order date"),
    TargetField("status", "Status (open, invoiced, paid, cancelled)"),
    TargetField("currency", "Currency"),
    TargetField("total", "Order total (when the row has no line)"),
    TargetField("product_sku", "Line: product (by SKU)"),
    TargetField("line_name", "Line: name"),
    TargetField("quantity", "Line: quantity"),
    TargetField("unit_price", "Line: unit price"),
    TargetField("discount_percent", "Line: discount (%)"),
    TargetField("tax_rate", "Line: tax rate (%)"),
    TargetField("amount_paid", "Amount paid"),
    TargetField("notes", "Notes"),
    TargetField("company", "Company (by name)"),
    TargetField("company_domain", "Company (by domain)"),
    TargetField("contact_email", "Contact (by e-mail)"),
    TargetField("owner_email", "Owner (by e-mail)"),
]
TARGETS: dict[str, tuple[str, list[TargetField]]] = {
    "contacts": ("Contacts", CONTACT_FIELDS),
    "companies": ("Companies", COMPANY_FIELDS),
    "deals": ("Deals", DEAL_FIELDS),
    "products": ("Products", PRODUCT_FIELDS),
    "orders": ("Orders", ORDER_FIELDS),
    "activities": ("Activities", ACTIVITY_FIELDS),
}

_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "contacts": {
        "first_name": [
            "first name",
            "firstname",
            "first",
            "given name",
            "givenname",
            "vorname",
            "prénom",
            "prenom",
            "first_name",
            "contact first name",
            "person - first name",
        ],
        "last_name": [
            "last name",
            "lastname",
            "last",
            "family name",
            "surname",
            "nachname",
            "nom",
            "last_name",
            "contact last name",
            "person - last name",
        ],
        "full_name": ["name", "full name", "display name", "displayname", "contact name", "fn", "person - name"],
        "email": [
            "email",
            "e-mail",
            "email address",
            "e-mail address",
            "e-mail 1 - value",
            "email 1 - value",
            "e-mail 2 - value",
            "e-mail 3 - value",
            "primary email",
            "secondary email",
            "e-mail 2 address",
            "e-mail 3 address",
            "emailid",
            "email_work",
            "email_home",
            "email_other",
            "e-mail-adresse",
            "e-mail 2: adresse",
            "e-mail 1",
            "e-mail 2",
            "e-mail 3",
            "work email",
            "home email",
            "emails",
            "section 1 - email",
            "alternate email 1",
            "alternate email 2",
            "person - email",
            "email work",
        ],
        "phone": [
            "phone",
            "phone number",
            "telephone",
            "mobile",
            "mobile phone",
            "business phone",
            "home phone",
            "phone 1 - value",
            "phone 2 - value",
            "phone 3 - value",
            "mobilephone",
            "work phone",
            "phone_work",
            "phone_home",
            "phone_other",
            "cellular number",
            "pager number",
            "fax number",
            "home fax",
            "telefon geschäftlich",
            "mobiltelefon",
            "telefon privat",
            "phone 1",
            "phone 2",
            "phone 3",
            "phone 4",
            "contact_numbers",
            "mobile number",
            "work",
            "home",
            "section 1 - phone",
            "section 1 - mobile",
        ],
        "job_title": [
            "job title",
            "title",
            "jobtitle",
            "position",
            "organization 1 - title",
            "organization title",
            "position",
            "designation",
            "job_title",
            "organization 1 - job title",
        ],
        "company": [
            "company",
            "company name",
            "organization",
            "organisation",
            "organization 1 - name",
            "organization name",
            "firma",
            "account name",
            "account",
            "employer",
            "company_name",
            "associated company",
        ],
        "company_domain": ["company domain", "company domain name", "domain"],
        "birthday": ["birthday", "birth date", "birthdate", "date of birth", "geburtstag", "bday"],
        "lead_source": ["lead source", "leadsource", "source", "original source"],
        "lifecycle_stage": ["lifecycle stage", "lifecyclestage"],
        "lead_status": ["lead status", "hs_lead_status", "status"],
        "owner_email": ["owner email", "contact owner", "owner", "record owner", "assigned to", "assignedto"],
        "tags": ["tags", "categories", "category", "group membership", "labels", "kategorien"],
        "street": [
            "street",
            "address",
            "business street",
            "home street",
            "address 1 - street",
            "mailing street",
            "straße geschäftlich",
            "strasse geschäftlich",
            "street address",
            "billing street",
            "address line 1",
        ],
        "city": [
            "city",
            "business city",
            "home city",
            "address 1 - city",
            "mailing city",
            "ort geschäftlich",
            "billing city",
            "town",
        ],
        "region": [
            "state",
            "region",
            "province",
            "business state",
            "home state",
            "address 1 - region",
            "mailing state",
            "billing state",
            "state/province",
            "county",
        ],
        "postal_code": [
            "zip",
            "zip code",
            "postal code",
            "postcode",
            "business postal code",
            "home postal code",
            "address 1 - postal code",
            "mailing zip",
            "mailingpostalcode",
            "postleitzahl geschäftlich",
            "billing postal code",
            "zipcode",
        ],
        "country": [
            "country",
            "business country",
            "home country",
            "address 1 - country",
            "mailing country",
            "country/region",
            "business country/region",
            "home country/region",
            "land geschäftlich",
            "billing country",
        ],
        "external_id": ["id", "record id", "contact id", "external id", "uid", "customer id", "nameid"],
    },
    "companies": {
        "name": [
            "name",
            "company",
            "company name",
            "account name",
            "organization",
            "organisation",
            "firma",
            "display name",
        ],
        "domain": ["domain", "company domain name", "website domain", "primary domain"],
        "website": ["website", "web site", "url", "homepage", "web page", "webpage"],
        "phone": ["phone", "phone number", "telephone", "business phone", "main phone"],
        "industry": ["industry", "branche"],
        "annual_revenue": ["annual revenue", "annualrevenue", "revenue"],
        "revenue_currency": ["currency", "currency code", "currencyisocode", "revenue currency"],
        "description": ["description", "about", "notes", "about us"],
        "lifecycle_stage": ["lifecycle stage", "lifecyclestage", "type"],
        "owner_email": ["owner email", "company owner", "owner", "record owner", "account owner"],
        "tags": ["tags", "categories", "labels"],
        "street": ["street", "address", "billing street", "billingstreet", "shipping street", "address line 1"],
        "city": ["city", "billing city", "billingcity", "shipping city"],
        "region": ["state", "region", "province", "billing state", "billingstate", "state/province"],
        "postal_code": ["zip", "zip code", "postal code", "postcode", "billing postal code", "billingpostalcode"],
        "country": ["country", "billing country", "billingcountry", "country/region"],
        "external_id": ["id", "record id", "account id", "external id", "customer id"],
    },
    "deals": {
        "name": ["opportunity name", "deal name", "name", "deal", "opportunity", "title", "deal title", "dealname"],
        "pipeline": ["pipeline", "deal pipeline", "sales pipeline"],
        "stage": ["stage", "deal stage", "stagename", "stage name", "dealstage", "sales stage", "status"],
        "amount": ["amount", "deal amount", "value", "deal value", "opportunity amount", "deal value amount"],
        "currency": ["currency", "currencyisocode", "opportunity currency", "amount currency", "deal currency"],
        "close_date": ["close date", "closedate", "expected close date", "expected close", "closing date"],
        "probability": ["probability", "probability (%)", "deal probability", "win probability"],
        "forecast_category": ["forecast category", "forecastcategory", "forecastcategoryname"],
        "source": ["lead source", "leadsource", "source", "deal source", "original source"],
        "next_step": ["next step", "nextstep"],
        "lost_reason": ["lost reason", "closed lost reason", "loss reason"],
        "company": ["account name", "company", "company name", "organization", "associated company", "account"],
        "company_domain": ["company domain", "company domain name", "website"],
        "company_external_id": ["accountid", "account id", "company id", "associated company id"],
        "owner_email": ["owner email", "deal owner", "opportunity owner", "owner", "deal owner email"],
        "tags": ["tags", "labels"],
        "external_id": ["id", "opportunity id", "deal id", "record id", "external id", "opportunityid"],
    },
    "products": {
        "sku": ["sku", "product code", "productcode", "item code", "article number", "artikelnummer", "part number"],
        "name": ["name", "product name", "product", "item", "item name", "title", "bezeichnung"],
        "description": ["description", "product description", "beschreibung"],
        "price": ["price", "unit price", "unitprice", "list price", "listprice", "sales price", "rate"],
        "currency": ["currency", "currencyisocode", "price currency"],
        "tax_rate": ["tax", "tax rate", "tax %", "vat", "vat rate", "tax percent"],
        "active": ["active", "isactive", "is active", "status"],
        "external_id": ["id", "product id", "record id", "external id", "product2id"],
    },
    "activities": {
        "kind": ["type", "activity type", "engagement type", "tasksubtype", "task subtype", "activity"],
        "subject": ["subject", "title", "task title", "call title", "meeting name", "betreff"],
        "body": ["notes", "note", "body", "description", "comments", "note body", "call notes", "meeting notes"],
        "date": ["date", "activity date", "activitydate", "due date", "start", "start time", "start date"],
        "end": ["end", "end time", "end date"],
        "duration": ["duration", "call duration", "calldurationinseconds", "duration (minutes)"],
        "call_direction": ["call direction", "direction", "calltype", "call type"],
        "call_outcome": ["call outcome", "outcome", "calldisposition", "call result"],
        "location": ["location", "meeting location", "ort"],
        "priority": ["priority", "task priority"],
        "remind_at": ["reminder", "reminder date", "remind at", "reminderdatetime"],
        "assignee_email": ["assigned to", "assignee", "assigned to email", "task owner"],
        "contact_email": ["email", "e-mail", "contact email", "associated contact email", "contact e-mail"],
        "company": ["company", "company name", "account name", "associated company", "account"],
        "company_domain": ["company domain", "domain", "website"],
        "external_id": ["id", "activity id", "engagement id", "record id", "external id", "task id"],
    },
    "orders": {
        "external_ref": ["order number", "order no", "order id", "ordernumber", "order", "reference", "external ref"],
        "ordered_on": ["order date", "orderdate", "date", "ordered on", "effectivedate", "created"],
        "status": ["status", "order status", "financial status"],
        "currency": ["currency", "currencyisocode"],
        "total": ["total", "order total", "totalamount", "total amount", "grand total", "amount"],
        "product_sku": ["sku", "product code", "productcode", "item sku", "lineitem sku", "product sku"],
        "line_name": ["product", "product name", "item", "item name", "lineitem name", "line name"],
        "quantity": ["quantity", "qty", "lineitem quantity", "menge"],
        "unit_price": ["unit price", "unitprice", "price", "lineitem price", "item price"],
        "discount_percent": ["discount", "discount %", "discount percent"],
        "tax_rate": ["tax rate", "tax %", "vat rate"],
        "amount_paid": ["amount paid", "paid", "paid amount"],
        "notes": ["notes", "note", "description", "comments"],
        "company": ["company", "company name", "account name", "customer", "billing company"],
        "company_domain": ["company domain", "domain", "website"],
        "contact_email": ["email", "e-mail", "customer email", "contact email", "billing email"],
        "owner_email": ["owner", "owner email", "sales rep", "order owner"],
    },
}


def field_choices(target: str) -> list[tuple[str, str]]:
    """(value, label) pairs for one column's mapping select, custom fields included."""
    from rapport.imports.targets import custom_field_choices

    fields = TARGETS[target][1]
    return [(IGNORE, "Do not import"), *[(f.key, f.label) for f in fields], *custom_field_choices(target)]


def suggest(target: str, headers: list[str]) -> dict[str, str]:
    """A mapping {header: field key} from the header names; unknown headers map to nothing."""
    from rapport.imports.targets import custom_field_choices

    synonyms = {k: {_norm(s) for s in v} for k, v in _SYNONYMS[target].items()}
    multiple = {f.key for f in TARGETS[target][1] if f.multiple}
    customs = {_norm(label.split(" (")[0]): key for key, label in custom_field_choices(target)}
    customs.update({_norm(key.removeprefix("custom:")): key for key, _ in custom_field_choices(target)})
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = _norm(header)
        choice = IGNORE
        if key:
            for field_key, names in synonyms.items():
                if key in names and (field_key in multiple or field_key not in used):
                    choice = field_key
                    break
            if choice == IGNORE and key in customs and customs[key] not in used:
                choice = customs[key]
        if choice:
            used.add(choice)
        mapping[header] = choice
    return mapping


# Header names (normalised) that only a deal / opportunity list has. A stage column alone is not
# enough (a ticket or order list has one too); with an amount, a close date, a probability… it is.
_DEAL_STAGE = {"stage", "stagename", "dealstage", "salesstage", "opportunitystage"}
_DEAL_OTHER = {
    "opportunityname",
    "dealname",
    "amount",
    "dealamount",
    "opportunityamount",
    "dealvalue",
    "closedate",
    "expectedclosedate",
    "probability",
    "forecastcategory",
    "forecastcategoryname",
    "expectedrevenue",
    "iswon",
    "isclosed",
    "pipeline",
    "dealpipeline",
    "opportunityid",
    "dealid",
    "dealowner",
    "opportunityowner",
}
_PERSON = {"firstname", "lastname", "givenname", "familyname", "vorname", "nachname", "first", "last"}
_COMPANY = {"accountname", "billingstreet", "annualrevenue", "industry", "numberofemployees", "website"}


def guess_target(headers: list[str]) -> str:
    """The record type a file most likely holds, from its header names.

    Contacts when there is a first or last name column (a contact export may also carry deal
    columns, such as X2CRM's ``closedate`` / ``dealvalue``); deals when there is a stage column and
    at least two other opportunity columns (Salesforce Data Loader ``STAGENAME``, ``AMOUNT``,
    ``CLOSEDATE``; HubSpot ``Deal Stage``, ``Amount``, ``Close Date``); companies when at least two
    account columns; contacts otherwise. The person can always change it on the mapping page.
    """
    normed = {_norm(h) for h in headers}
    if normed & _PERSON:
        return "contacts"
    if normed & _DEAL_STAGE and len(normed & _DEAL_OTHER) >= 2:
        return "deals"
    if len(normed & _COMPANY) >= 2:
        return "companies"
    return "contacts"
