"""Fill the database with a believable demo club. Idempotent: a second run changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from portal import demo


class Command(BaseCommand):
    help = "Create the demo club: companies, contacts, staff and content. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, quiet_logins: bool = False, **options):
        with transaction.atomic():
            summary = demo.seed()
        for line in summary.report_lines():
            self.stdout.write(line)
        if not quiet_logins:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {demo.DEMO_PASSWORD})"))
            for role, email in summary.logins:
                self.stdout.write(f"  {role:<28} {email}")
            self.stdout.write(
                "  Everyone logs in at /accounts/login/. Staff set up a TOTP app at their first login "
                "and enter its code at every login; no staff page opens before that."
            )
        # The output ends with an empty line, flushed now: whatever prints next in the same
        # terminal or log (``make run``'s server and its system check) starts on a line of its own.
        self.stdout.write("")
        self.stdout.flush()
