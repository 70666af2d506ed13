"""Swedish and Dutch ship complete, with every placeholder intact, and the compiled
catalogues are the ones in use.

CI fails when a message lacks a translation in a shipped language, is fuzzy, or when a
translation breaks a placeholder (``%(name)s``, ``%s``, ``{name}``, an HTML tag), in the
singular or in any plural form. ``make messages`` fails on such a translation too: Django's
``compilemessages`` runs ``msgfmt --check-format`` (checked below).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [code for code, _name in settings.LANGUAGES if code != "en"]  # English is the source


def _catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


# --- a small PO reader (the test environment has no polib) -------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        return (f"[{self.msgctxt}] " if self.msgctxt else "") + self.msgid[:80]


def _read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None

    def flush():
        nonlocal entry, current
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, current = Entry(), None

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            if entry.msgid or entry.msgstr:
                flush()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if not line.strip():
            flush()
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])? (".*")$', line)
        if match:
            keyword, index, text = match.groups()
            if keyword == "msgctxt" and (entry.msgid or entry.msgstr):
                flush()
            current = (keyword, int(index or 0))
            value = ast.literal_eval(text)
        else:
            value = ast.literal_eval(line)
        keyword, index = current
        if keyword == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
        else:
            setattr(entry, keyword, (getattr(entry, keyword) or "") + value)
    flush()
    return [entry for entry in entries if entry.msgid and not entry.obsolete]


# --- placeholders ----------------------------------------------------------------------

_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[[^\]]*\])*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def placeholders(text: str, entry: Entry) -> Counter:
    """The placeholders a translation of ``entry`` must keep: python-format ones (named, or
    positional in order), python-brace-format ones, and HTML tag names."""
    found: Counter = Counter()
    if "python-format" in entry.flags:
        positional = []
        for match in _PERCENT.finditer(text):
            if match["type"] == "%":
                continue
            if match["name"] is not None:
                found[f"%({match['name']})"] += 1
            else:
                positional.append(match["type"])
        if positional:
            found["%" + "".join(positional)] += 1
    if "python-brace-format" in entry.flags or (
        "python-format" not in entry.flags and "no-python-brace-format" not in entry.flags
    ):
        found.update("{" + name + "}" for name in _BRACE.findall(text))
    found.update("<" + tag.lower() + ">" for tag in _TAG.findall(text))
    return found


def placeholder_problems(entry: Entry) -> list[str]:
    """Every translation form of ``entry`` whose placeholders differ from the source's.

    In a plural entry each form must carry the named placeholders of the source; the
    singular form may leave out the count (``"%(count)s point"`` → ``"ett poäng"``), as
    gettext's own ``msgfmt --check-format`` allows.
    """
    problems = []
    if entry.msgid_plural is None:
        expected = placeholders(entry.msgid, entry)
        got = placeholders(entry.msgstr.get(0, ""), entry)
        if got != expected:
            problems.append(f"{entry.label!r}: {dict(expected)} became {dict(got)}")
        return problems
    expected = placeholders(entry.msgid_plural, entry) | placeholders(entry.msgid, entry)
    for index, text in sorted(entry.msgstr.items()):
        got = placeholders(text, entry)
        allowed_missing = placeholders(entry.msgid_plural, entry) - placeholders(entry.msgid, entry)
        if got != expected and not (index == 0 and got | allowed_missing == expected | allowed_missing):
            problems.append(f"{entry.label!r} msgstr[{index}]: {dict(expected)} became {dict(got)}")
    return problems


def _untranslated(entry: Entry) -> bool:
    forms = 2 if entry.msgid_plural is not None else 1
    return any(not entry.msgstr.get(index) for index in range(forms))


# --- the shipped catalogues ------------------------------------------------------------


@pytest.mark.parametrize("language", SHIPPED)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    entries = _read_po(_catalogue(language))
    assert len(entries) > 1000
    assert [entry.label for entry in entries if _untranslated(entry)] == []
    assert [entry.label for entry in entries if "fuzzy" in entry.flags] == []


@pytest.mark.parametrize("language", SHIPPED)
def test_every_translation_keeps_its_placeholders(language):
    translated = [entry for entry in _read_po(_catalogue(language)) if not _untranslated(entry)]
    problems = [problem for entry in translated for problem in placeholder_problems(entry)]
    assert problems == [], "\n".join(problems)


def test_every_shipped_language_has_a_catalogue_with_the_same_messages():
    keys = {
        language: {(entry.msgctxt, entry.msgid) for entry in _read_po(_catalogue(language))} for language in SHIPPED
    }
    first, *others = SHIPPED
    for language in others:
        assert keys[language] == keys[first], f"{language} and {first} hold different messages"


def test_the_placeholder_check_catches_broken_translations():
    """The check above would fail on the mistakes translators make."""
    python_format = {"python-format"}
    broken = [
        Entry(msgid="%(points)s points", msgstr={0: "%(punten)s punten"}, flags=python_format),
        Entry(msgid="%(points)s points", msgstr={0: "%(points) punten"}, flags=python_format),
        Entry(msgid="Order %s of %d", msgstr={0: "Bestelling %d van %s"}, flags=python_format),
        Entry(msgid="Hello {name}", msgstr={0: "Hallo {naam}"}),
        Entry(
            msgid="Read <a href='%(url)s'>the terms</a>", msgstr={0: "Lees de voorwaarden %(url)s"}, flags=python_format
        ),
        Entry(
            msgid="%(count)s point for %(company)s",
            msgid_plural="%(count)s points for %(company)s",
            msgstr={0: "%(count)s punt", 1: "%(count)s punten voor %(company)s"},
            flags=python_format,
        ),
        Entry(
            msgid="one point",
            msgid_plural="%(count)s points",
            msgstr={0: "een punt", 1: "veel punten"},
            flags=python_format,
        ),
    ]
    assert all(placeholder_problems(entry) for entry in broken)
    fine = [
        Entry(msgid="%(points)s points, 100%%", msgstr={0: "%(points)s punten, 100%%"}, flags=python_format),
        Entry(msgid="Order %s of %d", msgstr={0: "Bestelling %s van %d"}, flags=python_format),
        Entry(msgid="Hello {name}", msgstr={0: "Hallo {name}"}),
        Entry(msgid="<strong>%(n)s</strong> left", msgstr={0: "nog <strong>%(n)s</strong>"}, flags=python_format),
        Entry(
            msgid="one point",
            msgid_plural="%(count)s points",
            msgstr={0: "een punt", 1: "%(count)s punten"},
            flags=python_format,
        ),
    ]
    assert [problem for entry in fine for problem in placeholder_problems(entry)] == []


def test_compiled_catalogues_are_used_for_portal_strings():
    with translation.override("sv"):
        assert translation.gettext("Dashboard") == "Översikt"
        assert translation.gettext("Invite a colleague") != "Invite a colleague"
    with translation.override("nl"):
        assert translation.gettext("Dutch") == "Nederlands"
        assert translation.gettext("Invite a colleague") != "Invite a colleague"


@pytest.mark.parametrize("language", SHIPPED)
def test_compiled_catalogues_are_up_to_date(language, tmp_path):
    """The tracked ``.mo`` is what ``compilemessages`` makes of the tracked ``.po``: no
    translation fixed in the ``.po`` is left out of what the portal serves."""
    po = _catalogue(language)
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), "run `make messages`"


def _copy_tracked_sources(target_root: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, tracked):
        relative = name.decode()
        if relative.startswith(("tests/", "docs/", "bench/")) or not (ROOT / relative).exists():
            continue
        target = target_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)


def _manage(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clubportal.settings.test"},
    )


def test_catalogues_hold_every_string_of_the_sources(tmp_path):
    """A string added to the code without running ``make messages`` would show in English.

    ``makemessages`` runs on a copy of the tracked sources, so the real catalogues are
    untouched; afterwards every entry must still be translated, none fuzzy, in every
    shipped language.
    """
    _copy_tracked_sources(tmp_path)
    languages = [arg for language in SHIPPED for arg in ("-l", language)]
    made = _manage(tmp_path, "makemessages", *languages, "--no-obsolete", "-v", "0")
    assert made.returncode == 0, made.stderr
    for language in SHIPPED:
        entries = _read_po(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po")
        missing = [entry.label for entry in entries if _untranslated(entry) or "fuzzy" in entry.flags]
        assert missing == [], f"run `make messages` and translate ({language}):\n" + "\n".join(missing)


def test_compilemessages_fails_on_a_broken_placeholder(tmp_path, monkeypatch, settings):
    """``make messages`` stops on a translation whose placeholder is broken, so it never
    reaches a page (where ``%`` would raise or show the raw text)."""
    locale = tmp_path / "locale" / "nl" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    header = _catalogue("nl").read_text(encoding="utf-8").split("\n\n", 1)[0]
    (locale / "django.po").write_text(
        header + '\n\n#, python-format\nmsgid "%(points)s points"\nmsgstr "%(punten)s punten"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    with pytest.raises(CommandError, match="errors"):
        call_command("compilemessages", locale=["nl"], verbosity=0)
