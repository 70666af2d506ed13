"""Settings shared by every run mode.

Every setting is declared here. Values that differ between machines are read from the
environment through ``clubportal.settings.environment``; ``local``, ``test`` and
``production`` only adjust what their mode needs. No secret lives in this file.
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from .environment import (
    env_bool,
    env_database,
    env_email,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

# --- Core ------------------------------------------------------------------------------

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    # Before the admin, so the admin's forms see the per-language fields (its docs ask so).
    "modeltranslation",
    # Project apps first so their templates override the libraries', from the ground floor
    # up (docs/architecture.md, "Floors"). core's admin module replaces some libraries'
    # admins, so it must come before them.
    "core",
    "outbox",
    "members",
    "rewards",
    "campaigns",
    "groups",
    "cms",
    "notifications",
    "messaging",
    "reps",
    "api",
    "insights",
    "privacy",
    "portal",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # Forms, tables, tasks
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_celery_beat",
    "django_htmx",
    "csp",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The audit trail (django-auditlog, and the project's `audit` app on top of it). After
    # django.contrib.admin: `audit` follows every model the admin can write, so the admin's
    # registry must be complete when its ready() runs.
    "auditlog",
    "audit",
    # Last, so other apps' signal handlers run before it deletes files (only of the models
    # marked with @cleanup.select: a deleted reward picture takes its files with it).
    "django_cleanup.apps.CleanupSelectedConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.PortalCSPMiddleware",
    # Django's SessionMiddleware, but live-update polls do not renew the idle expiry.
    "core.middleware.PortalSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Who made a change, for the audit trail (after the authentication that names them).
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "members.middleware.MemberAccessMiddleware",
    "members.middleware.UserLanguageMiddleware",
    "members.middleware.StaffMFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # The admin's change lists answer a crafted query string or action with Django's
    # "incorrect lookup parameters", never a server error (last: it sees the view to run).
    "core.admin_guard.AdminChangeListGuardMiddleware",
]

ROOT_URLCONF = "clubportal.urls"
WSGI_APPLICATION = "clubportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.portal",
            ],
        },
    },
    # Subjects and plain-text e-mail parts: the same templates, without HTML escaping
    # (core.mail), so an apostrophe is not sent as &#x27;.
    {
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Data ------------------------------------------------------------------------------

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server and in-process tasks read while another request writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    INSTALLED_APPS.append("django.contrib.postgres")
# An interactive write (an API call, an order in the portal) waits at most this long for a
# row lock held by someone else (a long import): then it answers 503 with Retry-After and
# saves nothing, rather than tie up a web worker (core.db.bounded_lock_wait).
LOCK_WAIT_SECONDS = env_int("LOCK_WAIT_SECONDS", 3, minimum=1)
# How long an Insights page's computed figures are kept for the next reader with the same
# scope, filters and data (insights.cache); 0 computes every page view.
INSIGHTS_CACHE_SECONDS = env_int("INSIGHTS_CACHE_SECONDS", 60, minimum=0)
# The same for a campaign's results against its hold-out (the admin's results page).
CAMPAIGN_RESULTS_CACHE_SECONDS = env_int("CAMPAIGN_RESULTS_CACHE_SECONDS", 60, minimum=0)

# The audit trail keeps no IP address: who and what is enough, and an address would be one
# more personal datum to keep and erase. Changes are kept as the library's text of each value
# (not AUDITLOG_STORE_JSON_CHANGES: a default that is a lazy translation, like Branding's,
# cannot be written as JSON).
AUDITLOG_DISABLE_REMOTE_ADDR = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.User"

REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))

# The database cache: the default without Redis, and with Redis the fallback while Redis
# cannot be reached (core.cache.FallbackRedisCache). allauth's rate limits and used
# TOTP codes live in the default cache, so they keep working, in the database, while Redis
# is down: failing open would let a password or a code be guessed (or a code be replayed)
# without limit during an outage, failing closed would lock everyone out.
# The table is created by migrations (core/migrations/0001 and 0002).
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "clubportal_cache",
}


def redis_cache(location: str, *, fallback: str = "database") -> dict:
    """The default cache on Redis, falling back to the ``fallback`` cache while Redis cannot
    be reached (a function so the fault tests can point the same setup at a dead Redis)."""
    return {
        "BACKEND": "core.cache.FallbackRedisCache",
        "LOCATION": location,
        "KEY_PREFIX": "clubportal",
        "OPTIONS": {
            "FALLBACK": fallback,
            # A page must not wait on an unreachable Redis: give up quickly, then use the
            # database cache for a few seconds before trying Redis again.
            "socket_connect_timeout": 0.5,
            "socket_timeout": 1.0,
        },
    }


CACHES = {
    "default": redis_cache(REDIS_URL) if REDIS_URL else dict(DATABASE_CACHE),
    "database": dict(DATABASE_CACHE),
}

# Insights' computed figures (insights.cache): Redis, shared by every worker; else, and while
# Redis cannot be reached, each process's own memory. Never the database cache: a club-wide
# list is about a hundred entries, and past its MAX_ENTRIES the database cache deletes keys
# in their order, allauth's login rate limits and used TOTP codes among the first.
CACHES["insights-local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "insights-figures",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
CACHES["insights"] = redis_cache(REDIS_URL, fallback="insights-local") if REDIS_URL else dict(CACHES["insights-local"])
# Other computed figures (core.figures_cache: a campaign's results), kept the same way.
CACHES["figures-local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "computed-figures",
    "OPTIONS": {"MAX_ENTRIES": 500},
}
CACHES["figures"] = redis_cache(REDIS_URL, fallback="figures-local") if REDIS_URL else dict(CACHES["figures-local"])

# Wagtail looks renditions up in this cache; process-local memory keeps every page view
# from writing to the shared default cache.
CACHES["renditions"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "wagtail-renditions",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

# --- Background work -------------------------------------------------------------------

from celery.schedules import crontab  # noqa: E402

# Eager tasks still take a producer from kombu's pool, which warns "No hostname was
# supplied" for a URL without one; the in-memory transport ignores the host.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# Without these, a publication to a broker that vanished without closing the connection
# (failover, a firewall) waits forever, and one to an unreachable host for the system's
# connect timeout. Tasks are published through the outbox (outbox.services), which keeps
# what the broker does not take and publishes it later. BRPOP waits 1 s, under socket_timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1.0,
    "socket_timeout": 5.0,
    # A task acknowledged late (rewards.tasks.run_purchase_import) whose worker died is
    # given to another worker once this has passed since its delivery; it must exceed the
    # longest such task's time_limit, or a task still running is delivered a second time.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 3600, minimum=1),
}
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process so the zero-setup mode needs no other service.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Stockholm"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# No task may run forever: after the soft limit it gets SoftTimeLimitExceeded (and rolls
# back what it has not committed), after the hard one the worker process is replaced.
# Tasks that are long by design (the CSV import) set their own, larger limits.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
# Periodic tasks; django-celery-beat copies this into its tables at beat start.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Publishes the tasks the broker could not take when their write committed (outbox).
    "outbox-relay": {"task": "outbox.tasks.relay_outbox", "schedule": 60.0},
    "outbox-purge": {"task": "outbox.tasks.purge_outbox", "schedule": crontab(minute=5, hour=4)},
    # Removes what is kept longer than the club's retention settings (privacy.retention).
    "privacy-retention-purge": {"task": "privacy.tasks.retention_purge", "schedule": crontab(minute=35, hour=3)},
}

# --- Accounts --------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "members.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"signup": "members.forms.InvitationSignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_RATE_LIMITS = {
    # Failed logins per account and per address; the rest keep allauth's defaults.
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_ONLY = False

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("CLUB_NAME", "Clubportal")
# Staff must have MFA before they reach any staff page (members.middleware).
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)

# The club's own single sign-on provider (optional), configured from the environment and
# shown as a button on the login page. Each member company's own provider (Entra ID, Google
# Workspace, ...) is configured by club admins in the Django admin instead (members.sso).
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
SOCIALACCOUNT_PROVIDERS: dict = {}
if OIDC_CLIENT_ID:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "sso"),
                "name": env_str("OIDC_PROVIDER_NAME", "Single sign-on"),
                "client_id": OIDC_CLIENT_ID,
                "secret": env_str("OIDC_CLIENT_SECRET"),
                "settings": {
                    "server_url": env_url("OIDC_SERVER_URL", schemes=("https", "http")),
                },
            }
        ]
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 60, minimum=1)
# A sliding expiry: every request pushes the end of the session forward, so a session
# ends after this much idle time.
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14, minimum=1)

# --- E-mail ----------------------------------------------------------------------------

# Zero-setup default: every e-mail is written as a file to var/mail/ so a demo user can
# read it. filemail://relative/path is relative to the project; filemail:///abs is absolute.
_email_url = env_str("EMAIL_URL", "filemail://var/mail")
_email = env_email("EMAIL_URL", _email_url)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = str(BASE_DIR / _email_url.removeprefix("filemail://")) if _email_url.startswith("filemail://") else ""
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# A mail server that does not answer must not hold a worker (or a request) for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clubportal <club@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages and time ----------------------------------------------------------------

LANGUAGES = [("en", _("English")), ("sv", _("Swedish")), ("nl", _("Dutch"))]
LANGUAGE_CODE = env_str("DEFAULT_LANGUAGE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"The environment variable DEFAULT_LANGUAGE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["core.formats"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm")
USE_TZ = True
# Translatable content (django-modeltranslation): one column per shipped language; a text
# missing in the reader's language falls back to the club's default language, then to any
# language that has it (better a marked foreign text than an empty heading).
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_FALLBACK_LANGUAGES = {
    "default": (LANGUAGE_CODE, *(code for code in MODELTRANSLATION_LANGUAGES if code != LANGUAGE_CODE))
}
# Pages in every shipped language: one page tree per locale (Wagtail's own i18n), pages
# copied for translation with wagtail.contrib.simple_translation. URLs stay the same in
# every language: the reader's language picks the tree (Page.route_for_request routes in
# the site root's translation), and a page not translated yet is served from the default
# language's tree (cms.models.HomePage.route).
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media ------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Every uploaded image (attachments, reward pictures, Wagtail images, profile pictures) may
# have at most this many pixels, read from its header before anything is decoded
# (core.images): a 17 KB PNG can claim 144 megapixels and take ~576 MB to show.
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000, minimum=1_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Forms and tables ------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-hover align-middle"}

# --- Wagtail ---------------------------------------------------------------------------

WAGTAIL_SITE_NAME = env_str("CLUB_NAME", "Clubportal")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS  # the one image rule (core.images)
WAGTAILIMAGES_EXTENSIONS = ["png", "jpg", "jpeg", "webp"]
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt"]
# Documents are members only (cms.wagtail_hooks.documents_are_for_members): always through
# Wagtail's checked view, never a redirect to the file's storage URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# One login for everyone: allauth's (throttled, with the second factor for staff). Wagtail's
# login page only redirects there (members.views.staff_login), and Wagtail neither sets nor
# resets passwords: staff change and reset theirs through allauth.
WAGTAILADMIN_LOGIN_URL = "staff_login_cms"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
# No Gravatar: the admin must not call out to a third party (and the CSP would block the
# picture, leaving a broken image); Wagtail shows its default avatar instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Security (hardened further in production.py) --------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Wagtail lifts this to SAMEORIGIN on its own preview views
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# A strict policy for the portal: every script, style and font is served by the app
# itself, nothing inline. The Wagtail and Django admins get a relaxed policy in
# core.middleware.PortalCSPMiddleware because they use inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging ---------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_error_without_traceback": {"()": "core.log_filters.ClientErrorWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_error_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default configuration gives "django" a console handler of its own (with
        # DEBUG on), and records propagate to ours too: every error was printed twice.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # Wagtail's background tasks log every run at INFO; keep the console readable.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# --- Points programme (rewards) ---------------------------------------------------------
# The earn, value, return-window and expiry rules live in the database (rewards.ProgrammeRules,
# edited in the Django admin). These settings only say when the periodic jobs run.

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

POINTS_RELEASE_EVERY_MINUTES = env_int("POINTS_RELEASE_EVERY_MINUTES", 60, minimum=1)
# A person gets at most one "points arrived" e-mail for single purchases in this many
# minutes; the purchases in between are listed together in the next one.
POINTS_EMAIL_INTERVAL_MINUTES = env_int("POINTS_EMAIL_INTERVAL_MINUTES", 60, minimum=1)
POINTS_EXPIRE_HOUR = env_int("POINTS_EXPIRE_HOUR", 2, minimum=0)
POINTS_TIER_DOWNGRADE_MONTH = env_int("POINTS_TIER_DOWNGRADE_MONTH", 1, minimum=1)
POINTS_TIER_DOWNGRADE_DAY = env_int("POINTS_TIER_DOWNGRADE_DAY", 1, minimum=1)
# Company admins are told this many days before the yearly evaluation that their tier will drop.
POINTS_TIER_DOWNGRADE_NOTICE_DAYS = env_int("POINTS_TIER_DOWNGRADE_NOTICE_DAYS", 30, minimum=1)
for _name, _value, _maximum in (
    ("POINTS_EXPIRE_HOUR", POINTS_EXPIRE_HOUR, 23),
    ("POINTS_TIER_DOWNGRADE_MONTH", POINTS_TIER_DOWNGRADE_MONTH, 12),
    ("POINTS_TIER_DOWNGRADE_DAY", POINTS_TIER_DOWNGRADE_DAY, 28),
    ("POINTS_TIER_DOWNGRADE_NOTICE_DAYS", POINTS_TIER_DOWNGRADE_NOTICE_DAYS, 300),
):
    if _value > _maximum:
        raise ImproperlyConfigured(f"{_name} must be at most {_maximum}, got {_value}.")

CELERY_BEAT_SCHEDULE.update(
    {
        "rewards-release-pending-points": {
            "task": "rewards.tasks.release_pending_points",
            "schedule": POINTS_RELEASE_EVERY_MINUTES * 60.0,
        },
        "rewards-expire-points": {
            "task": "rewards.tasks.expire_points",
            "schedule": crontab(minute=15, hour=POINTS_EXPIRE_HOUR),
        },
        "insights-snapshot-segments": {
            "task": "insights.tasks.snapshot_segments",
            "schedule": crontab(minute=5, hour=(POINTS_EXPIRE_HOUR + 1) % 24),
        },
        # Insights' per-company-and-day summary: what was written since the last run.
        "insights-refresh-summary": {"task": "insights.tasks.refresh_summary", "schedule": 10 * 60.0},
        "rewards-evaluate-tiers-upgrade": {
            "task": "rewards.tasks.evaluate_tiers",
            "schedule": crontab(minute=45, hour=POINTS_EXPIRE_HOUR),
            "kwargs": {"allow_downgrade": False},
        },
        "rewards-evaluate-tiers-yearly": {
            "task": "rewards.tasks.evaluate_tiers",
            "schedule": crontab(
                minute=30,
                hour=POINTS_EXPIRE_HOUR,
                day_of_month=POINTS_TIER_DOWNGRADE_DAY,
                month_of_year=POINTS_TIER_DOWNGRADE_MONTH,
            ),
            "kwargs": {"allow_downgrade": True},
        },
    }
)
# Pooled company groups: what branches have released moves into the group's pool, as often
# as pending points are released (groups.tasks; safe to run twice).
CELERY_BEAT_SCHEDULE["groups-pool-sweep"] = {
    "task": "groups.tasks.pool_sweep_all",
    "schedule": POINTS_RELEASE_EVERY_MINUTES * 60.0,
}
# A CSV purchase import "running" with no committed progress for this long has lost its
# worker: the job below queues it again (it resumes from its last committed transaction).
PURCHASE_IMPORT_STALE_MINUTES = env_int("PURCHASE_IMPORT_STALE_MINUTES", 10, minimum=1)
CELERY_BEAT_SCHEDULE["purchase-imports-resume-stale"] = {
    "task": "rewards.tasks.resume_stale_purchase_imports",
    "schedule": 5 * 60.0,
}
# Member notices run after the night's expiry and tier runs. Their keys do not start with
# "rewards-": tests/rewards/test_tasks.py pins the set of "rewards-" entries to the ledger jobs.
CELERY_BEAT_SCHEDULE.update(
    {
        "points-expiry-reminders": {
            "task": "rewards.tasks.send_expiry_reminders",
            "schedule": crontab(minute=55, hour=POINTS_EXPIRE_HOUR),
        },
        "points-tier-downgrade-notices": {
            "task": "rewards.tasks.send_tier_downgrade_notices",
            "schedule": crontab(minute=50, hour=POINTS_EXPIRE_HOUR),
        },
        "points-emails": {"task": "rewards.tasks.send_points_emails", "schedule": 5 * 60.0},
    }
)
# --- end Points programme ----------------------------------------------------------------

# --- Webhooks (api.webhooks) -------------------------------------------------------------
# Endpoints whose address resolves to a private, loopback, link-local or otherwise
# non-public address are refused (and never called) unless this is on: the tests and a
# portal whose receivers live on its own network turn it on.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
# An endpoint whose deliveries have failed without a success for this long is disabled and
# the club admins are told.
WEBHOOKS_DISABLE_AFTER_DAYS = env_int("WEBHOOKS_DISABLE_AFTER_DAYS", 3, minimum=1)
# After a secret rotation, deliveries are signed with both secrets for this long.
WEBHOOKS_SECRET_OVERLAP_HOURS = env_int("WEBHOOKS_SECRET_OVERLAP_HOURS", 24, minimum=0)
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 3.0
WEBHOOKS_RESPONSE_TIMEOUT_SECONDS = 5.0
# The largest purchase file the API takes in one job (POST /api/v1/imports).
API_IMPORT_MAX_MB = env_int("API_IMPORT_MAX_MB", 200, minimum=1)
CELERY_BEAT_SCHEDULE["webhooks-retry-due"] = {"task": "api.tasks.retry_due_webhooks", "schedule": 60.0}

# --- Content (cms) beat schedule ----------------------------------------------------------
# Wagtail's scheduled publishing: pages approved with a go-live time are published, and
# expired ones unpublished, within a minute.
CELERY_BEAT_SCHEDULE["cms-publish-scheduled"] = {"task": "cms.publish_scheduled", "schedule": 60.0}
# An offer published before its "valid from" date is announced to members when it starts.
CELERY_BEAT_SCHEDULE["cms-announce-current-offers"] = {
    "task": "cms.tasks.announce_newly_current_offers",
    "schedule": 5 * 60.0,
}

# --- Messages, the rep workspace and live updates (messaging, reps) -----------------------
MESSAGE_MAX_LENGTH = 10_000  # characters
MESSAGE_ATTACHMENTS_MAX = 5  # files per message
MESSAGE_ATTACHMENT_MAX_MB = env_int("MESSAGE_ATTACHMENT_MAX_MB", 10, minimum=1)
# A person gets at most one e-mail per conversation in this many minutes (the rest wait for the next).
MESSAGE_EMAIL_INTERVAL_MINUTES = env_int("MESSAGE_EMAIL_INTERVAL_MINUTES", 15, minimum=1)
# How often an open page asks for new notifications and messages (htmx polling, see docs/performance.md).
LIVE_BADGES_SECONDS = env_int("LIVE_BADGES_SECONDS", 30, minimum=1)
LIVE_THREAD_SECONDS = env_int("LIVE_THREAD_SECONDS", 10, minimum=1)
CELERY_BEAT_SCHEDULE["messaging-send-message-emails"] = {
    "task": "messaging.tasks.send_message_emails",
    "schedule": 60.0,
}
# The rep workspace's purchase figures (reps.activity): companies that bought since the last
# runs every few minutes, every company (and the 90-day windows moved on) nightly.
ACCOUNT_ACTIVITY_EVERY_MINUTES = env_int("ACCOUNT_ACTIVITY_EVERY_MINUTES", 5, minimum=1)
CELERY_BEAT_SCHEDULE["reps-account-activity-catch-up"] = {
    "task": "reps.tasks.catch_up_account_activity",
    "schedule": ACCOUNT_ACTIVITY_EVERY_MINUTES * 60.0,
}
CELERY_BEAT_SCHEDULE["reps-account-activity-rebuild"] = {
    "task": "reps.tasks.rebuild_account_activity",
    "schedule": crontab(minute=20, hour=2),
}
# --- Campaigns (campaigns) beat schedule -------------------------------------------------
# Campaigns start and end within a minute of their planned times; challenges are checked and
# referrals swept (behind the tasks both purchase paths queue) every quarter of an hour.
CELERY_BEAT_SCHEDULE.update(
    {
        "campaigns-advance": {"task": "campaigns.tasks.advance_campaigns", "schedule": 60.0},
        "campaigns-evaluate-challenges": {"task": "campaigns.tasks.evaluate_challenges", "schedule": 15 * 60.0},
        "campaigns-reward-due-referrals": {"task": "campaigns.tasks.reward_due_referrals", "schedule": 15 * 60.0},
    }
)
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks (zero-setup mode) would print a line per task to the console; the demo
    # seed alone sends dozens of members' notification e-mails.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
