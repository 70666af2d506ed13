"""Pagination that forgives a page number past the end, and stays cheap at the far end of a
long, indexed list."""

from __future__ import annotations

from django.core.paginator import Paginator
from django_tables2.rows import BoundRows


class ForgivingPaginationMixin:
    """For a ``ListView``: ``?page=`` past the last page shows the last page, and one that is
    not a number shows the first, instead of a 404. A bookmarked or shared link, or the
    "Unread" list after its items were read, should never lead to an error page."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset, page_size, orphans=self.get_paginate_orphans(), allow_empty_first_page=self.get_allow_empty()
        )
        page = paginator.get_page(self.kwargs.get(self.page_kwarg) or self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class TwoEndedPaginator(Paginator):
    """A ``Paginator`` whose pages in the second half are read from the other end: the
    queryset's order reversed, a small OFFSET, the rows turned back. The last page of 85 000
    entries then reads 25 index entries instead of skipping 85 000 (or sorting them all).
    Same pages, same ``count`` as ``Paginator``. Takes an ordered queryset or a
    django-tables2 table's rows over one (``table_pagination = {"paginator_class": …}``);
    anything else is paged as usual."""

    def _ordered_queryset(self):
        data = self.object_list
        if isinstance(data, BoundRows):  # a table's rows: their data holds the ordered queryset
            data = getattr(data.data, "data", None)
        return data if getattr(data, "ordered", False) and hasattr(data, "reverse") else None

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self._ordered_queryset()
        if queryset is None or bottom <= self.count // 2:
            return super().page(number)
        rows = list(queryset.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        if isinstance(self.object_list, BoundRows):
            rows = BoundRows(data=rows, table=self.object_list.table, pinned_data=self.object_list.pinned_data)
        return self._get_page(rows, number, self)
