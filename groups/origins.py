"""The points history's "By" column for transfer entries: the person who asked for the
transfer and their company, and who approved it when a group admin did (one query)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import PointsTransfer


def _person(user) -> str:
    return user.get_full_name() or user.email


def transfer_origins(entry_ids: Sequence[int] | QuerySet) -> dict[int, str]:
    transfers = PointsTransfer.objects.filter(
        Q(out_entry_id__in=entry_ids) | Q(in_entry_id__in=entry_ids)
    ).select_related("requested_by__membership__company", "decided_by")
    origins: dict[int, str] = {}
    for transfer in transfers:
        requester = transfer.requested_by
        membership = getattr(requester, "membership", None)
        label = _person(requester) + (f" ({membership.company.name})" if membership else "")
        if transfer.decided_by_id and transfer.decided_by_id != transfer.requested_by_id:
            label = _("%(person)s, approved by %(approver)s") % {
                "person": label,
                "approver": _person(transfer.decided_by),
            }
        origins[transfer.out_entry_id] = label
        origins[transfer.in_entry_id] = label
    return origins
