"""One webhook POST, guarded: public addresses only, no redirects, short timeouts, a capped
response.

**SSRF guard.** A receiver's URL is chosen by an integrator, so the portal must not become a
way to reach its own network. The host is resolved once; every address it resolves to must
be public (not private, loopback, link-local, multicast, reserved, unspecified, shared or
an IPv4-mapped one of those), else the request is refused. The connection is then made to
the address that was checked — not to the name again — so a DNS answer that changes between
the check and the connect (rebinding) cannot slip through; HTTPS still verifies the
certificate against the host name (SNI). ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` lifts the
address rule (tests, receivers on the portal's own network).

**No redirects** are followed (a 3xx is a failed attempt: a redirect could lead anywhere),
the connect and the response each have a short timeout, and at most ``RESPONSE_CAP_BYTES``
of the response are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

RESPONSE_CAP_BYTES = 4096
USER_AGENT = "Clubportal-Webhooks/1"


class UnsafeUrl(Exception):
    """The URL may not be called (scheme, host, or an address that is not public)."""


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    duration_ms: int
    error: str
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never the internet


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, 6to4, Teredo (server and
    client), IPv4-compatible (``::a.b.c.d``) and NAT64 (``64:ff9b::a.b.c.d``)."""
    embedded = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if (address in _IPV4_COMPATIBLE or address in _NAT64) and int(address) & 0xFFFFFFFF:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _address_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is on the public internet — for an IPv6 address that embeds an
    IPv4 address (which a gateway would connect to), that one too."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        embedded = _embedded_ipv4(address)
        if address.ipv4_mapped is not None:
            return _address_public(address.ipv4_mapped)
        if not all(_address_public(inner) for inner in embedded):
            return False
    return address.is_global and not address.is_multicast


def url_check(url: str) -> tuple[str, int, str, str]:
    """Split ``url`` into (scheme, port, host, path) or raise ``UnsafeUrl`` for what is never
    allowed: another scheme than http(s), no host, credentials in the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(_("Use an http or https URL."))
    if not parts.hostname:
        raise UnsafeUrl(_("The URL has no host."))
    if parts.username or parts.password:
        raise UnsafeUrl(_("Leave user names and passwords out of the URL."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl(_("The URL's port is not a number between 1 and 65535.")) from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, port, parts.hostname, path


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for ``host``: the first it resolves to, after checking that
    every one of them is public (unless ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(_("The host %(host)s could not be resolved.") % {"host": host}) from exc
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        try:
            addresses.append(ipaddress.ip_address(sockaddr[0].split("%", 1)[0]))
        except ValueError:
            continue
    if not addresses:
        raise UnsafeUrl(_("The host %(host)s could not be resolved.") % {"host": host})
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if not _address_public(address):
                raise UnsafeUrl(
                    _(
                        "%(host)s resolves to %(address)s, which is not a public address; webhooks are sent only to the internet."
                    )
                    % {"host": host, "address": address}
                )
    return str(addresses[0])


def url_validate(url: str) -> None:
    """Raise ``UnsafeUrl`` unless ``url`` could be called now (used when an endpoint is saved)."""
    _scheme, port, host, _path = url_check(url)
    resolve_public(host, port)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST ``body`` to ``url`` (see the module docstring). Never raises for what the network
    or the receiver does: the result says what happened."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, port, host, path = url_check(url)
        address = resolve_public(host, port)
    except UnsafeUrl as exc:
        return PostResult(None, elapsed(), str(exc)[:300], "")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(address, host, port, timeout=settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS)
    try:
        connection.connect()
        connection.sock.settimeout(settings.WEBHOOKS_RESPONSE_TIMEOUT_SECONDS)
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_CAP_BYTES).decode("utf-8", "replace")
        status = response.status
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return PostResult(None, elapsed(), f"{type(exc).__name__}: {exc}"[:300], "")
    finally:
        connection.close()
    error = ""
    if 300 <= status < 400:
        error = _("The receiver answered with a redirect; redirects are not followed.")
    elif not 200 <= status < 300:
        error = _("The receiver answered %(status)s.") % {"status": status}
    return PostResult(status, elapsed(), error, excerpt[:500].replace("\x00", ""))
