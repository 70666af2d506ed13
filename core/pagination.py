"""Pagination that forgives a page number past the end."""

from __future__ import annotations


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
