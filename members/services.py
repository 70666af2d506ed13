"""Writes for members: invitations, memberships and company status.

Every change to who belongs to a company, and with which role, goes through these
functions. They run in a transaction, lock the company row before they read the rules
that depend on its memberships (so two admins demoting each other cannot leave a
company without an admin), and raise ``MembersError`` with a message a person can read
when a rule is broken; nothing is changed then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.mail import send_branded_mail
from outbox.events import EventType, event_emit
from outbox.services import outbox_enqueue

from .languages import language_for_country, person_language, supported_language
from .models import (
    Company,
    CompanyStatus,
    Country,
    IdentityProvider,
    IdentityProviderDomain,
    Invitation,
    Membership,
    MembershipRole,
    User,
)
from .selectors import staff_company_q
from .validators import validate_org_number


class MembersError(Exception):
    """A members rule was broken; the message is meant for the person who tried."""


def _lock_company(company_id: int) -> Company:
    return Company.objects.select_for_update().get(pk=company_id)


def _require_company_admin_or_staff(*, actor: User, company: Company) -> None:
    if actor.is_staff and actor.has_perm("members.add_invitation"):
        return
    membership = Membership.objects.filter(user=actor, company=company).first()
    if membership is None or not membership.is_admin:
        raise MembersError(_("Only a company admin can manage colleagues."))


def invitation_precheck(*, company: Company, email: str, by_staff: bool = True) -> None:
    """Raise ``MembersError`` if ``email`` cannot be invited to ``company``. Writes nothing.

    Only the club's staff (``by_staff``) are told that an address belongs to another member
    company: to a company admin that would say where a person works, so their invitation is
    sent as to anyone, and accepting it is refused ("You already belong to a member
    company"), which only the address's owner sees."""
    email = email.strip().lower()
    if not company.is_active:
        raise MembersError(_("This company is suspended; nobody can be invited."))
    existing = User.objects.filter(email__iexact=email).select_related("membership__company").first()
    if existing is not None:
        if existing.is_staff:
            raise MembersError(_("This address belongs to a member of the club's staff."))
        membership = getattr(existing, "membership", None)
        if membership is not None and membership.company_id == company.pk:
            raise MembersError(
                _("%(email)s is already a member of %(company)s.") % {"email": email, "company": company}
            )
        if membership is not None and by_staff:
            raise MembersError(
                _(
                    "%(email)s already belongs to another member company. A person can belong to one "
                    "company only; ask them to leave it first or use another address."
                )
                % {"email": email}
            )


def invitation_create(*, company: Company, email: str, role: str, invited_by: User) -> Invitation:
    """Invite ``email`` to join ``company`` with ``role`` and e-mail them a link.

    Refused when the address belongs to staff or to someone already in this company, and
    when staff invite another company's contact (``invitation_precheck``: a company admin is
    not told where a person works). An open invitation for the same address and
    company is revoked, so only the newest link works. The e-mail is sent by a task
    after the transaction commits (recorded in it through the outbox, so a broker outage
    delays the e-mail but never loses it; ``invitation_email_send`` sends it once).
    """
    from .tasks import send_invitation_email  # lazy: the tasks import this module

    email = email.strip().lower()
    if role not in MembershipRole.values:
        raise MembersError(_("Choose a role."))
    with transaction.atomic():
        company = _lock_company(company.pk)
        _require_company_admin_or_staff(actor=invited_by, company=company)
        invitation_precheck(company=company, email=email, by_staff=invited_by.is_staff)
        now = timezone.now()
        Invitation.objects.filter(
            company=company, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            company=company,
            email=email,
            role=role,
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        outbox_enqueue(send_invitation_email, invitation.pk)
    return invitation


def invitation_email_send(*, invitation_id: int, now: datetime | None = None) -> bool:
    """E-mail an open invitation's link, at most once. Returns whether an e-mail went out.

    The row is locked while the e-mail is sent and ``emailed_at`` set, so a task delivered
    twice (the outbox publishes at least once) or run by two workers sends one e-mail; an
    invitation revoked, accepted or expired meanwhile sends none.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("company", "invited_by")
            .filter(pk=invitation_id, emailed_at__isnull=True)
            .first()
        )
        if invitation is None or not invitation.is_open:
            return False
        send_branded_mail(
            template="members/email/invitation",
            to=invitation.email,
            context={"invitation": invitation, "accept_url": invitation.get_accept_url()},
            language=_invitee_language(invitation),
        )
        invitation.emailed_at = now or timezone.now()
        invitation.save(update_fields=["emailed_at"])
    return True


def _invitee_language(invitation: Invitation) -> str | None:
    """The language an invitation e-mail is written in.

    Someone who already has an account reads it in their own language (their profile, else
    their company's country: ``person_language``), whichever company invites them. A newcomer
    has no profile yet: the inviting company's country decides, else the inviter's language.
    """
    invitee = User.objects.filter(email__iexact=invitation.email).select_related("membership__company").first()
    if invitee is not None:
        return person_language(invitee)
    return language_for_country(invitation.company.country) or supported_language(
        getattr(invitation.invited_by, "language", "")
    )


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Revoke an open invitation; its link stops working. Revoking twice is a no-op."""
    with transaction.atomic():
        _lock_company(invitation.company_id)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _require_company_admin_or_staff(actor=actor, company=invitation.company)
        if invitation.accepted_at is not None:
            raise MembersError(_("This invitation has already been accepted."))
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_check(invitation: Invitation, *, email: str | None = None) -> None:
    """Raise ``MembersError`` unless the invitation can still be accepted (by ``email``)."""
    if invitation.accepted_at is not None:
        raise MembersError(_("This invitation has already been used."))
    if invitation.revoked_at is not None:
        raise MembersError(_("This invitation has been withdrawn. Ask for a new one."))
    if invitation.is_expired:
        raise MembersError(_("This invitation has expired. Ask for a new one."))
    if not invitation.company.is_active:
        raise MembersError(_("This company's membership is suspended."))
    if email is not None and email.strip().lower() != invitation.email.lower():
        raise MembersError(
            _("This invitation is for %(email)s. Sign in or sign up with that address.") % {"email": invitation.email}
        )


def invitation_accept(*, invitation_id: int, user: User) -> Membership:
    """Make ``user`` a member of the invitation's company with its role.

    Works once, only for the invited address, and only while the invitation is open.
    The invitation row is locked, so two simultaneous accepts give one membership.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("company").get(pk=invitation_id)
        invitation_check(invitation, email=user.email)
        if Membership.objects.filter(user=user).exists():
            raise MembersError(_("You already belong to a member company."))
        try:
            with transaction.atomic():
                membership = Membership.objects.create(user=user, company=invitation.company, role=invitation.role)
        except IntegrityError as exc:  # a concurrent accept for the same user won
            raise MembersError(_("You already belong to a member company.")) from exc
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def sso_membership_grant(*, user: User, provider: IdentityProvider, invitation: Invitation | None = None) -> Membership:
    """Give a person whom ``provider`` has just signed in their place in the provider's company.

    With an open ``invitation`` (to that company, for their address) it is accepted, with its
    role; without one, the provider's domain rule for their address must allow joining, and
    they join with the lowest role (viewer). A person already in the company keeps their
    membership (a retried sign-in changes nothing); a person in another company is refused.
    The company row is locked, so two first sign-ins of one person give one membership.
    """
    if invitation is not None:
        if invitation.company_id != provider.company_id:
            raise MembersError(_("This invitation is for another company."))
        return invitation_accept(invitation_id=invitation.pk, user=user)
    domain = user.email.rpartition("@")[2].lower()
    with transaction.atomic():
        company = _lock_company(provider.company_id)
        existing = Membership.objects.filter(user=user).first()
        if existing is not None:
            if existing.company_id != company.pk:
                raise MembersError(_("You already belong to a member company."))
            return existing
        if not company.is_active:
            raise MembersError(_("This company's membership is suspended."))
        if not IdentityProviderDomain.objects.filter(provider=provider, domain=domain, auto_join=True).exists():
            raise MembersError(_("You need an invitation to %(company)s first.") % {"company": company})
        return Membership.objects.create(user=user, company=company, role=MembershipRole.VIEWER)


def _admins_left_after(company: Company, *, excluding: Membership) -> int:
    return company.memberships.filter(role=MembershipRole.ADMIN).exclude(pk=excluding.pk).count()


def membership_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Give a colleague another role. The company never loses its last admin."""
    if role not in MembershipRole.values:
        raise MembersError(_("Choose a role."))
    with transaction.atomic():
        company = _lock_company(membership.company_id)
        _require_company_admin_or_staff(actor=actor, company=company)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == role:
            return membership
        if membership.is_admin and _admins_left_after(company, excluding=membership) == 0:
            raise MembersError(
                _("%(name)s is the company's last admin. Make someone else an admin first.") % {"name": membership.user}
            )
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership, actor: User) -> None:
    """Remove a colleague from the company. The last admin cannot be removed.

    The person keeps their login but sees nothing of the company any more.
    """
    with transaction.atomic():
        company = _lock_company(membership.company_id)
        _require_company_admin_or_staff(actor=actor, company=company)
        membership = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if membership is None:
            return
        if membership.is_admin and _admins_left_after(company, excluding=membership) == 0:
            raise MembersError(
                _("%(name)s is the company's last admin and cannot be removed.") % {"name": membership.user}
            )
        membership.delete()


def company_set_status(*, company: Company, status: str, reason: str = "", actor: User) -> Company:
    """Suspend or reactivate a company. Suspended companies' contacts cannot log in.

    Only staff who may change companies (``members.change_company``) and may see this one
    (``selectors.staff_company_q``) may; anyone else gets ``MembersError`` and nothing changes,
    whichever page or action called.
    """
    if status not in CompanyStatus.values:
        raise MembersError(_("Unknown status."))
    if status == CompanyStatus.CLOSED or company.status == CompanyStatus.CLOSED:
        raise MembersError(
            _("Closing and reopening a company have their own pages: its points and log-ins change too.")
        )
    if status == CompanyStatus.SUSPENDED and not reason.strip():
        raise MembersError(_("Give a reason; the company's contacts will see it."))
    may_change = actor.is_active and actor.is_staff and actor.has_perm("members.change_company")
    if not (may_change and Company.objects.filter(staff_company_q(user=actor), pk=company.pk).exists()):
        raise MembersError(_("You may not change this company's status."))
    with transaction.atomic():
        company = _lock_company(company.pk)
        if company.status == CompanyStatus.CLOSED:
            raise MembersError(
                _("Closing and reopening a company have their own pages: its points and log-ins change too.")
            )
        newly_suspended = status == CompanyStatus.SUSPENDED and company.status != CompanyStatus.SUSPENDED
        company.status = status
        company.suspension_reason = reason.strip() if status == CompanyStatus.SUSPENDED else ""
        company.save(update_fields=["status", "suspension_reason"])
        if newly_suspended:
            event_emit(EventType.COMPANY_SUSPENDED, company_id=company.pk, data={"status": company.status})
    return company


def company_access_close(*, company: Company, now: datetime) -> tuple[list[int], int]:
    """A company leaves the club: status closed, every contact's log-in closed (inactive),
    open invitations revoked. Returns ``(ids of the people deactivated, invitations revoked)``.

    Only ``privacy.closing.company_close`` calls it, holding the company's row lock in its
    transaction (it checks the permission and settles the points first). Staff members are
    never deactivated here. Sessions are ended by the caller (``privacy.sessions``).
    """
    Company.objects.filter(pk=company.pk).update(status=CompanyStatus.CLOSED, suspension_reason="")
    company.status, company.suspension_reason = CompanyStatus.CLOSED, ""
    people = list(
        User.objects.filter(membership__company=company, is_active=True, is_staff=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=people).update(is_active=False)
    revoked = Invitation.objects.filter(company=company, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    return people, revoked


def company_access_reopen(*, company: Company, reactivate: list[int]) -> int:
    """A closed company comes back: status active; the people in ``reactivate`` who still
    belong to it get their log-in back (someone erased or moved meanwhile does not).
    Returns how many were reactivated. Only ``privacy.closing.company_reopen`` calls it,
    under the company's row lock."""
    Company.objects.filter(pk=company.pk).update(status=CompanyStatus.ACTIVE, suspension_reason="")
    company.status = CompanyStatus.ACTIVE
    if not reactivate:
        return 0
    return (
        User.objects.filter(pk__in=reactivate, membership__company=company, is_active=False)
        .exclude(email__endswith="@erased.invalid")
        .update(is_active=True)
    )


def profile_update(
    *, user: User, first_name: str, last_name: str, phone: str, language: str, email_notifications: bool
) -> User:
    """Update a person's own profile."""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone.strip()
    user.language = language
    user.email_notifications = email_notifications
    user.save(update_fields=["first_name", "last_name", "phone", "language", "email_notifications"])
    return user


def _company_data(company: Company) -> dict:
    return {
        "country": company.country,
        "org_number": company.org_number,
        "city": company.city,
        "status": company.status,
    }


def company_upsert(
    *,
    external_id: str,
    name: str,
    country: str,
    org_number: str,
    street_address: str = "",
    postal_code: str = "",
    city: str = "",
) -> tuple[Company, bool]:
    """Create or update the company with this ERP ``external_id``; returns ``(company, created)``.

    Idempotent: sending the same data again changes nothing. The organisation number is
    validated and normalised for the country. Field problems raise Django's
    ``ValidationError`` with a message per field (also when another company already has the
    organisation number); nothing is changed then. Two concurrent first calls for the same
    external id give one company: the loser of the insert race updates the winner's row.
    Status, sales rep and memberships are never touched here, nor the currency the company
    buys in, also when its country changes: staff change a currency in the admin, which first
    checks what the change would strand (``members.currency_guards``: open orders of money).
    """

    external_id = external_id.strip()
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not external_id:
        errors["external_id"] = [_("Give the company's external id.")]
    if not name:
        errors["name"] = [_("Give the company's name.")]
    if country not in Country.values:
        errors["country"] = [
            _("Unknown country %(country)s; supported: %(supported)s.")
            % {"country": country, "supported": ", ".join(Country.values)}
        ]
    else:
        try:
            org_number = validate_org_number(org_number, country)
        except ValidationError as exc:
            errors["org_number"] = exc.messages
    if errors:
        raise ValidationError(errors)
    values = {
        "name": name,
        "country": country,
        "org_number": org_number,
        "street_address": street_address.strip(),
        "postal_code": postal_code.strip(),
        "city": city.strip(),
    }

    def _org_number_taken() -> ValidationError:
        return ValidationError(
            {"org_number": [_("Another company already has this organisation number in this country.")]}
        )

    for _attempt in range(2):
        with transaction.atomic():
            company = Company.objects.select_for_update().filter(external_id=external_id).first()
            if company is None:
                if Company.objects.filter(country=country, org_number=org_number).exists():
                    raise _org_number_taken()
                try:
                    with transaction.atomic():
                        company = Company.objects.create(external_id=external_id, **values)
                        event_emit(EventType.COMPANY_CREATED, company_id=company.pk, data=_company_data(company))
                        return company, True
                except IntegrityError:
                    if Company.objects.filter(country=country, org_number=org_number).exists():
                        raise _org_number_taken() from None
                    continue  # a concurrent call created this external id: update it instead
            changed = [field for field, value in values.items() if getattr(company, field) != value]
            if not changed:
                return company, False
            identity_changed = bool({"country", "org_number"} & set(changed))
            others = Company.objects.filter(country=country, org_number=org_number).exclude(pk=company.pk)
            if identity_changed and others.exists():
                raise _org_number_taken()
            # A row stored without a currency (bulk-created) buys in its country's; a new
            # country would switch it silently. Keep the one it buys in (see the docstring).
            pinned = "country" in changed and not company.currency
            if pinned:
                company.currency = company.purchase_currency
            for field in changed:
                setattr(company, field, values[field])
            company.save(update_fields=[*changed, "currency"] if pinned else changed)
            return company, False
    raise MembersError(_("The company could not be saved; try again."))
