"""What the portal's filtered lists (django-filter's ``FilterView``) share."""

from __future__ import annotations


class RefusedFilterMixin:
    """For a ``FilterView`` (strict, django-filter's default): a filter value its form does not
    offer (``?status=bogus``, an edited address, an old bookmark) is a 400 that renders the
    page with the form's error on the field, and ``filter_refused`` in the context so the
    template says so in place of the list, never an empty list that reads "nothing here".
    With an export mixin (``core.spreadsheets``) no export is made for such a request: the
    page answers instead.

    Placed before ``FilterView`` and any export mixin. A view with ``strict = False`` made the
    other choice (every row, the error above them) and does not need this."""

    def filter_refused(self) -> bool:
        """Whether the filter asked for is not one the form offers."""
        filterset = getattr(self, "filterset", None)  # not yet while the queryset is made
        return filterset is not None and filterset.is_bound and not filterset.is_valid()

    def requested_export_format(self) -> str | None:
        if self.filter_refused():
            return None
        requested = getattr(super(), "requested_export_format", None)  # a view without exports has none
        return requested() if requested is not None else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_refused"] = self.filter_refused()
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if self.filter_refused():
            response.status_code = 400
        return response
