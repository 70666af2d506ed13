"""Company groups: a parent (the group) with member companies (branches) and group admins.

``CompanyGroup`` is a model of its own rather than a parent ``Company``: a group has no
contacts, purchases or orders of its own, and a company belongs to at most one group
(``CompanyGroupMember.company`` is one-to-one). Group admins (``CompanyGroupAdmin``) are
people of a member company whom the club names in the Django admin; they see every
branch's points and orders and approve large transfers.

How a group saves is the club's choice per group (``points_mode``):

* **per branch with transfers** — each branch keeps its own points account; a branch's
  admin (or a group admin) moves points to another branch (``PointsTransfer``: two ledger
  entries in one transaction, ``rewards.ledger.services.points_transfer``). A transfer above
  the group's ``approval_threshold`` waits for a group admin.
* **pooled** — one balance for the group: the points account of the group's ``pool_company``
  (its head office). Branches earn as always (the one earn service, the same rules), and
  what becomes spendable on a branch's account flows into the pool as a transfer
  (``groups.services.group_pool_sweep``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rewards.bounds import POINTS_MAX


class PointsMode(models.TextChoices):
    TRANSFERS = "transfers", _("Per branch, with transfers between branches")
    POOLED = "pooled", _("Pooled: one balance for the group")


class CompanyGroup(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    points_mode = models.CharField(_("points"), max_length=16, choices=PointsMode.choices, default=PointsMode.TRANSFERS)
    approval_threshold = models.PositiveIntegerField(
        _("approval above"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(POINTS_MAX)],
        help_text=_("Transfers of more points than this wait for a group admin's approval. Empty: never."),
    )
    pool_company = models.ForeignKey(
        "members.Company",
        verbose_name=_("pool holder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Pooled groups: the member company (head office) whose account holds the group's points."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("company group")
        verbose_name_plural = _("company groups")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_mode__in=PointsMode.values), name="groups_companygroup_mode_valid"
            ),
            models.CheckConstraint(
                condition=~Q(points_mode=PointsMode.POOLED) | Q(pool_company__isnull=False),
                name="groups_companygroup_pooled_has_pool",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pooled(self) -> bool:
        return self.points_mode == PointsMode.POOLED

    def clean(self) -> None:
        if self.is_pooled and self.pool_company_id is None:
            raise ValidationError({"pool_company": _("A pooled group needs the company that holds its points.")})


class CompanyGroupMember(models.Model):
    """A branch: a company in a group (in at most one)."""

    group = models.ForeignKey(CompanyGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="members")
    company = models.OneToOneField(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="group_membership"
    )
    joined_at = models.DateTimeField(_("joined"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["company__name"]

    def __str__(self) -> str:
        return f"{self.group}: {self.company}"


class CompanyGroupAdmin(models.Model):
    """A person who administers a group: a contact of one of its branches."""

    group = models.ForeignKey(CompanyGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="group_admin_roles"
    )

    class Meta:
        verbose_name = _("group admin")
        verbose_name_plural = _("group admins")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="groups_groupadmin_once")]

    def __str__(self) -> str:
        return f"{self.group}: {self.user}"

    def clean(self) -> None:
        from members.models import Membership

        if self.user_id and self.group_id:
            in_group = Membership.objects.filter(
                user_id=self.user_id, company__group_membership__group_id=self.group_id
            ).exists()
            if not in_group:
                raise ValidationError(
                    {"user": _("A group admin is a contact of one of the group's branches: add the branch first.")}
                )


class TransferStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    DONE = "done", _("Transferred")
    REJECTED = "rejected", _("Rejected")


class PointsTransfer(models.Model):
    """Points moved from one branch to another of the same group.

    ``done`` exactly when both ledger entries exist (CHECK). A transfer that needs approval
    reserves nothing: the sender's balance is checked again when a group admin approves,
    and the two entries are written then, in that transaction.
    """

    group = models.ForeignKey(CompanyGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="transfers")
    from_company = models.ForeignKey(
        "members.Company", verbose_name=_("from"), on_delete=models.PROTECT, related_name="transfers_sent"
    )
    to_company = models.ForeignKey(
        "members.Company", verbose_name=_("to"), on_delete=models.PROTECT, related_name="transfers_received"
    )
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1), MaxValueValidator(POINTS_MAX)])
    status = models.CharField(_("status"), max_length=20, choices=TransferStatus.choices)
    # The client's key (the form's hidden field): a double submit is one transfer.
    key = models.CharField(_("request key"), max_length=64, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    out_entry = models.OneToOneField(
        "rewards.LedgerEntry",
        verbose_name=_("sender's entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_sent",
    )
    in_entry = models.OneToOneField(
        "rewards.LedgerEntry",
        verbose_name=_("receiver's entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_received",
    )

    class Meta:
        verbose_name = _("points transfer")
        verbose_name_plural = _("points transfers")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["group", "status"], name="groups_transfer_group_status"),
            models.Index(fields=["from_company", "-requested_at"], name="groups_transfer_from"),
            models.Index(fields=["to_company", "-requested_at"], name="groups_transfer_to"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(from_company=F("to_company")), name="groups_transfer_not_to_itself"),
            models.CheckConstraint(condition=Q(status__in=TransferStatus.values), name="groups_transfer_status_valid"),
            models.CheckConstraint(
                condition=(
                    Q(status=TransferStatus.DONE, out_entry__isnull=False, in_entry__isnull=False)
                    | (~Q(status=TransferStatus.DONE) & Q(out_entry__isnull=True, in_entry__isnull=True))
                ),
                name="groups_transfer_entries_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_company} → {self.to_company}: {self.points}"
