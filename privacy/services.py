"""The GDPR rights of a person: to be forgotten (``erasure_request``, ``erasure_confirm``,
``erasure_refuse``, ``person_erase``).

Erasure replaces the person's name, e-mail, phone and the free texts they wrote by a
pseudonym everywhere the registry (``privacy.registry``) says the portal keeps them, and
closes their log-in (sessions ended, e-mail addresses, single sign-on accounts and second
factors removed, password unusable). The ledger, orders and invoices keep their amounts and
dates, linked to the pseudonymised person, so ``check_ledger`` still balances.
"""

from __future__ import annotations

import json
import re
import secrets

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from auditlog.context import disable_auditlog
from auditlog.models import LogEntry as AuditEntry
from django.apps import apps
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.texts import StoredText
from members.models import CompanyStatus, Invitation, Membership, MembershipRole, User
from members.selectors import company_admins
from messaging.models import Attachment
from notifications.models import Notification, NotificationKind
from notifications.services import notifications_send
from privacy import texts
from privacy.models import ErasureRequest, ErasureStatus
from privacy.registry import PERSONAL_DATA
from privacy.sessions import sessions_of
from rewards.models import LedgerEntry

ERASED_DOMAIN = "erased.invalid"


class PrivacyError(Exception):
    """A request about a person's data that breaks a rule; the message is for the person."""


def _lock_user(user_id: int) -> User:
    return User.objects.select_for_update().get(pk=user_id)


def _may_decide(*, actor: User, person: User) -> bool:
    """A club admin (``privacy.change_erasurerequest``) or an admin of the person's company."""
    if actor.is_active and actor.is_staff and actor.has_perm("privacy.change_erasurerequest"):
        return True
    person_membership = Membership.objects.filter(user=person).first()
    return (
        person_membership is not None
        and actor.pk != person.pk
        and Membership.objects.filter(
            user=actor, company_id=person_membership.company_id, role=MembershipRole.ADMIN
        ).exists()
    )


def erasure_refusal_reason(*, user: User) -> str | None:
    """Why ``user`` cannot be erased now, or None: the last admin of an active company."""
    membership = Membership.objects.select_related("company").filter(user=user).first()
    if membership is None or membership.role != MembershipRole.ADMIN:
        return None
    if membership.company.status != CompanyStatus.ACTIVE:
        return None
    others = membership.company.memberships.filter(role=MembershipRole.ADMIN).exclude(pk=membership.pk)
    if others.exists():
        return None
    return _("%(name)s is the last admin of %(company)s. Make a colleague an admin first, then ask again.") % {
        "name": user,
        "company": membership.company.name,
    }


def erasure_request(*, user: User) -> ErasureRequest:
    """The person asks to be forgotten. Idempotent: an open request is returned as it is.
    Due ``ERASURE_DEADLINE_DAYS`` from now."""
    with transaction.atomic():
        user = _lock_user(user.pk)
        existing = ErasureRequest.objects.filter(user=user, status=ErasureStatus.REQUESTED).first()
        if existing is not None:
            return existing
        reason = erasure_refusal_reason(user=user)
        if reason:
            raise PrivacyError(reason)
        erasure = ErasureRequest.objects.create(user=user)
        _erasure_request_notify(erasure)
        return erasure


def _erasure_request_notify(erasure: ErasureRequest) -> None:
    """The person's company admins hear about a new request (in their own language), since
    they may confirm it; club admins see open requests with their deadline in the admin."""
    membership = Membership.objects.filter(user_id=erasure.user_id).only("company_id").first()
    if membership is None:
        return
    admins = [admin for admin in company_admins(company_id=membership.company_id) if admin.pk != erasure.user_id]
    notifications_send(
        users=admins,
        kind=NotificationKind.APPROVAL,
        key=f"erasure:{erasure.pk}:requested",
        title=StoredText(texts.ERASURE_REQUESTED, {"name": str(erasure.user)}),
        body=StoredText(texts.ERASURE_REQUESTED_BODY, {"date": timezone.localdate(erasure.due_at).isoformat()}),
        url=reverse("members:company"),
    )


def erasure_refuse(*, request: ErasureRequest, reason: str, by: User) -> ErasureRequest:
    """Close an open request without erasing, with the reason (for the person and the record)."""
    reason = reason.strip()
    if not reason:
        raise PrivacyError(_("Give a reason for refusing."))
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        if not _may_decide(actor=by, person=request.user):
            raise PrivacyError(_("You may not decide on this request."))
        if request.status != ErasureStatus.REQUESTED:
            raise PrivacyError(_("This request has already been decided."))
        request.status = ErasureStatus.REFUSED
        request.refusal_reason = reason[:500]
        request.decided_by = by
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    return request


def erasure_confirm(*, request: ErasureRequest, by: User) -> ErasureRequest:
    """Carry out an open request (``person_erase``), by a company admin of the person's company
    or a club admin. Once: a decided request is refused with a message."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != ErasureStatus.REQUESTED:
            raise PrivacyError(_("This request has already been decided."))
        if not _may_decide(actor=by, person=request.user):
            raise PrivacyError(_("You may not decide on this request."))
        pseudonym = person_erase(user=request.user, by=by)
        request.status = ErasureStatus.DONE
        request.decided_by = by
        request.decided_at = timezone.now()
        request.pseudonym = pseudonym
        request.save(update_fields=["status", "decided_by", "decided_at", "pseudonym"])
    return request


def _replacement(field: models.Field, pseudonym: str, email: str):
    if isinstance(field, models.EmailField):
        return email
    if isinstance(field, models.FileField):
        return ""
    text = pseudonym if field.name not in ("phone", "delivery_phone") else ""
    return text[: field.max_length] if getattr(field, "max_length", None) else text


def _originals(user: User) -> list[str]:
    values = [user.email, user.get_full_name(), user.first_name, user.last_name, user.phone]
    values += list(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return [value for value in dict.fromkeys(values) if value and len(value) >= 3]


def _scrub_text(text: str, originals: list[str], pseudonym: str) -> str:
    for original in sorted(originals, key=len, reverse=True):
        text = re.sub(re.escape(original), pseudonym, text, flags=re.IGNORECASE)
    return text


def _scrub_logs(user: User, originals: list[str], pseudonym: str) -> None:
    """The audit trail and Django's admin log quote the person in their descriptions and
    changes (a membership's user, an order's recipient): those texts are rewritten with the
    pseudonym, the one rewrite the trail allows. Found by the database, not by reading the
    whole trail."""
    query = Q(actor_email__in=originals)
    for original in originals:
        for column in ("object_repr", "changes_text", "changes_as_text", "serialized_as_text", "additional_as_text"):
            query |= Q(**{f"{column}__icontains": original})
    entries = AuditEntry.objects.annotate(
        changes_as_text=Cast("changes", models.TextField()),
        serialized_as_text=Cast("serialized_data", models.TextField()),
        additional_as_text=Cast("additional_data", models.TextField()),
    ).filter(query)
    for entry in entries:
        # .update(): the trail's rows are append-only for everything but an erasure.
        AuditEntry.objects.filter(pk=entry.pk).update(
            object_repr=_scrub_text(entry.object_repr, originals, pseudonym),
            changes_text=_scrub_text(entry.changes_text or "", originals, pseudonym),
            changes=_scrub_json(entry.changes, originals, pseudonym),
            serialized_data=_scrub_json(entry.serialized_data, originals, pseudonym),
            additional_data=_scrub_json(entry.additional_data, originals, pseudonym),
            actor_email=None if entry.actor_email in originals else entry.actor_email,
        )
    admin_query = Q()
    for original in originals:
        admin_query |= Q(object_repr__icontains=original) | Q(change_message__icontains=original)
    for entry in AdminLogEntry.objects.filter(admin_query):
        AdminLogEntry.objects.filter(pk=entry.pk).update(
            object_repr=_scrub_text(entry.object_repr, originals, pseudonym),
            change_message=_scrub_text(entry.change_message, originals, pseudonym),
        )


def _scrub_notifications(originals: list[str], pseudonym: str) -> None:
    """Notifications to others that quote the person (their name, their message) in their
    texts' parameters: rewritten with the pseudonym (SQLite stores JSON with non-ASCII
    characters escaped, so both spellings are looked for)."""
    query = Q()
    for original in originals:
        escaped = json.dumps(original)[1:-1]
        for column in ("title_params_text", "body_params_text"):
            query |= Q(**{f"{column}__icontains": original}) | Q(**{f"{column}__icontains": escaped})
    notices = (
        Notification.objects.annotate(
            title_params_text=Cast("title_params", models.TextField()),
            body_params_text=Cast("body_params", models.TextField()),
        )
        .filter(query)
        .only("pk", "title_params", "body_params")
    )
    for notification in notices.iterator(chunk_size=500):
        Notification.objects.filter(pk=notification.pk).update(
            title_params=_scrub_json(notification.title_params, originals, pseudonym),
            body_params=_scrub_json(notification.body_params, originals, pseudonym),
        )


def _scrub_ledger_memos(user: User, originals: list[str], pseudonym: str) -> None:
    """Ledger descriptions quote people in their parameters (a rep's name on the goodwill
    they gave): the parameters are rewritten with the pseudonym; points, dates and keys stay.
    Candidates are the entries the person wrote and those whose parameters mention them
    (SQLite stores JSON with non-ASCII characters escaped, so both spellings are looked for)."""
    query = Q(created_by=user)
    for original in originals:
        escaped = json.dumps(original)[1:-1]
        query |= Q(memo_params_text__icontains=original) | Q(memo_params_text__icontains=escaped)
    entries = (
        LedgerEntry.objects.annotate(memo_params_text=Cast("memo_params", models.TextField()))
        .filter(query)
        .only("pk", "memo_params")
    )
    for entry in entries.iterator(chunk_size=500):
        scrubbed = _scrub_json(entry.memo_params, originals, pseudonym)
        if scrubbed != entry.memo_params:
            LedgerEntry.objects.filter(pk=entry.pk).memo_params_pseudonymise(scrubbed)


def _scrub_json(value, originals: list[str], pseudonym: str):
    if isinstance(value, str):
        return _scrub_text(value, originals, pseudonym)
    if isinstance(value, list):
        return [_scrub_json(item, originals, pseudonym) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_json(item, originals, pseudonym) for key, item in value.items()}
    return value


def person_erase(*, user: User, by: User | None) -> str:
    """Replace ``user``'s personal data by a pseudonym everywhere and close their log-in.
    Returns the pseudonym. In one transaction with the person's row locked; refused for the
    last admin of an active company. Amounts, dates and links of the ledger and of orders
    stay. Recorded in the audit trail (without the erased values)."""
    # The library's signals stay quiet during the erasure (they would copy the erased values
    # into the trail); one explicit record below says what happened.
    with transaction.atomic(), disable_auditlog():
        user = _lock_user(user.pk)
        reason = erasure_refusal_reason(user=user)
        if reason:
            raise PrivacyError(reason)
        token = secrets.token_hex(4).upper()
        # Stored data, so one spelling whatever the language of whoever confirms the request.
        pseudonym = f"Erased person {token}"
        pseudonym_email = f"erased-{token.lower()}@{ERASED_DOMAIN}"
        originals = _originals(user)
        written = []  # the free texts they wrote, quoted elsewhere (a rep's notification of a message)

        for entry in PERSONAL_DATA:
            model = apps.get_model(entry.model)
            if entry.model == "members.User":
                continue
            rows = model._default_manager.filter(**{entry.person: user.pk})
            if entry.erase == "delete":
                rows.delete()
                continue
            if entry.fields:
                for name in entry.fields:
                    field = model._meta.get_field(name)
                    if isinstance(field, (models.CharField, models.TextField)):
                        written += [value for value in rows.values_list(name, flat=True) if value and len(value) >= 3]
                updates = {}
                for name in entry.fields:
                    field = model._meta.get_field(name)
                    updates[name] = _replacement(field, pseudonym, pseudonym_email)
                rows.update(**updates)
        originals = list(dict.fromkeys([*originals, *written]))
        _scrub_notifications(originals, pseudonym)
        _scrub_ledger_memos(user, originals, pseudonym)
        # Invitations sent to the address, accepted or not.
        Invitation.objects.filter(email__iexact=user.email).update(email=pseudonym_email)
        # Attachments of their messages: the files and their names go.
        for attachment in Attachment.objects.filter(message__author=user):
            attachment.file.delete(save=False)
        Attachment.objects.filter(message__author=user).delete()

        # The log-in closes.
        for session in sessions_of(user=user):
            session.delete()
        EmailAddress.objects.filter(user=user).delete()
        SocialAccount.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()

        user.first_name = pseudonym
        user.last_name = ""
        user.email = pseudonym_email
        user.phone = ""
        user.is_active = False
        user.email_notifications = False
        user.set_unusable_password()
        user.save()
        _scrub_logs(user, originals, pseudonym)

        audit_record(
            instance=user,
            actor=by,
            action=AuditEntry.Action.UPDATE,
            changes={"erased": [None, pseudonym]},
            note="GDPR erasure",
        )
    return pseudonym
