"""Who caused a ledger entry, as the points history names it: a person, the ERP, a
campaign, or the club.

Read from the entry's relations, never from its memo: ``purchase`` (the sending system),
an origin a higher app registers (a campaign's award: ``campaigns`` registers at start-up,
as it does for the earn, because the ledger imports no higher floor), ``created_by`` (the
member who ordered, the rep who gave goodwill, the staff who corrected), and otherwise the
club itself (a release at the end of the holding period, an expiry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from rewards.models import LedgerEntry

# A provider takes entry ids (a list, or a ``values("pk")`` queryset for an export of every
# entry) and returns a label for those it caused, in one query: {entry id: "Campaign “Spring”"}.
OriginProvider = Callable[[Sequence[int] | QuerySet], dict[int, str]]

_providers: dict[str, OriginProvider] = {}


def entry_origin_register(name: str, provider: OriginProvider) -> None:
    """Let a higher app name the entries it caused (once per ``name``; a second ``ready()``
    in tests replaces the first)."""
    _providers[name] = provider


def entry_origins(entries: Iterable[LedgerEntry], *, club_name: str) -> dict[int, str]:
    """``{entry id: who caused it}`` for ``entries`` (selected with ``created_by`` and
    ``purchase``; a list, or a queryset). One query per registered provider, however many
    entries; none per entry."""
    if isinstance(entries, QuerySet):
        ids = entries.filter(purchase__isnull=True).order_by().values("pk")
    else:
        entries = list(entries)
        ids = [entry.pk for entry in entries if entry.purchase_id is None]
    registered: dict[int, str] = {}
    for provider in _providers.values():
        registered.update(provider(ids))
    origins = {}
    for entry in entries:
        if entry.purchase_id is not None:
            origins[entry.pk] = _("ERP (%(source)s)") % {"source": entry.purchase.source}
        elif entry.pk in registered:
            origins[entry.pk] = registered[entry.pk]
        elif entry.created_by_id is not None:
            person = entry.created_by
            origins[entry.pk] = person.get_full_name() or person.email
        else:
            origins[entry.pk] = club_name
    return origins
