"""A real OpenID Connect provider for the single sign-on tests (not a mock).

``tests/oidc_provider/server.mjs`` runs panva's oidc-provider (OpenID Certified) under Node
on loopback: two providers, "acme" and "globex", as two customer companies' own. The
session fixtures in ``tests/conftest.py`` start it once; under ``CI=true`` a missing Node or
missing ``node_modules`` fails the test (``tests.conftest.require``).

``sign_in`` walks a Django test client through the whole flow: the login page's e-mail step,
the provider's authorization endpoint and its login form (over HTTP, with ``requests``), and
back to the portal's callback, where allauth exchanges the code with the provider itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "clubportal"
CLIENT_SECRET = "test-only-client-secret"
PROVIDER_NAMES = ("acme", "globex")
# The portal's provider ids registered with each provider: the two companies' and the
# club's own (``OIDC_PROVIDER_ID``, configured from the environment).
PORTAL_PROVIDER_IDS = ("company-acme", "company-globex", "sso")
UNVERIFIED = "unverified@acme.test"


def node_available() -> bool:
    return shutil.which("node") is not None and (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir()


@dataclass
class TestProviders:
    issuers: dict[str, str]
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_providers(portal_base_urls: list[str]) -> TestProviders:
    """Start the providers; each accepts the portal's callbacks at ``portal_base_urls``."""
    redirect_uris = [
        f"{base.rstrip('/')}/accounts/oidc/{provider_id}/login/callback/"
        for base in portal_base_urls
        for provider_id in PORTAL_PROVIDER_IDS
    ]
    logout_uris = [f"{base.rstrip('/')}/accounts/login/" for base in portal_base_urls]
    config = {
        "providers": [
            {
                "name": name,
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "redirect_uris": redirect_uris,
                        "post_logout_redirect_uris": logout_uris,
                    }
                ],
            }
            for name in PROVIDER_NAMES
        ],
        "accounts": {UNVERIFIED: {"email_verified": False}},
    }
    config_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    json.dump(config, config_file)
    config_file.close()
    process = subprocess.Popen(
        ["node", str(PROVIDER_DIR / "server.mjs"), config_file.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROVIDER_DIR,
    )
    log: list[str] = []
    ready = threading.Event()
    issuers: dict[str, str] = {}

    def read_output() -> None:
        for line in process.stdout:
            log.append(line.rstrip())
            if line.startswith("READY "):
                issuers.update(json.loads(line.removeprefix("READY ")))
                ready.set()
        ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    if not ready.wait(timeout=30) or not issuers:
        process.kill()
        raise RuntimeError("The OpenID provider did not start:\n" + "\n".join(log))
    os.unlink(config_file.name)
    return TestProviders(issuers=issuers, process=process, log=log)


def provider_login_form(session, url: str) -> tuple[str, dict]:
    """Follow the provider's redirects from ``url`` to its login form; its action and fields."""
    response = session.get(url, allow_redirects=True, timeout=10)
    response.raise_for_status()
    action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
    assert action, response.text[:500]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
    return urljoin(response.url, unescape(action.group(1))), hidden


def provider_url_from(response) -> str | None:
    """Where the portal sends the person: a redirect, or the page that takes them to their
    company's provider (``account/sso_redirect.html``)."""
    if response.status_code == 302:
        return response["Location"]
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', response.content.decode())
    return unescape(match.group(1)) if match else None


def sign_in(client, *, email: str, provider_login: str | None = None, start_response=None):
    """The whole sign-in through a provider with a Django test client; the portal's last
    response (the callback's redirect, or a refusal). ``provider_login`` is who signs in at
    the provider (default: the same address)."""
    import requests

    if start_response is None:
        start_response = client.post("/accounts/login/", {"step": "email", "login": email})
    authorize_url = provider_url_from(start_response)
    assert authorize_url, start_response.content.decode()[:500]
    session = requests.Session()
    action, fields = provider_login_form(session, authorize_url)
    fields.update({"login": provider_login or email, "password": "any password"})
    response = session.post(action, data=fields, allow_redirects=False, timeout=10)
    # Follow the provider's own redirects until it sends the person back to the portal.
    issuer_origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    for _ in range(10):
        location = response.headers.get("Location", "")
        if not location:
            raise AssertionError(f"The provider stopped at {response.url}: {response.text[:500]}")
        location = urljoin(response.url, location)
        if not location.startswith(issuer_origin):
            break
        response = session.get(location, allow_redirects=False, timeout=10)
    callback = urlsplit(location)
    return client.get(f"{callback.path}?{callback.query}")
