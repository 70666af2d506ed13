"""Settings come from the environment; a malformed value stops start-up, naming the variable."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from clubportal.settings.environment import (
    env_bool,
    env_database,
    env_email,
    env_int,
    env_list,
    env_str,
    env_url,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Variables the settings read; a subprocess starts from a clean slate of them.
SETTINGS_VARIABLES = (
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SESSION_IDLE_TIMEOUT_MINUTES",
    "DEFAULT_LANGUAGE",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "STAFF_MFA_REQUIRED",
    "OIDC_CLIENT_ID",
    # The browser tests set this for Playwright; a deployment never has it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def _run(args: list[str], settings_module: str, **variables: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, PYTHONDONTWRITEBYTECODE="1", **variables)
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _start_django(settings_module: str = "clubportal.settings.test", **variables: str) -> subprocess.CompletedProcess:
    return _run(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"],
        settings_module,
        **variables,
    )


# --- Start-up in a fresh process ----------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysqlx://x"),
        ("SESSION_IDLE_TIMEOUT_MINUTES", "soon"),
        ("SESSION_IDLE_TIMEOUT_MINUTES", "0"),
        ("DEBUG", "maybe"),
        ("DEFAULT_LANGUAGE", "de"),
        ("REDIS_URL", "http://x"),
        ("SITE_URL", "club.example.com"),
    ],
)
def test_given_a_malformed_variable_when_django_starts_then_it_refuses_naming_the_variable(variable, value):
    result = _start_django(**{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_given_a_valid_environment_when_django_starts_then_session_age_follows_the_idle_timeout():
    result = _start_django(SESSION_IDLE_TIMEOUT_MINUTES="15")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "900"


@pytest.mark.parametrize("secret_key", ["too-short-0123456789", "dev-only-" + "x" * 60, "test-only-" + "y" * 60])
def test_given_production_with_a_weak_secret_key_when_starting_then_refused(secret_key):
    result = _start_django(
        "clubportal.settings.production",
        SECRET_KEY=secret_key,
        SITE_URL="https://club.example.com",
        ALLOWED_HOSTS="club.example.com",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_given_production_with_http_site_url_when_starting_then_refused():
    result = _start_django(
        "clubportal.settings.production",
        SECRET_KEY=_random_secret_key(),
        SITE_URL="http://club.example.com",
        ALLOWED_HOSTS="club.example.com",
    )

    assert result.returncode != 0
    assert "SITE_URL" in result.stderr


def _random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


def test_given_production_with_proper_key_and_https_when_checking_deploy_then_no_warnings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        "clubportal.settings.production",
        SECRET_KEY=_random_secret_key(),
        SITE_URL="https://club.example.com",
        ALLOWED_HOSTS="club.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- The typed helpers -----------------------------------------------------------------------


def test_env_str_returns_the_value_or_the_default(monkeypatch):
    monkeypatch.setenv("CP_TEST_STR", "hello")
    monkeypatch.delenv("CP_TEST_MISSING", raising=False)

    assert env_str("CP_TEST_STR") == "hello"
    assert env_str("CP_TEST_MISSING", "fallback") == "fallback"


@pytest.mark.parametrize("value", [None, ""])
def test_given_a_required_variable_is_missing_or_empty_then_improperly_configured_names_it(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CP_TEST_REQUIRED", raising=False)
    else:
        monkeypatch.setenv("CP_TEST_REQUIRED", value)

    with pytest.raises(ImproperlyConfigured, match="CP_TEST_REQUIRED"):
        env_str("CP_TEST_REQUIRED")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_understands_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("CP_TEST_BOOL", raw)

    assert env_bool("CP_TEST_BOOL", not expected) is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("CP_TEST_BOOL", "maybe")

    with pytest.raises(ImproperlyConfigured, match="CP_TEST_BOOL.*'maybe'"):
        env_bool("CP_TEST_BOOL", False)


def test_env_int_parses_and_enforces_the_minimum(monkeypatch):
    monkeypatch.setenv("CP_TEST_INT", "42")
    assert env_int("CP_TEST_INT", 1, minimum=1) == 42

    monkeypatch.setenv("CP_TEST_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("CP_TEST_INT", 1, minimum=1)

    monkeypatch.setenv("CP_TEST_INT", "4.5")
    with pytest.raises(ImproperlyConfigured, match="CP_TEST_INT"):
        env_int("CP_TEST_INT", 1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("CP_TEST_LIST", " a.example , b.example,, ")

    assert env_list("CP_TEST_LIST", []) == ["a.example", "b.example"]


def test_env_url_checks_the_scheme(monkeypatch):
    monkeypatch.setenv("CP_TEST_URL", "https://club.example.com")
    assert env_url("CP_TEST_URL", schemes=("https",)) == "https://club.example.com"

    monkeypatch.setenv("CP_TEST_URL", "ftp://club.example.com")
    with pytest.raises(ImproperlyConfigured, match="CP_TEST_URL.*scheme must be one of https"):
        env_url("CP_TEST_URL", schemes=("https",))


def test_env_url_default_is_returned_unchecked_when_unset(monkeypatch):
    monkeypatch.delenv("CP_TEST_URL", raising=False)

    assert env_url("CP_TEST_URL", "", schemes=("redis",)) == ""


def test_env_database_parses_postgres_and_sqlite(monkeypatch):
    monkeypatch.setenv("CP_TEST_DB", "postgres://club:secret@db.internal:5433/clubportal")
    postgres = env_database("CP_TEST_DB", "sqlite:///x")
    monkeypatch.delenv("CP_TEST_DB")
    sqlite = env_database("CP_TEST_DB", "sqlite:////tmp/club.sqlite3")

    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["NAME"], postgres["USER"], postgres["HOST"], postgres["PORT"]) == (
        "clubportal",
        "club",
        "db.internal",
        5433,
    )
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == "/tmp/club.sqlite3"


def test_env_database_refuses_other_engines(monkeypatch):
    monkeypatch.setenv("CP_TEST_DB", "mysql://x")

    with pytest.raises(ImproperlyConfigured, match="CP_TEST_DB"):
        env_database("CP_TEST_DB", "sqlite:///x")


def test_env_email_parses_smtp_and_refuses_unknown_schemes(monkeypatch):
    monkeypatch.setenv("CP_TEST_EMAIL", "smtp+tls://mailer:pw@smtp.example.com:587")
    smtp = env_email("CP_TEST_EMAIL", "memorymail://")
    monkeypatch.setenv("CP_TEST_EMAIL", "carrier-pigeon://coop")

    assert smtp["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == ("smtp.example.com", 587, True)
    with pytest.raises(ImproperlyConfigured, match="CP_TEST_EMAIL"):
        env_email("CP_TEST_EMAIL", "memorymail://")


def test_the_test_settings_keep_sessions_for_the_idle_timeout_and_mail_in_memory():
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_the_session_cookie_is_still_checked_on_deploy_with_the_portals_session_middleware(settings):
    from django.core.checks.security import sessions

    from core.checks import check_session_cookie

    settings.SESSION_COOKIE_SECURE = False
    assert check_session_cookie(None) == [sessions.W011]
    settings.SESSION_COOKIE_SECURE = True
    assert check_session_cookie(None) == []
