"""Word lists for the data generator: people, places and companies from several countries.

Each country has first names, last names, cities (with region and a postal-code pattern), a
street word, its calling code, a national number pattern for phones and a currency. Phones are
made in the reserved fictional ranges where a country has one (US/CA 555-01xx), otherwise in
valid-looking mobile ranges.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    weight: int
    first: tuple[str, ...]
    last: tuple[str, ...]
    cities: tuple[tuple[str, str, str], ...]  # (city, region, postal pattern: 9 = digit, A = letter)
    street: str  # "{n} {name} Street" style, "{name}" is a last name
    calling: str
    national: str  # digits pattern of the national number, 9 = random digit
    currency: str
    tld: str


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        40,
        _w(
            "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
            "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark "
            "Ashley Steven Emily Andrew Kimberly Joshua Michelle Kevin Amanda Brian Melissa Ryan Stephanie"
        ),
        _w(
            "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Wilson "
            "Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker "
            "Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts"
        ),
        (
            ("New York", "NY", "100"),
            ("Austin", "TX", "787"),
            ("Chicago", "IL", "606"),
            ("San Francisco", "CA", "941"),
            ("Seattle", "WA", "981"),
            ("Boston", "MA", "021"),
            ("Denver", "CO", "802"),
            ("Atlanta", "GA", "303"),
        ),
        "{n} {name} Street",
        "1",
        "{area}55501{xx}",
        "USD",
        "com",
    ),
    Country(
        "GB",
        12,
        _w("Oliver George Harry Jack Charlie Amelia Olivia Isla Ava Emily Sophie Grace Lily Freya Alfie Poppy"),
        _w("Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker Hughes"),
        (("London", "England", "EC1A"), ("Manchester", "England", "M1"), ("Edinburgh", "Scotland", "EH1")),
        "{n} {name} Road",
        "44",
        "7700900{xxx}",
        "GBP",
        "co.uk",
    ),
    Country(
        "DE",
        10,
        _w("Lukas Leon Finn Paul Jonas Maximilian Mia Emma Hannah Sofia Anna Lea Marie Lena Jürgen Ulrike"),
        _w("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter"),
        (("Berlin", "Berlin", "10115"), ("München", "Bayern", "80331"), ("Hamburg", "Hamburg", "20095")),
        "{name}straße {n}",
        "49",
        "15199{xxxxx}",
        "EUR",
        "de",
    ),
    Country(
        "FR",
        10,
        _w("Gabriel Léo Raphaël Louis Arthur Jules Emma Jade Louise Alice Chloé Inès Léa Manon Hélène Aurélie"),
        _w("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel"),
        (("Paris", "Île-de-France", "75001"), ("Lyon", "Auvergne-Rhône-Alpes", "69001"), ("Nantes", "Pays", "44000")),
        "{n} rue {name}",
        "33",
        "6{xxxxxxxx}",
        "EUR",
        "fr",
    ),
    Country(
        "ES",
        6,
        _w("Hugo Martín Lucas Mateo Pablo Lucía Sofía Martina María Julia Paula José Begoña Íñigo"),
        _w("García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Núñez"),
        (("Madrid", "Madrid", "28001"), ("Barcelona", "Cataluña", "08001"), ("Sevilla", "Andalucía", "41001")),
        "Calle {name} {n}",
        "34",
        "6{xxxxxxxx}",
        "EUR",
        "es",
    ),
    Country(
        "IN",
        8,
        _w("Aarav Vivaan Aditya Vihaan Arjun Sai Ananya Diya Aadhya Saanvi Priya Kavya Rohan Neha"),
        _w("Sharma Verma Gupta Patel Singh Kumar Reddy Iyer Nair Mehta Joshi Rao Das Chopra"),
        (("Bengaluru", "Karnataka", "5600"), ("Mumbai", "Maharashtra", "4000"), ("Pune", "Maharashtra", "4110")),
        "{n} {name} Marg",
        "91",
        "98{xxxxxxxx}",
        "INR",
        "in",
    ),
    Country(
        "JP",
        5,
        _w("Haruto Yuto Sota Yuki Hina Yui Sakura Aoi Ren Riku Mei Akari"),
        _w("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada"),
        (("Tokyo", "Tokyo", "100"), ("Osaka", "Osaka", "530"), ("Kyoto", "Kyoto", "600")),
        "{n}-{n2} {name}-cho",
        "81",
        "90{xxxxxxxx}",
        "JPY",
        "jp",
    ),
    Country(
        "BR",
        5,
        _w("Miguel Arthur Heitor Helena Alice Laura Valentina João Gabriel Beatriz Luísa Conceição"),
        _w("Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Araújo"),
        (("São Paulo", "SP", "01000"), ("Rio de Janeiro", "RJ", "20000"), ("Curitiba", "PR", "80000")),
        "Rua {name}, {n}",
        "55",
        "119{xxxxxxxx}",
        "BRL",
        "com.br",
    ),
    Country(
        "CA",
        4,
        _w("Liam Noah William Olivia Emma Charlotte Benjamin Lucas Chloé Élodie Mathis Léa"),
        _w("Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Smith Brown Wilson MacDonald Campbell"),
        (("Toronto", "ON", "M5H"), ("Montréal", "QC", "H2Y"), ("Vancouver", "BC", "V6B")),
        "{n} {name} Avenue",
        "1",
        "{area}55501{xx}",
        "CAD",
        "ca",
    ),
)

US_AREAS = ("212", "512", "312", "415", "206", "617", "303", "404", "646", "737")
CA_AREAS = ("416", "514", "604", "613")

COMPANY_WORDS = _w(
    "Northwind Contoso Fabrikam Globex Initech Umbrella Vandelay Wayne Stark Tyrell Soylent Hooli Acme "
    "Aperture Cyberdyne Wonka Oceanic Monarch Vertex Summit Harbor Meridian Pioneer Atlas Beacon Cascade "
    "Evergreen Falcon Granite Horizon Ironwood Juniper Keystone Lighthouse Maple Nimbus Orchard Polaris "
    "Quarry Redwood Sterling Tidewater Union Valley Willow Zenith Bluebird Copper Driftwood Ember Fjord"
)
COMPANY_SUFFIX = {
    "US": ("Inc.", "LLC", "Corp.", "Group"),
    "CA": ("Inc.", "Ltd."),
    "GB": ("Ltd", "PLC", "Group"),
    "DE": ("GmbH", "AG", "KG"),
    "FR": ("SA", "SAS", "SARL"),
    "ES": ("S.L.", "S.A."),
    "IN": ("Pvt Ltd", "Ltd"),
    "JP": ("K.K.", "Co., Ltd."),
    "BR": ("Ltda.", "S.A."),
}
COMPANY_KIND = _w("Logistics Software Analytics Foods Energy Health Labs Capital Media Robotics Retail Studio Systems")
JOB_TITLES = (
    "Chief Executive Officer",
    "CFO",
    "VP Sales",
    "Head of Marketing",
    "Procurement Manager",
    "IT Director",
    "Operations Manager",
    "Account Manager",
    "Software Engineer",
    "Office Manager",
    "Product Manager",
    "Purchasing Agent",
    "Founder",
    "Data Analyst",
    "HR Business Partner",
    "",
)
ACTIVITY_SUBJECTS = (
    "Intro call",
    "Follow-up on proposal",
    "Quarterly business review",
    "Demo of the new release",
    "Pricing question",
    "Contract renewal",
    "Onboarding kickoff",
    "Support escalation",
    "Lunch meeting",
    "Sent case study",
    "Check-in",
    "Security questionnaire",
)
NOTE_BODIES = (
    "Discussed budget for next year; they want a phased rollout.",
    "Decision maker is the CFO; legal review takes about two weeks.",
    "Asked for references in their industry.",
    "Happy with support response times, wants training for new hires.",
    "Competitor is offering a discount; we should stress integration quality.",
    "Left a voicemail, will try again Thursday.",
)
DEAL_WORDS = _w("Expansion Renewal Pilot Upgrade Rollout Migration Licence Seats Platform Integration Support")
