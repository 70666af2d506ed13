"""Outbound webhooks: a real HTTP receiver on loopback (a thread with http.server), signatures
verified with the Standard Webhooks library, retries with backoff, order per company, the
SSRF guard, secret rotation, automatic disabling and scoping between clients."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.models import ApiScope, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import api_client_create
from api.webhooks import RETRY_DELAYS, webhook_flush, webhooks_retry_due
from members.models import CompanyStatus
from members.services import company_set_status
from tests.factories import CompanyFactory

from .conftest import JsonApi, purchase_body


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers ``status``
    (a redirect's Location points at itself)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append(({key.lower(): value for key, value in self.headers.items()}, body))
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", receiver.url)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/clubportal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    """Run what the block queues after its commit (the outbox's in-process mode), as the
    worker would after a real commit."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def _subscribe(api: JsonApi, url: str, events=("purchase.earned",)) -> tuple[dict, str]:
    response = api.post("/webhooks/endpoints", {"url": url, "events": list(events)})
    assert response.status_code == 201, response.json()
    body = response.json()
    return body, body["secret"]


def _verify(secret: str, headers: dict, body: bytes) -> dict:
    return Webhook(secret).verify(body, headers)


def test_a_purchase_is_delivered_signed_and_the_library_verifies_it(api, company, receiver, run_after_commit):
    endpoint, secret = _subscribe(api, receiver.url)
    assert secret.startswith("whsec_")
    assert "secret" not in api.get(f"/webhooks/endpoints/{endpoint['id']}").json()  # shown once

    with run_after_commit():
        assert api.post("/purchases", purchase_body(company)).status_code == 201

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    payload = _verify(secret, headers, body)
    assert payload["type"] == "purchase.earned"
    assert payload["version"] == 1
    assert payload["id"] == headers["webhook-id"]
    assert payload["data"]["company"]["external_id"] == company.external_id
    assert payload["data"]["purchase"]["external_id"] == "ORDER-1"
    assert payload["data"]["points"] == 1000
    assert "memo" not in json.dumps(payload)  # structured fields only
    with pytest.raises(WebhookVerificationError):
        _verify("whsec_" + base64.b64encode(b"another secret of 32 bytes......").decode(), headers, body)
    with pytest.raises(WebhookVerificationError):
        _verify(secret, headers, body.replace(b"1000", b"9000"))  # a changed body
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 204)
    attempt = WebhookAttempt.objects.get()
    assert attempt.succeeded and attempt.status_code == 204 and attempt.duration_ms >= 0


def test_a_retried_purchase_is_not_announced_twice(api, company, receiver, run_after_commit):
    _subscribe(api, receiver.url)
    with run_after_commit():
        api.post("/purchases", purchase_body(company))
    with run_after_commit():
        assert api.post("/purchases", purchase_body(company)).status_code == 200

    assert len(receiver.requests) == 1
    assert WebhookEvent.objects.count() == 1


def test_a_write_that_rolls_back_announces_nothing(api_client_and_token, company, receiver, run_after_commit, rules):
    from rewards.purchases.services import purchase_record

    _client, token = api_client_and_token
    _subscribe(_api_for(token), receiver.url)
    with run_after_commit(), pytest.raises(RuntimeError), transaction.atomic():
        purchase_record(
            company=company,
            source="erp",
            external_id="ROLLED-BACK",
            occurred_at=timezone.now() - timedelta(days=1),
            net_amount=Decimal("100.00"),
            currency=rules.currency,
            lines=[],
        )
        raise RuntimeError("the caller's transaction fails after the purchase")

    assert WebhookEvent.objects.count() == 0
    assert receiver.requests == []


def _time_passes(delta: timedelta) -> None:
    """Move the stored times of deliveries and endpoints back by ``delta``: as if the clock
    had moved on (the tasks read the real clock)."""
    for delivery in WebhookDelivery.objects.all():
        for field in ("next_attempt_at", "last_attempt_at", "created_at"):
            if getattr(delivery, field):
                setattr(delivery, field, getattr(delivery, field) - delta)
        delivery.save()
    for endpoint in WebhookEndpoint.objects.exclude(failing_since=None):
        endpoint.failing_since -= delta
        endpoint.save(update_fields=["failing_since"])


def _api_for(token: str) -> JsonApi:
    from django.test import Client

    return JsonApi(Client(), token)


def test_failures_are_retried_with_backoff_under_the_same_event_id(api, company, receiver, run_after_commit):
    _endpoint, secret = _subscribe(api, receiver.url)
    receiver.status = 500
    with run_after_commit():
        api.post("/purchases", purchase_body(company))

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    first_at = delivery.last_attempt_at
    assert delivery.next_attempt_at == first_at + RETRY_DELAYS[0]

    # Not due yet: nothing is sent.
    with run_after_commit():
        assert webhooks_retry_due(now=first_at + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0
    assert len(receiver.requests) == 1

    # Second attempt fails too: the next waits longer (exponential).
    with run_after_commit():
        webhook_flush(endpoint_id=delivery.endpoint_id, company_id=company.pk, now=first_at + RETRY_DELAYS[0])
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - delivery.last_attempt_at == RETRY_DELAYS[1] > RETRY_DELAYS[0]

    receiver.status = 200
    later = delivery.next_attempt_at
    with run_after_commit():
        webhook_flush(endpoint_id=delivery.endpoint_id, company_id=company.pk, now=later)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    ids = {headers["webhook-id"] for headers, _body in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # the receiver de-duplicates by it
    assert len({headers["webhook-timestamp"] for headers, _body in receiver.requests}) >= 2  # signed afresh
    _verify(secret, *receiver.requests[0])  # each attempt is signed
    assert [a.status_code for a in WebhookAttempt.objects.order_by("pk")] == [500, 500, 200]


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order_per_company(
    api, company, receiver, run_after_commit
):
    other = CompanyFactory()
    _endpoint, secret = _subscribe(api, receiver.url)
    receiver.status = 503
    with run_after_commit():
        for number in range(1, 4):
            api.post("/purchases", purchase_body(company, f"A-{number}", net_amount=f"{number}00.00"))
        api.post("/purchases", purchase_body(other, "B-1"))

    # Only each company's first event was tried: the ones behind it wait.
    assert sorted(p["data"]["purchase"]["external_id"] for p in receiver.payloads()) == ["A-1", "B-1"]
    assert WebhookDelivery.objects.filter(attempts=0).count() == 2

    # A day later (the clock moved on: the heads are due) the receiver is back; the retry
    # job sends everything.
    _time_passes(timedelta(days=1))
    receiver.status = 200
    receiver.requests.clear()
    with run_after_commit():
        assert webhooks_retry_due() == 2

    received = [p["data"]["purchase"]["external_id"] for p in receiver.payloads()]
    assert sorted(received) == ["A-1", "A-2", "A-3", "B-1"]
    assert [ref for ref in received if ref.startswith("A-")] == ["A-1", "A-2", "A-3"]
    assert len({p["id"] for p in receiver.payloads()}) == 4
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    for headers, body in receiver.requests:
        _verify(secret, headers, body)


def test_a_redirect_is_not_followed(api, company, receiver, run_after_commit):
    _subscribe(api, receiver.url)
    receiver.status = 302
    with run_after_commit():
        api.post("/purchases", purchase_body(company))

    assert len(receiver.requests) == 1
    attempt = WebhookAttempt.objects.get()
    assert not attempt.succeeded and attempt.status_code == 302
    assert "redirect" in attempt.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
    ],
)
def test_private_and_odd_addresses_are_refused(api, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    response = api.post("/webhooks/endpoints", {"url": url, "events": ["purchase.earned"]})

    assert response.status_code == 422
    assert WebhookEndpoint.objects.count() == 0


def test_an_endpoint_that_turns_private_is_never_called(api, company, receiver, settings, run_after_commit):
    _subscribe(api, receiver.url)  # allowed when registered (tests allow loopback)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with run_after_commit():
        api.post("/purchases", purchase_body(company))

    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert not attempt.succeeded and attempt.status_code is None
    assert "not a public address" in attempt.error


def test_during_a_rotation_both_secrets_sign(api, company, receiver, run_after_commit):
    endpoint, old_secret = _subscribe(api, receiver.url)
    rotated = api.post(f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", {})
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret and rotated.json()["previous_secret_until"]

    with run_after_commit():
        api.post("/purchases", purchase_body(company))

    headers, body = receiver.requests[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    _verify(old_secret, headers, body)
    _verify(new_secret, headers, body)

    # After the overlap only the new secret signs.
    WebhookEndpoint.objects.update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    with run_after_commit():
        api.post("/purchases", purchase_body(company, "ORDER-2"))
    headers, body = receiver.requests[1]
    _verify(new_secret, headers, body)
    with pytest.raises(WebhookVerificationError):
        _verify(old_secret, headers, body)


def test_an_endpoint_failing_for_days_is_disabled_and_club_admins_are_told(
    api, company, receiver, run_after_commit, club_admin, mailoutbox, settings
):
    settings.WEBHOOKS_DISABLE_AFTER_DAYS = 3
    _subscribe(api, receiver.url)
    receiver.status = 500
    with run_after_commit():
        api.post("/purchases", purchase_body(company))
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.failing_since is not None and endpoint.is_active

    _time_passes(timedelta(days=3, minutes=1))
    with run_after_commit():
        webhooks_retry_due()

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at and endpoint.disabled_reason
    assert [message.to for message in mailoutbox] == [[club_admin.email]]
    assert endpoint.url in mailoutbox[0].body

    # Re-enabled once the receiver works: the waiting delivery goes out.
    receiver.status = 200
    with run_after_commit():
        response = api.client.patch(
            f"/api/v1/webhooks/endpoints/{endpoint.pk}",
            json.dumps({"is_active": True}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {api.token}"},
        )
    assert response.status_code == 200 and response.json()["is_active"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_domain_events_of_every_kind_reach_a_subscriber(api, company, receiver, run_after_commit, club_admin):
    _subscribe(api, receiver.url, events=["company.created", "company.suspended"])
    with run_after_commit():
        api.put("/companies/NEW-1", {"name": "Ny AB", "country": "SE", "org_number": "556036-0793", "city": "Umeå"})
    new_company = WebhookEvent.objects.get().company
    with run_after_commit():
        company_set_status(company=new_company, status=CompanyStatus.SUSPENDED, reason="Unpaid", actor=club_admin)
        company_set_status(company=new_company, status=CompanyStatus.SUSPENDED, reason="Still", actor=club_admin)

    assert [p["type"] for p in receiver.payloads()] == ["company.created", "company.suspended"]
    assert receiver.payloads()[0]["data"]["company"]["external_id"] == "NEW-1"


def test_an_event_type_needs_the_scope_of_its_data(db, rules):
    _client, token = api_client_create(
        name="Shop", source="shop", created_by=None, scopes=[ApiScope.WEBHOOKS, ApiScope.REDEMPTIONS_READ]
    )
    shop = _api_for(token)

    refused = shop.post("/webhooks/endpoints", {"url": "http://127.0.0.1/x", "events": ["purchase.earned"]})
    accepted = shop.post("/webhooks/endpoints", {"url": "http://127.0.0.1/x", "events": ["redemption.created"]})

    assert refused.status_code == 422 and "points:read" in refused.json()["detail"][0]["msg"]
    assert refused.json()["detail"][0]["loc"] == ["body", "events"]
    assert accepted.status_code == 201


def test_clients_never_see_each_others_endpoints_or_deliveries(api, company, receiver, run_after_commit, rules):
    endpoint, _secret = _subscribe(api, receiver.url)
    with run_after_commit():
        api.post("/purchases", purchase_body(company))
    _other_client, other_token = api_client_create(name="Other", source="other", created_by=None)
    other = _api_for(other_token)

    assert other.get("/webhooks/endpoints").json() == {"items": []}
    assert other.get(f"/webhooks/endpoints/{endpoint['id']}").status_code == 404
    assert other.get(f"/webhooks/endpoints/{endpoint['id']}/deliveries").status_code == 404
    assert other.post(f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", {}).status_code == 404
    mine = api.get(f"/webhooks/endpoints/{endpoint['id']}/deliveries").json()
    assert [item["type"] for item in mine["items"]] == ["purchase.earned"]


def test_a_client_limited_to_its_companies_gets_only_their_events(company, receiver, run_after_commit, rules):
    other = CompanyFactory()
    _client, token = api_client_create(
        name="Limited", source="lim", created_by=None, all_companies=False, companies=[company]
    )
    _subscribe(_api_for(token), receiver.url)
    _erp, erp_token = api_client_create(name="ERP", source="erp", created_by=None)
    erp = _api_for(erp_token)

    with run_after_commit():
        erp.post("/purchases", purchase_body(company, "MINE"))
        erp.post("/purchases", purchase_body(other, "NOT-MINE"))

    assert [p["data"]["purchase"]["external_id"] for p in receiver.payloads()] == ["MINE"]


def test_without_webhooks_scope_the_endpoints_answer_403(db, rules):
    _client, token = api_client_create(name="Old", source="old", created_by=None, scopes=[ApiScope.PURCHASES_WRITE])
    assert _api_for(token).get("/webhooks/endpoints").status_code == 403


# --- The admin: delivery log, resend, scope ---------------------------------------------------------


def test_the_delivery_log_shows_attempts_and_resend_sends_the_same_event_again(
    api, company, receiver, run_after_commit, superuser_client
):
    _subscribe(api, receiver.url)
    receiver.status = 500
    with run_after_commit():
        api.post("/purchases", purchase_body(company))
    delivery = WebhookDelivery.objects.get()

    page = superuser_client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert b"The receiver answered 500." in page.content and delivery.event.event_id.encode() in page.content
    listing = superuser_client.get("/admin/api/webhookdelivery/")
    assert listing.status_code == 200 and b"purchase.earned" in listing.content

    receiver.status = 200
    with run_after_commit():
        response = superuser_client.post(
            "/admin/api/webhookdelivery/", {"action": "resend", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len({headers["webhook-id"] for headers, _body in receiver.requests}) == 1


def test_resend_needs_its_permission(api, company, receiver, run_after_commit, client, settings):
    from django.contrib.auth.models import Permission

    from tests.factories import StaffFactory

    settings.STAFF_MFA_REQUIRED = False
    _subscribe(api, receiver.url)
    with run_after_commit():
        api.post("/purchases", purchase_body(company))
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(viewer)

    listing = client.get("/admin/api/webhookdelivery/")

    assert listing.status_code == 200
    assert b'value="resend"' not in listing.content


def test_a_sales_rep_sees_only_the_deliveries_of_their_accounts(
    api, company, other_company, rep, receiver, run_after_commit, client, settings
):
    from django.contrib.auth.models import Permission

    settings.STAFF_MFA_REQUIRED = False
    _subscribe(api, receiver.url)
    with run_after_commit():
        api.post("/purchases", purchase_body(company, "REP-OWN"))
        api.post("/purchases", purchase_body(other_company, "REP-OTHER"))
    rep.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(rep)
    others = WebhookDelivery.objects.get(company=other_company)

    listing = client.get("/admin/api/webhookdelivery/")

    assert listing.status_code == 200
    assert company.name.encode() in listing.content
    assert other_company.name.encode() not in listing.content
    assert client.get(f"/admin/api/webhookdelivery/{others.pk}/change/").status_code == 404


def test_ledger_and_redemption_events_carry_structured_fields(
    api, company, company_admin, receiver, run_after_commit, club_admin
):
    from rewards.ledger.services import points_expire, points_release_pending, tier_evaluate
    from rewards.models import PointsAccount
    from rewards.redemptions.services import redemption_cancel, redemption_fulfil
    from tests.rewards.factories import RewardFactory, TierFactory
    from tests.rewards.helpers import request_redemption

    _subscribe(
        api,
        receiver.url,
        events=[
            "points.released",
            "points.expired",
            "tier.changed",
            "redemption.created",
            "redemption.fulfilled",
            "redemption.cancelled",
        ],
    )
    when = timezone.now() - timedelta(days=20)
    with run_after_commit():  # past its return window: released at once
        api.post("/purchases", purchase_body(company, "OLD", occurred_at=when.isoformat(), net_amount="20000.00"))
    with run_after_commit():
        assert points_release_pending(now=timezone.now()) == 0  # and not twice
    released = receiver.payloads()[-1]
    assert (released["type"], released["data"]["points"]) == ("points.released", 20000)

    TierFactory(name="Gold", qualifying_points=10_000)
    with run_after_commit():
        tier_evaluate(account=PointsAccount.objects.get(company=company), now=timezone.now(), allow_downgrade=False)
    tier = receiver.payloads()[-1]
    assert tier["type"] == "tier.changed"
    assert (tier["data"]["from"], tier["data"]["to"]["name"], tier["data"]["direction"]) == (None, "Gold", "up")

    membership = company_admin.membership
    with run_after_commit():
        first = request_redemption(membership, RewardFactory(sku="MUG-1", points_cost=1000))
        redemption_fulfil(redemption=first, by=club_admin, tracking_reference="TRACK-1")
        second = request_redemption(membership, RewardFactory(sku="CAP-1", points_cost=500))
        redemption_cancel(redemption=second, by=company_admin)
    orders = [(p["type"], p["data"]["redemption"]["reward_sku"]) for p in receiver.payloads()[-4:]]
    assert orders == [
        ("redemption.created", "MUG-1"),
        ("redemption.fulfilled", "MUG-1"),
        ("redemption.created", "CAP-1"),
        ("redemption.cancelled", "CAP-1"),
    ]
    assert receiver.payloads()[-3]["data"]["redemption"]["tracking_reference"] == "TRACK-1"

    balance = PointsAccount.objects.get(company=company).balance
    with run_after_commit():
        assert points_expire(now=when + timedelta(days=365 * 3)) == 1
    expired = receiver.payloads()[-1]
    assert expired["type"] == "points.expired"
    assert (expired["data"]["points"], expired["data"]["balance"]) == (balance, 0)
    assert "memo" not in json.dumps(receiver.payloads())
    assert len({p["id"] for p in receiver.payloads()}) == len(receiver.payloads())


def test_the_retry_job_is_scheduled_and_known_to_the_worker(settings):
    from clubportal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-retry-due"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks and entry["schedule"] == 60.0


@pytest.mark.postgres
def test_the_set_based_import_announces_every_earn_and_late_release(
    require_postgres, api, company, receiver, run_after_commit
):
    from django.core.files.base import ContentFile

    from rewards.purchases.imports import purchase_import_create, purchase_import_run

    _subscribe(api, receiver.url, events=["purchase.earned", "points.released"])
    recent = (timezone.now() - timedelta(days=1)).isoformat()
    late = (timezone.now() - timedelta(days=30)).isoformat()
    content = (
        "company_external_id,source,external_id,occurred_at,net_amount,currency\n"
        f"{company.external_id},erp,SB-1,{recent},100.00,SEK\n"
        f"{company.external_id},erp,SB-2,{late},200.00,SEK\n"
    ).encode()
    with run_after_commit():
        purchase_import = purchase_import_create(file=ContentFile(content, name="p.csv"))
    with run_after_commit():
        done = purchase_import_run(import_id=purchase_import.pk, set_based=True)

    assert done.rows_created == 2
    kinds = sorted((p["type"], p["data"].get("points")) for p in receiver.payloads())
    assert kinds == [("points.released", 200), ("purchase.earned", 100), ("purchase.earned", 200)]
    earned = {p["data"]["purchase"]["external_id"]: p for p in receiver.payloads() if p["type"] == "purchase.earned"}
    assert earned["SB-1"]["data"]["purchase"]["source"] == "erp"
    assert earned["SB-1"]["data"]["entry_id"] > 0


@pytest.mark.parametrize("cursor", ["²", "١٢", "abc", "0", str(2**63)])
def test_a_crafted_deliveries_cursor_is_refused_not_a_500(api, receiver, cursor):
    endpoint, _secret = _subscribe(api, receiver.url)

    response = api.get(f"/webhooks/endpoints/{endpoint['id']}/deliveries", cursor=cursor)

    assert response.status_code == 422
