"""``manage.py import_purchases FILE``: import a CSV file of purchases now, in this process."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from rewards.models import PurchaseImport, PurchaseImportStatus
from rewards.purchases.imports import purchase_import_run


class Command(BaseCommand):
    help = (
        "Import a CSV file of purchases (format: rewards/purchases/imports.py) through the same pipeline as the admin "
        "upload, synchronously, with a progress line. The file is stored as a PurchaseImport. Exits non-zero "
        "if any row failed (and prints where the error file is) or the file could not be imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Path of the CSV file.")
        parser.add_argument("--chunk-size", type=int, default=None, help="Rows per transaction.")

    def handle(self, *args, file: Path, chunk_size: int | None, **options):
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        with file.open("rb") as handle:
            purchase_import = PurchaseImport(original_name=file.name[:255])
            purchase_import.file.save(file.name, File(handle, name=file.name), save=False)
            purchase_import.save()
        self.stdout.write(f"Import {purchase_import.pk}: {file}")

        def progress(current: PurchaseImport) -> None:
            self.stdout.write(
                f"\r{current.rows_done} of {current.total_rows} rows: {current.rows_created} imported, "
                f"{current.rows_duplicate} already there, {current.rows_failed} failed",
                ending="",
            )
            self.stdout.flush()

        purchase_import = purchase_import_run(import_id=purchase_import.pk, chunk_size=chunk_size, progress=progress)
        self.stdout.write("")
        if purchase_import.status == PurchaseImportStatus.FAILED:
            raise CommandError(purchase_import.error_message)
        # Every data line is in exactly one of the three counts.
        self.stdout.write(
            f"Done: {purchase_import.rows_done} data lines = {purchase_import.rows_created} imported"
            f" + {purchase_import.rows_duplicate} already there + {purchase_import.rows_failed} failed."
        )
        if purchase_import.rows_failed:
            storage = purchase_import.error_file.storage
            try:
                where = storage.path(purchase_import.error_file.name)
            except NotImplementedError:
                where = purchase_import.error_file.name
            raise CommandError(f"{purchase_import.rows_failed} row(s) failed; see {where}")
