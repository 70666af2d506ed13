"""The demo club, built by ``manage.py seed_demo``.

Each app contributes its part through a ``seed_*`` function below, in dependency
order. Every step looks rows up by a natural key before creating them, so running the
seed again changes nothing. Random choices use a fixed seed: the club is the same on
every machine.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import Page, Site

from campaigns.demo import seed_campaigns
from cms.demo import seed_content
from cms.models import HomePage
from core.models import Branding
from groups.models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember, PointsMode
from insights import snapshots
from insights.models import SummaryState
from members.models import Company, Country, Membership, MembershipRole, User
from members.staff_groups import CLUB_ADMINS, MARKETING, SALES_REPS
from members.validators import _luhn_ok
from messaging.demo import seed_messages
from reps.demo import seed_workspace
from rewards.demo import history_start, seed_points
from rewards.demo_story import story_for

from .demo_notifications import seed_notifications

DEMO_PASSWORD = "club-demo-2026"
RANDOM_SEED = 20261123

SWEDISH_COMPANIES = [
    ("Bergström Bygg AB", "Göteborg"),
    ("Norrlands Verktyg AB", "Umeå"),
    ("Lindqvist El & Data AB", "Stockholm"),
    ("Sjöberg VVS AB", "Malmö"),
    ("Hallands Fastighetsservice AB", "Halmstad"),
    ("Dalarna Snickeri AB", "Falun"),
    ("Mälardalens Måleri AB", "Västerås"),
    ("Kustens Marinservice AB", "Karlskrona"),
    ("Uppsala Installation AB", "Uppsala"),
    ("Skånska Plattsättarna AB", "Lund"),
    ("Värmlands Tak AB", "Karlstad"),
    ("Jämtlands Entreprenad AB", "Östersund"),
    ("Östgöta Ventilation AB", "Linköping"),
    ("Gotlands Bygghandel AB", "Visby"),
    ("Smålands Industriservice AB", "Växjö"),
    ("Norrköpings Mark & Anläggning AB", "Norrköping"),
    ("Gävle Kyl & Värme AB", "Gävle"),
    ("Sundsvalls Montage AB", "Sundsvall"),
    ("Örebro Fasad AB", "Örebro"),
    ("Jönköpings Golv AB", "Jönköping"),
    ("Blekinge Elteknik AB", "Ronneby"),
    ("Borås Lokalvård AB", "Borås"),
    ("Kalmar Glas & Metall AB", "Kalmar"),
    ("Luleå Rörteknik AB", "Luleå"),
]
DUTCH_COMPANIES = [
    ("Van Dijk Installatietechniek B.V.", "Utrecht"),
    ("De Vries Bouw B.V.", "Amsterdam"),
    ("Bakker Elektro B.V.", "Rotterdam"),
    ("Jansen Dakwerken B.V.", "Eindhoven"),
    ("Visser Klimaattechniek B.V.", "Groningen"),
    ("Smit Schilders B.V.", "Haarlem"),
    ("Mulder Tegelwerken B.V.", "Tilburg"),
    ("Meijer Facilitair B.V.", "Den Haag"),
    ("Bos Timmerwerken B.V.", "Arnhem"),
    ("Peters Loodgieters B.V.", "Nijmegen"),
    ("Hendriks Metaal B.V.", "Breda"),
    ("Dekker Onderhoud B.V.", "Zwolle"),
    ("Willems Grondwerk B.V.", "Maastricht"),
    ("Kok Isolatie B.V.", "Leiden"),
    ("Vermeulen Glas B.V.", "Delft"),
    ("Brouwer Vloeren B.V.", "Amersfoort"),
]
# Companies that joined in the last year (ERP-1040 to ERP-1045): their first orders make the
# Insights cohorts (``rewards.demo_story``: when each joined and how it buys since).
NEWCOMERS = [
    ("Kungsbacka Byggtjänst AB", "Kungsbacka", Country.SWEDEN),
    ("Vänerns Elservice AB", "Lidköping", Country.SWEDEN),
    ("Piteå Husbyggen AB", "Piteå", Country.SWEDEN),
    ("Hudiksvalls Rör AB", "Hudiksvall", Country.SWEDEN),
    ("Van Leeuwen Installaties B.V.", "Apeldoorn", Country.NETHERLANDS),
    ("Schouten Bouwmaterialen B.V.", "Alkmaar", Country.NETHERLANDS),
]
FIRST_NAMES_SE = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Anders",
    "Emma",
    "Per",
    "Lena",
    "Mikael",
    "Sofia",
    "Nils",
    "Ida",
]
LAST_NAMES_SE = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
]
FIRST_NAMES_NL = ["Daan", "Sanne", "Lotte", "Bram", "Eva", "Thijs", "Femke", "Ruben", "Anouk", "Joris", "Iris", "Stijn"]
LAST_NAMES_NL = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
]

STAFF = [
    ("rep.anna@club.example", "Anna", "Sälj", SALES_REPS),
    ("rep.johan@club.example", "Johan", "Ek", SALES_REPS),
    ("rep.sanne@club.example", "Sanne", "de Wit", SALES_REPS),
    ("marketing@club.example", "Mia", "Marknad", MARKETING),
    # A second Marketing login: a page submitted by one is approved by the other (nobody
    # approves their own submission: cms.models.SecondPersonApprovalTask).
    ("marketing.lars@club.example", "Lars", "Lind", MARKETING),
    ("admin@club.example", "Ola", "Admin", CLUB_ADMINS),
]


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def count(self, what: str, created: bool) -> None:
        self.created[what] = self.created.get(what, 0) + int(created)

    def report_lines(self) -> list[str]:
        if not any(self.created.values()):
            return ["Demo data already in place; nothing changed."]
        return [f"Created {number} {what}." for what, number in self.created.items() if number]


@functools.cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _swedish_org_number(rng: random.Random) -> str:
    while True:
        digits = "55" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if _luhn_ok(digits):
            return f"{digits[:6]}-{digits[6:]}"


def _user(
    email: str, first_name: str, last_name: str, *, is_staff: bool = False, summary: SeedSummary, language: str = ""
) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first_name, "last_name": last_name, "is_staff": is_staff, "language": language},
    )
    if created:
        # Hash once per run: 125 separate PBKDF2 hashes would take most of a minute.
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    summary.count("users", created)
    return user


def seed_staff(summary: SeedSummary) -> dict[str, list[User]]:
    staff: dict[str, list[User]] = {}
    for email, first, last, group_name in STAFF:
        user = _user(email, first, last, is_staff=True, summary=summary)
        user.groups.add(Group.objects.get(name=group_name))
        staff.setdefault(group_name, []).append(user)
        summary.logins.append((f"{group_name} (staff, sets up MFA)", email))
    return staff


def seed_companies(summary: SeedSummary, reps: list[User], *, now: datetime | None = None) -> list[Company]:
    """The demo's member companies: the first ones joined when the demo's history starts
    (``rewards.demo.history_start``), the newcomers in the month their story starts; so the
    Insights figures of past periods count them as members from then on."""
    now = now or timezone.now()
    rng = random.Random(RANDOM_SEED)
    companies = []
    rows = (
        [(name, city, Country.SWEDEN) for name, city in SWEDISH_COMPANIES]
        + [(name, city, Country.NETHERLANDS) for name, city in DUTCH_COMPANIES]
        + NEWCOMERS
    )
    for index, (name, city, country) in enumerate(rows):
        external_id = f"ERP-{1000 + index}"
        story = story_for(external_id)
        joined = story.joined_at(now) if story and story.newcomer else history_start(now)
        org_number = _swedish_org_number(rng) if country == Country.SWEDEN else f"{rng.randint(10_000_000, 99_999_999)}"
        company, created = Company.objects.get_or_create(
            external_id=external_id,
            defaults={
                "created_at": joined,
                "name": name,
                "country": country,
                "org_number": org_number,
                "street_address": f"{'Industrigatan' if country == Country.SWEDEN else 'Industrieweg'} {rng.randint(1, 120)}",
                "postal_code": f"{rng.randint(100, 999)} {rng.randint(10, 99)}"
                if country == Country.SWEDEN
                else f"{rng.randint(1000, 9999)} AB",
                "city": city,
                "sales_rep": reps[index % len(reps)],
            },
        )
        summary.count("companies", created)
        companies.append(company)
    return companies


# The demo's readers in each language. Bergström's contacts (whose logins `make run` prints
# and the browser tests use) chose English in their profile; everyone else left the profile
# empty, so their company's country decides: Swedish for Swedish companies, Dutch for Dutch
# ones (``members.languages``). One Swedish and one Dutch purchaser are printed too.
SWEDISH_READER = "purchaser@norrlandsverktyg.example"
DUTCH_READER = "purchaser@vandijk.example"


def seed_contacts(summary: SeedSummary, companies: list[Company]) -> None:
    rng = random.Random(RANDOM_SEED + 1)
    first_dutch = next((index for index, company in enumerate(companies) if company.country != Country.SWEDEN), None)
    for index, company in enumerate(companies):
        swedish = company.country == Country.SWEDEN
        firsts, lasts = (FIRST_NAMES_SE, LAST_NAMES_SE) if swedish else (FIRST_NAMES_NL, LAST_NAMES_NL)
        roles = [MembershipRole.ADMIN, MembershipRole.PURCHASER, MembershipRole.VIEWER]
        for slot, role in enumerate(roles):
            first, last = rng.choice(firsts), rng.choice(lasts)
            email = f"{role}@{company.external_id.lower()}.example"
            language = "sv" if swedish and slot == 2 else ""
            if index == 0:  # the company whose logins `make run` prints
                email = {
                    "admin": "admin@bergstrom.example",
                    "purchaser": "purchaser@bergstrom.example",
                    "viewer": "viewer@bergstrom.example",
                }[role]
                language = "en"
            reader = role == MembershipRole.PURCHASER and index in (1, first_dutch)
            if reader:
                email = SWEDISH_READER if index == 1 else DUTCH_READER
            user = _user(email, first, last, summary=summary, language=language)
            _, created = Membership.objects.get_or_create(user=user, defaults={"company": company, "role": role})
            summary.count("memberships", created)
            if index == 0:
                summary.logins.append((f"{role.label} at {company.name} (reads English)", email))
            elif reader:
                reads = "reads Swedish" if swedish else "reads Dutch, buys in EUR"
                summary.logins.append((f"{role.label} at {company.name} ({reads})", email))


DEMO_GROUP = "Bergström Group"


def seed_group(summary: SeedSummary, companies: list[Company]) -> None:
    """Bergström and two other Swedish builders form a company group whose branches keep
    their own points and transfer between them (transfers above 1 000 points wait for the
    group admin); Bergström's company admin is the group admin."""
    group, created = CompanyGroup.objects.get_or_create(
        name=DEMO_GROUP, defaults={"points_mode": PointsMode.TRANSFERS, "approval_threshold": 1000}
    )
    summary.count("company groups", created)
    for company in (companies[0], companies[2], companies[3]):
        CompanyGroupMember.objects.get_or_create(company=company, defaults={"group": group})
    admin = User.objects.get(email="admin@bergstrom.example")
    _, created = CompanyGroupAdmin.objects.get_or_create(group=group, user=admin)
    summary.count("company group admins", created)
    summary.logins.append((f"Group admin of {group.name}", admin.email))


def seed_site(summary: SeedSummary) -> None:
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = HomePage(
            title="Nordic Supply Club",
            slug="club",
            intro="<p>The customer club of Nordic Supply: points on every purchase, rewards your team chooses, and offers only members see.</p>",
        )
        root.add_child(instance=home)
        summary.count("pages", True)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True, site_name="Nordic Supply Club")
    elif site.root_page_id != home.pk:
        old_root = site.root_page
        site.root_page = home
        site.site_name = "Nordic Supply Club"
        site.save()
        if old_root.specific_class is Page and old_root.depth == 2:  # Wagtail's placeholder welcome page
            old_root.delete()
    Branding.for_site(Site.objects.get(is_default_site=True))  # creates the default branding row


def seed_insights(summary: SeedSummary) -> None:
    """Insights' snapshots of the seeded club (``insights.snapshots.rebuild``), once: from then
    on the periodic jobs keep them current. Only where they can be built (PostgreSQL); on
    SQLite, the zero-setup mode, the Insights pages compute from the purchases and the ledger."""
    if not snapshots.supported():
        return
    built = SummaryState.objects.exists()
    if not built:
        snapshots.rebuild()
    summary.count("Insights snapshots", not built)


def seed() -> SeedSummary:
    summary = SeedSummary()
    now = timezone.now()
    seed_site(summary)
    staff = seed_staff(summary)
    companies = seed_companies(summary, staff[SALES_REPS], now=now)
    seed_contacts(summary, companies)
    seed_group(summary, companies)

    def alongside_points(history) -> None:
        # Inside the points history, once its tiers and purchases exist and before it is
        # replayed: the campaigns add their dated purchases and answers to it, so every
        # account's entries are written in date order (rewards.demo).
        seed_content(summary)  # offers for tiers need the points programme's tiers
        seed_campaigns(summary, companies, now=now, history=history)  # campaigns link events

    seed_points(summary, companies, now=now, alongside=alongside_points)
    seed_messages(summary, companies)
    seed_workspace(summary, companies)
    seed_notifications(summary, companies)  # announces the points and offers seeded above
    seed_insights(summary)  # last: summarises every purchase and ledger entry above
    return summary
