"""Club members: people (users), the companies they work for, and invitations.

A person belongs to at most one member company, through one ``Membership`` that
carries their role there. Staff (sales reps, marketing, club admins) are users with
``is_staff`` in the matching Django group and no membership.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.currencies import CurrencyField, currency_for_country

from .validators import validate_org_number


class UserManager(BaseUserManager):
    """Users are identified by e-mail address; there are no usernames."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: a member company's contact or a member of staff."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The portal and e-mails use this language. Empty: the language of the company's country, "
            "else the browser's."
        ),
    )
    email_notifications = models.BooleanField(
        _("e-mail notifications"),
        default=True,
        help_text=_("Receive e-mails about points, orders and messages. Security e-mails are always sent."),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="members_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)


class CompanyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    # Left the club: only ``privacy.closing`` closes and reopens (points settled, log-ins closed).
    CLOSED = "closed", _("Closed (left the club)")


class Country(models.TextChoices):
    SWEDEN = "SE", _("Sweden")
    NETHERLANDS = "NL", _("Netherlands")


class Company(models.Model):
    """A customer company that is a member of the club."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, default=Country.SWEDEN)
    # The currency the company is invoiced in: its purchases arrive in it and its people read
    # their points' value in it. Empty on a new company: its country's (core.currencies).
    currency = CurrencyField(
        _("currency"),
        blank=True,
        default="",
        db_default="",  # rows inserted without it (raw SQL, older migrations' models) read as the country's
        help_text=_("Purchases arrive in this currency, and points show their value in it. Empty: the country's."),
    )
    org_number = models.CharField(
        _("organisation number"),
        max_length=20,
        help_text=_("Sweden: organisationsnummer (NNNNNN-NNNN). Netherlands: KvK number (8 digits)."),
    )
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CompanyStatus.choices, default=CompanyStatus.ACTIVE)
    suspension_reason = models.CharField(
        _("suspension reason"),
        max_length=300,
        blank=True,
        help_text=_("Shown to the company's contacts when they try to log in."),
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_companies",
        limit_choices_to={"is_staff": True, "groups__name": "Sales reps"},
    )
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The company's id in the ERP."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "org_number"], name="members_company_unique_org_number"),
            models.CheckConstraint(
                condition=models.Q(status__in=CompanyStatus.values), name="members_company_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(currency="") | models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="members_company_currency_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.currency:
            self.currency = currency_for_country(self.country)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # The currency is read as a code and checked by its field (``CurrencyField``).
        if self.org_number and self.country:
            try:
                self.org_number = validate_org_number(self.org_number, self.country)
            except ValidationError as exc:
                raise ValidationError({"org_number": exc.messages}) from exc

    @property
    def purchase_currency(self) -> str:
        """The currency the company's purchases arrive in and its people read values in
        (its own, else its country's: a row bulk-created without one)."""
        return self.currency or currency_for_country(self.country)

    @property
    def is_active(self) -> bool:
        return self.status == CompanyStatus.ACTIVE

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.street_address, f"{self.postal_code} {self.city}".strip()) if line]


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Company admin")
    PURCHASER = "purchaser", _("Purchaser")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A person's place in a member company. One per person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.VIEWER)
    created_at = models.DateTimeField(_("joined"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=MembershipRole.values), name="members_membership_role_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == MembershipRole.ADMIN


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An invitation for one e-mail address to join one company with one role.

    It works once, only for its e-mail address, and only until it expires. The link
    carries a signed token of the invitation's id; nothing secret is stored.
    """

    TOKEN_SALT = "members.invitation"

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Set when the link was e-mailed, under the row's lock: a task delivered twice sends once.
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per company and address; a new one revokes the old.
            models.UniqueConstraint(
                Lower("email"),
                "company",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="members_invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"

    @property
    def token(self) -> str:
        return signing.dumps(self.pk, salt=self.TOKEN_SALT)

    @classmethod
    def pk_from_token(cls, token: str) -> int | None:
        try:
            return int(signing.loads(token, salt=cls.TOKEN_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return None

    def get_accept_url(self) -> str:
        return settings.SITE_URL + reverse("members:invitation_accept", args=[self.token])

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


# --- Single sign-on through a member company's own identity provider ----------------------


class IdentityProvider(models.Model):
    """A member company's own OpenID Connect provider (its Entra ID tenant, its Google
    Workspace, ...), configured by club admins.

    A provider belongs to exactly one company and signs in only that company's people:
    its current members, people invited to it, and new people whose verified address is
    on one of its approved domains (``IdentityProviderDomain.auto_join``). Everyone else
    it asserts is refused (``members.sso.check_sso_login``), so company B's provider can
    never reach company A's people, nor club staff.

    The client secret is kept sealed (``members.sso.seal_secret``: Fernet with a key
    derived from ``SECRET_KEY``) and is never shown again once saved.
    """

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="identity_providers"
    )
    name = models.CharField(
        _("name"), max_length=80, help_text=_("Shown to people on the way to it, e.g. “Acme (Microsoft)”.")
    )
    slug = models.SlugField(
        _("short name"),
        max_length=40,
        unique=True,
        help_text=_("Part of the redirect URI that the company's IT registers; changing it breaks sign-in."),
    )
    issuer = models.URLField(
        _("issuer"),
        max_length=300,
        help_text=_(
            "The provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 "
            "or https://accounts.google.com."
        ),
    )
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret_sealed = models.TextField(_("client secret (sealed)"), editable=False)
    secret_changed_at = models.DateTimeField(_("secret changed"), null=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="members_idp_unique_issuer_client"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})"

    @property
    def provider_id(self) -> str:
        """The id allauth knows this provider by (in its URLs and social accounts)."""
        return f"{IDP_PROVIDER_ID_PREFIX}{self.slug}"


# Every company provider's allauth id starts with this, so it can never be taken for the
# club's own provider configured from the environment (``OIDC_PROVIDER_ID``).
IDP_PROVIDER_ID_PREFIX = "company-"


class IdentityProviderDomain(models.Model):
    """An e-mail domain whose people sign in through a company's provider.

    The login page sends anyone who types an address on this domain to the provider (the
    only thing the login page tells a stranger). With ``auto_join`` (a club admin's
    approval, recorded), a person on this domain whom the provider signs in for the first
    time joins the company as a viewer, the lowest role; without it they need an invitation.
    """

    provider = models.ForeignKey(
        IdentityProvider, verbose_name=_("identity provider"), on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(_("e-mail domain"), max_length=253, help_text=_("For example acme.se."))
    auto_join = models.BooleanField(
        _("new people join"),
        default=False,
        help_text=_(
            "People with an address on this domain who sign in through the provider for the first time "
            "join the company as viewers, without an invitation."
        ),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        constraints = [
            # One provider per domain: the login page must know where to send an address.
            models.UniqueConstraint(Lower("domain"), name="members_idp_domain_unique"),
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="members_idp_domain_lowercase"),
        ]

    def __str__(self) -> str:
        return self.domain
