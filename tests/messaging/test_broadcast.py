"""A rep's message to many accounts: one new conversation per chosen company, exactly once,
only the rep's own accounts (any for a club admin), attachments stored once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import Company, CompanyStatus, Country
from messaging.models import Attachment, Broadcast, Message, Thread
from messaging.services import MessagingError, broadcast_create, broadcast_deliver
from notifications.models import Notification
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(company, rep):
    """The rep's six accounts: four Swedish, two Dutch (one of them suspended), each with a contact."""
    companies = [company] + [CompanyFactory(sales_rep=rep, country=Country.SWEDEN) for _ in range(3)]
    companies += [CompanyFactory(sales_rep=rep, country=Country.NETHERLANDS, org_number=f"1234567{n}") for n in (1, 2)]
    Company.objects.filter(pk=companies[-1].pk).update(status=CompanyStatus.SUSPENDED)
    for company in companies:
        MembershipFactory(company=company)
    return companies


def send(sender, companies, key="k-1", **kwargs):
    return broadcast_create(
        sender=sender, subject="Holiday hours", body="We close on 23 December.", companies=companies, key=key, **kwargs
    )


def test_a_broadcast_reaches_exactly_the_filtered_active_accounts_once_each(
    rep, accounts, other_company, django_capture_on_commit_callbacks
):
    swedish = Company.objects.filter(country=Country.SWEDEN, sales_rep=rep)

    with django_capture_on_commit_callbacks(execute=True):
        broadcast = send(rep, swedish)

    reached = set(Thread.objects.filter(broadcast=broadcast).values_list("company_id", flat=True))
    assert reached == {company.pk for company in accounts[:4]}
    assert Message.objects.filter(broadcast=broadcast).count() == 4
    assert not Thread.objects.filter(company=other_company).exists()
    # Every contact of a reached company is told in the portal; nobody else.
    assert set(Notification.objects.values_list("recipient__membership__company_id", flat=True)) == reached


def test_suspended_accounts_and_other_reps_accounts_are_left_out_even_when_asked_for(
    rep, accounts, other_company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = send(rep, Company.objects.all())

    assert set(broadcast.companies.values_list("pk", flat=True)) == {company.pk for company in accounts[:5]}
    assert Thread.objects.filter(broadcast=broadcast).count() == 5


def test_delivering_again_or_sending_the_same_form_again_adds_nothing(
    rep, accounts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = send(rep, Company.objects.filter(sales_rep=rep))
    with django_capture_on_commit_callbacks(execute=True):
        again = send(rep, Company.objects.filter(sales_rep=rep))  # the same form (key) resubmitted

    assert again.pk == first.pk
    assert broadcast_deliver(broadcast_id=first.pk) == 0
    assert Broadcast.objects.count() == 1
    assert Message.objects.count() == 5


def test_a_delivery_that_stopped_half_way_resumes_where_it_stopped(rep, accounts):
    broadcast = send(rep, Company.objects.filter(sales_rep=rep))  # delivery not run (no commit)
    Thread.objects.create(company=accounts[0], subject="Holiday hours", broadcast=broadcast)  # as if one got through

    assert broadcast_deliver(broadcast_id=broadcast.pk) == 4
    assert Thread.objects.filter(broadcast=broadcast).count() == 5


def test_nothing_is_sent_when_no_account_matches_or_the_message_is_empty(rep, accounts, other_company):
    with pytest.raises(MessagingError, match="No accounts match"):
        send(rep, Company.objects.filter(pk=other_company.pk))
    with pytest.raises(MessagingError, match="Write a message"):
        broadcast_create(sender=rep, subject="Hi", body=" ", companies=Company.objects.all(), key="k-2")

    assert not Broadcast.objects.exists() and not Thread.objects.exists()


def test_a_broadcast_attachment_is_stored_once_and_shown_in_every_conversation(
    rep, accounts, pdf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(rep, Company.objects.filter(country=Country.SWEDEN), attachments=[pdf])

    files = set(Attachment.objects.values_list("file", flat=True))
    assert Attachment.objects.count() == 4 and len(files) == 1


def test_the_broadcast_page_sends_to_the_accounts_its_filters_pick(
    client, rep, accounts, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)
    url = reverse("reps:broadcast") + "?country=NL"

    page = client.get(url)
    assert page.status_code == 200
    assert "To 1 account" in page.content.decode()  # one Dutch account is suspended
    key = page.context["form"]["key"].value()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"subject": "Hallo", "body": "Tot ziens", "key": key})

    assert response.status_code == 302
    assert list(Thread.objects.values_list("company_id", flat=True)) == [accounts[4].pk]
    broadcast = Broadcast.objects.get()
    assert broadcast.audience == "country=NL"  # the filters, described in each reader's language
    assert "Country: Netherlands" in client.get(url).content.decode()


def test_the_broadcast_page_shows_why_a_tampered_key_sends_nothing(client, rep, accounts, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)

    response = client.post(reverse("reps:broadcast"), {"subject": "Hallo", "body": "Tot ziens", "key": ""})

    page = response.content.decode()
    assert response.status_code == 400
    assert "This form has expired; please reload the page and try again." in page
    assert not Broadcast.objects.exists() and not Thread.objects.exists()


def test_the_audience_of_a_sent_broadcast_reads_in_the_readers_language(
    client, rep, accounts, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        send(rep, Company.objects.filter(country=Country.SWEDEN), audience="country=SE")
        send(rep, Company.objects.filter(sales_rep=rep), key="k-2", audience="")

    english = client.get(reverse("reps:broadcast"), headers={"accept-language": "en"}).content.decode()
    rep.language = "sv"
    rep.save(update_fields=["language"])
    swedish = client.get(reverse("reps:broadcast")).content.decode()

    assert "Country: Sweden" in english and "All accounts" in english
    assert "Land: Sverige" in swedish and "Alla konton" in swedish
    assert "All accounts" not in swedish


@pytest.mark.parametrize(
    "query",
    ["?tier=garbage", "?country=%00", "?attention=everyone", "?tier=99999999999999999999"],
)
def test_a_broadcast_with_a_filter_that_is_not_valid_is_refused_not_widened(
    client, rep, accounts, settings, django_capture_on_commit_callbacks, query
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)
    url = reverse("reps:broadcast") + query

    page = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"subject": "Hallo", "body": "To everyone?", "key": "k-bad"})

    assert page.status_code == 400
    assert "nothing can be sent" in page.content.decode()
    assert "To 0 accounts" in page.content.decode()
    assert sent.status_code == 400
    assert not Broadcast.objects.exists() and not Thread.objects.exists()


def test_a_rep_cannot_pick_another_reps_accounts_as_the_audience(
    client, rep, accounts, other_company, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)
    url = reverse("reps:broadcast") + f"?rep={other_company.sales_rep_id}"

    page = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"subject": "Hallo", "body": "Hi", "key": "k-rep"})

    assert page.status_code == 400
    assert "Only club admins can choose the accounts of a sales rep." in page.content.decode()
    assert sent.status_code == 400 and not Broadcast.objects.exists()


def test_the_broadcast_page_refuses_an_empty_message_with_a_reason(client, rep, accounts, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)

    response = client.post(reverse("reps:broadcast"), {"subject": "Hallo", "body": "", "key": "k"})

    assert response.status_code == 400
    assert "Write a message before sending." in response.content.decode()
    assert not Broadcast.objects.exists()


def test_a_member_sees_a_broadcast_labelled_in_their_terms_not_the_reps(
    client, rep, accounts, purchaser, portal_site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(rep, Company.objects.filter(pk=accounts[0].pk))

    client.force_login(purchaser)
    member_page = client.get(reverse("messaging:list")).content.decode()

    assert "Sent to several companies" in member_page and "To several accounts" not in member_page
