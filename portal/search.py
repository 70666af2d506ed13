"""One search over the portal: offers, news and events (cms), rewards (for members) and
companies (for sales reps and club admins), grouped by kind.

The portal is the top floor, so it may read every app; each kind is scoped the way its own
pages are: content by the cms selectors (live, current, the member's tier), rewards to what
the member's company may order (active, inside their window, its tier), companies to the
person's company scope (``members.selectors.staff_company_q``: a rep their own accounts).
A fixed number of queries whatever the number of matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.selectors import search_content_by_kind
from core.content_language import shown_text_contains
from members.models import Company
from members.selectors import is_club_admin, is_sales_rep, staff_company_q
from rewards.catalogue.selectors import company_reward_position, rewards_offered_to

QUERY_MAX_LENGTH = 200
PER_GROUP = 5  # on the overview; "show all" opens the kind on its own, paginated
PER_PAGE = 20
CONTENT_CAP = 200  # the search backend's hits read per content kind

KIND_LABELS = {
    "offers": _("Offers"),
    "news": _("News"),
    "events": _("Events"),
    "rewards": _("Rewards"),
    "companies": _("Companies"),
}


@dataclass
class SearchGroup:
    kind: str
    total: int
    items: list = field(default_factory=list)
    page: object = None  # a Paginator page when one kind is shown on its own

    @property
    def label(self):
        return KIND_LABELS[self.kind]

    @property
    def has_more(self) -> bool:
        return self.page is None and self.total > len(self.items)


def search_kinds_for(request) -> list[str]:
    """The kinds this person can search, in the order they are shown."""
    kinds = ["offers", "news", "events"]
    if getattr(request, "membership", None):
        kinds.append("rewards")
    user = request.user
    if user.is_staff and (is_club_admin(user) or is_sales_rep(user)):
        kinds.append("companies")
    return kinds


def _terms(query: str) -> list[str]:
    return [term for term in query.split() if term][:10]


def _all_terms(terms: list[str], fields: list[str]) -> Q:
    """Every term in at least one of ``fields`` ("steel thermos" finds "Steel thermos, 0.75 l")."""
    return reduce(
        and_, (reduce(lambda a, b: a | b, (Q(**{f"{name}__icontains": term}) for name in fields)) for term in terms)
    )


def _all_shown_terms(terms: list[str], fields: list[str]) -> Q:
    """``_all_terms`` for translated fields: each as the reader sees it (their language, else
    the fallback shown)."""
    return reduce(
        and_, (reduce(lambda a, b: a | b, (shown_text_contains(name, term) for name in fields)) for term in terms)
    )


def rewards_matching(*, query: str, company: Company, now=None):
    """Rewards the company may order that match ``query``: active, inside their window, and
    open to its tier (the catalogue also shows locked ones; search finds what can be had).
    Title, summary, description and category name are searched, every word must occur, in
    the reader's language and in the languages the portal falls back to (what they see where
    a reward is not translated yet)."""
    now = now or timezone.now()
    position = company_reward_position(company=company)
    tier_allows = Q(tier_required__isnull=True)
    if position.tier is not None:
        tier_allows |= Q(tier_required__qualifying_points__lte=position.tier.qualifying_points)
    return (
        rewards_offered_to(company)  # another currency's gift card or invoice credit is not offered
        .filter(
            _all_shown_terms(_terms(query), ["title", "summary", "description", "category__name"]),
            tier_allows,
            Q(available_from__isnull=True) | Q(available_from__lte=now),
            Q(available_until__isnull=True) | Q(available_until__gt=now),
        )
        .select_related("category")
        .order_by("points_cost", "pk")
    )


def companies_matching(*, query: str, user):
    """Companies in ``user``'s scope whose name, organisation number, city or external id
    matches every word of ``query``."""
    return (
        Company.objects.filter(staff_company_q(user=user))
        .filter(_all_terms(_terms(query), ["name", "org_number", "city", "external_id"]))
        .select_related("sales_rep")
        .order_by("name", "pk")
    )


def portal_search(request, query: str, *, kind: str = "", page_number=None) -> list[SearchGroup]:
    """The groups with matches for ``query`` (empty groups left out). With ``kind``, only that
    group, paginated (``PER_PAGE``); otherwise every group with its first ``PER_GROUP``."""
    # PostgreSQL refuses a NUL byte in any text parameter: it can mean nothing in a search.
    query = query.replace("\x00", " ").strip()[:QUERY_MAX_LENGTH]
    kinds = search_kinds_for(request)
    if not query or not _terms(query):
        return []
    if kind:
        if kind not in kinds:
            return []
        kinds = [kind]
    groups: list[SearchGroup] = []
    content_kinds = [name for name in kinds if name in ("offers", "news", "events")]
    if content_kinds:
        content = search_content_by_kind(request, query, cap=CONTENT_CAP)
        for name in content_kinds:
            groups.append(_group(name, content[name], kind, page_number))
    if "rewards" in kinds:
        groups.append(
            _group("rewards", rewards_matching(query=query, company=request.membership.company), kind, page_number)
        )
    if "companies" in kinds:
        groups.append(_group("companies", companies_matching(query=query, user=request.user), kind, page_number))
    return [group for group in groups if group.total]


def _group(name: str, matches, kind: str, page_number) -> SearchGroup:
    if kind:
        page = Paginator(matches, PER_PAGE).get_page(page_number)
        return SearchGroup(kind=name, total=page.paginator.count, items=list(page.object_list), page=page)
    if isinstance(matches, list):
        return SearchGroup(kind=name, total=len(matches), items=matches[:PER_GROUP])
    return SearchGroup(kind=name, total=matches.count(), items=list(matches[:PER_GROUP]))
