"""The company page's card of colleagues' erasure requests (the members app's template
includes it: privacy sits above members, so members does not import it)."""

from __future__ import annotations

from django import template

from privacy.models import ErasureRequest, ErasureStatus

register = template.Library()


@register.inclusion_tag("privacy/includes/erasure_requests_card.html", takes_context=True)
def company_erasure_requests_card(context, company):
    """Open erasure requests of ``company``'s people, for its admins to confirm. One query."""
    requests = list(
        ErasureRequest.objects.filter(status=ErasureStatus.REQUESTED, user__membership__company=company)
        .select_related("user")
        .order_by("due_at")
    )
    return {"requests": requests, "request": context.get("request"), "csrf_token": context.get("csrf_token")}
