"""Writes around the reward catalogue: pictures, voucher code uploads, and each company's
own reward settings (the approval threshold and the goal on its dashboard).

Like every service in this project, each function runs in a transaction and raises a small
domain error (``CatalogueError``) whose message is shown to the person. Stock and
redemption states are not changed here but in ``rewards.redemptions.services``; the voucher upload
takes the same reward row lock as a redemption does, so codes arriving while codes are
handed out are counted right.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Company, Membership, MembershipRole, User
from rewards.catalogue.images import ImageRejected, image_check_and_process
from rewards.models import CompanyRewardSettings, Reward, RewardImage, VoucherCode

VOUCHER_FILE_MAX_BYTES = 2 * 1024 * 1024
VOUCHER_FILE_MAX_ROWS = 50_000
VOUCHER_CODE_MAX_LENGTH = 100
VOUCHER_HEADERS = {"code", "codes", "voucher", "voucher code", "voucher_code", "kod", "koder"}


class CatalogueError(Exception):
    """A catalogue rule was broken; the message is meant for the person who tried."""


# --- Pictures ----------------------------------------------------------------------------------


def reward_image_add(*, reward: Reward, upload, alt_text: str = "", position: int = 0) -> RewardImage:
    """Check ``upload`` (``rewards.catalogue.images``) and store its display copy and thumbnail, made
    once, here. Raises ``CatalogueError`` with the reason for a refused file; nothing is
    stored then."""
    try:
        processed = image_check_and_process(upload)
    except ImageRejected as exc:
        raise CatalogueError(str(exc)) from exc
    with transaction.atomic():
        image = RewardImage(reward=reward, alt_text=alt_text.strip()[:200], position=position)
        image.image.save(processed.display.name, processed.display, save=False)
        image.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        image.save()
    return image


# --- Voucher codes ----------------------------------------------------------------------------


@dataclass
class VoucherUploadReport:
    """What a voucher code upload did, line by line (line numbers count from 1)."""

    added: int = 0
    duplicates_in_file: list[tuple[int, str, int]] = field(default_factory=list)  # (line, code, first line)
    already_in_pool: list[tuple[int, str]] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    too_long: list[int] = field(default_factory=list)
    codes_left: int = 0

    @property
    def skipped(self) -> int:
        return len(self.duplicates_in_file) + len(self.already_in_pool) + len(self.blank_lines) + len(self.too_long)


def _voucher_rows(data: bytes) -> list[tuple[int, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(_("The file is not UTF-8 text. Save it as CSV (UTF-8) and try again.")) from exc
    if "\x00" in text:
        raise CatalogueError(_("The file is not a CSV file."))
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number > VOUCHER_FILE_MAX_ROWS:
            raise CatalogueError(
                _("The file has more than %(count)s lines; split it into smaller files.")
                % {"count": VOUCHER_FILE_MAX_ROWS}
            )
        rows.append((number, row[0].strip() if row else ""))
    if rows and rows[0][1].lower() in VOUCHER_HEADERS:
        rows = rows[1:]  # a header line
    return rows


def voucher_codes_upload(
    *, reward: Reward, data: bytes, by: User | None, now: datetime | None = None
) -> VoucherUploadReport:
    """Add the codes of a CSV file (one code per line, in the first column; an optional
    header line) to a voucher reward's pool.

    Blank lines, codes longer than 100 characters, codes repeated within the file and codes
    already in the pool are not added and are reported with their line numbers; every other
    code is added. Uploading the same file twice adds nothing the second time. The reward
    row is locked while the codes go in.
    """
    if not reward.uses_code_pool:
        raise CatalogueError(_("%(reward)s is not a voucher reward; it has no code pool.") % {"reward": reward})
    if len(data) > VOUCHER_FILE_MAX_BYTES:
        raise CatalogueError(_("The file is larger than 2 MB; split it into smaller files."))
    now = now or timezone.now()
    report = VoucherUploadReport()
    first_line: dict[str, int] = {}
    candidates: list[tuple[int, str]] = []
    for line, code in _voucher_rows(data):
        if not code:
            report.blank_lines.append(line)
        elif len(code) > VOUCHER_CODE_MAX_LENGTH:
            report.too_long.append(line)
        elif code in first_line:
            report.duplicates_in_file.append((line, code, first_line[code]))
        else:
            first_line[code] = line
            candidates.append((line, code))
    with transaction.atomic():
        Reward.objects.select_for_update().filter(pk=reward.pk).first()
        existing: set[str] = set()
        codes = [code for _line, code in candidates]
        for start in range(0, len(codes), 1000):
            existing.update(
                VoucherCode.objects.filter(reward=reward, code__in=codes[start : start + 1000]).values_list(
                    "code", flat=True
                )
            )
        new = []
        for line, code in candidates:
            if code in existing:
                report.already_in_pool.append((line, code))
            else:
                new.append(VoucherCode(reward=reward, code=code, uploaded_by=by, uploaded_at=now))
        VoucherCode.objects.bulk_create(new, batch_size=1000)
        report.added = len(new)
        report.codes_left = VoucherCode.objects.filter(reward=reward, redemption__isnull=True).count()
    return report


# --- A company's own settings -------------------------------------------------------------------


def _membership(user: User, company: Company) -> Membership | None:
    return Membership.objects.filter(user=user, company=company).first()


def approval_threshold_set(*, company: Company, threshold: int | None, by: User) -> CompanyRewardSettings:
    """A company admin sets above how many points a purchaser's order needs approval (None:
    never). Orders already placed keep the state they are in."""
    membership = _membership(by, company)
    if membership is None or membership.role != MembershipRole.ADMIN:
        raise CatalogueError(_("Only a company admin can change the approval limit."))
    if threshold is not None and threshold < 0:
        raise CatalogueError(_("The approval limit cannot be negative."))
    settings, _created = CompanyRewardSettings.objects.update_or_create(
        company=company, defaults={"approval_threshold": threshold, "updated_at": timezone.now()}
    )
    return settings


def reward_goal_set(*, company: Company, reward: Reward, by: User) -> CompanyRewardSettings:
    """Make ``reward`` the company's goal, shown with its progress on the dashboard. Anyone
    who may redeem (an admin or a purchaser) may choose it; one goal per company."""
    membership = _membership(by, company)
    if membership is None or membership.role not in (MembershipRole.ADMIN, MembershipRole.PURCHASER):
        raise CatalogueError(_("Only purchasers and company admins can choose the company's goal."))
    if not reward.is_active:
        raise CatalogueError(_("This reward is no longer in the catalogue."))
    now = timezone.now()
    settings, _created = CompanyRewardSettings.objects.update_or_create(
        company=company, defaults={"goal_reward": reward, "goal_set_by": by, "goal_set_at": now, "updated_at": now}
    )
    return settings


def reward_goal_clear(*, company: Company, by: User) -> None:
    membership = _membership(by, company)
    if membership is None or membership.role not in (MembershipRole.ADMIN, MembershipRole.PURCHASER):
        raise CatalogueError(_("Only purchasers and company admins can choose the company's goal."))
    CompanyRewardSettings.objects.filter(company=company).update(
        goal_reward=None, goal_set_by=by, goal_set_at=timezone.now(), updated_at=timezone.now()
    )
