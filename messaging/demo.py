"""Demo conversations between the demo companies and their reps, written through the real
services (so read marks, unread counts and in-portal notices are real), dated in the past.

Called by ``portal.demo.seed()``. Idempotent: a conversation is looked up by company and
subject, the broadcast by its key; a second run writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from members.models import Company, MembershipRole

from .models import Broadcast, Thread
from .services import broadcast_create, broadcast_deliver, message_post, thread_start

# (subject, [(who, days ago, text)]) — who: "rep" or a member role. The first line starts it.
BERGSTROM_THREADS = [
    (
        "Delivery of the spring order",
        [
            (
                MembershipRole.PURCHASER,
                6,
                "Hi Anna, could the spring order (PO 4471) go to our Mölndal site instead of the office? "
                "The site manager is on 031-555 12 12.",
            ),
            (
                "rep",
                5,
                "Hi! Done – the order now goes to Mölndal, Kryptongatan 4, on Thursday morning.\n"
                "You can follow it here: https://shop.example.com/orders/4471",
            ),
            (MembershipRole.PURCHASER, 5, "Perfect, thank you!"),
        ],
    ),
    (
        "Workwear for your new team",
        [
            (
                "rep",
                1,
                "Hello! Workwear and safety earns twice the points, and with the three new hires you mentioned a full "
                "kit each would earn about 9 000 points. Shall I put a proposal together?",
            ),
        ],
    ),
]
OTHER_THREADS = [
    (
        "Invoice for March",
        [
            (
                "admin",
                9,
                "Hi, the March invoice lists 12 pallets of plasterboard, but we received 10. Could you check?",
            ),
            ("rep", 8, "Thanks for telling me. I have asked logistics and will come back to you tomorrow."),
            ("admin", 2, "Any news on this?"),
        ],
    ),
    (
        "Quote for cordless drills",
        [
            (
                MembershipRole.PURCHASER,
                3,
                "Could we get a quote for 15 cordless drills (18 V) with two batteries each? Delivery in May.",
            ),
        ],
    ),
    (
        "Thank you for coming to the product day",
        [
            ("rep", 12, "It was good to see you at the product day. The slides are on the News page of the portal."),
            (MembershipRole.PURCHASER, 11, "Thanks, it was useful. We will order the new fixings next month."),
        ],
    ),
]
BROADCAST_KEY = "demo-holiday-opening-hours"


def _contacts(company: Company) -> dict[str, object]:
    return {membership.role: membership.user for membership in company.memberships.select_related("user")}


def _play(company: Company, subject: str, lines, now) -> bool:
    if Thread.objects.filter(company=company, subject=subject).exists():
        return False
    people = _contacts(company)
    rep = company.sales_rep

    def author(who):
        return rep if who == "rep" else people.get(who)

    first_who, first_days, first_text = lines[0]
    thread = thread_start(
        company=company,
        author=author(first_who),
        subject=subject,
        body=first_text,
        now=now - timedelta(days=first_days, hours=2),
    )
    for who, days, text in lines[1:]:
        message_post(thread=thread, author=author(who), body=text, now=now - timedelta(days=days))
    return True


def seed_messages(summary, companies: list[Company]) -> None:
    now = timezone.now()
    created = []
    with_rep = [company for company in companies if company.sales_rep_id and company.memberships.exists()]
    if not with_rep:
        return
    first = with_rep[0]
    for subject, lines in BERGSTROM_THREADS:
        if _play(first, subject, lines, now):
            created.append(first.pk)
    for index, company in enumerate(with_rep[1:9]):
        subject, lines = OTHER_THREADS[index % len(OTHER_THREADS)]
        if _play(company, subject, lines, now):
            created.append(company.pk)
    rep = first.sales_rep
    if not Broadcast.objects.filter(key=BROADCAST_KEY).exists():
        broadcast = broadcast_create(
            sender=rep,
            subject="Opening hours over the holidays",
            body="Our warehouses close at 14:00 on 23 December and open again on 2 January. "
            "Orders placed in the portal before 20 December arrive before the break.",
            companies=Company.objects.filter(sales_rep=rep),
            key=BROADCAST_KEY,
            audience="",  # no filter: "All accounts", in each reader's language (reps.filters.describe_audience)
            now=now - timedelta(days=4),
        )
        broadcast_deliver(broadcast_id=broadcast.pk)
        created.append(rep.pk)
    for _ in created:
        summary.count("conversations", True)
    if created:
        # The demo history is not news: the e-mail batching job starts after it.
        Thread.objects.filter(company__in=companies, email_checked_upto__lt=F("last_message_id")).update(
            email_checked_upto=F("last_message_id")
        )
