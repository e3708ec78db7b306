"""Demo companies and contacts for `make run` (seeded random: the same data every time)."""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from rapport.contacts import related_services, services
from rapport.contacts.models import Company, LeadSource, LeadStatus, LifecycleStage, RelationshipKind
from rapport.core.models import Workspace
from rapport.core.permissions import actor_for

COMPANIES = [
    # name, domain, industry, size, country, city, phone prefix
    ("Northwind Traders", "northwind.example", "wholesale", "201-500", "US", "Seattle", "+1 206 555 01"),
    ("Contoso Pharmaceuticals", "contoso.example", "healthcare", "5001-10000", "US", "Boston", "+1 617 555 01"),
    ("Fabrikam Robotics", "fabrikam.example", "manufacturing", "1001-5000", "DE", "Stuttgart", "+49 711 555 0"),
    ("Tailspin Toys", "tailspin.example", "retail", "51-200", "GB", "Leeds", "+44 113 496 0"),
    ("Wide World Importers", "wideworld.example", "logistics", "501-1000", "NL", "Rotterdam", "+31 10 555 0"),
    ("Adventure Works Cycles", "adventureworks.example", "manufacturing", "201-500", "US", "Denver", "+1 303 555 01"),
    ("Blue Yonder Airlines", "blueyonder.example", "hospitality", "10001+", "FR", "Toulouse", "+33 5 61 55 "),
    ("Coho Winery", "cohowinery.example", "food", "11-50", "FR", "Bordeaux", "+33 5 56 55 "),
    ("Litware Software", "litware.example", "software", "51-200", "US", "Austin", "+1 512 555 01"),
    ("Proseware Labs", "proseware.example", "software", "11-50", "CA", "Toronto", "+1 416 555 01"),
    ("Lucerne Publishing", "lucerne.example", "media", "201-500", "CH", "Lucerne", "+41 41 555 "),
    ("Margie's Travel", "margiestravel.example", "hospitality", "11-50", "ES", "Sevilla", "+34 954 55 "),
    ("Trey Research", "treyresearch.example", "consulting", "51-200", "GB", "Cambridge", "+44 1223 496 "),
    ("Woodgrove Bank", "woodgrove.example", "finance", "5001-10000", "US", "New York", "+1 212 555 01"),
    ("Alpine Ski House", "alpineski.example", "hospitality", "11-50", "AT", "Innsbruck", "+43 512 555 "),
    ("Graphic Design Institute", "gdi.example", "education", "51-200", "IT", "Milano", "+39 02 5555 "),
    ("Humongous Insurance", "humongous.example", "insurance", "1001-5000", "US", "Hartford", "+1 860 555 01"),
    ("Fourth Coffee", "fourthcoffee.example", "food", "201-500", "BR", "São Paulo", "+55 11 5555 "),
    ("School of Fine Art", "finearts.example", "education", "51-200", "PT", "Porto", "+351 22 555 "),
    ("Southridge Video", "southridge.example", "media", "11-50", "AU", "Melbourne", "+61 3 5555 "),
    ("VanArsdel Ltd", "vanarsdel.example", "retail", "501-1000", "IE", "Dublin", "+353 1 555 "),
    ("Relecloud", "relecloud.example", "it_services", "1001-5000", "IN", "Bengaluru", "+91 80 5555 "),
    ("Nod Publishers", "nodpublishers.example", "media", "1-10", "SE", "Malmö", "+46 40 555 "),
    ("Tokyo Precision Works", "tokyoprecision.example", "manufacturing", "501-1000", "JP", "Tokyo", "+81 3 5555 "),
    ("Sakura Logistics", "sakura-logistics.example", "logistics", "201-500", "JP", "Osaka", "+81 6 5555 "),
    ("Kiwi Energy", "kiwienergy.example", "energy", "51-200", "NZ", "Wellington", "+64 4 555 "),
    ("Lagos Fintech", "lagosfintech.example", "finance", "11-50", "NG", "Lagos", "+234 1 555 "),
    ("Andes Agro", "andesagro.example", "agriculture", "201-500", "CL", "Santiago", "+56 2 2555 "),
    ("Nordlys Telecom", "nordlys.example", "telecom", "1001-5000", "NO", "Oslo", "+47 22 55 "),
    ("Kraków Build", "krakowbuild.example", "construction", "201-500", "PL", "Kraków", "+48 12 555 "),
    ("Helsinki Health", "hkihealth.example", "healthcare", "51-200", "FI", "Helsinki", "+358 9 555 "),
    ("Cape Real Estate", "capere.example", "real_estate", "11-50", "ZA", "Cape Town", "+27 21 555 "),
    ("Seoul Semis", "seoulsemis.example", "manufacturing", "5001-10000", "KR", "Seoul", "+82 2 555 "),
    ("Mumbai Legal", "mumbailegal.example", "legal", "11-50", "IN", "Mumbai", "+91 22 5555 "),
    ("Dubai Trade Hub", "dubaitrade.example", "wholesale", "51-200", "AE", "Dubai", "+971 4 555 "),
    ("Prague Analytics", "pragueanalytics.example", "software", "11-50", "CZ", "Praha", "+420 2 555 "),
    ("Green Fields Trust", "greenfields.example", "nonprofit", "1-10", "US", "Portland", "+1 503 555 01"),
    ("Fabrikam Robotics France", "fabrikam-fr.example", "manufacturing", "51-200", "FR", "Lyon", "+33 4 72 55 "),
    ("Woodgrove Bank Europe", "woodgrove-eu.example", "finance", "501-1000", "LU", "Luxembourg", "+352 55 5 "),
    ("Contoso Research", "contoso-research.example", "healthcare", "201-500", "US", "Cambridge", "+1 617 555 02"),
]
SUBSIDIARIES = {
    "Fabrikam Robotics France": "Fabrikam Robotics",
    "Woodgrove Bank Europe": "Woodgrove Bank",
    "Contoso Research": "Contoso Pharmaceuticals",
}
FIRST = {
    "US": ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "Ashley", "Tyler"],
    "GB": ["Oliver", "Amelia", "Harry", "Isla", "George", "Ava"],
    "FR": ["Camille", "Louis", "Chloé", "Hugo", "Léa", "Mathis"],
    "DE": ["Lukas", "Mia", "Leon", "Hannah", "Felix", "Lena"],
    "ES": ["Lucía", "Hugo", "Martina", "Pablo"],
    "JP": ["Haruto", "Yui", "Sota", "Hina"],
    "IN": ["Aarav", "Ananya", "Vihaan", "Diya"],
    "BR": ["Miguel", "Helena", "Arthur", "Laura"],
    "NG": ["Chinedu", "Ngozi", "Tunde", "Amaka"],
    "KR": ["Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun"],
    "other": ["Noah", "Emma", "Elias", "Sofia", "Matteo", "Nora", "Jan", "Eva"],
}
LAST = {
    "US": ["Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller"],
    "GB": ["Taylor", "Davies", "Evans", "Wilson", "Thomas"],
    "FR": ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau"],
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber"],
    "ES": ["García", "Fernández", "López", "Martínez"],
    "JP": ["Sato", "Suzuki", "Takahashi", "Tanaka"],
    "IN": ["Sharma", "Patel", "Iyer", "Reddy"],
    "BR": ["Silva", "Santos", "Oliveira", "Souza"],
    "NG": ["Okafor", "Adeyemi", "Eze", "Bello"],
    "KR": ["Kim", "Lee", "Park", "Choi"],
    "other": ["Novak", "Jensen", "Rossi", "Nieminen", "Kowalski", "Horvat", "de Vries", "Svensson"],
}
TITLES = [
    "CEO",
    "CFO",
    "CTO",
    "Head of Sales",
    "Procurement Manager",
    "Engineer",
    "Office Manager",
    "Marketing Director",
    "Account Manager",
    "Operations Lead",
    "Buyer",
    "Analyst",
]
TAGS = ["VIP", "Newsletter", "Trade fair 2026", "Partner", "Churn risk", "Decision maker"]


def _phone(prefix: str, rng: random.Random) -> str:
    """The prefix plus random digits, as many as make a possible number of that country."""
    import phonenumbers

    number = prefix
    for _ in range(8):
        number += str(rng.randint(0, 9))
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed) or (
            phonenumbers.is_possible_number(parsed) and len(number.replace(" ", "")) >= 11
        ):
            return number
    return number


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()).lower()


def load_demo(workspace: Workspace) -> str:
    """Create the demo companies and contacts once (skipped when the first demo company exists)."""
    if Company.all_objects.filter(workspace=workspace, name=COMPANIES[0][0]).exists():
        return "contacts: demo companies and contacts already there"
    rng = random.Random(20260101)  # noqa: S311 - demo data, not security
    users = list(
        get_user_model()
        .objects.filter(
            memberships__workspace=workspace,
            memberships__role__in=["owner", "admin", "manager", "sales", "support", "marketing"],
        )
        .order_by("email")
    )
    owner_actor = actor_for(users[0], workspace)
    companies: dict[str, Company] = {}
    for name, domain, industry, size, country, city, phone in COMPANIES:
        companies[name] = services.company_create(
            actor=owner_actor,
            data={
                "name": name,
                "industry": industry,
                "size": size,
                "phone": _phone(phone, rng),
                "website": f"https://www.{domain}",
                "annual_revenue": rng.choice([None, 250_000, 1_200_000, 8_500_000, 42_000_000]),
                "revenue_currency": "USD",
                "lifecycle_stage": rng.choice(LifecycleStage.values),
                "owner": rng.choice(users).pk,
                "parent": None,
            },
            domains=[domain],
            addresses=[{"label": "headquarters", "city": city, "country": country}],
            tags=rng.sample(TAGS[:4], k=rng.randint(0, 2)),
        )
    for child, parent in SUBSIDIARIES.items():
        services.company_update(actor=owner_actor, company=companies[child], data={"parent": companies[parent]})
    contacts = []
    for index in range(200):
        name, domain, _industry, _size, country, city, phone = COMPANIES[index % len(COMPANIES)]
        key = country if country in FIRST else "other"
        first, last = rng.choice(FIRST[key]), rng.choice(LAST[key])
        contacts.append(
            services.contact_create(
                actor=owner_actor,
                data={
                    "first_name": first,
                    "last_name": last,
                    "job_title": rng.choice(TITLES),
                    "company": companies[name],
                    "lifecycle_stage": rng.choice(LifecycleStage.values),
                    "lead_status": rng.choice(["", *LeadStatus.values]),
                    "lead_source": rng.choice(LeadSource.values),
                    "owner": rng.choice(users).pk,
                },
                emails=[f"{_ascii(first)}.{_ascii(last)}{index}@{domain}"],
                phones=[_phone(phone, rng)],
                addresses=[{"label": "office", "city": city, "country": country}],
                tags=rng.sample(TAGS, k=rng.choice([0, 0, 1, 2])),
            )
        )
    for index in range(0, 200, 5):
        boss, report = contacts[index], contacts[index + 1]
        related_services.relationship_add(
            actor=owner_actor, from_contact=report, to_contact=boss, kind=RelationshipKind.REPORTS_TO
        )
        related_services.contact_role_add(actor=owner_actor, contact=boss, company=boss.company, role="decision_maker")
        related_services.contact_record_consent(
            actor=owner_actor, contact=boss, status=rng.choice(["opted_in", "opted_out"]), source="Web form"
        )
    return f"contacts: {len(companies)} companies and {len(contacts)} contacts"
