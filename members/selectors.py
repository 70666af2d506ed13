"""Reads for members. Each returns what one page needs in a fixed number of queries."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from .models import Company, CompanyStatus, Invitation, Membership, MembershipRole, User
from .staff_groups import CLUB_ADMINS, MARKETING, SALES_REPS


def membership_for_user(user: User) -> Membership | None:
    """The person's membership with its company, or None for staff and former members."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("company", "company__sales_rep").filter(user=user).first()


def company_colleagues(company: Company) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(company=company)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def company_open_invitations(company: Company) -> QuerySet[Invitation]:
    return Invitation.objects.pending().filter(company=company).select_related("invited_by").order_by("-created_at")


# --- Staff roles (Django groups, see members.staff_groups) --------------------------------


def staff_roles(user: User) -> frozenset[str]:
    """The staff groups an active staff user is in (empty for everyone else).

    One query, then cached on the user object, so a request asking several times pays once.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_staff or not user.is_active:
        return frozenset()
    cached = getattr(user, "_staff_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._staff_roles = cached
    return cached


def is_club_admin(user: User) -> bool:
    """A club admin (the group, or a superuser): sees every account and conversation."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff) and (
        user.is_superuser or CLUB_ADMINS in staff_roles(user)
    )


def is_sales_rep(user: User) -> bool:
    """In the Sales reps group: has a workspace with the accounts assigned to them."""
    return SALES_REPS in staff_roles(user)


def is_marketing(user: User) -> bool:
    """In the Marketing group: plans campaigns and confirms activities for the whole club."""
    return MARKETING in staff_roles(user)


# --- Which companies a member of staff may see ---------------------------------------------
#
# One rule, used by the Django admin (``members.admin_scoping``), the rep workspace, staff
# conversations, the fulfilment queue and every staff export:
#
#   club admin (or superuser)  every company
#   sales rep                  the companies assigned to them (``Company.sales_rep``), also
#                              when they are in another group too (the narrower role wins)
#   marketing                  every company (campaigns, activities and their results are
#                              club-wide work; which *kinds* of data they see is up to their
#                              model permissions, which leave out people, points and orders)
#   any other staff or member  none
#
# What a role may do with those companies' data is decided by permissions, not here.


def staff_sees_every_company(user: User) -> bool:
    """Whether ``user``'s company scope is the whole club (club admins, Marketing)."""
    if is_club_admin(user):
        return True
    return not is_sales_rep(user) and is_marketing(user)


def staff_company_q(*, user: User, path: str = "") -> Q:
    """The condition "the company at ``path`` is one ``user`` may see", to filter any
    queryset whose rows belong to a company: ``path`` leads from the queried model to the
    company (``"account__company"`` for ledger entries, ``""`` for companies themselves).

    An empty ``Q()`` (no condition, no join) for whole-club roles; a join on the company's
    sales rep for reps; a condition that matches nothing (Django runs no query) for
    everyone else. At most one query per request, to read the person's groups, which
    ``staff_roles`` then keeps on the user object.
    """
    if staff_sees_every_company(user):
        return Q()
    if is_sales_rep(user):
        return Q(**{f"{path}__sales_rep" if path else "sales_rep": user})
    return Q(pk__in=[])


def staff_companies(*, user: User) -> QuerySet[Company]:
    """The companies ``user`` may see (see ``staff_company_q``): all for club admins and
    Marketing, a rep's own accounts, none for anyone else."""
    return Company.objects.filter(staff_company_q(user=user))


# --- Recipients: who hears about what happens to a company ------------------------------------
# Every app asks these, so "the people of a company" means the same everywhere.


def company_contacts(
    *, company_id: int, roles: list[str] | None = None, reachable_by_email: bool = False
) -> list[User]:
    """The active contacts of a company, oldest first (only those with ``roles`` if given;
    only those who accept e-mail and have an address if ``reachable_by_email``). One query."""
    users = User.objects.filter(membership__company_id=company_id, is_active=True)
    if roles is not None:
        users = users.filter(membership__role__in=roles)
    if reachable_by_email:
        users = users.filter(email_notifications=True).exclude(email="")
    return list(users.order_by("pk"))


def company_admins(*, company_id: int, reachable_by_email: bool = False) -> list[User]:
    """The company's active admins: who approves orders and hears about the account."""
    return company_contacts(company_id=company_id, roles=[MembershipRole.ADMIN], reachable_by_email=reachable_by_email)


def contacts_by_company(*, company_ids) -> dict[int, list[User]]:
    """The active contacts of each of ``company_ids``, in one query: recipients for a notice
    that goes to many companies at once (a CSV import's points). The caller passes ids in
    batches of a few hundred (``notifications.services.BATCH_SIZE``)."""
    by_company: dict[int, list[User]] = {}
    users = (
        User.objects.filter(membership__company_id__in=list(company_ids), is_active=True)
        .annotate(contact_of=F("membership__company_id"))
        .order_by("pk")
    )
    for user in users:
        by_company.setdefault(user.contact_of, []).append(user)
    return by_company


def member_contacts(*, companies: QuerySet[Company] | None = None) -> QuerySet[User]:
    """The active contacts of active member companies (of ``companies`` if given), oldest
    first, as a query to iterate in chunks: the audience of a club-wide announcement.
    Staff are never among them."""
    people = User.objects.filter(is_active=True, is_staff=False, membership__company__status=CompanyStatus.ACTIVE)
    if companies is not None:
        people = people.filter(membership__company__in=companies)
    return people.order_by("pk")
