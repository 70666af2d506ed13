"""What message notices say, by message key (``core.texts``), rendered in the reader's
language; the author's name and the subject are parameters captured when written."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from core.texts import text_register

NOTICE = "notice.message"
BROADCAST_NOTICE = "notice.broadcast"

_NOTICE = _("%(author)s wrote: %(subject)s")
_BROADCAST_NOTICE = _("New message from %(author)s: %(subject)s")
_THE_CLUB = _("The club")


def _render(template):
    def render(formatted: Mapping, params: Mapping) -> str:
        """A message without an author (the club's) names the club, in the reader's language."""
        author = formatted.get("author") or str(_THE_CLUB)
        return str(template) % {"author": author, "subject": formatted.get("subject", "")}

    return render


text_register(NOTICE, render=_render(_NOTICE))
text_register(BROADCAST_NOTICE, render=_render(_BROADCAST_NOTICE))
