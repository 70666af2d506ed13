"""Pagination that forgives a page number past the end, and stays cheap at the far end of a
long, indexed list."""

from __future__ import annotations

from django.core.paginator import Paginator


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
    Same pages, same ``count`` as ``Paginator``; plain lists are paged as usual."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        reversible = getattr(self.object_list, "ordered", False) and hasattr(self.object_list, "reverse")
        if not reversible or bottom <= self.count // 2:
            return super().page(number)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return self._get_page(rows, number, self)
