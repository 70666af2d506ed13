"""Production: base settings, hardened. Nothing here adds features."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, SITE_URL
from .environment import env_bool, env_int

DEBUG = False
if SECRET_KEY.startswith(("dev-only", "test-only")) or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("The environment variable SECRET_KEY must be a random value of at least 50 characters.")
if not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("The environment variable SITE_URL must start with https:// in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=0)
