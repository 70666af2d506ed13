"""Ledger descriptions become a message key with parameters (``core.texts``), rendered in
the reader's language, instead of finished words in the language of whoever caused them.

Existing descriptions are parsed back into key and parameters: every shape the services
wrote, in English, Swedish and Dutch (the shipped catalogues when this was written; the
patterns are frozen here, so later wording changes do not change what this migration
does). Anything not recognised — a reason a person typed, a text of an unknown shape — is
kept word for word under the free-text key, so no history is lost.
"""

from __future__ import annotations

import re

from django.db import migrations, models

FREE_TEXT = "text"

# Entry kinds as stored (rewards.models.EntryKind).
EARN, RELEASE, REDEEM, EXPIRE, ADJUST, REVERSAL = "earn", "release", "redeem", "expire", "adjust", "reversal"

_NUMBER = r"(?P<points>[0-9][0-9\s\u00a0.,]*)"


def _alternatives(*words: str) -> str:
    return "(?:" + "|".join(re.escape(word) for word in words) + ")"


_PURCHASE = re.compile(r"^" + _alternatives("Purchase", "Köp", "Aankoop") + r" (?P<ref>.+?)(?: · (?P<campaigns>.+))?$")
_CAMPAIGN_PART = re.compile(
    r"^\+" + _NUMBER + " " + _alternatives("campaign points", "kampanjpoäng", "campagnepunten") + r": (?P<campaign>.*)$"
)
_PAID_OFF = re.compile(
    r"^"
    + _NUMBER
    + " "
    + _alternatives(
        "points owed were paid off.", "poäng i skuld har betalats av.", "verschuldigde punten zijn afgelost."
    )
    + "$"
)
_CREDIT_NOTE = re.compile(
    r"^(?:Credit note (?P<ref1>.+) for purchase (?P<orig1>.+)"
    r"|Kreditnota (?P<ref2>.+) för köp (?P<orig2>.+)"
    r"|Creditnota (?P<ref3>.+) voor aankoop (?P<orig3>.+))$"
)
_EXPIRED = re.compile(
    r"^"
    + _alternatives(
        "Points that reached their expiry date by",
        "Poäng som nått sitt förfallodatum senast",
        "Punten die uiterlijk",
    )
    + r" (?P<day>\d{4}-\d{2}-\d{2})(?: hun vervaldatum bereikten)?$"
)
_REDEEMED = re.compile(r"^(?P<reward>.+) × (?P<quantity>\d+)$")
_ORDER_CLOSED = re.compile(
    r"^(?:Order (?P<n1>\S+) (?P<w1>rejected|cancelled): points returned"
    r"|Beställning (?P<n2>\S+) (?P<w2>avslogs|avbröts): poängen återförda"
    r"|Bestelling (?P<n3>\S+) (?P<w3>afgewezen|geannuleerd): punten teruggegeven)$"
)
_REJECTED_WORDS = {"rejected", "avslogs", "afgewezen"}
_POINTS_RETURNED = {"Points returned", "Poäng återförda", "Punten teruggegeven"}
_GOODWILL = re.compile(
    r"^" + _alternatives("Goodwill from", "Goodwill från", "Goodwillpunten van") + r" (?P<rep>.+?): (?P<reason>.*)$",
    re.S,
)
_CHALLENGE = re.compile(
    r"^" + _alternatives("Challenge completed:", "Utmaning klarad:", "Uitdaging voltooid:") + r" (?P<title>.*)$", re.S
)
# campaigns.models.ActivityKind: its labels in each language → the stored value.
_ACTIVITY_KINDS = {
    "review": ("Product review", "Produktrecension", "Productreview"),
    "survey": ("Survey (NPS)", "Enkät (NPS)", "Enquête (NPS)"),
    "event": ("Event attendance", "Deltagande i evenemang", "Evenementdeelname"),
    "referral": ("Refer a company", "Tipsa om ett företag", "Een bedrijf aanbevelen"),
    "profile": ("Complete your profile", "Fyll i din profil", "Je profiel aanvullen"),
    "custom": (
        "Custom activity, confirmed by staff",
        "Egen aktivitet, bekräftas av oss",
        "Eigen activiteit, bevestigd door medewerkers",
    ),
}


def _points(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _campaigns(text: str) -> list[dict] | None:
    parts = []
    for part in text.split("; "):
        match = _CAMPAIGN_PART.match(part)
        if match is None:
            return None
        parts.append({"points": _points(match["points"]), "campaign": match["campaign"]})
    return parts


def _activity(text: str) -> tuple[str, dict] | None:
    for kind, labels in _ACTIVITY_KINDS.items():
        for label in labels:
            if text.startswith(label + ": "):
                return "campaigns.activity", {"kind": kind, "title": text[len(label) + 2 :]}
    return None


def memo_parse(*, kind: str, has_purchase: bool, memo: str) -> tuple[str, dict]:
    """The key and parameters of a description written before texts were stored as keys.
    Only the shapes a service wrote for an entry of this kind are tried; anything else is
    kept as it is (``FREE_TEXT``)."""
    memo = memo or ""
    if not memo:
        return "", {}
    if kind == EARN and has_purchase and (match := _PURCHASE.match(memo)):
        params: dict = {"ref": match["ref"]}
        if match["campaigns"]:
            campaigns = _campaigns(match["campaigns"])
            if campaigns is None:
                return FREE_TEXT, {"text": memo}
            params["campaigns"] = campaigns
        return "ledger.purchase", params
    if kind == EARN and not has_purchase:
        if match := _CHALLENGE.match(memo):
            return "campaigns.challenge", {"title": match["title"]}
        if found := _activity(memo):
            return found
    if kind == RELEASE and (match := _PAID_OFF.match(memo)):
        return "ledger.paid_off", {"points": _points(match["points"])}
    if kind == EXPIRE and (match := _EXPIRED.match(memo)):
        return "ledger.expired", {"day": match["day"]}
    if kind == REDEEM and (match := _REDEEMED.match(memo)):
        return "ledger.redeemed", {"reward": match["reward"], "quantity": int(match["quantity"])}
    if kind == REVERSAL:
        if has_purchase and (match := _CREDIT_NOTE.match(memo)):
            ref = match["ref1"] or match["ref2"] or match["ref3"]
            original = match["orig1"] or match["orig2"] or match["orig3"]
            return "ledger.credit_note", {"ref": ref, "original": original}
        if match := _ORDER_CLOSED.match(memo):
            number = match["n1"] or match["n2"] or match["n3"]
            word = match["w1"] or match["w2"] or match["w3"]
            key = "ledger.order_rejected" if word in _REJECTED_WORDS else "ledger.order_cancelled"
            return key, {"number": number}
        if memo in _POINTS_RETURNED:
            return "ledger.points_returned", {}
    if kind == ADJUST and (match := _GOODWILL.match(memo)):
        return "reps.goodwill", {"rep": match["rep"], "reason": match["reason"]}
    return FREE_TEXT, {"text": memo}


BATCH = 2000


def forwards(apps, schema_editor):
    LedgerEntry = apps.get_model("rewards", "LedgerEntry")
    batch = []
    rows = LedgerEntry.objects.exclude(memo="").only("pk", "kind", "purchase_id", "memo").order_by("pk")
    for entry in rows.iterator(chunk_size=BATCH):
        entry.memo_key, entry.memo_params = memo_parse(
            kind=entry.kind, has_purchase=entry.purchase_id is not None, memo=entry.memo
        )
        batch.append(entry)
        if len(batch) >= BATCH:
            LedgerEntry.objects.bulk_update(batch, ["memo_key", "memo_params"])
            batch = []
    if batch:
        LedgerEntry.objects.bulk_update(batch, ["memo_key", "memo_params"])


def backwards(apps, schema_editor):
    """Back to finished words, in the club's default language."""
    from django.conf import settings

    from core.texts import text_render

    LedgerEntry = apps.get_model("rewards", "LedgerEntry")
    batch = []
    for entry in LedgerEntry.objects.exclude(memo_key="").order_by("pk").iterator(chunk_size=BATCH):
        entry.memo = text_render(entry.memo_key, entry.memo_params, language=settings.LANGUAGE_CODE)[:500]
        batch.append(entry)
        if len(batch) >= BATCH:
            LedgerEntry.objects.bulk_update(batch, ["memo"])
            batch = []
    if batch:
        LedgerEntry.objects.bulk_update(batch, ["memo"])


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0008_merge_bounds_and_pending_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="memo_key",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="description key"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="memo_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="description parameters"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
