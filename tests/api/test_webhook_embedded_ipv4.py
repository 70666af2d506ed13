"""The webhook address guard sees through IPv6 forms of an IPv4 address (6to4,
IPv4-compatible, NAT64, Teredo): an internal IPv4 address is refused in any of them."""

from __future__ import annotations

import ipaddress

import pytest

from api.models import WebhookEndpoint
from api.webhook_http import _address_public

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:a01:203::1]/",  # 6to4 of 10.1.2.3
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::a9fe:a9fe]/",  # IPv4-compatible 169.254.169.254
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::7f00:1]/",  # local-use NAT64
    ],
)
def test_ipv6_forms_of_internal_ipv4_addresses_are_refused(api, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    response = api.post("/webhooks/endpoints", {"url": url, "events": ["purchase.earned"]})

    assert response.status_code == 422, response.content
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2606:4700:4700::1111", True),
        ("2002:c0a8:1::1", False),  # 6to4 of 192.168.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("::ffff:127.0.0.1", False),
    ],
)
def test_the_embedded_address_decides(address, public):
    assert _address_public(ipaddress.ip_address(address)) is public
