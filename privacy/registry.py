"""Where the portal keeps a person's data: the one list both the export and the erasure read.

Each ``PersonalData`` names a model, the link from its rows to the person, and the fields
that are personal (the person's name, address, phone, e-mail and the free texts they wrote).
The export gives every row so linked, all its fields; the erasure replaces each personal
field by the pseudonym (or deletes the rows, for ``erase="delete"``).

``NOT_PERSONAL`` lists, with the reason, the text fields of person-linked models that are
not; ``KEPT_LINKS`` the links to a person that stay (to the pseudonymised person) because
they are the record of who did something. ``tests/privacy/test_registry.py`` walks every model
with a link to a person: a new text field or link that is in none of these lists fails it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PersonalData:
    model: str  # app_label.ModelName
    person: str  # the field linking a row to the person
    fields: tuple[str, ...] = ()  # personal: exported, and replaced by the pseudonym on erasure
    erase: str = "replace"  # or "delete": the rows go (they are only about the person)
    title: str = ""  # the export's section
    rendered: tuple[str, ...] = ()  # texts the export adds as read (rendered from stored keys)


PERSONAL_DATA: tuple[PersonalData, ...] = (
    PersonalData("members.User", "pk", ("first_name", "last_name", "email", "phone"), title="profile"),
    PersonalData("members.Membership", "user", erase="delete", title="membership"),
    PersonalData("members.Invitation", "accepted_by", ("email",), title="invitations"),
    PersonalData(
        "notifications.Notification",
        "recipient",
        ("title_params", "body_params"),
        erase="delete",
        title="notifications",
        rendered=("title", "body"),
    ),
    PersonalData("notifications.NotificationPreference", "user", erase="delete", title="notification_preferences"),
    PersonalData("messaging.Thread", "created_by", ("subject",), title="conversations_started"),
    PersonalData("messaging.Message", "author", ("body",), title="messages"),
    PersonalData("messaging.ThreadReadState", "user", erase="delete", title="conversations_read"),
    PersonalData("messaging.Broadcast", "sender", ("subject", "body"), title="broadcasts"),
    PersonalData("campaigns.ActivityCompletion", "user", ("text",), title="activity_answers"),
    PersonalData("campaigns.ActivityCompletion", "decided_by", title="activity_answers_decided"),
    PersonalData("campaigns.Referral", "referred_by", ("contact_name", "contact_email"), title="referrals"),
    PersonalData("campaigns.LeaderboardOptIn", "opted_in_by", title="leaderboard_consents"),
    PersonalData("cms.EventRegistration", "user", title="event_registrations"),
    PersonalData(
        "rewards.Redemption", "requested_by", ("note", "delivery_name", "delivery_phone"), title="orders_placed"
    ),
    PersonalData("rewards.Redemption", "decided_by", ("decision_comment",), title="orders_decided"),
    PersonalData("rewards.RedemptionEvent", "actor", ("comment",), title="order_events"),
    PersonalData("reps.StaffNote", "author", ("body",), title="staff_notes"),
    PersonalData("reps.GoodwillAward", "rep", ("reason",), title="goodwill_given"),
)

# Text fields of person-linked models that are not personal data, and why.
NOT_PERSONAL: dict[str, dict[str, str]] = {
    "members.User": {"password": "a hash; made unusable on erasure"},
    "members.Company": {
        "name": "the company's",
        "org_number": "the company's",
        "street_address": "the company's",
        "postal_code": "the company's",
        "city": "the company's",
        "suspension_reason": "the club's note on the company",
        "external_id": "the ERP's key",
        "currency": "the company's",
    },
    "notifications.Notification": {
        "url": "a portal path",
        "key": "an idempotency key",
        "title_key": "which title a notification has (a message key)",
        "body_key": "which text a notification has (a message key)",
    },
    "messaging.Broadcast": {"audience": "the filter a rep chose", "attachments": "file references", "key": "a key"},
    "campaigns.ActivityCompletion": {"scope_key": "an idempotency key"},
    "campaigns.Referral": {
        "company_name": "the referred company's",
        "org_number": "the referred company's",
        "country": "the referred company's",
    },
    "campaigns.Campaign": {
        "name": "campaign content",
        "headline": "campaign content",
        "description": "campaign content",
        # The same, per language (campaigns/translation.py).
        **{
            f"{field}_{code}": "campaign content"
            for field in ("name", "headline", "description")
            for code in settings.MODELTRANSLATION_LANGUAGES
        },
        "countries": "the audience",
        "holdout_seed": "random",
    },
    "campaigns.CampaignEvent": {"changes": "a campaign's settings before and after"},
    "members.IdentityProviderDomain": {"domain": "a company's e-mail domain"},
    "rewards.LedgerEntry": {
        "memo_key": "which description an entry has (a message key)",
        # A goodwill entry names the rep who gave it, as the finished text did before: the
        # ledger is append-only bookkeeping kept by law (docs/architecture.md).
        "memo_params": "bookkeeping text about the company's points, kept by law",
        "idempotency_key": "a key",
    },
    "rewards.PurchaseImport": {
        "file": "the ERP's purchases file",
        "original_name": "the file's name",
        "error_file": "the import's error report",
        "error_message": "the import's error",
    },
    "rewards.Redemption": {
        "reward_title": "the reward",
        "currency": "the reward",
        "delivery_street": "the delivery address of the company, kept for the invoice",
        "delivery_postal_code": "the delivery address of the company, kept for the invoice",
        "delivery_city": "the delivery address of the company, kept for the invoice",
        "delivery_country": "the delivery address of the company, kept for the invoice",
        "request_key": "a key",
        "tracking_reference": "the carrier's reference",
        "fulfilment_note": "the club's delivery note to the company",
    },
    "rewards.RedemptionEvent": {"actor_label": "the name of a system job"},
    "rewards.VoucherCode": {"code": "the supplier's code"},
    "reps.GoodwillAward": {"key": "a key"},
    "api.ApiClient": {
        "name": "the integration's name",
        "source": "the integration's purchase source",
        "scopes": "what the integration may do",
        "token_prefix": "a token's public part",
        "secret_hash": "a token's hash",
    },
    "privacy.ErasureRequest": {
        "refusal_reason": "the club's reason",
        "pseudonym": "the pseudonym itself",
    },
    "privacy.CompanyClosure": {
        "rule": "the club's closing rule",
        "contacts": "ids of the people whose log-in the closing closed",
    },
}

# Links to a person that stay after erasure, to the pseudonymised person: the record of who
# did something (the ledger, orders and invoices keep amounts and dates with the pseudonym).
KEPT_LINKS: dict[str, str] = {
    "members.Company.sales_rep": "the account's rep",
    "members.Invitation.invited_by": "who invited",
    "rewards.LedgerEntry.created_by": "who made a correction",
    "members.IdentityProviderDomain.approved_by": "the club admin who approved a sign-in domain",
    "rewards.PurchaseImport.created_by": "who imported",
    "rewards.CompanyRewardSettings.goal_set_by": "who set the saving goal",
    "rewards.VoucherCode.uploaded_by": "who uploaded codes",
    "campaigns.Campaign.owner": "the campaign's owner",
    "campaigns.CampaignEvent.actor": "who changed a campaign",
    "reps.GoodwillBudget.rep": "the rep's budget",
    "reps.GoodwillBudget.updated_by": "who set a budget",
    "api.ApiClient.created_by": "who created the integration",
    "privacy.ErasureRequest.user": "the request is the record of the erasure",
    "privacy.ErasureRequest.decided_by": "who decided",
    "privacy.CompanyClosure.closed_by": "the club admin who closed the company",
    "privacy.CompanyClosure.reopened_by": "the club admin who reopened the company",
}


def entries_for(model_label: str) -> list[PersonalData]:
    return [entry for entry in PERSONAL_DATA if entry.model == model_label]
