"""Writes around the reward catalogue: pictures, voucher code uploads, and each company's
own reward settings (the approval threshold and the goal on its dashboard).

Like every service in this project, each function runs in a transaction and raises a small
domain error (``CatalogueError``) whose message is shown to the person. Stock and
redemption states are not changed here but in ``rewards.redemptions.services``; the voucher upload
takes the same reward row lock as a redemption does, so codes arriving while codes are
handed out are counted right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.formatting import format_number
from core.spreadsheets import CSV_DELIMITERS, CsvLineError, csv_delimiter_name, csv_delimiter_sniff, csv_line_values
from members.models import Company, Membership, MembershipRole, User
from rewards.catalogue.images import ImageRejected, image_check_and_process
from rewards.catalogue.selectors import reward_offered_to
from rewards.models import CompanyRewardSettings, Reward, RewardImage, VoucherCode


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

# The file
# --------
# A CSV file, UTF-8 (a byte-order mark is allowed), separated by commas, semicolons or tabs
# (``core.spreadsheets.csv_delimiter_sniff`` reads the first line; an Excel ``sep=;`` line
# before it says so outright), one code per line. The first non-blank line is a header when
# one of its cells names the code column (``VOUCHER_HEADERS``, any case): it is skipped and
# the codes are read from that column. Without a header the codes are in the first column.
# Other columns are ignored.
#
# A code is plain: ASCII letters and digits, and ``-``, ``_``, ``.``, ``/`` after its first
# character, which is a letter or a digit; at most ``VOUCHER_CODE_MAX_LENGTH`` characters.
# The member reads it, types it into a shop's till or web form, and finds it in exports, so
# anything else is refused: a code starting ``=``, ``+``, ``-`` or ``@`` would run as a formula
# in the spreadsheet it is exported to (CSV injection), a space or a look-alike letter from
# another alphabet would not be typed back the same, and a line of other columns glued to
# the code (a file read with the wrong delimiter) is caught as a code containing ``;``.
#
# What cannot be read as text — a NUL byte, bytes that are not UTF-8, a UTF-16 file — refuses
# the whole file, naming the first line concerned; nothing is added. Each other line is
# added, skipped (blank, repeated in the file, already in the pool) or rejected with its
# reason, and the report lists every skipped and rejected line with its number.

VOUCHER_FILE_MAX_BYTES = 2 * 1024 * 1024
VOUCHER_FILE_MAX_ROWS = 50_000
VOUCHER_CODE_MAX_LENGTH = 100  # VoucherCode.code's max_length
# A line longer than this is rejected unread (no code, with any other columns, comes close).
VOUCHER_LINE_MAX_CHARS = 4096
# The header words of the code column, compared stripped and lower-case: English, Swedish and
# Dutch, as the club's staff and its suppliers name it. A real code is never one of them.
VOUCHER_HEADERS = frozenset(
    {
        "code",
        "codes",
        "voucher",
        "vouchers",
        "voucher code",
        "voucher codes",
        "voucher_code",
        "voucher-code",
        "vouchercode",
        "gift card code",
        "kod",
        "koder",
        "värdekod",
        "presentkortskod",
        "rabattkod",
        "cadeaucode",
        "kortingscode",
        "waardebon",
    }
)
# What a spreadsheet reads as the start of a formula (``core.spreadsheets.FORMULA_PREFIXES``).
_FORMULA_STARTS = frozenset("=+-@")
_CODE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./")
_LINE_END = re.compile(r"\r\n|\r|\n")
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=(.)", re.IGNORECASE)
# How many lines of each kind the report lists; the rest are counted.
VOUCHER_REPORT_LINES_SHOWN = 200


@dataclass
class VoucherUploadReport:
    """What a voucher code upload did, line by line (line numbers count from 1, as an editor
    shows them)."""

    added: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    duplicates_in_file: list[tuple[int, str, int]] = field(default_factory=list)  # (line, code, first line)
    already_in_pool: list[tuple[int, str]] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    delimiter: str = ","
    header_line: int | None = None
    code_column: int = 1  # counted from 1
    code_column_name: str = ""
    codes_left: int = 0

    @property
    def skipped(self) -> int:
        return len(self.duplicates_in_file) + len(self.already_in_pool) + len(self.blank_lines) + len(self.rejected)

    @property
    def delimiter_name(self) -> str:
        return csv_delimiter_name(self.delimiter)

    # The lists as the page shows them: the first VOUCHER_REPORT_LINES_SHOWN, and how many more.
    @property
    def rejected_shown(self):
        return self.rejected[:VOUCHER_REPORT_LINES_SHOWN]

    @property
    def rejected_more(self) -> int:
        return max(0, len(self.rejected) - VOUCHER_REPORT_LINES_SHOWN)

    @property
    def duplicates_shown(self):
        return self.duplicates_in_file[:VOUCHER_REPORT_LINES_SHOWN]

    @property
    def duplicates_more(self) -> int:
        return max(0, len(self.duplicates_in_file) - VOUCHER_REPORT_LINES_SHOWN)

    @property
    def already_in_pool_shown(self):
        return self.already_in_pool[:VOUCHER_REPORT_LINES_SHOWN]

    @property
    def already_in_pool_more(self) -> int:
        return max(0, len(self.already_in_pool) - VOUCHER_REPORT_LINES_SHOWN)

    @property
    def blank_lines_shown(self):
        return self.blank_lines[:VOUCHER_REPORT_LINES_SHOWN]

    @property
    def blank_lines_more(self) -> int:
        return max(0, len(self.blank_lines) - VOUCHER_REPORT_LINES_SHOWN)


def _line_of(data: bytes, offset: int) -> int:
    """The line number (from 1) of the byte at ``offset``, counting LF, CRLF and CR endings."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _voucher_text(data: bytes) -> str:
    """The file as text, or ``CatalogueError`` saying why it is not UTF-8 text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise CatalogueError(
            _(
                "The file is saved as UTF-16 or UTF-32 (“Unicode text”), not UTF-8. "
                "Save it as “CSV UTF-8” and upload it again."
            )
        )
    if (nul := data.find(b"\x00")) != -1:
        raise CatalogueError(
            _(
                "Line %(line)s contains a NUL byte: this is not a text file (a workbook or another "
                "binary file?). Save the codes as “CSV UTF-8” and upload that file."
            )
            % {"line": _line_of(data, nul)}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            _(
                "Line %(line)s is not UTF-8 text (was the file saved as Windows-1252 or Latin-1, "
                "“CSV” rather than “CSV UTF-8”?). Save it as “CSV UTF-8” and upload it again; "
                "no code was added."
            )
            % {"line": _line_of(data, exc.start)}
        ) from exc
    if not text.strip():
        raise CatalogueError(_("The file is empty."))
    return text


def _shown(text: str, limit: int = 40) -> str:
    """``text`` fit to quote in a message: short, with unprintable characters replaced."""
    text = "".join(char if char.isprintable() else "\ufffd" for char in text)
    return text if len(text) <= limit else text[:limit] + "…"


def _character_name(char: str) -> str:
    if char == " ":
        return _("a space")
    if not char.isprintable() or char.isspace():
        return f"U+{ord(char):04X}"
    return f"“{char}”"


def voucher_code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a voucher code (see the rules above), or None when it can."""
    if len(code) > VOUCHER_CODE_MAX_LENGTH:
        return _("A code is at most %(limit)s characters; this one has %(length)s.") % {
            "limit": VOUCHER_CODE_MAX_LENGTH,
            "length": format_number(len(code)),
        }
    first = code[0]
    if first in _FORMULA_STARTS:
        return _(
            "“%(code)s” begins with “%(char)s”, which a spreadsheet reads as the start of a formula; "
            "a code begins with a letter or a digit."
        ) % {"code": _shown(code), "char": first}
    if first not in _CODE_CHARACTERS or not first.isalnum():
        return _("“%(code)s” begins with %(char)s; a code begins with a letter (A–Z) or a digit.") % {
            "code": _shown(code),
            "char": _character_name(first),
        }
    for char in code:
        if char not in _CODE_CHARACTERS:
            return _("“%(code)s” contains %(char)s; a code has only letters A–Z, digits and the characters - _ . /") % {
                "code": _shown(code),
                "char": _character_name(char),
            }
    return None


def _voucher_layout(content: list[tuple[int, str]], report: VoucherUploadReport) -> set[int]:
    """Read the delimiter and the code column from the first lines with something in them
    into ``report``; the numbers of the lines that hold no code (Excel's ``sep=`` line, the
    header)."""
    not_codes: set[int] = set()
    if content and (hint := _EXCEL_SEPARATOR_LINE.fullmatch(content[0][1].strip())) and hint[1] in CSV_DELIMITERS:
        report.delimiter = hint[1]
        not_codes.add(content[0][0])
        content = content[1:]
    elif content:
        report.delimiter = csv_delimiter_sniff(content[0][1], known_names=VOUCHER_HEADERS)
    if not content or len(content[0][1]) > VOUCHER_LINE_MAX_CHARS:
        return not_codes
    number, line = content[0]
    try:
        cells = [cell.strip().lower() for cell in csv_line_values(line, delimiter=report.delimiter)]
    except CsvLineError:
        return not_codes  # not a header: the line is rejected with the reason
    column = next((index for index, cell in enumerate(cells) if cell in VOUCHER_HEADERS), None)
    if column is not None:
        report.header_line, report.code_column, report.code_column_name = number, column + 1, cells[column]
        not_codes.add(number)
    return not_codes


def _voucher_line_code(line: str, *, delimiter: str, column: int) -> tuple[str, str]:
    """``(code, "")`` for a line that holds an acceptable code, ``("", why)`` for one that does
    not, and ``("", "")`` for a line with nothing in it."""
    if len(line) > VOUCHER_LINE_MAX_CHARS:
        return "", _("A code is at most %(limit)s characters; this line has %(length)s.") % {
            "limit": VOUCHER_CODE_MAX_LENGTH,
            "length": format_number(len(line)),
        }
    try:
        cells = csv_line_values(line, delimiter=delimiter)
    except CsvLineError as exc:
        return "", str(exc)
    if not any(cell.strip() for cell in cells):
        return "", ""  # ";;": an empty row of a spreadsheet
    code = cells[column - 1].strip() if len(cells) >= column else ""
    if not code:
        return "", _("There is no code in column %(column)s.") % {"column": column}
    if problem := voucher_code_problem(code):
        return "", problem
    return code, ""


def _voucher_lines(data: bytes, report: VoucherUploadReport) -> list[tuple[int, str]]:
    """The file's acceptable codes ``(line, code)``, in file order; blank and rejected lines
    and the layout (delimiter, header) go into ``report``. ``CatalogueError`` for a file that
    cannot be read as a whole (nothing is added then)."""
    lines = _LINE_END.split(_voucher_text(data))
    if lines and lines[-1] == "":
        lines.pop()  # the ending of the last line
    if len(lines) > VOUCHER_FILE_MAX_ROWS:
        raise CatalogueError(
            _("The file has more than %(count)s lines; split it into smaller files.") % {"count": VOUCHER_FILE_MAX_ROWS}
        )
    numbered = list(enumerate(lines, start=1))
    # The layout comes from the first lines with something in them (";;" is an empty row).
    not_codes = _voucher_layout([(n, line) for n, line in numbered if line.strip(' \t,;"')], report)
    candidates: list[tuple[int, str]] = []
    for number, line in numbered:
        if number in not_codes:
            continue
        code, problem = _voucher_line_code(line, delimiter=report.delimiter, column=report.code_column)
        if code:
            candidates.append((number, code))
        elif problem:
            report.rejected.append((number, problem))
        else:
            report.blank_lines.append(number)
    if not candidates and not report.rejected:
        if report.header_line:
            raise CatalogueError(_("The file has a header line but no codes."))
        raise CatalogueError(_("The file is empty."))
    return candidates


def voucher_codes_upload(
    *, reward: Reward, data: bytes, by: User | None, now: datetime | None = None
) -> VoucherUploadReport:
    """Add the codes of a CSV file (see *The file* above: one code per line, in the first
    column or under a header naming the code column) to a voucher reward's pool.

    A file that cannot be read as UTF-8 text, is empty or too large raises
    ``CatalogueError`` and adds nothing. Otherwise every line is accounted for in the
    report: added, or skipped with its line number — blank, rejected with the reason (not a
    plain code, too long, not readable as CSV), repeated within the file, or already in the
    pool. Uploading the same file twice adds nothing the second time. The reward row is
    locked while the codes go in.
    """
    if not reward.uses_code_pool:
        raise CatalogueError(_("%(reward)s is not a voucher reward; it has no code pool.") % {"reward": reward})
    if len(data) > VOUCHER_FILE_MAX_BYTES:
        raise CatalogueError(_("The file is larger than 2 MB; split it into smaller files."))
    now = now or timezone.now()
    report = VoucherUploadReport()
    first_line: dict[str, int] = {}
    candidates: list[tuple[int, str]] = []
    for line, code in _voucher_lines(data, report):
        if code in first_line:
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
    if not reward_offered_to(reward, company):
        raise CatalogueError(currency_refusal(reward, company))
    now = timezone.now()
    settings, _created = CompanyRewardSettings.objects.update_or_create(
        company=company, defaults={"goal_reward": reward, "goal_set_by": by, "goal_set_at": now, "updated_at": now}
    )
    return settings


def currency_refusal(reward: Reward, company: Company) -> str:
    """Why a money reward in another currency is not for ``company`` (the goal, an order)."""
    return _(
        "This reward's value is in %(currency)s, so it is only offered to companies that buy in %(currency)s; "
        "your company buys in %(own)s."
    ) % {"currency": reward.currency, "own": company.purchase_currency}


def reward_goal_clear(*, company: Company, by: User) -> None:
    membership = _membership(by, company)
    if membership is None or membership.role not in (MembershipRole.ADMIN, MembershipRole.PURCHASER):
        raise CatalogueError(_("Only purchasers and company admins can choose the company's goal."))
    CompanyRewardSettings.objects.filter(company=company).update(
        goal_reward=None, goal_set_by=by, goal_set_at=timezone.now(), updated_at=timezone.now()
    )
