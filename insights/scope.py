"""The companies an Insights figure counts: the person's scope
(``members.selectors.staff_company_q``) and the page's filters (country, tier, sales rep,
value segment). A rep's accounts stay a rep's accounts whatever the filters say.

``Filters.q(path)`` is the condition on the company at ``path`` (``""`` for companies,
``"company"`` for purchases and accounts, ``"account__company"`` for ledger entries), so
each selector adds it where it adds the scope. A segment is computed, not stored: the page
resolves it once to the ids of its companies (``insights.filters.resolve``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q

from members.models import User
from members.selectors import staff_company_q


@dataclass(frozen=True)
class Filters:
    country: str = ""
    tier_id: int | None = None
    rep_id: int | None = None
    segment: str = ""
    segment_ids: frozenset[int] | None = None  # resolved from ``segment``

    @property
    def active(self) -> bool:
        return bool(self.country or self.tier_id or self.rep_id or self.segment)

    def q(self, path: str = "") -> Q:
        prefix = f"{path}__" if path else ""
        condition = Q()
        if self.country:
            condition &= Q(**{f"{prefix}country": self.country})
        if self.tier_id:
            condition &= Q(**{f"{prefix}points_account__tier_id": self.tier_id})
        if self.rep_id:
            condition &= Q(**{f"{prefix}sales_rep_id": self.rep_id})
        if self.segment_ids is not None:
            condition &= Q(**{f"{prefix}pk__in": sorted(self.segment_ids)})
        return condition

    def as_query(self) -> str:
        """The filters as GET parameters (for links that keep them)."""
        values = {
            "country": self.country,
            "tier": self.tier_id or "",
            "rep": self.rep_id or "",
            "segment": self.segment,
        }
        return urlencode({key: value for key, value in values.items() if value})


NO_FILTERS = Filters()


def scope_q(*, user: User | None, path: str = "", filters: Filters | None = None) -> Q:
    """The person's scope (nothing for ``None``: the whole club, for the nightly jobs) and the
    filters, on the company at ``path``."""
    scope = staff_company_q(user=user, path=path) if user is not None else Q()
    return scope & filters.q(path) if filters else scope
