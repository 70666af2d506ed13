"""The Swedish catalogue ships complete, and the compiled catalogue is the one in use."""

from __future__ import annotations

import re
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
