"""Reads for conversations: who may see which thread, unread counts, pages of messages.

Every selector runs a fixed number of queries, whatever the number of threads or messages.
Access is decided here, once: a member sees the threads of their own company; a sales rep
those of the companies assigned to them; a club admin every thread. A thread outside
that scope is simply not found (the views answer 404).

"Unread" for a person: a message in a thread they may see, written by someone else, with
a higher id than their ``ThreadReadState.last_read_message_id`` (0 without a row).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from members.models import Company, Membership, User
from members.selectors import company_contacts, is_club_admin, is_sales_rep
from members.selectors import staff_companies as members_staff_companies

from .models import Broadcast, Message, Thread, ThreadReadState

MESSAGES_PER_PAGE = 50


# --- Unread -------------------------------------------------------------------------------------


def unread_messages_count(*, messages: QuerySet[Message], reader: int | str, group_by: str) -> Coalesce:
    """An expression counting ``messages`` the reader has not read (see the module docstring).

    ``messages`` is correlated to the outer query (``thread_id=OuterRef("pk")`` for a list
    of threads, ``thread__company_id=OuterRef("pk")`` for a list of companies) and grouped
    by ``group_by``. ``reader`` is a user id, or the name of the outer row's column holding
    it (``"sales_rep_id"``: what each account's rep has not read yet). One subquery, on the
    (thread, id) index.
    """
    if isinstance(reader, str):
        reader_for_messages, reader_for_reads = OuterRef(reader), OuterRef(OuterRef(reader))
    else:
        reader_for_messages = reader_for_reads = reader
    read_upto = Subquery(
        ThreadReadState.objects.filter(thread_id=OuterRef("thread_id"), user_id=reader_for_reads).values(
            "last_read_message_id"
        )[:1],
        output_field=IntegerField(),
    )
    counted = (
        messages.filter(pk__gt=Coalesce(read_upto, 0))
        .exclude(author_id=reader_for_messages)
        .order_by()
        .values(group_by)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_unread(threads: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    return threads.annotate(
        unread=unread_messages_count(
            messages=Message.objects.filter(thread_id=OuterRef("pk")), reader=user.pk, group_by="thread_id"
        )
    )


def _read_upto(user: User) -> Coalesce:
    return Coalesce(
        Subquery(
            ThreadReadState.objects.filter(thread_id=OuterRef("pk"), user_id=user.pk).values("last_read_message_id")[
                :1
            ],
            output_field=IntegerField(),
        ),
        0,
    )


def unread_thread_count(*, user: User, membership: Membership | None) -> int:
    """How many threads have messages ``user`` has not read: the badge in the navigation.

    A member counts their company's threads, a sales rep the threads of their accounts; a
    club admin reads everyone's but is nobody's recipient, so counts only as a rep would.
    One query.
    """
    threads = _recipient_threads(user=user, membership=membership)
    if threads is None:
        return 0
    # The last message is never the reader's own unread one: posting moves the author's mark.
    return threads.annotate(read_upto=_read_upto(user)).filter(last_message_id__gt=F("read_upto")).count()


def _recipient_threads(*, user: User, membership: Membership | None) -> QuerySet[Thread] | None:
    """The threads whose new messages are for ``user``: their company's, or their accounts'."""
    if membership is not None:
        return Thread.objects.filter(company_id=membership.company_id)
    if user.is_staff:
        return Thread.objects.filter(company__sales_rep=user)
    return None


# --- Lists and single threads -------------------------------------------------------------------


def member_threads(*, membership: Membership) -> QuerySet[Thread]:
    """The member's company's threads, most recent first, each with ``unread`` for them and
    its last message and author. One query per page."""
    threads = Thread.objects.filter(company_id=membership.company_id).select_related(
        "last_message__author", "created_by"
    )
    return _with_unread(threads, membership.user).order_by(F("last_message_at").desc(nulls_last=True), "-pk")


def staff_companies(*, user: User) -> QuerySet[Company]:
    """The companies whose conversations a member of staff may work with: a rep's own
    accounts, every company for a club admin (the one rule in
    ``members.selectors.staff_companies``); nothing for anyone else, Marketing included,
    whose company scope is club-wide but who take no part in conversations."""
    if not (is_club_admin(user) or is_sales_rep(user)):
        return Company.objects.none()
    return members_staff_companies(user=user)


def staff_threads(
    *, user: User, company: Company | None = None, unread_only: bool = False, hide_unanswered_broadcasts: bool = False
) -> QuerySet[Thread]:
    """Threads a rep (their accounts') or club admin (all) may read, most recent first, with
    ``unread`` for ``user``, the company and the last message. One query per page.

    ``hide_unanswered_broadcasts`` leaves out the copies of a broadcast nobody has answered
    (the inbox lists the broadcast once instead; an answered copy is a conversation).
    """
    threads = Thread.objects.filter(company__in=staff_companies(user=user))
    if company is not None:
        threads = threads.filter(company=company)
    if hide_unanswered_broadcasts:
        threads = threads.exclude(broadcast__isnull=False, message_count__lte=1)
    threads = _with_unread(threads.select_related("company", "last_message__author"), user)
    if unread_only:
        threads = threads.filter(unread__gt=0)
    return threads.order_by(F("last_message_at").desc(nulls_last=True), "-pk")


def member_thread(*, membership: Membership, thread_id: int) -> Thread | None:
    """The thread if it belongs to the member's company, else None."""
    return (
        Thread.objects.select_related("company__sales_rep", "created_by")
        .filter(pk=thread_id, company_id=membership.company_id)
        .first()
    )


def staff_thread(*, user: User, thread_id: int) -> Thread | None:
    """The thread if ``user`` is its company's rep or a club admin, else None."""
    return (
        Thread.objects.select_related("company__sales_rep", "created_by")
        .filter(pk=thread_id, company__in=staff_companies(user=user))
        .first()
    )


def staff_company(*, user: User, company_id: int) -> Company | None:
    """The company if ``user`` is its rep or a club admin, else None."""
    return staff_companies(user=user).select_related("sales_rep").filter(pk=company_id).first()


def thread_participants(*, thread: Thread) -> list[User]:
    """Who a new message in ``thread`` is for: the company's active contacts and its rep.
    One query (the rep comes with the thread's company when it was loaded with it)."""
    people = company_contacts(company_id=thread.company_id)
    rep = thread.company.sales_rep
    if rep is not None and rep.is_active:
        people.append(rep)
    return people


@dataclass(frozen=True)
class MessagePage:
    """Up to ``MESSAGES_PER_PAGE`` messages of a thread, oldest first, and whether there are
    earlier ones (``earlier_than`` is the id to ask for them with)."""

    messages: list[Message]
    has_earlier: bool

    @property
    def earlier_than(self) -> int | None:
        return self.messages[0].pk if self.messages and self.has_earlier else None

    @property
    def last_id(self) -> int:
        return self.messages[-1].pk if self.messages else 0


def _messages(thread: Thread) -> QuerySet[Message]:
    return (
        Message.objects.filter(thread=thread)
        .select_related("author__membership")
        .prefetch_related(Prefetch("attachments"))
    )


def thread_messages(*, thread: Thread, before_id: int | None = None, limit: int = MESSAGES_PER_PAGE) -> MessagePage:
    """The newest ``limit`` messages of the thread (those before ``before_id`` if given),
    oldest first, with authors and attachments. Two queries whatever the thread's size."""
    messages = _messages(thread)
    if before_id is not None:
        messages = messages.filter(pk__lt=before_id)
    newest_first = list(messages.order_by("-pk")[: limit + 1])
    return MessagePage(messages=list(reversed(newest_first[:limit])), has_earlier=len(newest_first) > limit)


def thread_messages_after(*, thread: Thread, after_id: int, limit: int = MESSAGES_PER_PAGE) -> list[Message]:
    """Messages newer than ``after_id``, oldest first (the live update of an open thread).
    Two queries; none of the second when there is nothing new."""
    return list(_messages(thread).filter(pk__gt=after_id).order_by("pk")[:limit])


def read_state(*, thread: Thread, user: User) -> ThreadReadState | None:
    return ThreadReadState.objects.filter(thread=thread, user=user).first()


def recent_broadcasts(*, user: User, limit: int = 5) -> list:
    """``user``'s latest broadcasts with how many accounts they went to and how many
    answered. One query (counts as subqueries, no row multiplication)."""

    answered = (
        Thread.objects.filter(broadcast_id=OuterRef("pk"), message_count__gt=1)
        .order_by()
        .values("broadcast_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    accounts = (
        Broadcast.companies.through.objects.filter(broadcast_id=OuterRef("pk"))
        .order_by()
        .values("broadcast_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return list(
        Broadcast.objects.filter(sender=user)
        .annotate(
            accounts=Coalesce(Subquery(accounts, output_field=IntegerField()), 0),
            answered=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
        )
        .order_by("-created_at", "-pk")[:limit]
    )
