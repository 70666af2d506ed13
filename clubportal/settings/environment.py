"""The one typed reader for settings that come from the environment.

Every setting that may vary between machines is read here, with its type and its
default. A malformed value stops start-up with ``ImproperlyConfigured`` naming the
variable, instead of failing later somewhere far from the cause.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()

_NOT_SET = object()


def _read(name: str, parse: Callable[[str], Any], default: Any, kind: str) -> Any:
    raw = _env.str(name, default=None)
    if raw is None or raw == "":
        if default is _NOT_SET:
            raise ImproperlyConfigured(f"Set the environment variable {name} ({kind}).")
        return default
    try:
        return parse(raw)
    except (ValueError, TypeError, KeyError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"The environment variable {name} is not a valid {kind}: {raw!r} ({exc}).") from exc


def env_str(name: str, default: Any = _NOT_SET) -> str:
    return _read(name, str, default, "string")


def env_int(name: str, default: Any = _NOT_SET, *, minimum: int | None = None) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return _read(name, parse, default, "whole number")


def env_bool(name: str, default: Any = _NOT_SET) -> bool:
    truthy = {"1", "true", "yes", "on"}
    falsy = {"0", "false", "no", "off"}

    def parse(raw: str) -> bool:
        lowered = raw.strip().lower()
        if lowered in truthy:
            return True
        if lowered in falsy:
            return False
        raise ValueError("use true or false")

    return _read(name, parse, default, "boolean (true/false)")


def env_list(name: str, default: Any = _NOT_SET) -> list[str]:
    def parse(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(",") if item.strip()]

    return _read(name, parse, default, "comma-separated list")


def env_url(name: str, default: Any = _NOT_SET, *, schemes: tuple[str, ...]) -> str:
    def parse(raw: str) -> str:
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in schemes:
            raise ValueError(f"scheme must be one of {', '.join(schemes)}")
        return raw

    return _read(name, parse, default, "URL")


def env_database(name: str, default: str) -> dict[str, Any]:
    url = env_url(
        name,
        default,
        schemes=("sqlite", "postgres", "postgresql", "pgsql", "psql"),
    )
    try:
        return environ.Env.db_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"The environment variable {name} is not a valid database URL: {exc}") from exc


def env_email(name: str, default: str) -> dict[str, Any]:
    url = env_url(
        name,
        default,
        schemes=(
            "smtp",
            "smtps",
            "smtp+tls",
            "smtp+ssl",
            "consolemail",
            "filemail",
            "memorymail",
            "dummymail",
        ),
    )
    try:
        return environ.Env.email_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"The environment variable {name} is not a valid e-mail URL: {exc}") from exc
