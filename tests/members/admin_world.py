"""A club with two reps' accounts and a row of every kind the Django admin shows, for the
tests that walk the admin as each staff role.

Everything that belongs to the second account carries "Bravo" (its name, its contact's
e-mail address, the delivery address, the thread, the notes, the survey comment...), so a
page that leaks any of it is caught by looking for that one word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from taggit.models import Tag

from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import api_client_create
from campaigns.models import (
    ActivityCompletion,
    ActivityKind,
    AwardKind,
    BadgeAward,
    CampaignAward,
    ChallengeCompletion,
    CompletionStatus,
    Referral,
    ReferralStatus,
)
from core.texts import FREE_TEXT
from groups.models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember, PointsTransfer, TransferStatus
from members.models import Company, CompanyStatus, IdentityProvider, IdentityProviderDomain, MembershipRole, User
from members.sso import seal_secret
from messaging.services import thread_start
from notifications.models import Notification
from privacy.models import CompanyClosure, ErasureRequest
from reps.services import goodwill_award, goodwill_budget_set, staff_note_add
from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import (
    CompanyRewardSettings,
    InvoiceCredit,
    ProgrammeRules,
    PurchaseImport,
    PurchaseImportStatus,
    Redemption,
)
from rewards.redemptions.services import DeliveryAddress, redemption_request
from tests.campaigns.factories import ActivityFactory, BadgeFactory, CampaignFactory, ChallengeFactory, run_campaign
from tests.factories import CompanyFactory, InvitationFactory, MembershipFactory, StaffFactory, UserFactory
from tests.rewards.factories import (
    PurchaseFactory,
    RewardFactory,
    TierFactory,
    VoucherCodeFactory,
    VoucherRewardFactory,
)


@dataclass
class Club:
    club_admin: User
    marketing: User
    rep_a: User
    rep_b: User
    alfa: Company  # rep_a's account
    bravo: Company  # rep_b's account
    member: User  # a contact of Bravo (Alfa is suspended: its contacts cannot log in)
    shared: dict = field(default_factory=dict)


def _shared_rows(club_admin: User) -> dict:
    """What belongs to the club, not to an account: the catalogue, a campaign for both
    accounts, activities, a challenge and a badge, an API client, a periodic job, a tag."""
    ProgrammeRules.current()
    TierFactory(name="Silver")
    shared = {
        "reward": RewardFactory(title="Coffee machine"),
        "voucher": VoucherRewardFactory(title="Gift card"),
        "custom": ActivityFactory(kind=ActivityKind.CUSTOM, title="Send us a photo"),
        "survey": ActivityFactory(kind=ActivityKind.SURVEY, title="How are we doing?"),
        "referral": ActivityFactory(kind=ActivityKind.REFERRAL, title="Refer a company"),
        "badge": BadgeFactory(name="Early bird"),
        "challenge": ChallengeFactory(title="Three categories"),
        "campaign": CampaignFactory(name="Spring boost", owner=club_admin),
    }
    erp, _token = api_client_create(name="ERP", source="erp", created_by=club_admin)
    shared["webhook_endpoint"] = WebhookEndpoint.objects.create(
        client=erp, url="https://erp.example.com/hooks", event_types=["purchase.earned"], secret="whsec_dGVzdA=="
    )
    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="Release points", task="rewards.tasks.release", interval=every_hour)
    Tag.objects.create(name="tools", slug="tools")
    # An import whose worker died: "Resume selected imports" would queue it again.
    PurchaseImport.objects.create(
        original_name="june.csv", file="imports/purchases/june.csv", status=PurchaseImportStatus.RUNNING
    )
    SocialApp.objects.create(provider="openid_connect", provider_id="sso", name="SSO", client_id="c", secret="s")
    return shared


def _account_rows(company: Company, *, rep: User, tag: str, club: Club) -> None:
    """A contact and a row of every company-owned kind for ``company``, marked with ``tag``."""
    shared = club.shared
    low = tag.lower()
    contact = MembershipFactory(
        company=company, role=MembershipRole.ADMIN, user=UserFactory(email=f"{low}.contact@example.com")
    ).user
    InvitationFactory(company=company, email=f"{low}.invitee@example.com")
    account = points_account_for_company(company=company)
    entry = points_adjust(account=account, points=50_000, reason=f"{tag} welcome", by=club.club_admin, key=f"{low}-1")
    PurchaseFactory(company=company, external_id=f"{tag}-ORDER-1")
    delivery = DeliveryAddress(
        name=f"{tag} goods-in", street=f"{tag}gatan 7", postal_code="111 22", city="Stad", country="SE"
    )
    redemption_request(
        reward=shared["reward"],
        membership=contact.membership,
        quantity=1,
        request_key=f"{low}-order",
        delivery=delivery,
        notify=False,
    )
    VoucherCodeFactory(reward=shared["voucher"], code=f"{tag.upper()}-CODE-1")
    redemption_request(
        reward=shared["voucher"], membership=contact.membership, quantity=1, request_key=f"{low}-voucher", notify=False
    )
    CompanyRewardSettings.objects.create(company=company, approval_threshold=1000)
    ActivityCompletion.objects.create(
        activity=shared["custom"],
        company=company,
        user=contact,
        scope_key=f"company:{company.pk}",
        status=CompletionStatus.SUBMITTED,
        text=f"{tag} photo of the new shop",
    )
    ActivityCompletion.objects.create(
        activity=shared["survey"],
        company=company,
        user=contact,
        scope_key=f"company:{company.pk}",
        status=CompletionStatus.AWARDED,
        points=100,
        entry=entry,
        score=9,
        text=f"{tag} comment: great service",
    )
    Referral.objects.create(
        activity=shared["referral"],
        referrer=company,
        referred_by=contact,
        company_name=f"{tag} referral AB",
        country="SE",
        org_number=f"55{company.pk:04d}-0000",
        contact_email=f"{low}.referral@example.com",
        status=ReferralStatus.PENDING,
    )
    CampaignAward.objects.create(
        campaign=shared["campaign"], company=company, kind=AwardKind.ACTIVITY, points=100, entry=entry
    )
    BadgeAward.objects.create(badge=shared["badge"], company=company)
    ChallengeCompletion.objects.create(challenge=shared["challenge"], company=company)
    thread_start(company=company, author=contact, subject=f"{tag} quote", body=f"{tag} needs a quote.")
    Notification.objects.create(
        recipient=contact,
        kind="points",
        title_key=FREE_TEXT,
        title_params={"text": f"{tag} points arrived"},
        key=f"{low}-n1",
    )
    staff_note_add(company=company, author=rep, body=f"{tag} note: call in May")
    goodwill_award(rep=rep, company=company, points=10, reason=f"{tag} goodwill", key=f"{low}-goodwill")
    Authenticator.objects.create(user=contact, type=Authenticator.Type.TOTP, data={"secret": tag})
    social = SocialAccount.objects.create(user=contact, provider="openid_connect", uid=f"{low}-uid")
    identity_provider = IdentityProvider.objects.create(
        company=company,
        name=f"{tag} sign-in",
        slug=f"{low}-idp",
        issuer=f"https://login.{low}.example.com",
        client_id=f"{low}-client",
        client_secret_sealed=seal_secret(f"{low}-secret"),
    )
    IdentityProviderDomain.objects.create(provider=identity_provider, domain=f"{low}.example.com")
    SocialToken.objects.create(app=SocialApp.objects.get(), account=social, token=f"{low}-token")
    ErasureRequest.objects.create(user=contact)
    first_order = Redemption.objects.filter(company=company).order_by("pk").first()
    InvoiceCredit.objects.create(
        company=company, source="redemption", redemption=first_order, points=1, amount="0.05", currency="SEK"
    )
    # Closed once and reopened: the company keeps the state the other checks expect.
    CompanyClosure.objects.create(
        company=company,
        closed_by=club.club_admin,
        rule="forfeit",
        reopened_at=timezone.now(),
        reopened_by=club.club_admin,
    )
    event = WebhookEvent.objects.create(
        event_id=f"evt_{low}", type="purchase.earned", company=company, payload={"order": f"{tag}-ORDER-1"}
    )
    WebhookDelivery.objects.create(endpoint=shared["webhook_endpoint"], event=event, company=company)
    # A company group of the account and a branch of the same rep, with a transfer waiting.
    group = CompanyGroup.objects.create(name=f"{tag} kedjan", approval_threshold=10)
    branch = CompanyFactory(name=f"{tag} Filial AB", sales_rep=rep)
    for member in (company, branch):
        CompanyGroupMember.objects.create(group=group, company=member)
    CompanyGroupAdmin.objects.create(group=group, user=contact)
    PointsTransfer.objects.create(
        group=group,
        from_company=company,
        to_company=branch,
        points=20,
        status=TransferStatus.AWAITING_APPROVAL,
        key=f"{low}-transfer",
        requested_by=contact,
    )


def build_club() -> Club:
    """Two reps with one account each (Alfa, suspended, and Bravo), a club admin, a
    marketer and a contact of Alfa; every kind of row for both accounts."""
    club_admin = StaffFactory(email="boss@club.example", group="Club admins")
    rep_a = StaffFactory(email="anna@club.example", first_name="Anna", last_name="Sälj", group="Sales reps")
    rep_b = StaffFactory(email="johan@club.example", first_name="Johan", last_name="Ek", group="Sales reps")
    club = Club(
        club_admin=club_admin,
        marketing=StaffFactory(email="maria@club.example", group="Marketing"),
        rep_a=rep_a,
        rep_b=rep_b,
        alfa=CompanyFactory(name="Alfa Bygg AB", sales_rep=rep_a),
        bravo=CompanyFactory(name="Bravo Byggvaror AB", sales_rep=rep_b),
        member=None,
        shared=_shared_rows(club_admin),
    )
    month = timezone.localdate().replace(day=1)
    for rep in (rep_a, rep_b):
        # Next month's budget first (nothing given from it yet, so it could be deleted), then this month's.
        goodwill_budget_set(rep=rep, month=(month + timedelta(days=31)).replace(day=1), points=500, by=club_admin)
        goodwill_budget_set(rep=rep, month=month, points=1000, by=club_admin)
    add_account_rows(club, club.alfa, rep=rep_a, tag="Alfa")
    add_account_rows(club, club.bravo, rep=rep_b, tag="Bravo")
    club.member = User.objects.get(email="bravo.contact@example.com")
    campaign = club.shared["campaign"]
    campaign.companies.set([club.alfa, club.bravo])
    run_campaign(campaign, treated=[club.alfa, club.bravo], now=timezone.now() - timedelta(days=3))
    # Alfa is suspended: the state "Reactivate selected companies" would change.
    Company.objects.filter(pk=club.alfa.pk).update(status=CompanyStatus.SUSPENDED, suspension_reason="Unpaid")
    club.alfa.refresh_from_db()
    return club


def add_account_rows(club: Club, company: Company, *, rep: User, tag: str) -> None:
    _account_rows(company, rep=rep, tag=tag, club=club)


def more_accounts(club: Club, count: int) -> None:
    """``count`` more accounts for each rep, with every kind of row (for query counts)."""
    for number in range(count):
        for rep, tag in ((club.rep_a, f"Alfa{number}"), (club.rep_b, f"Bravo{number}")):
            add_account_rows(club, CompanyFactory(name=f"{tag} AB", sales_rep=rep), rep=rep, tag=tag)
