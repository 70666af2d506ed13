"""How long rendering ledger descriptions in the reader's language takes: 10 000 entries of
four shapes (a purchase with campaign points, an expiry with its date, a redeem, a goodwill
gift) in en, sv and nl, with no database (rendering reads none).

    .venv/bin/python bench/texts_bench.py
"""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.test")
    import django

    django.setup()
    from django.utils import translation

    from core.texts import StoredText
    from rewards import texts
    from rewards.models import LedgerEntry

    shapes = [
        texts.purchase_memo(ref="ERP-2026-000123", campaigns=[(1875, "Vårkampanj")]),
        StoredText(texts.EXPIRED, {"day": "2026-12-06"}),
        StoredText(texts.REDEEMED, {"reward": "Borrmaskin", "quantity": 2}),
        StoredText("reps.goodwill", {"rep": "Anna Sälj", "reason": "Tack för ordern"}),
    ]
    entries = [LedgerEntry(kind="earn", memo_key=shape.key, memo_params=shape.params) for shape in shapes] * 2500
    for language in ("en", "sv", "nl"):
        with translation.override(language):
            start = time.perf_counter()
            rendered = [entry.memo for entry in entries]
            took = time.perf_counter() - start
        assert all(rendered)
        print(
            f"{language}: {len(entries)} descriptions in {took * 1000:.0f} ms ({took / len(entries) * 1e6:.0f} µs each)"
        )


if __name__ == "__main__":
    main()
