"""The Swedish catalogue ships complete, and the compiled catalogue is the one in use."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "sv" / "LC_MESSAGES"


def _entries(po_text: str) -> list[str]:
    return [block for block in po_text.strip().split("\n\n") if re.search(r"^msgid ", block, re.M)]


def _translation_of(block: str) -> str:
    parts = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block + "\n", re.M)
    return "".join(re.findall(r'"(.*)"', "".join(parts)))


def test_every_swedish_entry_is_translated_and_none_is_fuzzy():
    entries = _entries((LOCALE / "django.po").read_text(encoding="utf-8"))[1:]  # [0] is the header
    assert len(entries) > 500
    untranslated = [block for block in entries if not _translation_of(block)]
    fuzzy = [block for block in entries if "#, fuzzy" in block]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_is_used_for_portal_strings():
    with translation.override("sv"):
        assert translation.gettext("Dashboard") == "Översikt"
        assert translation.gettext("Invite a colleague") != "Invite a colleague"


def test_catalogue_holds_every_string_of_the_sources(tmp_path):
    """A string added to the code without running ``make messages`` would show in English.

    ``makemessages`` runs on a copy of the tracked sources, so the real catalogue is untouched;
    afterwards every entry must still be translated and none fuzzy.
    """
    root = Path(__file__).resolve().parents[2]
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, tracked):
        relative = name.decode()
        if relative.startswith(("tests/", "docs/", "bench/")):
            continue
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clubportal.settings.test"},
    )
    entries = _entries((tmp_path / "locale/sv/LC_MESSAGES/django.po").read_text(encoding="utf-8"))
    missing = [block for block in entries[1:] if not _translation_of(block) or "#, fuzzy" in block]
    assert missing == [], "run `make messages` and translate:\n\n" + "\n\n".join(missing)
